// Gearman dissector plugin for Wireshark 4.0: thin glue between libwireshark and gearproto.
//
// All protocol knowledge (packet table, framing, argument layout, admin text, resync) comes from
// the shared decoder; the plugin only turns its results into trees, columns, links and expert items.
// This header holds what the plugin's files share: field ids, state structs, preferences and the
// functions one file calls in another.
//
// Rules for every file of the plugin (Wireshark exceptions are longjmp): no objects with
// destructors in code that can throw; every byte handed to the decoder was bounded first
// (tvb_get_ptr of a checked length).
#pragma once

#include <cstddef>

#include <wireshark.h>
#include <epan/packet.h>
#include <epan/prefs.h>
#include <epan/expert.h>
#include <epan/address.h>

#include "gearjobs/job.h"
#include "gearproto/admin.h"
#include "gearproto/arg_spans.h"
#include "gearproto/arguments.h"
#include "gearproto/framer.h"
#include "gearproto/packet_table.h"

namespace gearman_plugin {

using gearproto::Arg;
using gearproto::Bytes;

constexpr guint kGearmanPort = 4730;

// register.cpp
extern int proto_gearman;
extern int gearman_tap;

// handle_takeover.cpp
extern dissector_handle_t gearman_handle;

// Preferences (register.cpp). Desegmentation is the built-in's "gearman.desegment" preference
// (read live); the port range is the built-in's "gearman.tcp.port" range
// (dissector_add_uint_with_preference).
extern gboolean pref_heuristic;
extern gboolean pref_own_desegment;  // used only when the built-in's preference is absent
extern pref_t* desegment_pref;
extern guint pref_preview_len;

// framing.cpp
extern gearproto::Limits limits;

// ---------------------------------------------------------------------------------------------
// Fields (register.cpp)

extern int hf_magic;
extern int hf_type;
extern int hf_type_name;
extern int hf_length;
extern int hf_direction;
extern int hf_arg[gearproto::kArgKindCount];
extern int hf_arg_raw;
extern int hf_percent;
extern int hf_garbage;
extern int hf_segments, hf_segment, hf_segment_count, hf_reassembled_in, hf_reassembled_length;
extern int hf_segment_data, hf_seen_before;

extern int hf_text_line;
extern int hf_mgr_cmd;
extern int hf_admin_arg;
extern int hf_admin_reply_kind;
extern int hf_admin_reply_to;
extern int hf_admin_total, hf_admin_running, hf_admin_workers;
extern int hf_admin_high, hf_admin_normal, hf_admin_low;
extern int hf_admin_fd, hf_admin_address;
extern int hf_admin_retries, hf_admin_ignore, hf_admin_queued;
extern int hf_admin_ok_text, hf_admin_err_code, hf_admin_err_text, hf_admin_text;

extern int hf_request_in;
extern int hf_response_in;
extern int hf_response_time;

extern int hf_job_function, hf_job_unique, hf_job_submits, hf_job_outcome;
extern int hf_job_submit_in, hf_job_created_in, hf_job_assigned_in;
extern int hf_job_end_in, hf_job_result_in;
extern int hf_job_queue_time, hf_job_run_time, hf_job_total_time;

extern gint ett_gearman, ett_pdu, ett_header, ett_args, ett_job, ett_row, ett_segments;

extern expert_field ei_missing_args, ei_unexpected_data, ei_handle_too_long, ei_bad_number,
    ei_empty_required, ei_unknown_type, ei_magic_not_allowed, ei_bad_magic, ei_oversize,
    ei_line_too_long, ei_error_packet, ei_work_fail, ei_work_exception, ei_work_warning,
    ei_admin_err, ei_admin_unknown, ei_admin_bad_args, ei_admin_malformed, ei_no_request,
    ei_job_incomplete, ei_resync, ei_truncated, ei_missing_last_separator, ei_unusual_number,
    ei_message_lost, ei_seen_before, ei_unfinished;

// ---------------------------------------------------------------------------------------------
// State: per conversation (file scope), per PDU (pdu_store.h), per job (file-scope map).

// Jobs are the shared engine's (gearjobs), kept in file scope: PDUs point at them, and on the second
// pass (and in the GUI) they show their final facts.
using Job = gearjobs::Job;

// The engine's time (ns since the epoch) as Wireshark's.
inline nstime_t nstime_of(gearjobs::Time ns) {
  nstime_t t;
  t.secs = static_cast<time_t>(ns / 1000000000);
  t.nsecs = static_cast<int>(ns % 1000000000);
  return t;
}

// One per PDU of the file, kept for the file's life: 40 bytes, widest fields first (a capture of
// millions of PDUs holds this many; the plugin's memory beyond the built-in is mostly these and
// the jobs).
struct PduData {
  const Job* job;
  gint64 request_t;        // for responses: the request's capture time, ns (nstime_of)
  guint32 request_frame;   // for responses: the request this answers
  guint32 response_frame;  // for requests: filled when the response is seen
  // For responses with request_frame: the request's packet type (0 for an admin reply, whose
  // command is admin_command). Read by the SRT tap (srt.cpp).
  guint8 request_type;
  bool no_request;         // a response that nothing asked for
  // admin replies
  bool admin_matched, admin_first, admin_last;
  guint8 admin_command;
  // first-pass facts for the tap and the second pass
  bool job_end_here;       // this PDU gave the job its outcome
  bool job_created_here;   // first JOB_CREATED of the job
  bool job_result_here;    // the result delivered to the job's client (its total time ends here)
};
static_assert(sizeof(PduData) <= 40, "PduData stays small: there is one per PDU");
static_assert(gearproto::kMaxKnownType < 256, "PduData::request_type holds a packet type in a byte");

struct StreamState;  // reassembly.cpp: both directions' reassembly

struct ConvData {
  address server_addr;
  guint32 server_port;
  bool server_known;
  guint32 engine_conn;     // the engine's connection slot (+1; 0: not opened yet)
  StreamState* stream;     // created on the first data handed over by TCP
};

// Tap record, one per PDU.
struct TapRecord {
  bool text;
  bool to_server;
  guint32 type;
  const char* type_name;
  guint8 admin_command;
  bool admin_command_line;
  bool admin_reply_first;
  double response_ms;  // < 0 when none
  const Job* job;          // the job this PDU is about (any)
  const Job* job_end;      // set on the PDU that gave a job its outcome
  const Job* job_created;
  const Job* job_result;   // set on the PDU that delivered the result to the job's client
  bool error_packet;
  bool second_pass;        // the whole capture was seen: a job without an end is incomplete
  // Service response time (srt.cpp): set on a response linked to its request (request_frame != 0);
  // request_type is the request's packet type, 0 for an admin reply (see admin_command).
  guint32 request_frame;
  nstime_t request_ts;
  guint32 request_type;
};

// ---------------------------------------------------------------------------------------------
// Functions one file calls in another

// wire_strings.cpp
// Writes `b` with control bytes escaped (\0 \n \r \xNN; also \t and bytes >= 0x80 when
// escape_non_ascii) to `out`, which holds at least 4 * b.size() bytes; returns the length written.
size_t escape_bytes(Bytes b, char* out, bool escape_non_ascii);
char* to_cstr(wmem_allocator_t* pool, Bytes b);

// Whether adding a field to `tree` would make an item: the tree is shown, or a filter, column or
// tap asks for it. Otherwise Wireshark fakes each item (hands back the parent), and a group of them
// is skipped whole: under tshark -Y the calls alone were a fifth of the time.
// This is Wireshark 4.0's proto_field_is_referenced() (epan/proto.c; same tests, same order) on a
// header_field_info looked up once: asked some 30 times per PDU, the calls into libwireshark and
// its registrar lookup were 1.6 % of tshark's time with the plugin.
inline bool field_wanted(proto_tree* tree, const header_field_info* hfi) {
  if (!tree || !hfi) return false;
  const tree_data_t* td = PTREE_DATA(tree);
  if (td->visible) return true;
  if (hfi->ref_type != HF_REF_TYPE_NONE) return true;
  return hfi->type == FT_PROTOCOL && !td->fake_protocols;
}

// The registered field `hf` (nullptr while unregistered, -1).
inline const header_field_info* field_info(int hf) { return hf >= 0 ? proto_registrar_get_nth(hf) : nullptr; }

// Fields asked together, as a function-local static (`static FieldGroup g{&hf_a, &hf_b};`):
// any_wanted() tells whether adding any of them would make an item. Their ids are read on first
// use, after registration.
template <size_t N>
class FieldGroup {
 public:
  template <class... Hf>
  explicit FieldGroup(Hf*... hfs) : hf_{hfs...} {}
  bool any_wanted(proto_tree* tree) {
    if (!tree) return false;
    if (!resolved_) {
      for (size_t i = 0; i < N; ++i) hfi_[i] = field_info(*hf_[i]);
      resolved_ = true;
    }
    for (const header_field_info* hfi : hfi_)
      if (field_wanted(tree, hfi)) return true;
    return false;
  }

 private:
  const int* hf_[N];
  const header_field_info* hfi_[N] = {};
  bool resolved_ = false;
};
template <class... Hf>
FieldGroup(Hf*...) -> FieldGroup<sizeof...(Hf)>;

// conversation.cpp
ConvData* get_conv(packet_info* pinfo);
void learn_server(ConvData* cd, packet_info* pinfo, Bytes first_bytes);
bool to_server(const ConvData* cd, packet_info* pinfo);

// job_tracking.cpp
void init_jobs();
void cleanup_jobs();
const char* job_function_name(const Job* j);
const Job* find_job(const ConvData* cd, packet_info* pinfo, Bytes handle);
void track_binary(ConvData* cd, packet_info* pinfo, PduData* pd, const gearproto::Header& h,
                  const gearproto::ArgSpans& args, bool from_client_side);
void track_lost_bytes(ConvData* cd, packet_info* pinfo);
void track_admin_command(ConvData* cd, packet_info* pinfo, PduData* pd, const gearproto::AdminRequest& r);
void track_admin_reply(ConvData* cd, packet_info* pinfo, PduData* pd, Bytes line, gearproto::AdminReplyLine& out);
void add_links(proto_tree* tree, packet_info* pinfo, tvbuff_t* tvb, const PduData* pd, proto_item* pdu_item);
void add_job(proto_tree* tree, packet_info* pinfo, tvbuff_t* tvb, const Job* j, proto_item* pdu_item,
             bool announce_incomplete);

// binary_tree.cpp
int dissect_binary(tvbuff_t* tvb, packet_info* pinfo, proto_tree* pdu_tree, proto_item* pdu_item, ConvData* cd,
                   PduData* pd, bool track, TapRecord* tr);
// After registration (handoff): the argument fields' header_field_infos, asked per argument.
void read_argument_field_infos();

// admin_tree.cpp
int dissect_text(tvbuff_t* tvb, packet_info* pinfo, proto_tree* pdu_tree, proto_item* pdu_item, ConvData* cd,
                 PduData* pd, bool track, TapRecord* tr);

// framing.cpp
int dissect_gearman(tvbuff_t* tvb, packet_info* pinfo, proto_tree* tree, void* data);
gboolean dissect_gearman_heur(tvbuff_t* tvb, packet_info* pinfo, proto_tree* tree, void* data);

// handle_takeover.cpp
void proto_reg_handoff_gearman_plugin();

// stats_tree.cpp
void register_gearman_stats();

// jobs_tap.cpp
void register_gearman_jobs_tap();

// builtin_fields.cpp
void register_builtin_fields();
// After registration (handoff): the fields' header_field_infos, asked per PDU (field_wanted).
void read_builtin_field_infos();
void add_builtin_fields(proto_tree* tree, tvbuff_t* tvb, const gearproto::Header& h, const gearproto::Arguments& args);

// srt.cpp
void register_gearman_srt();

}  // namespace gearman_plugin
