// `tshark -q -2 -z gearman,jobs[,FILTER]`: every job of the capture, one tab-separated line each,
// with its handle, function, outcome, the frames of its submit, JOB_CREATED, first assignment,
// worker's result and client's result, and its queue, run and total times. Two passes (-2) give
// every job its final facts; the lines are the same as gearman-analyze --jobs gives, which the
// tests compare job for job (tests/compare/).

#include "gearman_plugin.h"

#include <epan/stat_tap_ui.h>
#include <epan/tap.h>

#include <cinttypes>
#include <cstdio>
#include <cstring>

namespace gearman_plugin {

namespace {

struct JobsTap {
  GHashTable* seen;  // Job* set
  GPtrArray* jobs;   // in the order first seen
};

void jobs_reset(void* p) {
  JobsTap* t = static_cast<JobsTap*>(p);
  g_hash_table_remove_all(t->seen);
  g_ptr_array_set_size(t->jobs, 0);
}

tap_packet_status jobs_packet(void* p, packet_info* /*pinfo*/, epan_dissect_t* /*edt*/, const void* data,
                              tap_flags_t /*flags*/) {
  JobsTap* t = static_cast<JobsTap*>(p);
  const TapRecord* tr = static_cast<const TapRecord*>(data);
  const Job* j = tr ? tr->job : nullptr;
  if (!j || j->state == gearjobs::JobState::Void) return TAP_PACKET_DONT_REDRAW;
  if (g_hash_table_add(t->seen, const_cast<Job*>(j))) g_ptr_array_add(t->jobs, const_cast<Job*>(j));
  return TAP_PACKET_REDRAW;
}

void print_frame(uint64_t f) {
  if (f) std::printf("\t%" PRIu64, f);
  else std::printf("\t-");
}

void print_ns(gearjobs::Time ns) {
  if (ns == gearjobs::kNoTime) std::printf("\t-");
  else std::printf("\t%" PRId64, static_cast<int64_t>(ns));
}

gint by_id(gconstpointer a, gconstpointer b) {
  const Job* x = *static_cast<const Job* const*>(a);
  const Job* y = *static_cast<const Job* const*>(b);
  return x->id < y->id ? -1 : x->id > y->id ? 1 : 0;
}

void jobs_draw(void* p) {
  JobsTap* t = static_cast<JobsTap*>(p);
  g_ptr_array_sort(t->jobs, by_id);
  std::printf("# gearman jobs: %u\n", t->jobs->len);
  std::printf("# handle\tfunction\toutcome\tbackground\tsubmits\tsubmit\tcreated\tassign\tend\tresult"
              "\tqueue_ns\trun_ns\ttotal_ns\n");
  for (guint i = 0; i < t->jobs->len; ++i) {
    const Job* j = static_cast<const Job*>(g_ptr_array_index(t->jobs, i));
    std::printf("%s\t%s\t%s\t%d\t%u", j->handle.c_str(), job_function_name(j), gearjobs::outcome_name(j->outcome),
                j->background ? 1 : 0, j->submits);
    print_frame(j->f_submit);
    print_frame(j->f_created);
    print_frame(j->f_assign_first);
    print_frame(j->f_worker_done);
    print_frame(j->f_client_done);
    print_ns(j->queue_ns());
    print_ns(j->run_ns());
    print_ns(j->total_ns());
    std::printf("\n");
  }
}

void jobs_finish(void* p) {
  JobsTap* t = static_cast<JobsTap*>(p);
  g_hash_table_destroy(t->seen);
  g_ptr_array_free(t->jobs, TRUE);
  g_free(t);
}

void jobs_init(const char* opt_arg, void* /*userdata*/) {
  const char* filter = nullptr;
  const char prefix[] = "gearman,jobs,";
  if (opt_arg && std::strncmp(opt_arg, prefix, sizeof prefix - 1) == 0) filter = opt_arg + sizeof prefix - 1;
  JobsTap* t = g_new0(JobsTap, 1);
  t->seen = g_hash_table_new(g_direct_hash, g_direct_equal);
  t->jobs = g_ptr_array_new();
  GString* err = register_tap_listener("gearman", t, filter, TL_REQUIRES_NOTHING, jobs_reset, jobs_packet,
                                       jobs_draw, jobs_finish);
  if (err) {
    std::fprintf(stderr, "tshark: -z gearman,jobs: %s\n", err->str);
    g_string_free(err, TRUE);
    jobs_finish(t);
  }
}

stat_tap_ui jobs_ui = {REGISTER_STAT_GROUP_GENERIC, "Gearman jobs", "gearman,jobs", jobs_init, 0, nullptr};

}  // namespace

void register_gearman_jobs_tap() { register_stat_tap_ui(&jobs_ui, nullptr); }

}  // namespace gearman_plugin
