// Work still open at a moment (the end of a capture, or now in live capture): the jobs queued
// (no worker holds them) and running, the oldest first, and each worker's oldest open job. The
// offline report's "open_at_end" and the live screen's stuck jobs.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "analyzer.h"
#include "intervals.h"

namespace gan {

struct OpenWork {
  int64_t at = kNoTime;
  uint64_t running = 0, queued = 0;
  uint64_t never_assigned = 0;  // queued jobs no worker was ever given
  std::vector<OpenJob> oldest;  // by age, oldest first
  struct Worker {
    std::string name;
    int64_t last_seen = kNoTime;
    uint64_t running = 0;  // jobs it holds
    OpenJob oldest;        // the one it holds longest
  };
  std::vector<Worker> workers;  // every worker (by name); empty unless asked for
};

// Jobs open at `at` (the engine's state now). Lists at most `limit` of them, those `keep`
// accepts (all when not given), by age; `with_workers`: the per-worker list too.
using OpenJobFilter = std::function<bool(const gearjobs::Job& j, bool running, int64_t age_ns)>;
OpenWork collect_open_work(const Analyzer& a, int64_t at, size_t limit, bool with_workers,
                           const OpenJobFilter& keep = {});

// Since when a job has been in its phase: running since its assignment, queued since its
// JOB_CREATED (else its submit); kNoTime when unknown.
int64_t open_since(const gearjobs::Job& j, bool running);

}  // namespace gan
