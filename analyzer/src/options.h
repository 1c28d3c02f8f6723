// What gearman-analyze is told on its command line, as the pipeline's stages read it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "gearjobs/engine.h"
#include "gearproto/framer.h"

namespace gan {

struct Options {
  std::vector<uint16_t> ports{4730};
  bool heuristic = true;               // Gearman on any port by the plausibility test
  size_t top = 10;                     // slowest jobs kept
  size_t max_out_of_order_bytes = 4u << 20;  // per direction; beyond, the hole is declared lost
  // Jobs open at once (~350 bytes each). Beyond, the oldest open job is closed early as it is
  // (warning open_jobs_cap), so memory stays bounded on a server that never runs its queue.
  // 0: no limit.
  size_t max_open_jobs = 1'000'000;
  // Connections tracked at once (~2 KiB each); beyond, the least recently active one is dropped
  // (warning connections_cap), so a SYN flood cannot take the memory. 0: no limit.
  size_t max_connections = 100'000;
  // A PDU is buffered whole before it is decoded: one longer than limits.max_data_length (64 MiB)
  // is taken for a broken header and skipped (warning oversize_message), never waited for.
  gearproto::Limits limits;
  // 2: the job engine and the statistics run on a second thread, beside reading and decoding
  // (the same results; handoff.h). 1: everything on the caller's thread.
  unsigned threads = 1;
  // The engine keeps its per-function gauges of open jobs (what IntervalStats reads): off when no
  // interval is reported.
  bool gauges = true;
  // With two threads, which side splits the PDUs' arguments (handoff.h): the one that is ahead
  // at the moment (Adaptive); tests force the reader, the stage, or each in turn per batch.
  enum class SplitArgs : uint8_t { Adaptive, Reader, Stage, Alternate };
  SplitArgs split_args = SplitArgs::Adaptive;
};

// The engine's settings for the analyzer: jobs are recycled once their statistics are taken.
inline gearjobs::Options engine_options(const Options& o) {
  gearjobs::Options e;
  e.keep_jobs = false;
  e.max_open_jobs = o.max_open_jobs;
  e.gauges = o.gauges;
  return e;
}

}  // namespace gan
