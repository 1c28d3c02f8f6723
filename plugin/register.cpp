// Registration: the plugin's exported entry points, its protocol, fields, expert items,
// preferences and tap.

#include "gearman_plugin.h"

#include <epan/tap.h>

#ifndef GEARWIRE_WS_MAJOR
#define GEARWIRE_WS_MAJOR 4
#define GEARWIRE_WS_MINOR 0
#endif
#ifndef GEARWIRE_PLUGIN_VERSION
#define GEARWIRE_PLUGIN_VERSION "0.1.0"
#endif

// `extern "C"` on each declaration (not a block): a C++ const global would otherwise have internal
// linkage and tshark would silently skip the plugin.
extern "C" WS_DLL_PUBLIC_DEF const gchar plugin_version[] = GEARWIRE_PLUGIN_VERSION;
extern "C" WS_DLL_PUBLIC_DEF const int plugin_want_major = GEARWIRE_WS_MAJOR;
extern "C" WS_DLL_PUBLIC_DEF const int plugin_want_minor = GEARWIRE_WS_MINOR;
extern "C" WS_DLL_PUBLIC_DEF void plugin_register(void);

namespace gearman_plugin {

int proto_gearman = -1;
int gearman_tap = -1;

// Preferences; gearman_plugin.h says why desegmentation and the ports are not among them.
gboolean pref_heuristic = TRUE;
gboolean pref_own_desegment = TRUE;  // used only when the built-in's preference is absent
pref_t* desegment_pref = nullptr;
guint pref_preview_len = 48;

// ---------------------------------------------------------------------------------------------
// Fields

int hf_magic = -1;
int hf_type = -1;
int hf_type_name = -1;
int hf_length = -1;
int hf_direction = -1;
int hf_arg[gearproto::kArgKindCount];
int hf_arg_raw = -1;
int hf_percent = -1;
int hf_garbage = -1;
int hf_segments = -1, hf_segment = -1, hf_segment_count = -1, hf_reassembled_in = -1, hf_reassembled_length = -1;
int hf_segment_data = -1, hf_seen_before = -1;

int hf_text_line = -1;
int hf_mgr_cmd = -1;
int hf_admin_arg = -1;
int hf_admin_reply_kind = -1;
int hf_admin_reply_to = -1;
int hf_admin_total = -1, hf_admin_running = -1, hf_admin_workers = -1;
int hf_admin_high = -1, hf_admin_normal = -1, hf_admin_low = -1;
int hf_admin_fd = -1, hf_admin_address = -1;
int hf_admin_retries = -1, hf_admin_ignore = -1, hf_admin_queued = -1;
int hf_admin_ok_text = -1, hf_admin_err_code = -1, hf_admin_err_text = -1, hf_admin_text = -1;

int hf_request_in = -1;
int hf_response_in = -1;
int hf_response_time = -1;

int hf_job_function = -1, hf_job_unique = -1, hf_job_submits = -1, hf_job_outcome = -1;
int hf_job_submit_in = -1, hf_job_created_in = -1, hf_job_assigned_in = -1;
int hf_job_end_in = -1, hf_job_result_in = -1;
int hf_job_queue_time = -1, hf_job_run_time = -1, hf_job_total_time = -1;

gint ett_gearman = -1, ett_pdu = -1, ett_header = -1, ett_args = -1, ett_job = -1, ett_row = -1, ett_segments = -1;

expert_field ei_missing_args = EI_INIT, ei_unexpected_data = EI_INIT, ei_handle_too_long = EI_INIT,
             ei_bad_number = EI_INIT, ei_empty_required = EI_INIT, ei_unknown_type = EI_INIT,
             ei_magic_not_allowed = EI_INIT, ei_bad_magic = EI_INIT, ei_oversize = EI_INIT,
             ei_line_too_long = EI_INIT, ei_error_packet = EI_INIT, ei_work_fail = EI_INIT,
             ei_work_exception = EI_INIT, ei_work_warning = EI_INIT, ei_admin_err = EI_INIT,
             ei_admin_unknown = EI_INIT, ei_admin_bad_args = EI_INIT, ei_admin_malformed = EI_INIT,
             ei_no_request = EI_INIT, ei_job_incomplete = EI_INIT, ei_resync = EI_INIT,
             ei_truncated = EI_INIT, ei_missing_last_separator = EI_INIT, ei_unusual_number = EI_INIT,
             ei_message_lost = EI_INIT, ei_seen_before = EI_INIT, ei_unfinished = EI_INIT;

namespace {

value_string* type_vals = nullptr;  // built from the packet table

struct ArgField { const char* abbrev; ftenum type; const char* label; };

ArgField arg_field(Arg a) {
  // Names the built-in dissector also uses keep its type and label, so saved filters keep working
  // (its other fields are filled too: builtin_fields.cpp). Numbers and raw bytes get names of
  // their own, with labels no built-in field has.
  switch (a) {
    case Arg::Function: return {"gearman.func.name", FT_STRING, "Function Name"};
    case Arg::Unique: return {"gearman.uniq_id", FT_STRING, "Unique ID"};
    case Arg::Handle: return {"gearman.job.handle", FT_STRING, "Job Handle"};
    case Arg::Payload: return {"gearman.payload", FT_BYTES, "Payload"};
    case Arg::Numerator: return {"gearman.status.numerator", FT_DOUBLE, "Progress numerator"};
    case Arg::Denominator: return {"gearman.status.denominator", FT_DOUBLE, "Progress denominator"};
    case Arg::Timeout: return {"gearman.timeout", FT_UINT32, "Timeout (ms)"};
    case Arg::Epoch: return {"gearman.epoch", FT_UINT64, "Run at (Unix time)"};
    case Arg::Minute: return {"gearman.sched.minute", FT_UINT32, "Schedule: minute"};
    case Arg::Hour: return {"gearman.sched.hour", FT_UINT32, "Schedule: hour"};
    case Arg::DayOfMonth: return {"gearman.sched.day_of_month", FT_UINT32, "Schedule: day of month"};
    case Arg::Month: return {"gearman.sched.month", FT_UINT32, "Schedule: month"};
    case Arg::DayOfWeek: return {"gearman.sched.day_of_week", FT_UINT32, "Schedule: day of week"};
    case Arg::Reducer: return {"gearman.reducer", FT_STRINGZ, "Reducer"};
    case Arg::Aggregate: return {"gearman.aggregate", FT_STRING, "Aggregate"};
    case Arg::ClientId: return {"gearman.client_id", FT_STRING, "Client ID"};
    case Arg::Option: return {"gearman.opt.name", FT_STRING, "Option Name"};
    case Arg::ErrorCode: return {"gearman.err.code", FT_STRINGZ, "Error Code"};
    case Arg::ErrorText: return {"gearman.err.text", FT_STRINGZ, "Error Text"};
    case Arg::Known: return {"gearman.status.known", FT_UINT32, "Status: job known"};
    case Arg::Running: return {"gearman.status.running", FT_UINT32, "Status: job running"};
    case Arg::ClientCount: return {"gearman.status.client_count", FT_UINT32, "Status: clients waiting"};
    case Arg::EchoData: return {"gearman.echo_data", FT_BYTES, "Echo data"};
  }
  return {"gearman.arg", FT_BYTES, "Argument"};
}

#define HF(idp, name, abbrev, type, display, strings, blurb) \
  { idp, { name, abbrev, type, display, strings, 0x0, blurb, HFILL } }

void proto_register_gearman_plugin() {
  // Take over the built-in protocol (same filter name); register one only if there is none.
  proto_gearman = proto_get_id_by_filter_name("gearman");
  const bool builtin = proto_gearman != -1;
  if (!builtin) proto_gearman = proto_register_protocol("Gearman Protocol", "Gearman", "gearman");

  // value_string of type names from the packet table.
  size_t rows = static_cast<size_t>(gearproto::packet_table_end() - gearproto::packet_table_begin());
  type_vals = static_cast<value_string*>(g_malloc0((rows + 1) * sizeof(value_string)));
  size_t k = 0;
  for (const gearproto::PacketInfo* pi = gearproto::packet_table_begin(); pi != gearproto::packet_table_end(); ++pi)
    type_vals[k++] = {pi->type, pi->name};

  static hf_register_info hf_fixed[] = {
    HF(&hf_magic, "Magic Code", "gearman.magic_code", FT_STRING, BASE_NONE, nullptr, "REQ (to the server) or RES (from it)"),
    HF(&hf_type, "Packet Type", "gearman.pkt_type", FT_UINT32, BASE_DEC, nullptr, nullptr),
    HF(&hf_type_name, "Packet Type Name", "gearman.type", FT_STRING, BASE_NONE, nullptr, "Packet type name, e.g. SUBMIT_JOB"),
    HF(&hf_length, "Data Length", "gearman.data_size", FT_UINT32, BASE_DEC, nullptr, nullptr),
    HF(&hf_direction, "Direction", "gearman.direction", FT_STRING, BASE_NONE, nullptr, "to server / from server"),
    HF(&hf_arg_raw, "Number as sent", "gearman.arg.invalid_number", FT_STRING, BASE_NONE, nullptr, "A numeric argument that is not a plain decimal number, as text"),
    HF(&hf_percent, "Progress (%)", "gearman.status.percent", FT_DOUBLE, BASE_NONE, nullptr, "100 * numerator / denominator (WORK_STATUS, STATUS_RES)"),
    HF(&hf_garbage, "Skipped bytes", "gearman.garbage", FT_BYTES, BASE_NONE, nullptr, "Bytes that are not Gearman, skipped to resynchronise"),
    // Messages over several TCP segments (reassembly.h), named as TCP's own reassembly fields.
    HF(&hf_segments, "Message segments", "gearman.segments", FT_NONE, BASE_NONE, nullptr, "The TCP segments this message was reassembled from"),
    HF(&hf_segment, "Segment", "gearman.segment", FT_FRAMENUM, BASE_NONE, nullptr, "A frame with part of this message"),
    HF(&hf_segment_count, "Segment count", "gearman.segment.count", FT_UINT32, BASE_DEC, nullptr, nullptr),
    HF(&hf_reassembled_length, "Reassembled length", "gearman.reassembled.length", FT_UINT32, BASE_DEC, nullptr, "Bytes of the reassembled message"),
    HF(&hf_reassembled_in, "Reassembled in", "gearman.reassembled_in", FT_FRAMENUM, BASE_NONE, nullptr, "The frame where the message this segment belongs to is complete and dissected"),
    HF(&hf_segment_data, "Segment data", "gearman.segment.data", FT_BYTES, BASE_NONE, nullptr, "Part of a message that continues in a later segment"),
    HF(&hf_seen_before, "Data seen before", "gearman.retransmitted_data", FT_BYTES, BASE_NONE, nullptr, "Bytes of the stream already dissected (a retransmission): skipped"),
    HF(&hf_text_line, "Text line", "gearman.admin.line", FT_STRING, BASE_NONE, nullptr, "An admin protocol line"),
    HF(&hf_mgr_cmd, "Management Command", "gearman.mgr_cmd", FT_STRING, BASE_NONE, nullptr, "Admin command (canonical name)"),
    HF(&hf_admin_arg, "Command argument", "gearman.admin.arg", FT_STRING, BASE_NONE, nullptr, nullptr),
    HF(&hf_admin_reply_kind, "Reply line kind", "gearman.admin.reply", FT_STRING, BASE_NONE, nullptr, nullptr),
    HF(&hf_admin_reply_to, "Reply to command", "gearman.admin.reply_to", FT_STRING, BASE_NONE, nullptr, nullptr),
    HF(&hf_admin_total, "Jobs total", "gearman.admin.total", FT_UINT64, BASE_DEC, nullptr, "status: jobs queued or running"),
    HF(&hf_admin_running, "Jobs running", "gearman.admin.running", FT_UINT64, BASE_DEC, nullptr, nullptr),
    HF(&hf_admin_workers, "Workers", "gearman.admin.workers", FT_UINT64, BASE_DEC, nullptr, "Capable workers"),
    HF(&hf_admin_high, "High priority jobs", "gearman.admin.high", FT_UINT64, BASE_DEC, nullptr, nullptr),
    HF(&hf_admin_normal, "Normal priority jobs", "gearman.admin.normal", FT_UINT64, BASE_DEC, nullptr, nullptr),
    HF(&hf_admin_low, "Low priority jobs", "gearman.admin.low", FT_UINT64, BASE_DEC, nullptr, nullptr),
    HF(&hf_admin_fd, "Worker fd", "gearman.admin.fd", FT_INT64, BASE_DEC, nullptr, nullptr),
    HF(&hf_admin_address, "Worker address", "gearman.admin.address", FT_STRING, BASE_NONE, nullptr, nullptr),
    HF(&hf_admin_retries, "Retries", "gearman.admin.retries", FT_UINT64, BASE_DEC, nullptr, nullptr),
    HF(&hf_admin_ignore, "Ignore job", "gearman.admin.ignore_job", FT_UINT64, BASE_DEC, nullptr, nullptr),
    HF(&hf_admin_queued, "Job queued", "gearman.admin.job_queued", FT_UINT64, BASE_DEC, nullptr, nullptr),
    HF(&hf_admin_ok_text, "OK text", "gearman.admin.ok", FT_STRING, BASE_NONE, nullptr, nullptr),
    HF(&hf_admin_err_code, "ERR code", "gearman.admin.err.code", FT_STRING, BASE_NONE, nullptr, nullptr),
    HF(&hf_admin_err_text, "ERR text", "gearman.admin.err.text", FT_STRING, BASE_NONE, nullptr, "With '+' decoded to spaces"),
    HF(&hf_admin_text, "Reply text", "gearman.admin.text", FT_STRING, BASE_NONE, nullptr, nullptr),
    HF(&hf_request_in, "Request in", "gearman.request_in", FT_FRAMENUM, BASE_NONE, FRAMENUM_TYPE(FT_FRAMENUM_REQUEST), "The request this packet answers"),
    HF(&hf_response_in, "Response in", "gearman.response_in", FT_FRAMENUM, BASE_NONE, FRAMENUM_TYPE(FT_FRAMENUM_RESPONSE), "The answer to this request"),
    HF(&hf_response_time, "Response time", "gearman.response_time", FT_RELATIVE_TIME, BASE_NONE, nullptr, "Time since the request"),
    HF(&hf_job_function, "Job", "gearman.job.function", FT_STRING, BASE_NONE, nullptr, "Function of the job this packet is about"),
    HF(&hf_job_unique, "Job unique ID", "gearman.job.unique", FT_STRING, BASE_NONE, nullptr, nullptr),
    HF(&hf_job_submits, "Coalesced submits", "gearman.job.submits", FT_UINT32, BASE_DEC, nullptr, "SUBMITs that got this handle"),
    HF(&hf_job_outcome, "Job outcome", "gearman.job.outcome", FT_STRING, BASE_NONE, nullptr, "complete, fail, exception or incomplete"),
    HF(&hf_job_submit_in, "Submitted in", "gearman.job.submit_in", FT_FRAMENUM, BASE_NONE, nullptr, nullptr),
    HF(&hf_job_created_in, "Created in", "gearman.job.created_in", FT_FRAMENUM, BASE_NONE, nullptr, nullptr),
    HF(&hf_job_assigned_in, "Assigned in", "gearman.job.assigned_in", FT_FRAMENUM, BASE_NONE, nullptr, nullptr),
    HF(&hf_job_end_in, "Ended in", "gearman.job.end_in", FT_FRAMENUM, BASE_NONE, nullptr, "Worker's first terminal packet"),
    HF(&hf_job_result_in, "Result delivered in", "gearman.job.result_in", FT_FRAMENUM, BASE_NONE, nullptr, "Terminal packet to the client"),
    HF(&hf_job_queue_time, "Queue time", "gearman.job.queue_time", FT_RELATIVE_TIME, BASE_NONE, nullptr, "JOB_CREATED to assignment"),
    HF(&hf_job_run_time, "Run time", "gearman.job.run_time", FT_RELATIVE_TIME, BASE_NONE, nullptr, "Assignment to the worker's terminal packet"),
    HF(&hf_job_total_time, "Total time", "gearman.job.total_time", FT_RELATIVE_TIME, BASE_NONE, nullptr, "Submit to the result at the client"),
  };
  hf_fixed[1].hfinfo.strings = VALS(type_vals);

  static hf_register_info hf_args[gearproto::kArgKindCount];
  for (size_t i = 0; i < gearproto::kArgKindCount; ++i) {
    Arg a = static_cast<Arg>(i);
    ArgField f = arg_field(a);
    hf_arg[i] = -1;
    const bool text = f.type == FT_STRING || f.type == FT_STRINGZ || f.type == FT_BYTES;
    hf_args[i] = HF(&hf_arg[i], f.label, f.abbrev, f.type, text || f.type == FT_DOUBLE ? BASE_NONE : BASE_DEC,
                    nullptr, nullptr);
  }

  proto_register_field_array(proto_gearman, hf_fixed, array_length(hf_fixed));
  proto_register_field_array(proto_gearman, hf_args, static_cast<int>(gearproto::kArgKindCount));

  static gint* ett[] = {&ett_gearman, &ett_pdu, &ett_header, &ett_args, &ett_job, &ett_row, &ett_segments};
  proto_register_subtree_array(ett, array_length(ett));

  static ei_register_info ei[] = {
    {&ei_missing_args, {"gearman.expert.missing_arguments", PI_MALFORMED, PI_ERROR, "Fewer arguments than the packet type needs", EXPFILL}},
    {&ei_missing_last_separator, {"gearman.expert.missing_last_separator", PI_PROTOCOL, PI_WARN, "NUL before an empty last argument missing: gearmand closes the connection, Gearman::Server answers ERROR not_worker, the abraxas server takes it", EXPFILL}},
    {&ei_unexpected_data, {"gearman.expert.unexpected_data", PI_PROTOCOL, PI_NOTE, "Data on a packet type that takes no arguments (servers ignore it)", EXPFILL}},
    {&ei_handle_too_long, {"gearman.expert.handle_too_long", PI_PROTOCOL, PI_WARN, "Job handle longer than 64 bytes with its NUL", EXPFILL}},
    {&ei_bad_number, {"gearman.expert.bad_number", PI_MALFORMED, PI_WARN, "Numeric argument gearmand refuses", EXPFILL}},
    {&ei_unusual_number, {"gearman.expert.unusual_number", PI_PROTOCOL, PI_NOTE, "Numeric argument is not a plain decimal number (servers read it with atoi/strtol and forward it)", EXPFILL}},
    {&ei_empty_required, {"gearman.expert.empty_argument", PI_PROTOCOL, PI_WARN, "Empty function name or job handle", EXPFILL}},
    {&ei_unknown_type, {"gearman.expert.unknown_type", PI_PROTOCOL, PI_WARN, "Unknown packet type", EXPFILL}},
    {&ei_magic_not_allowed, {"gearman.expert.magic_not_allowed", PI_PROTOCOL, PI_WARN, "Packet type sent with the wrong magic", EXPFILL}},
    {&ei_bad_magic, {"gearman.expert.bad_magic", PI_MALFORMED, PI_ERROR, "Starts with NUL but is not \\0REQ or \\0RES", EXPFILL}},
    {&ei_oversize, {"gearman.expert.oversize", PI_MALFORMED, PI_ERROR, "Data length too large to be real", EXPFILL}},
    {&ei_line_too_long, {"gearman.expert.line_too_long", PI_MALFORMED, PI_WARN, "Text line too long", EXPFILL}},
    {&ei_error_packet, {"gearman.expert.error", PI_RESPONSE_CODE, PI_WARN, "Server ERROR packet", EXPFILL}},
    {&ei_work_fail, {"gearman.expert.work_fail", PI_RESPONSE_CODE, PI_NOTE, "Job failed (WORK_FAIL)", EXPFILL}},
    {&ei_work_exception, {"gearman.expert.work_exception", PI_RESPONSE_CODE, PI_WARN, "Job failed with an exception (WORK_EXCEPTION)", EXPFILL}},
    {&ei_work_warning, {"gearman.expert.work_warning", PI_RESPONSE_CODE, PI_NOTE, "Job warning (WORK_WARNING)", EXPFILL}},
    {&ei_admin_err, {"gearman.expert.admin_err", PI_RESPONSE_CODE, PI_WARN, "Admin ERR reply", EXPFILL}},
    {&ei_admin_unknown, {"gearman.expert.admin_unknown_command", PI_PROTOCOL, PI_WARN, "Unknown admin command", EXPFILL}},
    {&ei_admin_bad_args, {"gearman.expert.admin_bad_arguments", PI_PROTOCOL, PI_WARN, "Admin command with wrong arguments", EXPFILL}},
    {&ei_admin_malformed, {"gearman.expert.admin_malformed_reply", PI_MALFORMED, PI_WARN, "Admin reply line does not fit its command", EXPFILL}},
    {&ei_no_request, {"gearman.expert.no_request", PI_SEQUENCE, PI_WARN, "Response with no request", EXPFILL}},
    {&ei_job_incomplete, {"gearman.expert.job_incomplete", PI_SEQUENCE, PI_NOTE, "Job never completed in this capture", EXPFILL}},
    {&ei_resync, {"gearman.expert.resync", PI_MALFORMED, PI_WARN, "Resynchronised after bytes that are not Gearman", EXPFILL}},
    {&ei_truncated, {"gearman.expert.truncated", PI_MALFORMED, PI_WARN, "Message cut short (desegmentation off or capture cut)", EXPFILL}},
    {&ei_message_lost, {"gearman.expert.message_lost", PI_SEQUENCE, PI_WARN, "Bytes before this segment are missing from the capture: the unfinished message is lost", EXPFILL}},
    {&ei_seen_before, {"gearman.expert.retransmitted_data", PI_SEQUENCE, PI_NOTE, "Data already dissected (a retransmission): skipped", EXPFILL}},
    {&ei_unfinished, {"gearman.expert.unfinished", PI_SEQUENCE, PI_WARN, "Message never completed in this capture (cut off by a gap or by the end of its stream)", EXPFILL}},
  };
  expert_module_t* em = expert_register_protocol(proto_gearman);
  expert_register_field_array(em, ei, array_length(ei));

  module_t* mod = builtin ? prefs_find_module("gearman") : nullptr;
  if (!mod) mod = prefs_register_protocol(proto_gearman, nullptr);
  if (!builtin)
    prefs_register_bool_preference(mod, "desegment", "Desegment Gearman messages spanning TCP segments",
                                   "Reassemble messages that span TCP segments", &pref_own_desegment);
  prefs_register_bool_preference(mod, "heuristic", "Detect Gearman on any TCP port",
                                 "Try the Gearman heuristic on TCP connections not on the Gearman ports "
                                 "(also Analyze > Enabled Protocols > gearman_tcp)", &pref_heuristic);
  prefs_register_uint_preference(mod, "preview_length", "Payload preview length",
                                 "Characters of a payload shown in its tree item", 10,
                                 &pref_preview_len);
  static_assert(sizeof(limits.max_data_length) == sizeof(guint), "the preference writes the limit in place");
  prefs_register_uint_preference(mod, "max_message_size", "Largest message (bytes of data)",
                                 "A binary message whose length field is larger is taken for a broken header "
                                 "and skipped (expert gearman.expert.oversize), not reassembled: this bounds the "
                                 "memory one message can take", 10,
                                 reinterpret_cast<guint*>(&limits.max_data_length));

  gearman_tap = register_tap("gearman");
  register_builtin_fields();
  register_gearman_srt();
  register_init_routine(init_jobs);
  register_cleanup_routine(cleanup_jobs);
}

}  // namespace

}  // namespace gearman_plugin

namespace gearman_plugin {
void register_taps() {
  register_gearman_stats();
  register_gearman_jobs_tap();
}
}  // namespace gearman_plugin

extern "C" void plugin_register(void) {
  static proto_plugin plug;
  plug.register_protoinfo = gearman_plugin::proto_register_gearman_plugin;
  plug.register_handoff = gearman_plugin::proto_reg_handoff_gearman_plugin;
  proto_register_plugin(&plug);
  static tap_plugin tplug;
  tplug.register_tap_listener = gearman_plugin::register_taps;
  tap_register_plugin(&tplug);
}
