// Statistics: -z gearman,tree (and Statistics > Gearman in the GUI), fed by one TapRecord per PDU.

#include "gearman_plugin.h"

#include <epan/tap.h>
#include <epan/stats_tree.h>

namespace gearman_plugin {

namespace {

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
    int n = tick_stat_node(st, job_function_name(j), st_node_jobs, TRUE);
    tick_stat_node(st, "created", n, FALSE);
    if (j->background) tick_stat_node(st, "background", n, FALSE);
    if (tr->second_pass && j->outcome == gearjobs::Outcome::Incomplete) {  // known only with two passes (tshark -2, the GUI)
      tick_stat_node(st, "incomplete", n, FALSE);
      tick_stat_node(st, st_outcomes, 0, TRUE);
      tick_stat_node(st, "incomplete", st_node_outcomes, FALSE);
    }
  }
  if (tr->job_end) {
    const Job* j = tr->job_end;
    const char* outcome = gearjobs::outcome_name(j->outcome);
    tick_stat_node(st, st_outcomes, 0, TRUE);
    tick_stat_node(st, outcome, st_node_outcomes, FALSE);
    // The function's node counts jobs (ticked when created); its children count outcomes.
    int n = increase_stat_node(st, job_function_name(j), st_node_jobs, TRUE, 0);
    tick_stat_node(st, outcome, n, FALSE);
    if (j->queue_ns() != gearjobs::kNoTime)
      avg_stat_node_add_value_float(st, "queue time", st_node_jobtimes, FALSE, static_cast<float>(double(j->queue_ns()) / 1e6));
    if (j->run_ns() != gearjobs::kNoTime)
      avg_stat_node_add_value_float(st, "run time", st_node_jobtimes, FALSE, static_cast<float>(double(j->run_ns()) / 1e6));
  }
  if (tr->job_result) {
    const Job* j = tr->job_result;
    if (j->total_ns() != gearjobs::kNoTime)
      avg_stat_node_add_value_float(st, "total time", st_node_jobtimes, FALSE, static_cast<float>(double(j->total_ns()) / 1e6));
  }
  return TAP_PACKET_REDRAW;
}

}  // namespace

void register_gearman_stats() {
  stats_tree_register_plugin("gearman", "gearman", "Gearman", 0, gearman_stats_packet, gearman_stats_init, nullptr);
}

}  // namespace gearman_plugin
