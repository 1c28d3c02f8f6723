// Gearman dissector plugin for Wireshark 4.0: thin glue between libwireshark and gearproto.
//
// All protocol knowledge (packet table, framing, argument layout, admin text, resync) comes from
// the shared decoder; this file only turns its results into trees, columns, links and expert items.
//
// Rules for this file (Wireshark exceptions are longjmp): no objects with destructors in code that
// can throw; every byte handed to the decoder was bounded first (tvb_get_ptr of a checked length).

#include <wireshark.h>
#include <epan/packet.h>
#include <epan/prefs.h>
#include <epan/prefs-int.h>
#include <epan/expert.h>
#include <epan/conversation.h>
#include <epan/proto_data.h>
#include <epan/tap.h>
#include <epan/stats_tree.h>
#include <epan/to_str.h>
#include <epan/address.h>
#include <epan/dissectors/packet-tcp.h>

#include <cstring>
#include <cstdint>
#include <new>

#include "gearproto/admin.h"
#include "gearproto/arguments.h"
#include "gearproto/framer.h"
#include "gearproto/packet_table.h"
#include "gearproto/resync.h"

using gearproto::Arg;
using gearproto::Bytes;

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

namespace {

constexpr guint kGearmanPort = 4730;

int proto_gearman = -1;
int gearman_tap = -1;
dissector_handle_t gearman_handle = nullptr;
bool handle_patched = false;  // the built-in's handle now runs our dissector

// Preferences. Desegmentation is the built-in's "gearman.desegment" preference (read live); the
// port range is the built-in's "gearman.tcp.port" range (dissector_add_uint_with_preference).
gboolean pref_heuristic = TRUE;
gboolean pref_own_desegment = TRUE;  // used only when the built-in's preference is absent
pref_t* desegment_pref = nullptr;
guint pref_preview_len = 48;

gearproto::Limits limits;

// ---------------------------------------------------------------------------------------------
// Fields

int hf_magic = -1;
int hf_type = -1;
int hf_type_name = -1;
int hf_length = -1;
int hf_direction = -1;
int hf_arg[gearproto::kArgKindCount];
int hf_arg_raw = -1;
int hf_garbage = -1;

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

gint ett_gearman = -1, ett_pdu = -1, ett_header = -1, ett_args = -1, ett_job = -1, ett_row = -1;

expert_field ei_missing_args = EI_INIT, ei_unexpected_data = EI_INIT, ei_handle_too_long = EI_INIT,
             ei_bad_number = EI_INIT, ei_empty_required = EI_INIT, ei_unknown_type = EI_INIT,
             ei_magic_not_allowed = EI_INIT, ei_bad_magic = EI_INIT, ei_oversize = EI_INIT,
             ei_line_too_long = EI_INIT, ei_error_packet = EI_INIT, ei_work_fail = EI_INIT,
             ei_work_exception = EI_INIT, ei_work_warning = EI_INIT, ei_admin_err = EI_INIT,
             ei_admin_unknown = EI_INIT, ei_admin_bad_args = EI_INIT, ei_admin_malformed = EI_INIT,
             ei_no_request = EI_INIT, ei_job_incomplete = EI_INIT, ei_resync = EI_INIT,
             ei_truncated = EI_INIT;

value_string* type_vals = nullptr;  // built from the packet table

// ---------------------------------------------------------------------------------------------
// State: per conversation (file scope), per PDU (p_add_proto_data), per job (file-scope map).

enum Outcome : guint8 { kOutcomeNone, kOutcomeComplete, kOutcomeFail, kOutcomeException };
const char* outcome_name(guint8 o) {
  switch (o) {
    case kOutcomeComplete: return "complete";
    case kOutcomeFail: return "fail";
    case kOutcomeException: return "exception";
    default: return "incomplete";
  }
}

struct ConvData;

struct Job {
  const ConvData* owner;  // the connection of the first submit: its result ends the total time
  const char* function;
  const char* unique;
  guint32 submits;  // SUBMITs answered with this handle (coalesced submits share one job)
  bool background;
  guint8 outcome;
  guint32 submit_frame, created_frame, assign_frame, end_frame, result_frame;
  nstime_t submit_ts, created_ts, assign_ts, end_ts, result_ts;
};

struct PduData {
  guint32 request_frame;   // for responses: the request this answers
  nstime_t request_ts;
  guint32 response_frame;  // for requests: filled when the response is seen
  bool no_request;         // a response that nothing asked for
  Job* job;
  // admin replies
  bool admin_matched, admin_first, admin_last;
  guint8 admin_command;
  // first-pass facts for the tap and the second pass
  bool job_end_here;       // this PDU ended the job (worker's first terminal packet)
  bool job_created_here;   // first JOB_CREATED of the job
  bool job_result_here;    // first terminal packet delivered to the client
};

// Requests that wait for an answer, oldest first.
struct Waiting {
  guint32 frame;
  nstime_t ts;
  PduData* pd;
  const char* function;  // submits
  const char* unique;
  bool background;
};

struct ConvData {
  address server_addr;
  guint32 server_port;
  bool server_known;
  wmem_list_t* submits;  // Waiting*
  wmem_list_t* grabs;
  wmem_list_t* sleeps;
  wmem_list_t* echoes;
  wmem_list_t* statuses;
  wmem_list_t* options;
  gearproto::AdminPairing* admin;
  wmem_map_t* admin_cmds;  // frame -> Waiting* of admin commands (for the response link)
};

wmem_map_t* jobs = nullptr;  // "server|port|handle" -> Job*, file scope

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
  const Job* job_end;  // set on the PDU that ended a job
  const Job* job_created;
  const Job* job_result;   // set on the PDU that delivered the result to the client
  bool error_packet;
  bool second_pass;        // the whole capture was seen: a job without an end is incomplete
};

// ---------------------------------------------------------------------------------------------
// Small helpers

gboolean desegment_enabled() {
  if (desegment_pref) return prefs_get_bool_value(desegment_pref, pref_current);
  return pref_own_desegment;
}

// Printable preview of bytes: at most pref_preview_len characters, '.' for the rest.
char* preview(wmem_allocator_t* pool, Bytes b) {
  size_t n = b.size() < static_cast<size_t>(pref_preview_len) ? b.size() : static_cast<size_t>(pref_preview_len);
  char* out = static_cast<char*>(wmem_alloc(pool, n + 64));
  size_t k = 0;
  out[k++] = '"';
  for (size_t i = 0; i < n; ++i) {
    unsigned char c = static_cast<unsigned char>(b[i]);
    out[k++] = (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : '.';
  }
  out[k++] = '"';
  out[k] = '\0';
  if (n < b.size()) g_strlcat(out, "...", n + 64);
  char tail[40];
  g_snprintf(tail, sizeof tail, " (%zu byte%s)", b.size(), b.size() == 1 ? "" : "s");
  g_strlcat(out, tail, n + 64);
  return out;
}

// For the Info column: like to_cstr, with tabs shown as spaces (admin rows are tab-separated).
char* to_col(wmem_allocator_t* pool, Bytes b);

char* to_cstr(wmem_allocator_t* pool, Bytes b) {
  // Strings from the wire for fields, columns and keys: NULs and control characters other than tab
  // become '.'.
  char* out = static_cast<char*>(wmem_alloc(pool, b.size() + 1));
  for (size_t i = 0; i < b.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(b[i]);
    out[i] = ((c >= 0x20 && c != 0x7f) || c == '\t') ? static_cast<char>(c) : '.';
  }
  out[b.size()] = '\0';
  return out;
}

char* to_col(wmem_allocator_t* pool, Bytes b) {
  char* out = to_cstr(pool, b);
  for (size_t i = 0; i < b.size(); ++i)
    if (b[i] == '\t') out[i] = ' ';
  return out;
}

const char* job_key(wmem_allocator_t* pool, const ConvData* cd, Bytes handle) {
  return wmem_strdup_printf(pool, "%s|%u|%s", address_to_str(pool, &cd->server_addr), cd->server_port,
                            to_cstr(pool, handle));
}

Waiting* pop_front(wmem_list_t* l) {
  wmem_list_frame_t* f = wmem_list_head(l);
  if (!f) return nullptr;
  Waiting* w = static_cast<Waiting*>(wmem_list_frame_data(f));
  wmem_list_remove_frame(l, f);
  return w;
}

Waiting* push_waiting(wmem_list_t* l, packet_info* pinfo, PduData* pd) {
  Waiting* w = wmem_new0(wmem_file_scope(), Waiting);
  w->frame = pinfo->num;
  w->ts = pinfo->abs_ts;
  w->pd = pd;
  wmem_list_append(l, w);
  // Bound memory on captures where answers never come (e.g. one direction lost).
  while (wmem_list_count(l) > 4096) pop_front(l);
  return w;
}

void link_response(PduData* pd, const Waiting* w, packet_info* pinfo) {
  if (!w) {
    pd->no_request = true;
    return;
  }
  pd->request_frame = w->frame;
  pd->request_ts = w->ts;
  if (w->pd && w->pd->response_frame == 0) w->pd->response_frame = pinfo->num;
}

ConvData* get_conv(packet_info* pinfo) {
  conversation_t* conv = find_or_create_conversation(pinfo);
  ConvData* cd = static_cast<ConvData*>(conversation_get_proto_data(conv, proto_gearman));
  if (!cd) {
    cd = wmem_new0(wmem_file_scope(), ConvData);
    cd->submits = wmem_list_new(wmem_file_scope());
    cd->grabs = wmem_list_new(wmem_file_scope());
    cd->sleeps = wmem_list_new(wmem_file_scope());
    cd->echoes = wmem_list_new(wmem_file_scope());
    cd->statuses = wmem_list_new(wmem_file_scope());
    cd->options = wmem_list_new(wmem_file_scope());
    void* mem = wmem_alloc0(wmem_file_scope(), sizeof(gearproto::AdminPairing));
    cd->admin = new (mem) gearproto::AdminPairing();  // trivially destructible: never destroyed
    cd->admin_cmds = wmem_map_new(wmem_file_scope(), g_direct_hash, g_direct_equal);
    conversation_add_proto_data(conv, proto_gearman, cd);
  }
  return cd;
}

bool port_is_gearman(guint32 port) {
  range_t* r = prefs_get_range_value("gearman", "tcp.port");
  if (r) return value_is_in_range(r, port);
  return port == kGearmanPort;
}

// Decides once per conversation which endpoint is the server.
void learn_server(ConvData* cd, packet_info* pinfo, bool looks_like_request) {
  if (cd->server_known) return;
  bool dst_is_server;
  if (port_is_gearman(pinfo->destport) && !port_is_gearman(pinfo->srcport)) dst_is_server = true;
  else if (port_is_gearman(pinfo->srcport) && !port_is_gearman(pinfo->destport)) dst_is_server = false;
  else dst_is_server = looks_like_request;
  if (dst_is_server) {
    copy_address_wmem(wmem_file_scope(), &cd->server_addr, &pinfo->dst);
    cd->server_port = pinfo->destport;
  } else {
    copy_address_wmem(wmem_file_scope(), &cd->server_addr, &pinfo->src);
    cd->server_port = pinfo->srcport;
  }
  cd->server_known = true;
}

bool to_server(const ConvData* cd, packet_info* pinfo) {
  return pinfo->destport == cd->server_port && addresses_equal(&pinfo->dst, &cd->server_addr);
}

guint32 pdu_key(tvbuff_t* tvb) {
  // Stable across passes: where this PDU's bytes sit in its data source, and its length.
  return static_cast<guint32>(tvb_raw_offset(tvb)) * 2654435761u ^ tvb_reported_length(tvb);
}

// ---------------------------------------------------------------------------------------------
// Framing for tcp_dissect_pdus

guint get_pdu_len(packet_info* pinfo, tvbuff_t* tvb, int offset, void* /*data*/) {
  const gint avail = tvb_captured_length_remaining(tvb, offset);
  if (avail <= 0) return 0;
  const guint8* p = tvb_get_ptr(tvb, offset, avail);
  Bytes buf = gearproto::as_bytes(p, static_cast<size_t>(avail));
  gearproto::Frame f = gearproto::frame_message(buf, limits);
  if (f.kind == gearproto::MessageKind::Text && f.status != gearproto::Frame::Invalid) {
    // Admin lines never hold a NUL: text with one is binary data seen mid-stream. Skip it up to
    // the next plausible header (or the NUL, which starts the next attempt).
    const size_t scan = f.status == gearproto::Frame::Complete ? f.size : buf.size();
    const void* nul = std::memchr(buf.data(), '\0', scan);
    if (nul) {
      size_t at = static_cast<size_t>(static_cast<const char*>(nul) - buf.data());
      size_t next = gearproto::find_plausible_header(buf, 1, limits);
      return static_cast<guint>(next != Bytes::npos ? next : at);
    }
  }
  if (f.status == gearproto::Frame::Complete) return static_cast<guint>(f.size);
  if (f.status == gearproto::Frame::NeedMore) {
    // The framer reports 12 for a partial header: that is a lower bound, not the PDU size, and
    // TCP reassembly cannot grow a PDU it was told the size of. Ask for one more segment instead.
    if (f.size && buf.size() >= gearproto::kHeaderSize) return static_cast<guint>(f.size);
    // A text line without its newline yet, or fewer than 12 header bytes: one more segment
    // (0 asks tcp_dissect_pdus for it; only when TCP can reassemble, else it throws).
    if (desegment_enabled() && pinfo->can_desegment) return 0;
    return static_cast<guint>(avail);
  }
  // Invalid: the bytes up to the next plausible header are garbage; skip them as one unit.
  size_t next = gearproto::find_plausible_header(buf, 1, limits);
  if (next == Bytes::npos) return static_cast<guint>(avail);
  return static_cast<guint>(next);
}

// ---------------------------------------------------------------------------------------------
// Binary PDUs

void add_defect_experts(packet_info* pinfo, proto_item* it, guint32 defects) {
  if (defects & gearproto::kMissingArguments)
    expert_add_info(pinfo, it, &ei_missing_args);
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
  header_field_info* hfi = proto_registrar_get_nth(hf);
  if (gearproto::arg_is_number(a.kind)) {
    std::optional<uint64_t> v = gearproto::parse_number_arg(a.kind, a.value);
    if (v && (hfi->type == FT_UINT64 || *v <= G_MAXUINT32)) {
      if (hfi->type == FT_UINT64) it = proto_tree_add_uint64(tree, hf, tvb, off, len, *v);
      else it = proto_tree_add_uint(tree, hf, tvb, off, len, static_cast<guint32>(*v));
    } else {
      it = proto_tree_add_string_format(tree, hf_arg_raw, tvb, off, len, to_cstr(pinfo->pool, a.value),
                                        "%s (not a valid number): %s", gearproto::arg_title(a.kind),
                                        to_cstr(pinfo->pool, a.value));
    }
  } else if (hfi->type == FT_BYTES) {
    it = proto_tree_add_bytes_format_value(tree, hf, tvb, off, len, nullptr, "%s",
                                           preview(pinfo->pool, a.value));
  } else {
    it = proto_tree_add_string(tree, hf, tvb, off, len, to_cstr(pinfo->pool, a.value));
  }
  add_defect_experts(pinfo, it, a.defects);
}

Job* find_job(const ConvData* cd, packet_info* pinfo, Bytes handle) {
  return static_cast<Job*>(wmem_map_lookup(jobs, job_key(pinfo->pool, cd, handle)));
}

Job* new_job(const ConvData* cd, packet_info* pinfo, Bytes handle) {
  Job* j = wmem_new0(wmem_file_scope(), Job);
  wmem_map_insert(jobs, job_key(wmem_file_scope(), cd, handle), j);
  (void)pinfo;
  return j;
}

// GET_STATUS_UNIQUE / STATUS_RES_UNIQUE name a job by its unique ID: index jobs by it too.
const char* unique_key(wmem_allocator_t* pool, const ConvData* cd, const char* unique) {
  return wmem_strdup_printf(pool, "%s|%u|unique|%s", address_to_str(pool, &cd->server_addr), cd->server_port, unique);
}
void index_unique(const ConvData* cd, Job* j) {
  if (j->unique && *j->unique) wmem_map_insert(jobs, unique_key(wmem_file_scope(), cd, j->unique), j);
}

// First pass only: the packet's effect on pairings and jobs.
void track_binary(ConvData* cd, packet_info* pinfo, PduData* pd, const gearproto::Header& h,
                  const gearproto::Arguments& args, bool from_client_side) {
  using namespace gearproto;
  const PacketInfo* info = h.info;
  if (!info) return;
  std::optional<Bytes> handle = args.get(Arg::Handle);
  switch (h.type) {
    case GRAB_JOB: case GRAB_JOB_UNIQ: case GRAB_JOB_ALL:
      push_waiting(cd->grabs, pinfo, pd); break;
    case NO_JOB:
      link_response(pd, pop_front(cd->grabs), pinfo); break;
    case PRE_SLEEP:
      push_waiting(cd->sleeps, pinfo, pd); break;
    case NOOP: {
      Waiting* w = pop_front(cd->sleeps);
      if (w) link_response(pd, w, pinfo);  // a NOOP nobody slept for is not an error
      break;
    }
    case ECHO_REQ: push_waiting(cd->echoes, pinfo, pd); break;
    case ECHO_RES: link_response(pd, pop_front(cd->echoes), pinfo); break;
    case GET_STATUS: case GET_STATUS_UNIQUE: push_waiting(cd->statuses, pinfo, pd); break;
    case STATUS_RES: case STATUS_RES_UNIQUE: link_response(pd, pop_front(cd->statuses), pinfo); break;
    case OPTION_REQ: push_waiting(cd->options, pinfo, pd); break;
    case OPTION_RES: link_response(pd, pop_front(cd->options), pinfo); break;
    case ERROR:
      // A submit the server refuses (e.g. queue full) is answered by ERROR instead of
      // JOB_CREATED: it answers the oldest waiting submit, or the next JOB_CREATED would pair wrong.
      if (!from_client_side && wmem_list_count(cd->submits) > 0) link_response(pd, pop_front(cd->submits), pinfo);
      break;
    default: break;
  }
  switch (info->job_role) {
    case JobRole::Submit: {
      Waiting* w = push_waiting(cd->submits, pinfo, pd);
      std::optional<Bytes> fn = args.get(Arg::Function), un = args.get(Arg::Unique);
      w->function = fn ? to_cstr(wmem_file_scope(), *fn) : "";
      w->unique = un ? to_cstr(wmem_file_scope(), *un) : "";
      w->background = info->background;
      break;
    }
    case JobRole::Created: {
      Waiting* w = pop_front(cd->submits);
      link_response(pd, w, pinfo);
      if (!handle) break;
      Job* j = find_job(cd, pinfo, *handle);
      if (!j || j->end_frame) {  // new job (a handle reused after its end starts a new job)
        j = new_job(cd, pinfo, *handle);
        j->function = w ? w->function : "";
        j->unique = w ? w->unique : "";
        j->background = w ? w->background : false;
        if (w) { j->submit_frame = w->frame; j->submit_ts = w->ts; }
        j->created_frame = pinfo->num;
        j->created_ts = pinfo->abs_ts;
        j->owner = cd;
        pd->job_created_here = true;
        index_unique(cd, j);
      }
      j->submits++;
      pd->job = j;
      break;
    }
    case JobRole::Assign: {
      link_response(pd, pop_front(cd->grabs), pinfo);
      if (!handle) break;
      Job* j = find_job(cd, pinfo, *handle);
      if (!j || j->end_frame) {
        j = new_job(cd, pinfo, *handle);  // capture started after the submit
        std::optional<Bytes> fn = args.get(Arg::Function), un = args.get(Arg::Unique);
        j->function = fn ? to_cstr(wmem_file_scope(), *fn) : "";
        j->unique = un ? to_cstr(wmem_file_scope(), *un) : "";
      }
      if (j->unique && !*j->unique) {
        std::optional<Bytes> un = args.get(Arg::Unique);
        if (un) j->unique = to_cstr(wmem_file_scope(), *un);
      }
      if (!j->assign_frame) { j->assign_frame = pinfo->num; j->assign_ts = pinfo->abs_ts; }
      pd->job = j;
      break;
    }
    case JobRole::Terminal: {
      if (!handle) break;
      Job* j = find_job(cd, pinfo, *handle);
      if (!j) break;
      // A terminal packet from the worker after the job ended (e.g. WORK_FAIL after
      // WORK_EXCEPTION) belongs to no job: gearmand dropped it at the first one.
      if (from_client_side && j->end_frame) break;
      pd->job = j;
      if (from_client_side) {  // from the worker: the job ends at its FIRST terminal packet
        if (!j->end_frame) {
          j->end_frame = pinfo->num;
          j->end_ts = pinfo->abs_ts;
          j->outcome = h.type == WORK_COMPLETE ? kOutcomeComplete
                     : h.type == WORK_FAIL ? kOutcomeFail : kOutcomeException;
          pd->job_end_here = true;
        }
      } else if (!j->result_frame && (!j->owner || j->owner == cd)) {  // delivered to the owner
        j->result_frame = pinfo->num;
        j->result_ts = pinfo->abs_ts;
        pd->job_result_here = true;
      }
      break;
    }
    case JobRole::Update: case JobRole::StatusQuery: case JobRole::StatusReply:
      if (handle) {
        pd->job = find_job(cd, pinfo, *handle);
      } else if (std::optional<Bytes> un = args.get(Arg::Unique)) {
        pd->job = static_cast<Job*>(wmem_map_lookup(jobs, unique_key(pinfo->pool, cd, to_cstr(pinfo->pool, *un))));
      }
      break;
    default: break;
  }
}

void add_time(proto_tree* tree, int hf, tvbuff_t* tvb, const nstime_t& from, const nstime_t& to) {
  nstime_t d;
  nstime_delta(&d, &to, &from);
  proto_item* it = proto_tree_add_time(tree, hf, tvb, 0, 0, &d);
  proto_item_set_generated(it);
}

void add_links(proto_tree* tree, packet_info* pinfo, tvbuff_t* tvb, const PduData* pd, proto_item* pdu_item) {
  if (pd->request_frame) {
    proto_item* it = proto_tree_add_uint(tree, hf_request_in, tvb, 0, 0, pd->request_frame);
    proto_item_set_generated(it);
    add_time(tree, hf_response_time, tvb, pd->request_ts, pinfo->abs_ts);
  }
  if (pd->response_frame) {
    proto_item* it = proto_tree_add_uint(tree, hf_response_in, tvb, 0, 0, pd->response_frame);
    proto_item_set_generated(it);
  }
  if (pd->no_request) expert_add_info(pinfo, pdu_item, &ei_no_request);
}

void add_job(proto_tree* tree, packet_info* pinfo, tvbuff_t* tvb, const Job* j, proto_item* pdu_item,
             bool announce_incomplete) {
  proto_item* ti = proto_tree_add_string(tree, hf_job_function, tvb, 0, 0, j->function ? j->function : "");
  proto_item_set_generated(ti);
  proto_tree* jt = proto_item_add_subtree(ti, ett_job);
  proto_item* it;
  it = proto_tree_add_string(jt, hf_job_unique, tvb, 0, 0, j->unique ? j->unique : "");
  proto_item_set_generated(it);
  if (j->submits > 1) {
    it = proto_tree_add_uint(jt, hf_job_submits, tvb, 0, 0, j->submits);
    proto_item_set_generated(it);
  }
  it = proto_tree_add_string(jt, hf_job_outcome, tvb, 0, 0, outcome_name(j->outcome));
  proto_item_set_generated(it);
  struct { int hf; guint32 frame; } links[] = {
    {hf_job_submit_in, j->submit_frame}, {hf_job_created_in, j->created_frame},
    {hf_job_assigned_in, j->assign_frame}, {hf_job_end_in, j->end_frame}, {hf_job_result_in, j->result_frame},
  };
  for (auto& l : links) {
    if (!l.frame) continue;
    it = proto_tree_add_uint(jt, l.hf, tvb, 0, 0, l.frame);
    proto_item_set_generated(it);
  }
  if (j->created_frame && j->assign_frame && j->assign_frame >= j->created_frame)
    add_time(jt, hf_job_queue_time, tvb, j->created_ts, j->assign_ts);
  if (j->assign_frame && j->end_frame && j->end_frame >= j->assign_frame)
    add_time(jt, hf_job_run_time, tvb, j->assign_ts, j->end_ts);
  if (j->submit_frame && j->result_frame && j->result_frame >= j->submit_frame)
    add_time(jt, hf_job_total_time, tvb, j->submit_ts, j->result_ts);
  if (announce_incomplete && !j->end_frame)
    expert_add_info(pinfo, pdu_item, &ei_job_incomplete);
}

int dissect_binary(tvbuff_t* tvb, packet_info* pinfo, proto_tree* pdu_tree, proto_item* pdu_item, ConvData* cd,
                   PduData* pd, bool track, TapRecord* tr) {
  using namespace gearproto;
  const gint caplen = tvb_captured_length(tvb);
  const guint8* p = tvb_get_ptr(tvb, 0, caplen);
  Header h;
  FrameError err = parse_header(as_bytes(p, kHeaderSize), limits, h);
  const bool is_req = h.magic == Magic::Req;

  proto_tree* ht = proto_tree_add_subtree(pdu_tree, tvb, 0, kHeaderSize, ett_header, nullptr, "Header");
  proto_tree_add_string(ht, hf_magic, tvb, 0, 4, is_req ? "REQ" : "RES");
  proto_item* type_item = proto_tree_add_item(ht, hf_type, tvb, 4, 4, ENC_BIG_ENDIAN);
  proto_item* len_item = proto_tree_add_item(ht, hf_length, tvb, 8, 4, ENC_BIG_ENDIAN);
  const char* name = packet_name(h.type);
  proto_item* it = proto_tree_add_string(ht, hf_type_name, tvb, 4, 4, name);
  proto_item_set_generated(it);

  const bool towards_server = to_server(cd, pinfo);
  it = proto_tree_add_string(pdu_tree, hf_direction, tvb, 0, 0, towards_server ? "to server" : "from server");
  proto_item_set_generated(it);

  tr->type = h.type;
  tr->type_name = name;
  tr->to_server = towards_server;

  col_append_sep_fstr(pinfo->cinfo, COL_INFO, "; ", "%s %s", is_req ? "REQ" : "RES", name);
  proto_item_append_text(pdu_item, ", %s %s", is_req ? "REQ" : "RES", name);

  if (err == FrameError::UnknownType) {
    expert_add_info_format(pinfo, type_item, &ei_unknown_type, "Unknown packet type %u", h.type);
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
  }

  // Key argument for the Info column: the function, else the handle, else the first argument.
  const ArgView* key = args.find(Arg::Function);
  if (!key || !key->present) key = args.find(Arg::Handle);
  if ((!key || !key->present) && args.count > 0 && args.args[0].kind != Arg::Payload &&
      args.args[0].kind != Arg::EchoData)
    key = &args.args[0];
  if (key && key->present && !key->value.empty())
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

  if (track) track_binary(cd, pinfo, pd, h, args, towards_server);
  add_links(pdu_tree, pinfo, tvb, pd, pdu_item);
  if (pd->job) {
    const bool second_pass = PINFO_FD_VISITED(pinfo);
    add_job(pdu_tree, pinfo, tvb, pd->job, pdu_item,
            second_pass && pd->job_created_here && !pd->job->background);
    if (pd->job_end_here) tr->job_end = pd->job;
    if (pd->job_created_here) tr->job_created = pd->job;
    tr->second_pass = second_pass;
    if (pd->job_result_here) tr->job_result = pd->job;
  }
  return caplen;
}

// ---------------------------------------------------------------------------------------------
// Text PDUs (admin protocol)

void add_counts(proto_tree* t, tvbuff_t* tvb, const int* hfs, int n, const gearproto::AdminReplyLine& r) {
  for (int i = 0; i < n && i < r.count_n; ++i) proto_tree_add_uint64(t, hfs[i], tvb, 0, 0, r.counts[i]);
}

int offset_in(Bytes whole, Bytes part) {
  if (part.data() < whole.data() || part.data() > whole.data() + whole.size()) return 0;
  return static_cast<int>(part.data() - whole.data());
}

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
    if (track) {
      cd->admin->on_command(r.command, pinfo->num);
      Waiting* w = wmem_new0(wmem_file_scope(), Waiting);
      w->frame = pinfo->num;
      w->ts = pinfo->abs_ts;
      w->pd = pd;
      wmem_map_insert(cd->admin_cmds, GUINT_TO_POINTER(pinfo->num), w);
    }
    add_links(pdu_tree, pinfo, tvb, pd, pdu_item);
    return caplen;
  }

  // A reply line: its meaning depends on the command it answers.
  AdminReplyLine r;
  AdminCommand asked = AdminCommand::Unknown;
  if (track) {
    AdminPairing::Pair pr = cd->admin->on_reply_line(line, r);
    pd->admin_matched = pr.matched;
    pd->admin_first = pr.first_line;
    pd->admin_last = pr.last_line;
    pd->admin_command = static_cast<guint8>(pr.command);
    if (pr.matched) {
      Waiting* w = static_cast<Waiting*>(wmem_map_lookup(cd->admin_cmds, GUINT_TO_POINTER(static_cast<guint>(pr.command_seq))));
      if (w) {
        pd->request_frame = w->frame;
        pd->request_ts = w->ts;
        if (w->pd && !w->pd->response_frame) w->pd->response_frame = pinfo->num;
      }
    } else {
      pd->no_request = pr.first_line;
    }
    asked = pr.command;
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

// ---------------------------------------------------------------------------------------------
// One PDU (binary message, text line, or a run of garbage)

int dissect_pdu(tvbuff_t* tvb, packet_info* pinfo, proto_tree* tree, void* /*data*/) {
  col_set_str(pinfo->cinfo, COL_PROTOCOL, "Gearman");
  const gint caplen = tvb_captured_length(tvb);
  if (caplen <= 0) return 0;
  const guint8* p = tvb_get_ptr(tvb, 0, caplen);
  Bytes buf = gearproto::as_bytes(p, static_cast<size_t>(caplen));
  gearproto::Frame f = gearproto::frame_message(buf, limits);

  ConvData* cd = get_conv(pinfo);
  const bool binary = p[0] == '\0';
  if (!cd->server_known) {
    bool req = binary ? (caplen >= 4 && p[3] == 'Q')
                      : gearproto::classify_stream_start(buf, limits) == gearproto::Plausibility::AdminText;
    learn_server(cd, pinfo, req);
  }

  const guint32 key = pdu_key(tvb);
  PduData* pd = static_cast<PduData*>(p_get_proto_data(wmem_file_scope(), pinfo, proto_gearman, key));
  bool track = false;
  if (!pd) {
    pd = wmem_new0(wmem_file_scope(), PduData);
    p_add_proto_data(wmem_file_scope(), pinfo, proto_gearman, key, pd);
    track = true;  // first time we see this PDU: update pairings and jobs exactly once
  }

  proto_item* ti = proto_tree_add_item(tree, proto_gearman, tvb, 0, -1, ENC_NA);
  proto_tree* pdu_tree = proto_item_add_subtree(ti, ett_pdu);
  TapRecord* tr = wmem_new0(pinfo->pool, TapRecord);
  tr->response_ms = -1;

  // Not Gearman: a NUL-started run that is no valid header (bad magic, oversize), a partial header,
  // or "text" that holds a NUL (admin lines never do; this is binary data seen mid-stream).
  bool garbage = binary ? (f.status == gearproto::Frame::Invalid && !gearproto::frame_error_is_skippable(f.error))
                        : std::memchr(p, '\0', static_cast<size_t>(caplen)) != nullptr;
  if (!garbage && binary && caplen < static_cast<gint>(gearproto::kHeaderSize)) {
    // The start of a header and nothing more (desegmentation off, or the capture ends here).
    proto_item* gi = proto_tree_add_item(pdu_tree, hf_garbage, tvb, 0, caplen, ENC_NA);
    expert_add_info_format(pinfo, gi, &ei_truncated, "Only %d bytes of a 12-byte header", caplen);
    col_append_sep_fstr(pinfo->cinfo, COL_INFO, "; ", "[partial header]");
    return caplen;
  }
  if (garbage) {
    proto_item_append_text(ti, ", %d bytes skipped", caplen);
    proto_item* gi = proto_tree_add_item(pdu_tree, hf_garbage, tvb, 0, caplen, ENC_NA);
    if (f.error == gearproto::FrameError::Oversize) expert_add_info(pinfo, gi, &ei_oversize);
    else if (f.error == gearproto::FrameError::BadMagic) expert_add_info(pinfo, gi, &ei_bad_magic);
    expert_add_info_format(pinfo, gi, &ei_resync, "Skipped %d bytes that are not Gearman to resynchronise", caplen);
    col_append_sep_fstr(pinfo->cinfo, COL_INFO, "; ", "[%d bytes skipped]", caplen);
    return caplen;
  }

  int n = binary ? dissect_binary(tvb, pinfo, pdu_tree, ti, cd, pd, track, tr)
                 : dissect_text(tvb, pinfo, pdu_tree, ti, cd, pd, track, tr);
  if (pd->request_frame) {
    nstime_t d;
    nstime_delta(&d, &pinfo->abs_ts, &pd->request_ts);
    tr->response_ms = nstime_to_msec(&d);
  }
  tap_queue_packet(gearman_tap, pinfo, tr);
  return n;
}

int dissect_gearman(tvbuff_t* tvb, packet_info* pinfo, proto_tree* tree, void* data) {
  col_set_str(pinfo->cinfo, COL_PROTOCOL, "Gearman");
  col_clear(pinfo->cinfo, COL_INFO);
  tcp_dissect_pdus(tvb, pinfo, tree, desegment_enabled(), 1, get_pdu_len, dissect_pdu, data);
  return tvb_captured_length(tvb);
}

gboolean dissect_gearman_heur(tvbuff_t* tvb, packet_info* pinfo, proto_tree* tree, void* data) {
  if (!pref_heuristic) return FALSE;
  const gint caplen = tvb_captured_length(tvb);
  if (caplen < 1) return FALSE;
  const gint n = caplen < 4096 ? caplen : 4096;
  Bytes b = gearproto::as_bytes(tvb_get_ptr(tvb, 0, n), static_cast<size_t>(n));
  gearproto::Plausibility pl = gearproto::classify_stream_start(b, limits);
  if (pl == gearproto::Plausibility::No) return FALSE;
  if (pl == gearproto::Plausibility::AdminText) {
    // "version", "shutdown" and "verbose" are memcached (and other) commands too: not enough.
    gearproto::Frame f = gearproto::frame_text(b, limits);
    gearproto::AdminRequest r = gearproto::parse_admin_command(f.line);
    using gearproto::AdminCommand;
    if (r.command == AdminCommand::Version || r.command == AdminCommand::Shutdown ||
        r.command == AdminCommand::Verbose || r.command == AdminCommand::GetPid)
      return FALSE;
  }
  conversation_t* conv = find_or_create_conversation(pinfo);
  conversation_set_dissector(conv, gearman_handle);
  dissect_gearman(tvb, pinfo, tree, data);
  return TRUE;
}

// ---------------------------------------------------------------------------------------------
// Statistics: -z gearman,tree

const char* st_packets = "Packets by type";
const char* st_admin = "Admin commands";
const char* st_jobs = "Jobs by function";
const char* st_outcomes = "Jobs by outcome";
const char* st_latency = "Response time (ms)";
const char* st_jobtimes = "Job times (ms)";
int st_node_packets = -1, st_node_admin = -1, st_node_jobs = -1, st_node_outcomes = -1;
int st_node_latency = -1, st_node_jobtimes = -1;

void gearman_stats_init(stats_tree* st) {
  st_node_packets = stats_tree_create_node(st, st_packets, 0, STAT_DT_INT, TRUE);
  st_node_admin = stats_tree_create_node(st, st_admin, 0, STAT_DT_INT, TRUE);
  st_node_jobs = stats_tree_create_node(st, st_jobs, 0, STAT_DT_INT, TRUE);
  st_node_outcomes = stats_tree_create_node(st, st_outcomes, 0, STAT_DT_INT, TRUE);
  st_node_latency = stats_tree_create_node(st, st_latency, 0, STAT_DT_FLOAT, TRUE);
  st_node_jobtimes = stats_tree_create_node(st, st_jobtimes, 0, STAT_DT_FLOAT, TRUE);
}

double delta_ms(const nstime_t& a, const nstime_t& b) {
  nstime_t d;
  nstime_delta(&d, &b, &a);
  return nstime_to_msec(&d);
}

tap_packet_status gearman_stats_packet(stats_tree* st, packet_info* /*pinfo*/, epan_dissect_t* /*edt*/,
                                       const void* p, tap_flags_t /*flags*/) {
  const TapRecord* tr = static_cast<const TapRecord*>(p);
  tick_stat_node(st, st_packets, 0, TRUE);
  if (tr->text) {
    tick_stat_node(st, st_admin, 0, TRUE);
    if (tr->admin_command_line) {
      int n = tick_stat_node(st, "command", st_node_admin, TRUE);
      tick_stat_node(st, gearproto::admin_command_name(static_cast<gearproto::AdminCommand>(tr->admin_command)), n, FALSE);
    } else {
      tick_stat_node(st, "reply line", st_node_admin, FALSE);
    }
  } else {
    int n = tick_stat_node(st, tr->type_name ? tr->type_name : "UNKNOWN", st_node_packets, TRUE);
    tick_stat_node(st, tr->to_server ? "to server" : "from server", n, FALSE);
  }
  if (tr->response_ms >= 0) {
    const char* what = tr->text ? "admin reply" : (tr->type_name ? tr->type_name : "UNKNOWN");
    if (!tr->text || tr->admin_reply_first)
      avg_stat_node_add_value_float(st, what, st_node_latency, FALSE, static_cast<float>(tr->response_ms));
  }
  if (tr->job_created) {
    const Job* j = tr->job_created;
    tick_stat_node(st, st_jobs, 0, TRUE);
    int n = tick_stat_node(st, j->function && *j->function ? j->function : "(unknown)", st_node_jobs, TRUE);
    tick_stat_node(st, "created", n, FALSE);
    if (j->background) tick_stat_node(st, "background", n, FALSE);
    if (tr->second_pass && !j->end_frame) {  // known only with two passes (tshark -2, the GUI)
      tick_stat_node(st, "incomplete", n, FALSE);
      tick_stat_node(st, st_outcomes, 0, TRUE);
      tick_stat_node(st, "incomplete", st_node_outcomes, FALSE);
    }
  }
  if (tr->job_end) {
    const Job* j = tr->job_end;
    tick_stat_node(st, st_outcomes, 0, TRUE);
    tick_stat_node(st, outcome_name(j->outcome), st_node_outcomes, FALSE);
    // The function's node counts jobs (ticked when created); its children count outcomes.
    int n = increase_stat_node(st, j->function && *j->function ? j->function : "(unknown)", st_node_jobs, TRUE, 0);
    tick_stat_node(st, outcome_name(j->outcome), n, FALSE);
    if (j->created_frame && j->assign_frame)
      avg_stat_node_add_value_float(st, "queue time", st_node_jobtimes, FALSE,
                                    static_cast<float>(delta_ms(j->created_ts, j->assign_ts)));
    if (j->assign_frame)
      avg_stat_node_add_value_float(st, "run time", st_node_jobtimes, FALSE,
                                    static_cast<float>(delta_ms(j->assign_ts, j->end_ts)));
  }
  if (tr->job_result) {
    const Job* j = tr->job_result;
    if (j->submit_frame)
      avg_stat_node_add_value_float(st, "total time", st_node_jobtimes, FALSE,
                                    static_cast<float>(delta_ms(j->submit_ts, j->result_ts)));
  }
  return TAP_PACKET_REDRAW;
}

void register_gearman_stats() {
  stats_tree_register_plugin("gearman", "gearman", "Gearman", 0, gearman_stats_packet, gearman_stats_init, nullptr);
}

// ---------------------------------------------------------------------------------------------
// Registration

struct ArgField { const char* abbrev; ftenum type; };

ArgField arg_field(Arg a) {
  // Names the built-in dissector also uses keep its meaning and type (string), so saved filters
  // keep working; numbers and raw bytes get new names.
  switch (a) {
    case Arg::Function: return {"gearman.func.name", FT_STRING};
    case Arg::Unique: return {"gearman.uniq_id", FT_STRING};
    case Arg::Handle: return {"gearman.job.handle", FT_STRING};
    case Arg::Payload: return {"gearman.payload", FT_BYTES};
    case Arg::Numerator: return {"gearman.status.numerator", FT_UINT64};
    case Arg::Denominator: return {"gearman.status.denominator", FT_UINT64};
    case Arg::Timeout: return {"gearman.timeout", FT_UINT32};
    case Arg::Epoch: return {"gearman.epoch", FT_UINT64};
    case Arg::Minute: return {"gearman.sched.minute", FT_UINT32};
    case Arg::Hour: return {"gearman.sched.hour", FT_UINT32};
    case Arg::DayOfMonth: return {"gearman.sched.day_of_month", FT_UINT32};
    case Arg::Month: return {"gearman.sched.month", FT_UINT32};
    case Arg::DayOfWeek: return {"gearman.sched.day_of_week", FT_UINT32};
    case Arg::Reducer: return {"gearman.reducer.name", FT_STRING};
    case Arg::Aggregate: return {"gearman.aggregate", FT_STRING};
    case Arg::ClientId: return {"gearman.client_id", FT_STRING};
    case Arg::Option: return {"gearman.opt.name", FT_STRING};
    case Arg::ErrorCode: return {"gearman.error.code", FT_STRING};
    case Arg::ErrorText: return {"gearman.error.text", FT_STRING};
    case Arg::Known: return {"gearman.status.known", FT_UINT32};
    case Arg::Running: return {"gearman.status.running", FT_UINT32};
    case Arg::ClientCount: return {"gearman.status.client_count", FT_UINT32};
    case Arg::EchoData: return {"gearman.echo_data", FT_BYTES};
  }
  return {"gearman.arg", FT_BYTES};
}

void init_jobs() { jobs = wmem_map_new(wmem_file_scope(), g_str_hash, g_str_equal); }

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
    HF(&hf_arg_raw, "Invalid number", "gearman.arg.invalid_number", FT_STRING, BASE_NONE, nullptr, "A numeric argument that is not a valid decimal number"),
    HF(&hf_garbage, "Skipped bytes", "gearman.garbage", FT_BYTES, BASE_NONE, nullptr, "Bytes that are not Gearman, skipped to resynchronise"),
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
    hf_args[i] = HF(&hf_arg[i], gearproto::arg_title(a), f.abbrev, f.type,
                    (f.type == FT_STRING || f.type == FT_BYTES) ? BASE_NONE : BASE_DEC, nullptr, nullptr);
  }

  proto_register_field_array(proto_gearman, hf_fixed, array_length(hf_fixed));
  proto_register_field_array(proto_gearman, hf_args, static_cast<int>(gearproto::kArgKindCount));

  static gint* ett[] = {&ett_gearman, &ett_pdu, &ett_header, &ett_args, &ett_job, &ett_row};
  proto_register_subtree_array(ett, array_length(ett));

  static ei_register_info ei[] = {
    {&ei_missing_args, {"gearman.expert.missing_arguments", PI_MALFORMED, PI_ERROR, "Fewer arguments than the packet type needs", EXPFILL}},
    {&ei_unexpected_data, {"gearman.expert.unexpected_data", PI_MALFORMED, PI_WARN, "Data on a packet type that takes no arguments", EXPFILL}},
    {&ei_handle_too_long, {"gearman.expert.handle_too_long", PI_PROTOCOL, PI_WARN, "Job handle longer than 64 bytes with its NUL", EXPFILL}},
    {&ei_bad_number, {"gearman.expert.bad_number", PI_MALFORMED, PI_WARN, "Numeric argument is not a decimal number in range", EXPFILL}},
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

  gearman_tap = register_tap("gearman");
  register_init_routine(init_jobs);
}

// Replaces the dissector function inside an existing handle. Wireshark 4.0 has no API to swap the
// built-in "gearman" handle, and a second handle for the same protocol warns on stderr and leaves
// Decode As on the built-in. The handle's layout is private, so the offset of its function pointer
// is found on a handle we create ourselves (same allocator, same type) and checked before writing.
bool patch_handle(dissector_handle_t target, dissector_t fn) {
  dissector_handle_t probe = create_dissector_handle(fn, proto_gearman);
  if (!probe || !target) return false;
  void* fn_ptr;
  static_assert(sizeof(fn_ptr) == sizeof(fn), "function pointers must fit a data pointer");
  std::memcpy(&fn_ptr, &fn, sizeof fn);
  const unsigned char* pbytes = reinterpret_cast<const unsigned char*>(probe);
  // Wireshark 4.0 keeps it in the 4th pointer-sized word (name, description, type, function, data,
  // protocol); look in words 1-4 only, all inside the handle.
  int found = -1;
  for (int i = 1; i < 5; ++i) {
    void* w;
    std::memcpy(&w, pbytes + i * sizeof(void*), sizeof w);
    if (w == fn_ptr) { found = i; break; }
  }
  if (found < 0) return false;
  // The first word of both is the name pointer; the target's must be the one its API reports
  // (NULL for 4.0's unnamed built-in handle, "gearman" in later versions).
  const char* tname = dissector_handle_get_dissector_name(target);
  const char* first;
  std::memcpy(&first, reinterpret_cast<const unsigned char*>(target), sizeof first);
  if (first != tname || (tname && std::strcmp(tname, "gearman") != 0)) return false;
  // The probe's word at the same offset must not be another function than ours: the target's
  // word there must be a non-null code pointer too.
  void* old;
  std::memcpy(&old, reinterpret_cast<const unsigned char*>(target) + found * sizeof(void*), sizeof old);
  if (!old) return false;
  if (dissector_handle_get_protocol_index(target) != proto_gearman) return false;
  std::memcpy(reinterpret_cast<unsigned char*>(target) + found * sizeof(void*), &fn_ptr, sizeof fn_ptr);
  return true;
}

void proto_reg_handoff_gearman_plugin() {
  static bool done = false;
  if (done) return;
  done = true;
  // Wireshark 4.0's built-in creates an unnamed handle and puts it on tcp.port 4730 (later
  // versions also register it as "gearman").
  dissector_handle_t builtin = find_dissector("gearman");
  if (!builtin) {
    dissector_handle_t h = dissector_get_default_uint_handle("tcp.port", kGearmanPort);
    if (h && dissector_handle_get_protocol_index(h) == proto_gearman) builtin = h;
  }
  if (builtin && patch_handle(builtin, dissect_gearman)) {
    gearman_handle = builtin;
    handle_patched = true;
  } else if (builtin) {
    // Fallback for a layout the check above does not recognise: own port 4730 (Wireshark then
    // warns about two handles of one protocol on tcp.port, and Decode As stays on the built-in).
    gearman_handle = create_dissector_handle(dissect_gearman, proto_gearman);
    dissector_change_uint("tcp.port", kGearmanPort, gearman_handle);
  } else {
    gearman_handle = register_dissector("gearman", dissect_gearman, proto_gearman);
    dissector_add_uint_with_preference("tcp.port", kGearmanPort, gearman_handle);
  }
  module_t* mod = prefs_find_module("gearman");
  if (mod) desegment_pref = prefs_find_preference(mod, "desegment");
  heur_dissector_add("tcp", dissect_gearman_heur, "Gearman over TCP", "gearman_tcp", proto_gearman,
                     HEURISTIC_ENABLE);
}

}  // namespace

extern "C" void plugin_register(void) {
  static proto_plugin plug;
  plug.register_protoinfo = proto_register_gearman_plugin;
  plug.register_handoff = proto_reg_handoff_gearman_plugin;
  proto_register_plugin(&plug);
  static tap_plugin tplug;
  tplug.register_tap_listener = register_gearman_stats;
  tap_register_plugin(&tplug);
}
