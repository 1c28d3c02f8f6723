// SPDX-License-Identifier: GPL-2.0-or-later
// The HTML report's time axis: the intervals IntervalStats writes (intervals.h), merged into at
// most `max_bins` bins of a "nice" width (0.1 s, 0.2 s, 1 s, 2 s, 10 s, 20 s, 1 min, 2 min,
// 10 min, ...: each a whole multiple of the one before, so narrower intervals always fall inside
// one bin). The width grows as the capture goes on, so a capture of unknown length (stdin, a
// live run) still ends with a bounded number of bins; `on_widen` lets IntervalStats widen its
// own intervals along (IntervalStats::widen), so it does not write many narrow ones either.
//
// A bin is what `--interval WIDTH` gives for that time span: counts add up, latency percentiles
// come from the merged histograms (exact), and the open jobs and connections at its end are the
// last interval's. Memory: O(bins x (functions + workers)) plus a compact histogram per bin and
// function (at most its jobs' number of buckets), never per job.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "histogram.h"
#include "intervals.h"

namespace gan {

struct SeriesFunction {
  uint64_t submitted = 0, complete = 0, fail = 0, exception = 0, incomplete = 0, background = 0;
  uint64_t in_flight = 0, queued = 0;  // at the bin's end
  LogHistogram::Compact total;         // total times of the jobs finished in the bin
  LatencySummary total_summary;        // from `total`, filled by TimeSeries::finish
  uint64_t finished() const { return complete + fail + exception + incomplete; }
  bool listed() const { return submitted + finished() + in_flight > 0; }  // as IntervalStats lists it
};

struct SeriesWorker {
  int64_t busy_ns = 0;
  uint64_t lost = 0;
  int64_t connections = 0;  // at the bin's end
  bool listed() const { return busy_ns > 0 || lost > 0 || connections > 0; }
};

struct SeriesBin {
  int64_t start = 0, end = 0;
  int64_t last_end = 0;  // end of the latest interval merged in (0: none)
  std::vector<std::pair<uint32_t, SeriesFunction>> functions;  // by index into function_names()
  std::vector<std::pair<uint32_t, SeriesWorker>> workers;      // by index into worker_names()
  SeriesFunction* function(uint32_t i);
  SeriesWorker* worker(uint32_t i);
  const SeriesFunction* function(uint32_t i) const;
  const SeriesWorker* worker(uint32_t i) const;
};

class TimeSeries {
 public:
  // `interval_ns`: the intervals that will be added. `auto_width`: the width of the bins starts
  // there and is chosen from the nice steps; else it stays `interval_ns` as long as `max_bins`
  // cover the capture, and then grows by nice multiples of it.
  explicit TimeSeries(int64_t interval_ns, size_t max_bins = 300);

  // Called with the new width when the bins get wider.
  void on_widen(std::function<void(int64_t)> f) { on_widen_ = std::move(f); }
  // One interval, written by IntervalStats (in time order); its histograms are taken.
  void add(Interval& iv);
  // After the last interval: latency summaries.
  void finish();

  int64_t width() const { return width_; }
  const std::vector<SeriesBin>& bins() const { return bins_; }
  const std::vector<std::string>& function_names() const { return fn_names_; }
  const std::vector<std::string>& worker_names() const { return worker_names_; }

  // The next wider bin: a nice step that is a whole multiple of `w`, at most 5 times it (else 2w).
  static int64_t next_width(int64_t w);

 private:
  uint32_t fn_index(const std::string& name);
  uint32_t worker_index(const std::string& name);
  void widen();
  static void merge(SeriesBin& into, SeriesBin& from);

  int64_t width_;
  size_t max_bins_;
  std::function<void(int64_t)> on_widen_;
  std::vector<SeriesBin> bins_;  // consecutive, from the first interval's
  std::vector<std::string> fn_names_, worker_names_;
  std::unordered_map<std::string, uint32_t> fn_by_name_, worker_by_name_;
};

}  // namespace gan
