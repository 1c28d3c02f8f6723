// Bounded-memory latency histogram with log buckets: relative error of any reported percentile
// is at most 1/128 (0.78%), whatever the number of samples. Values are nanoseconds.
//
// Values below 64 have a bucket each. Above, each power of two [2^e, 2^(e+1)) is split into 64
// equal buckets, so a bucket is at most 1/64 of its lower bound wide; reporting the middle of
// the bucket is off by at most half of that. min, max and mean are exact.
#pragma once

#include <cstdint>
#include <vector>

namespace gan {

class LogHistogram {
 public:
  // The exact sum of the values (a long double was exact only below 2^64 and cost an x87
  // conversion per value, four per job).
  __extension__ typedef unsigned __int128 Sum;
  static constexpr int kSubBits = 6;
  static constexpr uint64_t kSub = 1u << kSubBits;

  void add(uint64_t v) {
    size_t i = index(v);
    if (i >= buckets_.size()) buckets_.resize(i + 1, 0);
    ++buckets_[i];
    if (count_ == 0 || v < min_) min_ = v;
    if (v > max_) max_ = v;
    ++count_;
    sum_ += v;
  }
  void merge(const LogHistogram& o) {
    if (o.count_ == 0) return;
    if (o.buckets_.size() > buckets_.size()) buckets_.resize(o.buckets_.size(), 0);
    for (size_t i = 0; i < o.buckets_.size(); ++i) buckets_[i] += o.buckets_[i];
    if (count_ == 0 || o.min_ < min_) min_ = o.min_;
    if (o.max_ > max_) max_ = o.max_;
    count_ += o.count_;
    sum_ += o.sum_;
  }
  uint64_t count() const { return count_; }
  uint64_t min() const { return count_ ? min_ : 0; }
  uint64_t max() const { return max_; }
  double mean() const { return count_ ? double(static_cast<long double>(sum_) / count_) : 0.0; }
  // The value at rank ceil(p * count) (nearest-rank), from its bucket's middle, within [min, max].
  double percentile(double p) const {
    if (count_ == 0) return 0;
    uint64_t rank = static_cast<uint64_t>(p * double(count_) + 0.999999999);
    if (rank < 1) rank = 1;
    if (rank > count_) rank = count_;
    uint64_t seen = 0;
    for (size_t i = 0; i < buckets_.size(); ++i) {
      seen += buckets_[i];
      if (seen >= rank) {
        double lo, width;
        bounds(i, lo, width);
        double v = width <= 1 ? lo : lo + width / 2;
        if (v < double(min_)) v = double(min_);
        if (v > double(max_)) v = double(max_);
        return v;
      }
    }
    return double(max_);
  }

  // percentile() of each of `p` (ascending), in one walk over the buckets.
  void percentiles(const double* p, double* out, size_t n) const {
    size_t k = 0;
    if (count_ == 0) {
      for (; k < n; ++k) out[k] = 0;
      return;
    }
    auto rank_of = [&](double q) {
      uint64_t rank = static_cast<uint64_t>(q * double(count_) + 0.999999999);
      if (rank < 1) rank = 1;
      if (rank > count_) rank = count_;
      return rank;
    };
    uint64_t seen = 0;
    for (size_t i = index(min_); i < buckets_.size() && k < n; ++i) {
      seen += buckets_[i];
      while (k < n && seen >= rank_of(p[k])) {
        double lo, width;
        bounds(i, lo, width);
        double v = width <= 1 ? lo : lo + width / 2;
        if (v < double(min_)) v = double(min_);
        if (v > double(max_)) v = double(max_);
        out[k++] = v;
      }
    }
    for (; k < n; ++k) out[k] = double(max_);
  }

  // Samples below v (to the bucket: exact below 64, else within the bucket width of v).
  uint64_t count_below(uint64_t v) const {
    size_t end = index(v);
    uint64_t n = 0;
    for (size_t i = 0; i < end && i < buckets_.size(); ++i) n += buckets_[i];
    return n;
  }

  static size_t index(uint64_t v) {
    if (v < kSub) return static_cast<size_t>(v);
    int e = 63 - __builtin_clzll(v);  // >= kSubBits
    uint64_t sub = (v >> (e - kSubBits)) & (kSub - 1);
    return static_cast<size_t>(kSub + uint64_t(e - kSubBits) * kSub + sub);
  }
  static void bounds(size_t i, double& lo, double& width) {
    if (i < kSub) { lo = double(i); width = 1; return; }
    uint64_t e = (i - kSub) / kSub + kSubBits;
    uint64_t sub = (i - kSub) % kSub;
    double unit = double(uint64_t(1) << (e - kSubBits));
    lo = double(kSub + sub) * unit;
    width = unit;
  }

  // Only the buckets with samples: for many histograms held at once (the HTML report's time
  // bins). Exact: expand() gives back the same histogram, and merging compact ones equals merge().
  struct Compact {
    std::vector<std::pair<uint32_t, uint64_t>> buckets;  // (index, count), by index
    uint64_t count = 0, min = 0, max = 0;
    Sum sum = 0;
  };
  Compact compact() const {
    Compact c;
    for (size_t i = 0; i < buckets_.size(); ++i)
      if (buckets_[i]) c.buckets.emplace_back(uint32_t(i), buckets_[i]);
    c.count = count_; c.min = min_; c.max = max_; c.sum = sum_;
    return c;
  }
  static LogHistogram expand(const Compact& c) {
    LogHistogram h;
    if (!c.buckets.empty()) h.buckets_.resize(c.buckets.back().first + 1, 0);
    for (const auto& b : c.buckets) h.buckets_[b.first] = b.second;
    h.count_ = c.count; h.min_ = c.min; h.max_ = c.max; h.sum_ = c.sum;
    return h;
  }
  static void merge(Compact& into, const Compact& from) {
    if (from.count == 0) return;
    std::vector<std::pair<uint32_t, uint64_t>> m;
    m.reserve(into.buckets.size() + from.buckets.size());
    size_t i = 0, j = 0;
    while (i < into.buckets.size() || j < from.buckets.size()) {
      if (j == from.buckets.size() || (i < into.buckets.size() && into.buckets[i].first < from.buckets[j].first)) {
        m.push_back(into.buckets[i++]);
      } else if (i == into.buckets.size() || from.buckets[j].first < into.buckets[i].first) {
        m.push_back(from.buckets[j++]);
      } else {
        m.emplace_back(into.buckets[i].first, into.buckets[i].second + from.buckets[j].second);
        ++i, ++j;
      }
    }
    into.buckets = std::move(m);
    if (into.count == 0 || from.min < into.min) into.min = from.min;
    if (from.max > into.max) into.max = from.max;
    into.count += from.count;
    into.sum += from.sum;
  }

 private:
  std::vector<uint64_t> buckets_;  // at most 64 * 59 entries
  uint64_t count_ = 0, min_ = 0, max_ = 0;
  Sum sum_ = 0;
};

}  // namespace gan
