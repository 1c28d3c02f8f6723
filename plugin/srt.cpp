// Service Response Time: `tshark -z gearman,srt` and Statistics > Service Response Time > Gearman.
// One row per request kind: each binary request type that gets an answer (SUBMIT_JOB* answered
// by JOB_CREATED or ERROR, GRAB_JOB* by JOB_ASSIGN* or NO_JOB, PRE_SLEEP by NOOP, ECHO_REQ,
// GET_STATUS*, OPTION_REQ), and each admin command (answered by its reply's first line).
//
// The tap reads only the TapRecord: the request's frame, time and type, which the dissector takes
// from PduData where a response is linked to its request. Until the pairing code sets
// PduData::request_type itself, the request types a frame carried are noted here (note_request)
// and matched to the response type (request_type_for).

#include "gearman_plugin.h"

#include <epan/srt_table.h>

namespace gearman_plugin {

namespace {

using gearproto::AdminCommand;
using gearproto::JobRole;
using gearproto::PacketInfo;
using gearproto::kAdminCommandCount;
using gearproto::kMaxKnownType;

wmem_map_t* requests_by_frame = nullptr;  // frame -> bit set of the request types it carried

constexpr int kAdminRowBase = static_cast<int>(kMaxKnownType) + 1;
constexpr int kRows = kAdminRowBase + kAdminCommandCount;

bool is_grab(guint32 t) { return t == gearproto::GRAB_JOB || t == gearproto::GRAB_JOB_UNIQ || t == gearproto::GRAB_JOB_ALL; }
bool is_status_query(guint32 t) { return t == gearproto::GET_STATUS || t == gearproto::GET_STATUS_UNIQUE; }

// Does a response of type `response` answer a request of type `request`? The pairs the plugin
// links (docs/wireshark-plugin.md, Request/response links).
bool answers(guint32 response, guint32 request) {
  const PacketInfo* req = gearproto::packet_info(request);
  if (!req) return false;
  switch (response) {
    case gearproto::JOB_CREATED: case gearproto::ERROR: return req->job_role == JobRole::Submit;
    case gearproto::NO_JOB: case gearproto::JOB_ASSIGN: case gearproto::JOB_ASSIGN_UNIQ: case gearproto::JOB_ASSIGN_ALL: return is_grab(request);
    case gearproto::NOOP: return request == gearproto::PRE_SLEEP;
    case gearproto::ECHO_RES: return request == gearproto::ECHO_REQ;
    case gearproto::STATUS_RES: case gearproto::STATUS_RES_UNIQUE: return is_status_query(request);
    case gearproto::OPTION_RES: return request == gearproto::OPTION_REQ;
    default: return false;
  }
}

bool gets_answer(guint32 request) {
  const PacketInfo* req = gearproto::packet_info(request);
  return req && (req->job_role == JobRole::Submit || is_grab(request) || request == gearproto::PRE_SLEEP ||
                 request == gearproto::ECHO_REQ || is_status_query(request) || request == gearproto::OPTION_REQ);
}

void srt_init(struct register_srt* /*srt*/, GArray* srt_array) {
  srt_stat_table* t = init_srt_table("Gearman Service Response Time", nullptr, srt_array, kRows,
                                     "Request", nullptr, nullptr);
  for (guint32 type = 1; type <= kMaxKnownType; ++type)
    if (gets_answer(type)) init_srt_table_row(t, static_cast<int>(type), gearproto::packet_name(type));
  for (int c = 0; c < kAdminCommandCount; ++c) {
    char* name = g_strdup_printf("admin %s", gearproto::admin_command_name(static_cast<AdminCommand>(c)));
    init_srt_table_row(t, kAdminRowBase + c, name);
    g_free(name);
  }
}

tap_packet_status srt_packet(void* pss, packet_info* pinfo, epan_dissect_t* /*edt*/, const void* prv,
                             tap_flags_t /*flags*/) {
  const TapRecord* tr = static_cast<const TapRecord*>(prv);
  if (!tr || !tr->request_frame) return TAP_PACKET_DONT_REDRAW;
  int row;
  if (tr->text) {
    if (!tr->admin_reply_first || tr->admin_command >= kAdminCommandCount) return TAP_PACKET_DONT_REDRAW;
    row = kAdminRowBase + tr->admin_command;
  } else {
    if (!gets_answer(tr->request_type)) return TAP_PACKET_DONT_REDRAW;
    row = static_cast<int>(tr->request_type);
  }
  srt_data_t* data = static_cast<srt_data_t*>(pss);
  srt_stat_table* t = g_array_index(data->srt_array, srt_stat_table*, 0);
  add_srt_table_data(t, row, &tr->request_ts, pinfo);
  return TAP_PACKET_REDRAW;
}

}  // namespace

void init_srt_requests() { requests_by_frame = wmem_map_new(wmem_file_scope(), g_direct_hash, g_direct_equal); }

void note_request(packet_info* pinfo, guint32 type) {
  if (!gets_answer(type) || !requests_by_frame) return;
  gpointer key = GUINT_TO_POINTER(pinfo->num);
  guint64* bits = static_cast<guint64*>(wmem_map_lookup(requests_by_frame, key));
  if (!bits) {
    bits = wmem_new0(wmem_file_scope(), guint64);
    wmem_map_insert(requests_by_frame, key, bits);
  }
  *bits |= G_GUINT64_CONSTANT(1) << type;
}

guint32 request_type_for(guint32 request_frame, guint32 response_type) {
  if (!requests_by_frame) return 0;
  const guint64* bits = static_cast<const guint64*>(wmem_map_lookup(requests_by_frame, GUINT_TO_POINTER(request_frame)));
  if (!bits) return 0;
  for (guint32 t = 1; t <= kMaxKnownType; ++t)
    if ((*bits & (G_GUINT64_CONSTANT(1) << t)) && answers(response_type, t)) return t;
  return 0;
}

void register_gearman_srt() {
  // As packet-diameter.c does: the table reads the protocol's tap ("gearman", TapRecord).
  register_srt_table(proto_gearman, "gearman", 1, srt_packet, srt_init, nullptr);
  register_init_routine(init_srt_requests);
}

}  // namespace gearman_plugin
