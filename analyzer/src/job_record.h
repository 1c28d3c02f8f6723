// One job as the reports write it (--jobs, the slowest jobs): the engine's Job with its names
// resolved. Made only for jobs that are written or kept, not for every job.
#pragma once

#include <cstdint>
#include <string>

#include "gearjobs/job.h"

namespace gan {

using gearjobs::kNoTime;
using gearjobs::Outcome;
using gearjobs::outcome_name;

struct JobRecord {
  std::string server, handle, function, unique;
  std::string worker;  // the worker's name (client ID, else address); empty: no worker seen
  std::string client;  // the first foreground submitter's name (client ID, else address)
  bool background = false;
  bool unknown_start = false;   // began before the capture (no submit seen)
  bool ended_by_server = false;
  uint8_t reordered = 0;        // gearjobs::Reorder bits
  const char* priority = "normal";
  uint32_t submits = 0, assignments = 0, status_polls = 0;
  uint64_t payload_bytes = 0;
  Outcome outcome = Outcome::Incomplete;
  int64_t t_submit = kNoTime, t_created = kNoTime, t_assign_first = kNoTime, t_assign = kNoTime,
          t_worker_done = kNoTime, t_client_done = kNoTime;
  uint64_t f_submit = 0, f_created = 0, f_assign_first = 0, f_assign = 0, f_worker_done = 0,
           f_client_done = 0;
  // The engine's one definition of the three times (gearjobs::Job), kNoTime when not measured.
  int64_t queue = kNoTime, run = kNoTime, total = kNoTime;
  int64_t queue_ns() const { return queue; }
  int64_t run_ns() const { return run; }
  int64_t total_ns() const { return total; }
};

// The time a job is ranked by among the slowest: total, else run, else queue.
inline int64_t slowness(const gearjobs::Job& j) {
  int64_t t = j.total_ns();
  if (t == kNoTime) t = j.run_ns();
  if (t == kNoTime) t = j.queue_ns();
  return t;
}
inline int64_t slowness(const JobRecord& r) {
  int64_t t = r.total;
  if (t == kNoTime) t = r.run;
  if (t == kNoTime) t = r.queue;
  return t;
}

}  // namespace gan
