// The tree, Info column and expert items of one binary PDU (header and arguments).

#include "gearman_plugin.h"

namespace gearman_plugin {

namespace {

// The argument fields' header_field_infos (read_argument_field_infos): asked per argument.
const header_field_info* arg_hfi[gearproto::kArgKindCount];
const header_field_info* raw_hfi;

// Preview of bytes: at most pref_preview_len bytes, control and non-ASCII bytes escaped (\n, \x01).
char* preview(wmem_allocator_t* pool, Bytes b) {
  size_t n = b.size() < static_cast<size_t>(pref_preview_len) ? b.size() : static_cast<size_t>(pref_preview_len);
  const size_t cap = n * 4 + 64;  // an escape is at most 4 characters
  char* out = static_cast<char*>(wmem_alloc(pool, cap));
  size_t k = 0;
  out[k++] = '"';
  k += escape_bytes(b.substr(0, n), out + k, true);
  out[k++] = '"';
  out[k] = '\0';
  if (n < b.size()) g_strlcat(out, "...", cap);
  char tail[40];
  g_snprintf(tail, sizeof tail, " (%zu byte%s)", b.size(), b.size() == 1 ? "" : "s");
  g_strlcat(out, tail, cap);
  return out;
}

void add_defect_experts(packet_info* pinfo, proto_item* it, guint32 defects) {
  if (defects & gearproto::kMissingArguments)
    expert_add_info(pinfo, it, &ei_missing_args);
  if (defects & gearproto::kMissingLastSeparator)
    expert_add_info(pinfo, it, &ei_missing_last_separator);
  if (defects & gearproto::kUnusualNumber)
    expert_add_info(pinfo, it, &ei_unusual_number);
  if (defects & gearproto::kUnexpectedData)
    expert_add_info(pinfo, it, &ei_unexpected_data);
  if (defects & gearproto::kHandleTooLong)
    expert_add_info(pinfo, it, &ei_handle_too_long);
  if (defects & gearproto::kBadNumber)
    expert_add_info(pinfo, it, &ei_bad_number);
  if (defects & gearproto::kEmptyRequired)
    expert_add_info(pinfo, it, &ei_empty_required);
}

void add_argument(proto_tree* tree, packet_info* pinfo, tvbuff_t* tvb, int data_off,
                  const gearproto::ArgView& a) {
  const int off = data_off + static_cast<int>(a.offset);
  const int len = static_cast<int>(a.value.size());
  const int hf = hf_arg[static_cast<size_t>(a.kind)];
  proto_item* it = nullptr;
  const header_field_info* hfi = arg_hfi[static_cast<size_t>(a.kind)];
  if (!field_wanted(tree, hfi) && !field_wanted(tree, raw_hfi)) {
    // No tree shown and no filter asks for it (tshark -Y, taps): Wireshark would hand back the
    // parent instead of an item, so the value need not be converted, escaped and copied first.
    it = tree;
  } else if (gearproto::arg_is_number(a.kind)) {
    bool typed = false;
    if (a.value.empty() && !(a.defects & ~gearproto::kMissingLastSeparator)) {
      // An empty progress number: no progress known (Perl Gearman::Server).
      it = proto_tree_add_string_format(tree, hf_arg_raw, tvb, off, 0, "", "%s: (none)", hfi->name);
      typed = true;
    } else if (hfi->type == FT_DOUBLE) {
      if (std::optional<double> v = gearproto::parse_progress(a.value)) {
        it = proto_tree_add_double(tree, hf, tvb, off, len, *v);
        typed = true;
      }
    } else if (std::optional<uint64_t> v = gearproto::parse_number_arg(a.kind, a.value)) {
      if (hfi->type == FT_UINT64) {
        it = proto_tree_add_uint64(tree, hf, tvb, off, len, *v);
        typed = true;
      } else if (*v <= G_MAXUINT32) {
        it = proto_tree_add_uint(tree, hf, tvb, off, len, static_cast<guint32>(*v));
        typed = true;
      }
    }
    if (!typed)  // not a number we can type: the text as sent
      it = proto_tree_add_string_format(tree, hf_arg_raw, tvb, off, len, to_cstr(pinfo->pool, a.value),
                                        "%s (as sent): %s", hfi->name, to_cstr(pinfo->pool, a.value));
  } else if (hfi->type == FT_BYTES) {
    it = proto_tree_add_bytes_format_value(tree, hf, tvb, off, len, nullptr, "%s",
                                           preview(pinfo->pool, a.value));
  } else {
    it = proto_tree_add_string(tree, hf, tvb, off, len, to_cstr(pinfo->pool, a.value));
  }
  add_defect_experts(pinfo, it, a.defects);
}

}  // namespace

int dissect_binary(tvbuff_t* tvb, packet_info* pinfo, proto_tree* pdu_tree, proto_item* pdu_item, ConvData* cd,
                   PduData* pd, bool track, TapRecord* tr) {
  using namespace gearproto;
  const gint caplen = tvb_captured_length(tvb);
  const guint8* p = tvb_get_ptr(tvb, 0, caplen);
  Header h;
  FrameError err = parse_header(as_bytes(p, kHeaderSize), limits, h);
  const bool is_req = h.magic == Magic::Req;

  const char* name = packet_name(h.type);
  // Unmade items stand for the parent, as Wireshark's faked ones do (experts attach there).
  proto_item* type_item = pdu_tree;
  proto_item* len_item = pdu_tree;
  static FieldGroup header_fields{&hf_magic, &hf_type, &hf_length, &hf_type_name};
  if (header_fields.any_wanted(pdu_tree)) {
    proto_tree* ht = proto_tree_add_subtree(pdu_tree, tvb, 0, kHeaderSize, ett_header, nullptr, "Header");
    proto_tree_add_string(ht, hf_magic, tvb, 0, 4, is_req ? "REQ" : "RES");
    type_item = proto_tree_add_item(ht, hf_type, tvb, 4, 4, ENC_BIG_ENDIAN);
    len_item = proto_tree_add_item(ht, hf_length, tvb, 8, 4, ENC_BIG_ENDIAN);
    proto_item* it = proto_tree_add_string(ht, hf_type_name, tvb, 4, 4, name);
    proto_item_set_generated(it);
  }

  const bool towards_server = to_server(cd, pinfo);
  proto_item* it = proto_tree_add_string(pdu_tree, hf_direction, tvb, 0, 0, towards_server ? "to server" : "from server");
  proto_item_set_generated(it);

  tr->type = h.type;
  tr->type_name = name;
  tr->to_server = towards_server;

  col_append_sep_fstr(pinfo->cinfo, COL_INFO, "; ", "%s %s", is_req ? "REQ" : "RES", name);
  proto_item_append_text(pdu_item, ", %s %s", is_req ? "REQ" : "RES", name);

  if (err == FrameError::UnknownType) {
    expert_add_info_format(pinfo, type_item, &ei_unknown_type, "Unknown packet type %u", h.type);
    add_builtin_fields(pdu_tree, tvb, h, Arguments{});
    return caplen;
  }
  if (err == FrameError::MagicNotAllowed)
    expert_add_info_format(pinfo, type_item, &ei_magic_not_allowed, "%s is not sent with magic %s", name,
                           is_req ? "REQ" : "RES");
  if (err == FrameError::Oversize || err == FrameError::BadMagic) {
    expert_add_info(pinfo, len_item, err == FrameError::Oversize ? &ei_oversize : &ei_bad_magic);
    return caplen;
  }
  if (!h.info) return caplen;

  const size_t have = static_cast<size_t>(caplen) - kHeaderSize;
  if (have < h.length) {
    expert_add_info_format(pinfo, len_item, &ei_truncated, "Only %zu of %u data bytes captured", have, h.length);
  }
  const size_t dlen = have < h.length ? have : h.length;
  Arguments args = split_arguments(*h.info, as_bytes(p + kHeaderSize, dlen));

  if (h.info->argc > 0 || dlen > 0) {
    proto_tree* at = proto_tree_add_subtree_format(pdu_tree, tvb, kHeaderSize, static_cast<int>(dlen), ett_args,
                                                   nullptr, "Arguments (%u of %u)", args.present, args.count);
    for (uint8_t i = 0; i < args.count; ++i) {
      if (!args.args[i].present) continue;
      add_argument(at, pinfo, tvb, kHeaderSize, args.args[i]);
    }
    if (args.defects & (kMissingArguments | kUnexpectedData))
      add_defect_experts(pinfo, pdu_item, args.defects & (kMissingArguments | kUnexpectedData));
    const ArgView* num = args.find(Arg::Numerator);
    const ArgView* den = args.find(Arg::Denominator);
    if (num && den && num->present && den->present) {
      if (std::optional<double> pct = progress_percent(num->value, den->value)) {
        proto_item* pi = proto_tree_add_double(at, hf_percent, tvb, kHeaderSize + num->offset,
                                               static_cast<int>(den->offset + den->value.size() - num->offset), *pct);
        proto_item_set_generated(pi);
        proto_item_append_text(pdu_item, ", %.4g%%", *pct);
      }
    }
    add_builtin_fields(at, tvb, h, args);
  } else {
    add_builtin_fields(pdu_tree, tvb, h, args);
  }

  // Key argument for the Info column: the function, else the handle, else the first argument.
  const ArgView* key = args.find(Arg::Function);
  if (!key || !key->present) key = args.find(Arg::Handle);
  if ((!key || !key->present) && args.count > 0 && args.args[0].kind != Arg::Payload &&
      args.args[0].kind != Arg::EchoData)
    key = &args.args[0];
  if (pinfo->cinfo && key && key->present && !key->value.empty())  // no copy when no columns
    col_append_fstr(pinfo->cinfo, COL_INFO, " %s", to_cstr(pinfo->pool, key->value.substr(0, 64)));

  switch (h.type) {
    case ERROR: {
      std::optional<Bytes> code = args.get(Arg::ErrorCode), text = args.get(Arg::ErrorText);
      expert_add_info_format(pinfo, pdu_item, &ei_error_packet, "Server ERROR %s: %s",
                             code ? to_cstr(pinfo->pool, *code) : "", text ? to_cstr(pinfo->pool, *text) : "");
      tr->error_packet = true;
      break;
    }
    case WORK_FAIL: expert_add_info(pinfo, pdu_item, &ei_work_fail); break;
    case WORK_EXCEPTION: expert_add_info(pinfo, pdu_item, &ei_work_exception); break;
    case WORK_WARNING: expert_add_info(pinfo, pdu_item, &ei_work_warning); break;
    default: break;
  }

  if (track) track_binary(cd, pinfo, pd, h, spans_of(args, as_bytes(p + kHeaderSize, dlen)), towards_server);
  add_links(pdu_tree, pinfo, tvb, pd, pdu_item);
  if (pd->job) {
    const bool second_pass = PINFO_FD_VISITED(pinfo);
    add_job(pdu_tree, pinfo, tvb, pd->job, pdu_item,
            second_pass && pd->job_created_here && !pd->job->background);
    tr->job = pd->job;
    if (pd->job_end_here) tr->job_end = pd->job;
    if (pd->job_created_here) tr->job_created = pd->job;
    tr->second_pass = second_pass;
    if (pd->job_result_here) tr->job_result = pd->job;
  }
  return caplen;
}

void read_argument_field_infos() {
  for (size_t k = 0; k < gearproto::kArgKindCount; ++k) arg_hfi[k] = field_info(hf_arg[k]);
  raw_hfi = field_info(hf_arg_raw);
}

}  // namespace gearman_plugin
