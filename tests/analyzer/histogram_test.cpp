#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "histogram.h"

using gan::LogHistogram;

TEST(AnalyzerHistogram, SmallValuesAreExact) {
  LogHistogram h;
  for (uint64_t v = 1; v <= 50; ++v) h.add(v);
  EXPECT_EQ(h.count(), 50u);
  EXPECT_EQ(h.min(), 1u);
  EXPECT_EQ(h.max(), 50u);
  EXPECT_DOUBLE_EQ(h.percentile(0.5), 25);
  EXPECT_DOUBLE_EQ(h.percentile(0.9), 45);
  EXPECT_DOUBLE_EQ(h.mean(), 25.5);
}

TEST(AnalyzerHistogram, RelativeErrorBelowOnePercentOnSpreadData) {
  std::mt19937_64 rng(42);
  std::lognormal_distribution<double> dist(15.0, 3.0);  // ns, from microseconds to hours
  std::vector<uint64_t> v;
  LogHistogram h;
  for (int i = 0; i < 200000; ++i) {
    uint64_t x = uint64_t(dist(rng)) + 1;
    v.push_back(x);
    h.add(x);
  }
  std::sort(v.begin(), v.end());
  for (double p : {0.01, 0.1, 0.5, 0.9, 0.99, 0.999}) {
    uint64_t rank = uint64_t(std::ceil(p * double(v.size())));
    double exact = double(v[rank - 1]);
    EXPECT_LE(std::fabs(h.percentile(p) - exact) / exact, 0.01) << "p=" << p;
  }
  EXPECT_EQ(h.max(), v.back());
  EXPECT_EQ(h.min(), v.front());
}

TEST(AnalyzerHistogram, BoundedMemoryAndMerge) {
  LogHistogram a, b;
  a.add(UINT64_MAX / 2);
  b.add(10);
  a.merge(b);
  EXPECT_EQ(a.count(), 2u);
  EXPECT_EQ(a.min(), 10u);
  EXPECT_LT(LogHistogram::index(UINT64_MAX), 64u * 60u);
}

TEST(AnalyzerHistogram, BucketsCoverEveryValueOnce) {
  for (uint64_t v : {63ull, 64ull, 65ull, 127ull, 128ull, 1000ull, 123456789ull, (1ull << 40) + 12345}) {
    double lo, w;
    LogHistogram::bounds(LogHistogram::index(v), lo, w);
    EXPECT_LE(lo, double(v));
    EXPECT_LT(double(v), lo + w);
    if (v >= 64) { EXPECT_LE(w / lo, 1.0 / 64 + 1e-12); }
  }
}
