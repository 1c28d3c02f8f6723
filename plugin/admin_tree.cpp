// The tree, Info column and expert items of one admin protocol line (command or reply row).

#include "gearman_plugin.h"

namespace gearman_plugin {

namespace {

// For the Info column: like to_cstr, with tabs shown as spaces (admin rows are tab-separated).
char* to_col(wmem_allocator_t* pool, Bytes b) {
  char* out = to_cstr(pool, b);
  for (char* c = out; *c; ++c)
    if (*c == '\t') *c = ' ';
  return out;
}

void add_counts(proto_tree* t, tvbuff_t* tvb, const int* hfs, int n, const gearproto::AdminReplyLine& r) {
  for (int i = 0; i < n && i < r.count_n; ++i) proto_tree_add_uint64(t, hfs[i], tvb, 0, 0, r.counts[i]);
}

int offset_in(Bytes whole, Bytes part) {
  if (part.data() < whole.data() || part.data() > whole.data() + whole.size()) return 0;
  return static_cast<int>(part.data() - whole.data());
}

}  // namespace

int dissect_text(tvbuff_t* tvb, packet_info* pinfo, proto_tree* pdu_tree, proto_item* pdu_item, ConvData* cd,
                 PduData* pd, bool track, TapRecord* tr) {
  using namespace gearproto;
  const gint caplen = tvb_captured_length(tvb);
  const guint8* p = tvb_get_ptr(tvb, 0, caplen);
  Bytes all = as_bytes(p, static_cast<size_t>(caplen));
  Frame f = frame_text(all, limits);
  Bytes line = f.status == Frame::Complete ? f.line : all;
  const int line_len = static_cast<int>(line.size());
  tr->text = true;
  const bool towards_server = to_server(cd, pinfo);
  tr->to_server = towards_server;
  proto_item* it = proto_tree_add_string(pdu_tree, hf_direction, tvb, 0, 0, towards_server ? "to server" : "from server");
  proto_item_set_generated(it);
  proto_tree_add_string(pdu_tree, hf_text_line, tvb, 0, line_len, to_cstr(pinfo->pool, line));
  if (f.status != Frame::Complete) {
    if (f.error == FrameError::LineTooLong) expert_add_info(pinfo, pdu_item, &ei_line_too_long);
    else expert_add_info_format(pinfo, pdu_item, &ei_truncated, "Text line without its newline");
  }

  if (towards_server) {
    AdminRequest r = parse_admin_command(line);
    tr->admin_command_line = true;
    tr->admin_command = static_cast<guint8>(r.command);
    const char* cname = admin_command_name(r.command);
    proto_item_append_text(pdu_item, ", admin command: %s", cname);
    col_append_sep_fstr(pinfo->cinfo, COL_INFO, "; ", "admin command: %s", to_col(pinfo->pool, line.substr(0, 80)));
    proto_item* ci = proto_tree_add_string(pdu_tree, hf_mgr_cmd, tvb, offset_in(all, r.verb),
                                           static_cast<int>(r.verb.size()), cname);
    for (int i = 0; i < r.argc; ++i)
      proto_tree_add_string(pdu_tree, hf_admin_arg, tvb, offset_in(all, r.args[i]),
                            static_cast<int>(r.args[i].size()), to_cstr(pinfo->pool, r.args[i]));
    if (r.command == AdminCommand::CancelJob && r.argc > 0)
      if (const Job* j = find_job(cd, pinfo, r.args[0])) add_job(pdu_tree, pinfo, tvb, j, pdu_item, false);
    if (r.defects & kAdminUnknownCommand) expert_add_info(pinfo, ci, &ei_admin_unknown);
    if (r.defects & kAdminBadArguments) expert_add_info(pinfo, ci, &ei_admin_bad_args);
    if (track) track_admin_command(cd, pinfo, pd, r);
    add_links(pdu_tree, pinfo, tvb, pd, pdu_item);
    return caplen;
  }

  // A reply line: its meaning depends on the command it answers.
  AdminReplyLine r;
  AdminCommand asked = AdminCommand::Unknown;
  if (track) {
    track_admin_reply(cd, pinfo, pd, line, r);
    asked = pd->admin_matched ? static_cast<AdminCommand>(pd->admin_command) : AdminCommand::Unknown;
  } else {
    asked = pd->admin_matched ? static_cast<AdminCommand>(pd->admin_command) : AdminCommand::Unknown;
    r = parse_admin_reply_line(asked, line);
  }
  tr->admin_command = pd->admin_command;
  tr->admin_reply_first = pd->admin_first;
  const char* kind = reply_line_kind_name(r.kind);
  proto_item_append_text(pdu_item, ", admin reply (%s): %s", admin_command_name(asked), kind);
  if (pd->admin_first)
    col_append_sep_fstr(pinfo->cinfo, COL_INFO, "; ", "admin reply (%s): %s", admin_command_name(asked),
                        to_col(pinfo->pool, line.substr(0, 60)));
  proto_item* ki = proto_tree_add_string(pdu_tree, hf_admin_reply_kind, tvb, 0, line_len, kind);
  proto_item_set_generated(ki);
  if (pd->admin_matched) {
    it = proto_tree_add_string(pdu_tree, hf_admin_reply_to, tvb, 0, 0, admin_command_name(asked));
    proto_item_set_generated(it);
  }
  proto_tree* row = proto_tree_add_subtree(pdu_tree, tvb, 0, line_len, ett_row, nullptr, kind);
  switch (r.kind) {
    case ReplyLineKind::StatusRow: {
      proto_tree_add_string(row, hf_arg[static_cast<size_t>(Arg::Function)], tvb, offset_in(all, r.name),
                            static_cast<int>(r.name.size()), to_cstr(pinfo->pool, r.name));
      const int hfs[] = {hf_admin_total, hf_admin_running, hf_admin_workers};
      add_counts(row, tvb, hfs, 3, r);
      break;
    }
    case ReplyLineKind::PriorityStatusRow: {
      proto_tree_add_string(row, hf_arg[static_cast<size_t>(Arg::Function)], tvb, offset_in(all, r.name),
                            static_cast<int>(r.name.size()), to_cstr(pinfo->pool, r.name));
      const int hfs[] = {hf_admin_high, hf_admin_normal, hf_admin_low, hf_admin_workers};
      add_counts(row, tvb, hfs, 4, r);
      break;
    }
    case ReplyLineKind::WorkerRow: {
      proto_tree_add_int64(row, hf_admin_fd, tvb, 0, 0, r.fd);
      proto_tree_add_string(row, hf_admin_address, tvb, offset_in(all, r.address), static_cast<int>(r.address.size()),
                            to_cstr(pinfo->pool, r.address));
      proto_tree_add_string(row, hf_arg[static_cast<size_t>(Arg::ClientId)], tvb, offset_in(all, r.client_id),
                            static_cast<int>(r.client_id.size()), to_cstr(pinfo->pool, r.client_id));
      Bytes rest = r.functions;
      for (int guard = 0; guard < 10000; ++guard) {
        Bytes w = next_word(rest);
        if (w.empty()) break;
        proto_tree_add_string(row, hf_arg[static_cast<size_t>(Arg::Function)], tvb, offset_in(all, w),
                              static_cast<int>(w.size()), to_cstr(pinfo->pool, w));
      }
      break;
    }
    case ReplyLineKind::JobRow: {
      proto_tree_add_string(row, hf_arg[static_cast<size_t>(Arg::Handle)], tvb, offset_in(all, r.name),
                            static_cast<int>(r.name.size()), to_cstr(pinfo->pool, r.name));
      const int hfs[] = {hf_admin_retries, hf_admin_ignore, hf_admin_queued};
      add_counts(row, tvb, hfs, 3, r);
      if (const Job* j = find_job(cd, pinfo, r.name)) add_job(row, pinfo, tvb, j, pdu_item, false);
      break;
    }
    case ReplyLineKind::UniqueRow:
      proto_tree_add_string(row, hf_arg[static_cast<size_t>(Arg::Unique)], tvb, offset_in(all, r.name),
                            static_cast<int>(r.name.size()), to_cstr(pinfo->pool, r.name));
      break;
    case ReplyLineKind::Ok:
      proto_tree_add_string(row, hf_admin_ok_text, tvb, offset_in(all, r.text), static_cast<int>(r.text.size()),
                            to_cstr(pinfo->pool, r.text));
      break;
    case ReplyLineKind::Err: {
      proto_tree_add_string(row, hf_admin_err_code, tvb, offset_in(all, r.code), static_cast<int>(r.code.size()),
                            to_cstr(pinfo->pool, r.code));
      char* dec = static_cast<char*>(wmem_alloc(pinfo->pool, r.text.size() + 1));
      size_t n = decode_plus_text(r.text, dec);
      dec[n] = '\0';
      proto_item* ei = proto_tree_add_string(row, hf_admin_err_text, tvb, offset_in(all, r.text),
                                             static_cast<int>(r.text.size()), to_cstr(pinfo->pool, Bytes(dec, n)));
      expert_add_info_format(pinfo, ei, &ei_admin_err, "Admin ERR %s: %s", to_cstr(pinfo->pool, r.code),
                             to_cstr(pinfo->pool, Bytes(dec, n)));
      break;
    }
    case ReplyLineKind::Text:
    case ReplyLineKind::ListRow:
      proto_tree_add_string(row, hf_admin_text, tvb, 0, line_len, to_cstr(pinfo->pool, r.line));
      break;
    case ReplyLineKind::Malformed:
      expert_add_info(pinfo, ki, &ei_admin_malformed);
      break;
    case ReplyLineKind::End:
      break;
  }
  add_links(pdu_tree, pinfo, tvb, pd, pdu_item);
  return caplen;
}

}  // namespace gearman_plugin
