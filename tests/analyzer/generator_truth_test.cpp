// Against gearman-gen's truth: a synthetic capture with coalescing, batching, split, reordered and
// retransmitted segments, WORK_FAIL after WORK_EXCEPTION, stuck workers and admin connections.
// Counts must be equal; latency statistics within the histogram's documented 1 %.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "analyzer.h"
#include "reader.h"
#include "synth.h"

TEST(AnalyzerGeneratorTruth, CountsAndLatenciesMatch) {
  std::string pcap = synth::temp_path("gen.pcap"), truth = synth::temp_path("gen.json");
  std::string cmd = std::string(GEARMAN_GEN_BIN) + " -q --jobs 3000 --seed 7 --coalesce 0.05 --batch 0.2"
                    " --split 0.2 --reorder 0.05 --loss 0.02 --exception-then-fail 0.5 --stuck 1"
                    " --admin-every 300 --out " + pcap + " --truth " + truth;
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  std::ifstream in(truth);
  auto t = nlohmann::json::parse(in);

  gan::Analyzer a;
  auto r = gan::read_captures({pcap}, a);
  ASSERT_TRUE(r.ok) << r.error;
  a.finish();
  const auto& tot = a.totals();
  EXPECT_EQ(tot.jobs, t["jobs"]["total"].get<uint64_t>());
  EXPECT_EQ(tot.complete, t["jobs"]["complete"].get<uint64_t>());
  EXPECT_EQ(tot.fail, t["jobs"]["fail"].get<uint64_t>());
  EXPECT_EQ(tot.exception, t["jobs"]["exception"].get<uint64_t>());
  EXPECT_EQ(tot.incomplete, t["jobs"]["incomplete"].get<uint64_t>());
  EXPECT_EQ(tot.background, t["jobs"]["background"].get<uint64_t>());
  EXPECT_EQ(tot.coalesced_submits, t["jobs"]["coalesced_submits"].get<uint64_t>());
  for (const auto& w : a.warnings()) EXPECT_EQ(w.kind, "late_terminal") << w.detail;

  std::map<std::string, const gan::FunctionStats*> mine;
  for (const auto& f : a.functions()) mine[f.name] = &f;
  for (const auto& f : t["functions"]) {
    std::string name = f["name"];
    ASSERT_TRUE(mine.count(name)) << name;
    const gan::FunctionStats& m = *mine[name];
    EXPECT_EQ(m.jobs, f["jobs"].get<uint64_t>()) << name;
    EXPECT_EQ(m.complete, f["complete"].get<uint64_t>()) << name;
    EXPECT_EQ(m.incomplete, f["incomplete"].get<uint64_t>()) << name;
    const std::pair<const char*, const gan::LogHistogram*> lat[] = {
        {"queue_ms", &m.queue}, {"run_ms", &m.run}, {"total_ms", &m.total}};
    for (const auto& [key, h] : lat) {
      const auto& tl = f[key];
      EXPECT_EQ(h->count(), tl["count"].get<uint64_t>()) << name << " " << key;
      auto close = [](double mine_ms, double truth_ms) {
        return std::fabs(mine_ms - truth_ms) <= 0.01 * std::fabs(truth_ms) + 0.002;  // + µs rounding
      };
      EXPECT_TRUE(close(h->percentile(0.5) / 1e6, tl["p50"])) << name << " " << key;
      EXPECT_TRUE(close(h->percentile(0.9) / 1e6, tl["p90"])) << name << " " << key;
      EXPECT_TRUE(close(h->percentile(0.99) / 1e6, tl["p99"])) << name << " " << key;
      EXPECT_TRUE(close(double(h->max()) / 1e6, tl["max"])) << name << " " << key;
      EXPECT_TRUE(close(h->mean() / 1e6, tl["mean"])) << name << " " << key;
    }
  }
  std::remove(pcap.c_str());
  std::remove(truth.c_str());
}

// Segments missing from the capture (not lost on the network: no retransmission fills the hole).
// What was sent cannot all be seen; the counts stay close and the losses are reported.
TEST(AnalyzerGeneratorTruth, DroppedSegmentsStayCloseAndAreReported) {
  std::string pcap = synth::temp_path("drop.pcap"), truth = synth::temp_path("drop.json");
  std::string cmd = std::string(GEARMAN_GEN_BIN) + " -q --jobs 3000 --seed 3 --drop 0.01 --out " + pcap +
                    " --truth " + truth;
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  std::ifstream in(truth);
  auto t = nlohmann::json::parse(in);
  gan::Analyzer a;
  ASSERT_TRUE(gan::read_captures({pcap}, a).ok);
  a.finish();
  double sent = t["jobs"]["total"].get<double>();
  EXPECT_NEAR(double(a.totals().jobs), sent, sent * 0.03);
  EXPECT_NEAR(double(a.totals().complete), t["jobs"]["complete"].get<double>(), sent * 0.03);
  bool gap = false;
  for (const auto& w : a.warnings()) {
    gap |= w.kind == "gap";
    EXPECT_NE(w.kind, "submit_pairing_mismatch");
  }
  EXPECT_TRUE(gap);
  std::remove(pcap.c_str());
  std::remove(truth.c_str());
}
