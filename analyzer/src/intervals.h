// Statistics over time: the capture cut into intervals of a fixed length (--interval), per
// interval and function the jobs submitted and finished, the open jobs at its end, and latency
// percentiles; per worker its busy time; the oldest running and queued job.
//
// Which interval an event belongs to (docs/gearman-analyze.md, "Intervals"):
// - a submit: the capture time of its SUBMIT_JOB* packet;
// - a finished job (with its outcome and its queue/run/total times): the capture time of its end,
//   the worker's terminal packet, else the client's result, else (a job closed incomplete) the
//   time the engine gave up on it;
// - in_flight and queued: the engine's gauges of open jobs when the capture's clock passed the
//   interval's end;
// - busy time: each running job's assignment to its worker's terminal packet, cut at the
//   intervals' edges.
// The engine closes a job up to linger (1 s) after its end, so an interval is written only once
// the clock passed its end plus `lag` (linger + 0.5 s): by then its jobs are closed. A job that
// closes later still (it waited for a lost packet) is counted in the first interval not yet
// written, as `late`, so the intervals always add up to the report's totals.
//
// Memory: only the intervals not yet written are held (lag / interval + 2 of them); a written
// interval's histograms are freed.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "analyzer.h"
#include "histogram.h"

namespace gan {

// Milliseconds, from a LogHistogram.
struct LatencySummary {
  uint64_t count = 0;
  double min = 0, p50 = 0, p90 = 0, p99 = 0, max = 0, mean = 0;
};
LatencySummary summarize(const LogHistogram& h);

struct IntervalFunction {
  std::string name;
  uint64_t submitted = 0;                                      // SUBMIT_JOB* packets seen
  uint64_t complete = 0, fail = 0, exception = 0, incomplete = 0;  // jobs finished, by outcome
  uint64_t background = 0;  // of those, background jobs
  uint64_t late = 0;        // of those, jobs that ended in an earlier interval (see above)
  uint64_t reordered = 0;   // of those, jobs whose wire order was not causal (gearjobs::Reorder)
  uint64_t in_flight = 0, queued = 0;  // open jobs at the end: all, and those no worker holds
  LatencySummary queue, run, total;
  // The histogram `total` was summarized from, when IntervalStats::keep_total_histograms is on
  // (the HTML report merges intervals into wider ones); empty otherwise.
  LogHistogram total_histogram;
  uint64_t finished() const { return complete + fail + exception + incomplete; }
  double fail_percent() const {  // as FunctionStats::fail_percent
    const uint64_t ended = complete + fail + exception;
    return ended ? 100.0 * double(fail + exception) / double(ended) : 0.0;
  }
};

struct IntervalWorker {
  std::string name;
  int64_t busy_ns = 0;
  double busy = 0;  // busy_ns / the interval's length (over 1: several jobs at once)
  uint64_t lost = 0;        // jobs it lost in the interval (its connection closed while it ran them)
  int64_t connections = 0;  // its connections open at the interval's end
};

// A job still open at an interval's (or the capture's) end.
struct OpenJob {
  bool valid = false;
  std::string function, handle, server, worker;
  bool running = false;  // held by a worker; else queued
  int64_t since = kNoTime;  // running: its assignment; queued: its JOB_CREATED (else first sight)
  int64_t age_ns = 0;       // at the end of the interval
  uint64_t f_submit = 0, f_created = 0, f_assign = 0;  // its frames (0: not in the capture; assign: the last)
};

struct Interval {
  int64_t start = 0, end = 0;
  std::vector<IntervalFunction> functions;  // with activity or open jobs, by name
  std::vector<IntervalWorker> workers;      // connected or busy in it, by name
  OpenJob oldest_running, oldest_queued;
};

class IntervalStats final : public StatsObserver {
 public:
  // `emit` is called with each interval once it is final, in time order.
  IntervalStats(Analyzer& a, int64_t interval_ns, std::function<void(Interval&&)> emit);
  IntervalStats(const IntervalStats&) = delete;
  IntervalStats& operator=(const IntervalStats&) = delete;

  // Everything but end_of_capture and flush runs on the job stage's thread (Analyzer::set_clock,
  // set_observer): it reads the stage, never the Analyzer's waiting accessors.
  // The capture's clock: each frame's time (Analyzer::set_clock), and in live capture the wall
  // clock while no packets come. Cheap when no boundary is crossed.
  void on_time(int64_t t) {
    if (t >= next_check_) step(t);
  }
  // The capture ended at `at` (call before Analyzer::finish): the current interval's end state is
  // taken then (kNoTime: at the last frame).
  void end_of_capture(int64_t at = kNoTime);
  // After Analyzer::finish: every interval not yet written is written.
  void flush();

  int64_t interval_ns() const { return interval_ns_; }
  int64_t lag_ns() const { return lag_ns_; }

  // Each interval written carries its functions' total-time histograms (IntervalFunction::
  // total_histogram), so that a reader can merge intervals exactly.
  void keep_total_histograms(bool on) { keep_histograms_ = on; }
  // From now on intervals are `width` long, a multiple of the current length (the HTML report
  // widens them as a capture of unknown length goes on, to keep their number bounded). The
  // intervals not yet written are merged into the wider ones they fall in; those written
  // already stay as they were, so a reader sees a few narrower intervals before the first wide
  // one, each inside one wide interval. May be called from `emit`; ignored after
  // end_of_capture (the last intervals keep the end state taken there).
  void widen(int64_t width);

  // StatsObserver
  void on_submitted(gearjobs::FunctionId f, int64_t t) override;
  void on_assigned(const gearjobs::Job& j, int32_t worker, int64_t t) override;
  void on_worker_ended(const gearjobs::Job& j, int64_t t) override;
  void on_job_lost(const gearjobs::Job& j, int64_t t) override;
  void on_job_closed(const gearjobs::Job& j, int64_t t) override;
  void on_worker_connection(int32_t worker, int delta) override;

 private:
  struct FnBin {
    uint64_t submitted = 0, complete = 0, fail = 0, exception = 0, incomplete = 0, background = 0, late = 0;
    uint64_t reordered = 0;
    LogHistogram queue, run, total;
  };
  struct Bin {
    int64_t start = 0, end = 0;
    bool snapped = false;  // its end state (gauges, busy time of running jobs) was taken
    std::unordered_map<gearjobs::FunctionId, FnBin> fns;
    std::vector<int64_t> busy;  // by worker index
    std::vector<uint64_t> lost;  // by worker index
    std::vector<int32_t> connected;  // open connections at the end, by worker index
    std::vector<gearjobs::FunctionGauge> gauges;
    OpenJob oldest_running, oldest_queued;
  };
  struct Running {
    const gearjobs::Job* job;
    int32_t worker;
    int64_t assigned;  // its assignment
    int64_t since;     // busy time counted up to here
  };

  void step(int64_t t);
  void start(int64_t t);
  void snapshot(Bin& b, int64_t at);
  void emit_front();
  void update_next_check();
  Bin& bin_for(int64_t t, bool* late = nullptr);
  void add_busy(int32_t worker, int64_t from, int64_t to);
  void stop_running(const gearjobs::Job& j, int64_t t);
  OpenJob describe(const gearjobs::Job& j, bool running, int64_t since, int64_t at) const;
  int64_t floor_interval(int64_t t) const;

  Analyzer& a_;
  int64_t interval_ns_;
  int64_t lag_ns_;
  std::function<void(Interval&&)> emit_;
  std::deque<Bin> pending_;  // not written yet, in time order; back() holds the clock
  int64_t next_check_ = INT64_MIN;
  std::unordered_map<uint64_t, Running> running_;  // by job id
  std::vector<int32_t> worker_conns_;               // open connections, by worker index
  // The oldest queued job found at the last snapshot: the next search starts there (the jobs
  // before it were not queued, and only a lost worker makes one queued again), so a long table
  // of running and lingering jobs is not walked at every interval.
  const gearjobs::Job* queued_from_ = nullptr;
  uint64_t queued_from_id_ = 0;
  bool keep_histograms_ = false;
  bool ended_ = false;  // end_of_capture was called
};

}  // namespace gan
