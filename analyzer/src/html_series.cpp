// SPDX-License-Identifier: GPL-2.0-or-later
#include "html_series.h"

#include <algorithm>

namespace gan {

namespace {

constexpr int64_t kS = 1'000'000'000;
// Nice widths; each is a whole multiple of every one before it that next_width can step from.
constexpr int64_t kNice[] = {kS / 10, kS / 5, kS, 2 * kS, 10 * kS, 20 * kS, 60 * kS, 120 * kS, 600 * kS,
                             1200 * kS, 3600 * kS, 7200 * kS, 21600 * kS, 43200 * kS, 86400 * kS};

int64_t floor_to(int64_t t, int64_t w) {
  int64_t r = t % w;
  if (r < 0) r += w;
  return t - r;
}

template <typename T>
T* find_in(std::vector<std::pair<uint32_t, T>>& v, uint32_t i) {
  auto it = std::lower_bound(v.begin(), v.end(), i, [](const auto& e, uint32_t k) { return e.first < k; });
  if (it == v.end() || it->first != i) it = v.insert(it, {i, T{}});
  return &it->second;
}

template <typename T>
const T* find_const(const std::vector<std::pair<uint32_t, T>>& v, uint32_t i) {
  auto it = std::lower_bound(v.begin(), v.end(), i, [](const auto& e, uint32_t k) { return e.first < k; });
  return it == v.end() || it->first != i ? nullptr : &it->second;
}

}  // namespace

SeriesFunction* SeriesBin::function(uint32_t i) { return find_in(functions, i); }
SeriesWorker* SeriesBin::worker(uint32_t i) { return find_in(workers, i); }
const SeriesFunction* SeriesBin::function(uint32_t i) const { return find_const(functions, i); }
const SeriesWorker* SeriesBin::worker(uint32_t i) const { return find_const(workers, i); }

TimeSeries::TimeSeries(int64_t interval_ns, size_t max_bins)
    : width_(interval_ns > 0 ? interval_ns : kS), max_bins_(max_bins < 2 ? 2 : max_bins) {}

int64_t TimeSeries::next_width(int64_t w) {
  for (int64_t n : kNice)
    if (n > w && n % w == 0 && n <= 5 * w) return n;
  return 2 * w;
}

uint32_t TimeSeries::fn_index(const std::string& name) {
  auto it = fn_by_name_.find(name);
  if (it != fn_by_name_.end()) return it->second;
  fn_names_.push_back(name);
  return fn_by_name_.emplace(name, uint32_t(fn_names_.size() - 1)).first->second;
}

uint32_t TimeSeries::worker_index(const std::string& name) {
  auto it = worker_by_name_.find(name);
  if (it != worker_by_name_.end()) return it->second;
  worker_names_.push_back(name);
  return worker_by_name_.emplace(name, uint32_t(worker_names_.size() - 1)).first->second;
}

// `from` (later in time) into `into`: counts add, the end state is the later one's.
void TimeSeries::merge(SeriesBin& into, SeriesBin& from) {
  const bool later = from.last_end >= into.last_end && from.last_end != 0;
  if (later) {
    for (auto& f : into.functions) f.second.in_flight = f.second.queued = 0;
    for (auto& w : into.workers) w.second.connections = 0;
    into.last_end = from.last_end;
  }
  for (auto& kv : from.functions) {
    SeriesFunction& o = *into.function(kv.first);
    const SeriesFunction& f = kv.second;
    o.submitted += f.submitted;
    o.complete += f.complete; o.fail += f.fail; o.exception += f.exception; o.incomplete += f.incomplete;
    o.background += f.background;
    if (later) { o.in_flight = f.in_flight; o.queued = f.queued; }
    LogHistogram::merge(o.total, f.total);
  }
  for (auto& kv : from.workers) {
    SeriesWorker& o = *into.worker(kv.first);
    o.busy_ns += kv.second.busy_ns;
    o.lost += kv.second.lost;
    if (later) o.connections = kv.second.connections;
  }
  // Entries with nothing left (open jobs or connections at an earlier end only) are not listed.
  into.functions.erase(std::remove_if(into.functions.begin(), into.functions.end(),
                                      [](const auto& e) { return !e.second.listed(); }),
                       into.functions.end());
  into.workers.erase(std::remove_if(into.workers.begin(), into.workers.end(),
                                    [](const auto& e) { return !e.second.listed(); }),
                     into.workers.end());
}

void TimeSeries::widen() {
  const int64_t w = next_width(width_);
  std::vector<SeriesBin> wide;
  for (SeriesBin& b : bins_) {
    const int64_t start = floor_to(b.start, w);
    if (wide.empty() || wide.back().start != start) {
      SeriesBin n;
      n.start = start;
      n.end = start + w;
      wide.push_back(std::move(n));
    }
    merge(wide.back(), b);
  }
  bins_ = std::move(wide);
  width_ = w;
  if (on_widen_) on_widen_(w);
}

void TimeSeries::add(Interval& iv) {
  int64_t start = floor_to(iv.start, width_);
  if (!bins_.empty()) {
    // Wider until the bins from the first to this one are at most max_bins_.
    while ((start - bins_.front().start) / width_ + 1 > int64_t(max_bins_)) {
      widen();
      start = floor_to(iv.start, width_);
    }
    if (start < bins_.front().start) start = bins_.front().start;  // (intervals come in time order)
  }
  while (bins_.empty() || bins_.back().start < start) {
    SeriesBin n;
    n.start = bins_.empty() ? start : bins_.back().end;
    n.end = n.start + width_;
    if (!bins_.empty() && bins_.back().last_end != 0) {
      // No interval ends in it (the intervals skipped a clock jump): nothing happened, so its
      // end state is the bin's before, as IntervalStats samples it at each end.
      for (const auto& kv : bins_.back().functions)
        if (kv.second.in_flight) {
          SeriesFunction f;
          f.in_flight = kv.second.in_flight;
          f.queued = kv.second.queued;
          n.functions.emplace_back(kv.first, f);
        }
      for (const auto& kv : bins_.back().workers)
        if (kv.second.connections) {
          SeriesWorker w;
          w.connections = kv.second.connections;
          n.workers.emplace_back(kv.first, w);
        }
      n.last_end = n.end;
    }
    bins_.push_back(std::move(n));
  }
  SeriesBin* bin = &bins_.back();
  for (size_t i = bins_.size(); i-- > 0;)
    if (bins_[i].start <= start) { bin = &bins_[i]; break; }

  SeriesBin one;
  one.start = iv.start;
  one.end = iv.end;
  one.last_end = iv.end;
  for (IntervalFunction& f : iv.functions) {
    SeriesFunction& o = *one.function(fn_index(f.name));
    o.submitted = f.submitted;
    o.complete = f.complete; o.fail = f.fail; o.exception = f.exception; o.incomplete = f.incomplete;
    o.background = f.background;
    o.in_flight = f.in_flight;
    o.queued = f.queued;
    o.total = f.total_histogram.compact();
    f.total_histogram = LogHistogram();
  }
  for (const IntervalWorker& w : iv.workers) {
    SeriesWorker& o = *one.worker(worker_index(w.name));
    o.busy_ns = w.busy_ns;
    o.lost = w.lost;
    o.connections = w.connections;
  }
  merge(*bin, one);
}

void TimeSeries::finish() {
  for (SeriesBin& b : bins_)
    for (auto& kv : b.functions) kv.second.total_summary = summarize(LogHistogram::expand(kv.second.total));
}

}  // namespace gan
