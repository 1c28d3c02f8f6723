// Service Response Time: `tshark -z gearman,srt` and Statistics > Service Response Time > Gearman.
// One row per request kind: each binary request type that gets an answer (SUBMIT_JOB* answered
// by JOB_CREATED or ERROR, GRAB_JOB* by JOB_ASSIGN* or NO_JOB, PRE_SLEEP by NOOP, ECHO_REQ,
// GET_STATUS*, OPTION_REQ), and each admin command (answered by its reply's first line).
//
// The tap reads only the TapRecord: the request's frame, time and type, which the job engine
// returns with every response it pairs (plugin/job_tracking.cpp keeps them in PduData).

#include "gearman_plugin.h"

#include <epan/srt_table.h>

namespace gearman_plugin {

namespace {

using gearproto::AdminCommand;
using gearproto::JobRole;
using gearproto::PacketInfo;
using gearproto::kAdminCommandCount;
using gearproto::kMaxKnownType;

constexpr int kAdminRowBase = static_cast<int>(kMaxKnownType) + 1;
constexpr int kRows = kAdminRowBase + kAdminCommandCount;

bool is_grab(guint32 t) { return t == gearproto::GRAB_JOB || t == gearproto::GRAB_JOB_UNIQ || t == gearproto::GRAB_JOB_ALL; }
bool is_status_query(guint32 t) { return t == gearproto::GET_STATUS || t == gearproto::GET_STATUS_UNIQUE; }

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

void register_gearman_srt() {
  // As packet-diameter.c does: the table reads the protocol's tap ("gearman", TapRecord).
  register_srt_table(proto_gearman, "gearman", 1, srt_packet, srt_init, nullptr);
}

}  // namespace gearman_plugin
