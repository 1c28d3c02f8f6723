// Fields of Wireshark 4.0's built-in Gearman dissector (epan/dissectors/packet-gearman.c) that
// this plugin fills too, hidden beside its own typed fields, on the packets where the built-in
// fills them: saved filters, columns and colouring rules on them keep working.
//
// The built-in's names for the function, unique ID, handle, client ID, option, reducer and ERROR
// code and text are this plugin's own visible fields (register.cpp, same names and types); the
// ones here have a typed field of ours beside them (gearman.payload, gearman.status.*, ...).

#include "gearman_plugin.h"

namespace gearman_plugin {

namespace {

int hf_data_content = -1, hf_func_arg = -1, hf_func_result = -1, hf_numerator = -1, hf_denominator = -1,
    hf_known = -1, hf_running = -1, hf_client_count = -1, hf_echo_text = -1, hf_epoch_time = -1,
    hf_timeout_value = -1, hf_sched_minute = -1, hf_sched_hour = -1, hf_sched_day_of_month = -1,
    hf_sched_month = -1, hf_sched_day_of_week = -1;

// Labels and types exactly as the built-in registers them.
struct Compat { int* hf; const char* label; const char* abbrev; ftenum type; };
const Compat kCompat[] = {
  {&hf_data_content, "Data Content", "gearman.data_content", FT_STRING},
  {&hf_func_arg, "Function Argument", "gearman.func.arg", FT_STRING},
  {&hf_func_result, "Function Result", "gearman.func.result", FT_STRING},
  {&hf_numerator, "Complete Numerator", "gearman.numerator", FT_STRINGZ},
  {&hf_denominator, "Complete Denominator", "gearman.denominator", FT_STRING},
  {&hf_known, "Known job", "gearman.job.known", FT_STRINGZ},
  {&hf_running, "Running Job", "gearman.job.running", FT_STRINGZ},
  {&hf_client_count, "Client Count", "gearman.client_count", FT_STRING},
  {&hf_echo_text, "Echo Text", "gearman.echo_text", FT_STRING},
  {&hf_epoch_time, "Epoch Time", "gearman.submit_job.epoch_time", FT_STRING},
  {&hf_timeout_value, "Timeout Value", "gearman.timeout.value", FT_STRING},
  {&hf_sched_minute, "Minute", "gearman.submit_job_sched.minute", FT_STRING},
  {&hf_sched_hour, "Hour", "gearman.submit_job_sched.hour", FT_STRING},
  {&hf_sched_day_of_month, "Day of Month", "gearman.submit_job_sched.day_of_month", FT_STRING},
  {&hf_sched_month, "Month", "gearman.submit_job_sched.month", FT_STRING},
  {&hf_sched_day_of_week, "Day of Week", "gearman.submit_job_sched.day_of_week", FT_STRING},
};
constexpr size_t kCompatCount = sizeof(kCompat) / sizeof(kCompat[0]);
const header_field_info* compat_hfi[kCompatCount];  // read_builtin_field_infos

// The built-in field for an argument of a packet type, or -1.
int compat_field(uint32_t type, const gearproto::PacketInfo& info, Arg kind) {
  using namespace gearproto;
  switch (kind) {
    case Arg::Payload:
      if (info.job_role == JobRole::Submit || info.job_role == JobRole::Assign) return hf_func_arg;
      if (type == WORK_DATA || type == WORK_WARNING || type == WORK_COMPLETE || type == WORK_EXCEPTION)
        return hf_func_result;
      return -1;
    case Arg::Numerator: return hf_numerator;
    case Arg::Denominator: return hf_denominator;
    case Arg::Known: return hf_known;
    case Arg::Running: return hf_running;
    case Arg::ClientCount: return hf_client_count;
    case Arg::EchoData: return hf_echo_text;
    case Arg::Epoch: return hf_epoch_time;
    case Arg::Timeout: return hf_timeout_value;
    case Arg::Minute: return hf_sched_minute;
    case Arg::Hour: return hf_sched_hour;
    case Arg::DayOfMonth: return hf_sched_day_of_month;
    case Arg::Month: return hf_sched_month;
    case Arg::DayOfWeek: return hf_sched_day_of_week;
    // The built-in reads STATUS_RES_UNIQUE's first argument (the unique ID) as a job handle.
    case Arg::Unique: return type == STATUS_RES_UNIQUE ? hf_arg[static_cast<size_t>(Arg::Handle)] : -1;
    default: return -1;
  }
}

void add_hidden(proto_tree* tree, int hf, tvbuff_t* tvb, int off, int len) {
  proto_item* it = proto_tree_add_item(tree, hf, tvb, off, len, ENC_ASCII | ENC_NA);
  proto_item_set_hidden(it);
}

}  // namespace

void register_builtin_fields() {
  // Reuse the built-in's registration when it is there (Wireshark 4.0); register the same name,
  // type and label otherwise, so the fields exist with or without it.
  static hf_register_info own[kCompatCount];
  int n = 0;
  for (const Compat& c : kCompat) {
    const int id = proto_registrar_get_id_byname(c.abbrev);
    if (id >= 0 && proto_registrar_get_ftype(id) == c.type) {
      *c.hf = id;
      continue;
    }
    *c.hf = -1;
    own[n++] = {c.hf, {c.label, c.abbrev, c.type, BASE_NONE, nullptr, 0x0, nullptr, HFILL}};
  }
  if (n) proto_register_field_array(proto_gearman, own, n);
}

void read_builtin_field_infos() {
  for (size_t i = 0; i < kCompatCount; ++i) compat_hfi[i] = field_info(*kCompat[i].hf);
}

void add_builtin_fields(proto_tree* tree, tvbuff_t* tvb, const gearproto::Header& h, const gearproto::Arguments& args) {
  using gearproto::kHeaderSize;
  bool wanted = false;  // hidden items: made only for a filter, column or tap that names one
  for (const header_field_info* hfi : compat_hfi) wanted = wanted || field_wanted(tree, hfi);
  if (!wanted) return;
  const gint caplen = tvb_captured_length(tvb);
  const int dlen = caplen > static_cast<gint>(kHeaderSize) ? caplen - static_cast<int>(kHeaderSize) : 0;
  const int avail = dlen < static_cast<int>(h.length) ? dlen : static_cast<int>(h.length);
  // Data Content: the data up to its first NUL (the built-in's tvb_strnlen), empty for no data.
  const gint nul = avail > 0 ? tvb_find_guint8(tvb, kHeaderSize, avail, 0) : -1;
  add_hidden(tree, hf_data_content, tvb, kHeaderSize, nul >= 0 ? nul - static_cast<int>(kHeaderSize) : avail);
  if (!h.info) return;  // an unknown type: the built-in shows its data too, nothing more
  for (uint8_t i = 0; i < args.count; ++i) {
    const gearproto::ArgView& a = args.args[i];
    if (!a.present) continue;
    const int hf = compat_field(h.type, *h.info, a.kind);
    if (hf < 0) continue;
    add_hidden(tree, hf, tvb, static_cast<int>(kHeaderSize + a.offset), static_cast<int>(a.value.size()));
  }
}

}  // namespace gearman_plugin
