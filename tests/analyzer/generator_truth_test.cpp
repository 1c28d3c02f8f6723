// Against gearman-gen's truth: a synthetic capture with coalescing, batching, split, reordered and
// retransmitted segments, WORK_FAIL after WORK_EXCEPTION, stuck workers and admin connections.
// Counts must be equal; latency statistics within the histogram's documented 1 %. Then the wire
// orders of threaded servers and merged captures, and worker deaths, job by job.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

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

// ---------------------------------------------------------------------------------------------
// The wire orders threaded servers and merged captures make, and worker deaths (gearman-gen's
// --assign-before-created, --end-before-created, --result-before-end, --end-before-assign,
// --worker-deaths): every job as the generator's CSV says, to the microsecond; counts, the
// jobs of each order, re-assignments and each worker connection's lost jobs exactly; latency
// statistics within the histogram's 1/128.

namespace {

std::vector<std::string> split_csv(const std::string& line) {
  std::vector<std::string> f;
  std::stringstream ss(line);
  for (std::string x; std::getline(ss, x, ',');) f.push_back(x);
  if (!line.empty() && line.back() == ',') f.push_back("");
  return f;
}

struct OrderCase {
  const char* name;
  const char* options;
  std::vector<const char*> happened;  // the truth's counts ("reordering" or "jobs") that must not be 0
};
void PrintTo(const OrderCase& c, std::ostream* os) { *os << c.name << " (" << c.options << ")"; }

class AnalyzerGeneratorOrderings : public ::testing::TestWithParam<OrderCase> {};

TEST_P(AnalyzerGeneratorOrderings, EveryJobAsTheTruthSays) {
  const OrderCase& oc = GetParam();
  std::string tag = std::string("order-") + oc.name;
  std::string pcap = synth::temp_path(tag + ".pcap"), truth = synth::temp_path(tag + ".json"),
              csv = synth::temp_path(tag + ".csv");
  std::string cmd = std::string(GEARMAN_GEN_BIN) + " -q --jobs 3000 --seed 17 " + oc.options + " --out " + pcap +
                    " --truth " + truth + " --jobs-csv " + csv;
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  std::ifstream in(truth);
  auto t = nlohmann::json::parse(in);

  gan::Analyzer a;
  std::map<std::string, gan::JobRecord> jobs;
  a.set_job_sink([&jobs](const gan::JobRecord& r) { jobs[r.handle] = r; });
  auto r = gan::read_captures({pcap}, a);
  ASSERT_TRUE(r.ok) << r.error;
  a.finish();
  for (const auto& w : a.warnings()) EXPECT_EQ(w.kind, "late_terminal") << w.detail;

  // Whole capture
  const auto& tot = a.totals();
  const auto& tj = t["jobs"];
  EXPECT_EQ(tot.jobs, tj["total"].get<uint64_t>());
  EXPECT_EQ(tot.complete, tj["complete"].get<uint64_t>());
  EXPECT_EQ(tot.fail, tj["fail"].get<uint64_t>());
  EXPECT_EQ(tot.exception, tj["exception"].get<uint64_t>());
  EXPECT_EQ(tot.incomplete, tj["incomplete"].get<uint64_t>());
  EXPECT_EQ(tot.background, tj["background"].get<uint64_t>());
  EXPECT_EQ(tot.coalesced_submits, tj["coalesced_submits"].get<uint64_t>());
  EXPECT_EQ(tot.reassigned, tj["reassigned"].get<uint64_t>());
  EXPECT_EQ(tot.reordered, tj["reordered"].get<uint64_t>());
  EXPECT_EQ(tot.unknown_start, 0u);

  // Jobs of each order (the engine's Reorder bits; a terminal before the JOB_CREATED by frames)
  uint64_t abc = 0, ebc = 0, rbe = 0, eba = 0;
  for (const auto& [h, j] : jobs) {
    abc += (j.reordered & gearjobs::kAssignedBeforeCreated) != 0;
    eba += (j.reordered & gearjobs::kEndedBeforeAssigned) != 0;
    rbe += (j.reordered & gearjobs::kResultBeforeEnd) != 0;
    EXPECT_EQ(j.reordered & gearjobs::kResultBeforeSubmit, 0) << h;
    ebc += j.f_worker_done && j.f_worker_done < j.f_created;
  }
  const auto& ro = t["reordering"];
  for (const char* k : oc.happened) EXPECT_GT((ro.contains(k) ? ro[k] : tj[k]).get<uint64_t>(), 0u) << k;
  EXPECT_EQ(abc, ro["assign_before_created"].get<uint64_t>());
  EXPECT_EQ(ebc, ro["end_before_created"].get<uint64_t>());
  EXPECT_EQ(rbe, ro["result_before_end"].get<uint64_t>());
  EXPECT_EQ(eba, ro["end_before_assign"].get<uint64_t>());

  // Every job, to the microsecond (the capture's resolution)
  std::ifstream cin(csv);
  std::string line;
  ASSERT_TRUE(std::getline(cin, line));
  uint64_t rows = 0;
  while (std::getline(cin, line)) {
    auto f = split_csv(line);
    ASSERT_EQ(f.size(), 21u) << line;
    ++rows;
    SCOPED_TRACE(line);
    auto it = jobs.find(f[0]);
    ASSERT_NE(it, jobs.end());
    const gan::JobRecord& j = it->second;
    EXPECT_EQ(j.function, f[1]);
    EXPECT_STREQ(gan::outcome_name(j.outcome), f[5].c_str());
    EXPECT_EQ(j.submits, 1 + std::stoul(f[6]));
    EXPECT_EQ(j.assignments, std::stoul(f[17]));
    auto ns = [](const std::string& us) { return us.empty() ? gan::kNoTime : int64_t(std::stoll(us)) * 1000; };
    EXPECT_EQ(j.queue_ns(), ns(f[14]));
    EXPECT_EQ(j.run_ns(), ns(f[15]));
    EXPECT_EQ(j.total_ns(), ns(f[16]));
    EXPECT_EQ(j.t_assign_first, ns(f[18]));
    EXPECT_EQ(j.t_assign, ns(f[11]));
  }
  EXPECT_EQ(rows, jobs.size());

  // Functions
  std::map<std::string, const gan::FunctionStats*> mine;
  for (const auto& f : a.functions()) mine[f.name] = &f;
  for (const auto& f : t["functions"]) {
    std::string name = f["name"];
    SCOPED_TRACE(name);
    ASSERT_TRUE(mine.count(name));
    const gan::FunctionStats& m = *mine[name];
    for (auto [key, mv] : {std::pair{"jobs", m.jobs}, {"complete", m.complete}, {"fail", m.fail},
                           {"exception", m.exception}, {"incomplete", m.incomplete}, {"background", m.background},
                           {"coalesced_submits", m.coalesced}, {"reassigned", m.reassigned}, {"reordered", m.reordered}})
      EXPECT_EQ(mv, f[key].get<uint64_t>()) << key;
    const std::pair<const char*, const gan::LogHistogram*> lat[] = {
        {"queue_ms", &m.queue}, {"run_ms", &m.run}, {"total_ms", &m.total}};
    for (const auto& [key, h] : lat) {
      SCOPED_TRACE(key);
      const auto& tl = f[key];
      ASSERT_EQ(h->count(), tl["count"].get<uint64_t>());
      if (h->count() == 0) continue;
      auto within = [](double mine_ms, double truth_ms) { return std::fabs(mine_ms - truth_ms) <= truth_ms / 128 + 1e-9; };
      EXPECT_TRUE(within(h->percentile(0.5) / 1e6, tl["p50"])) << h->percentile(0.5) / 1e6 << " vs " << tl["p50"];
      EXPECT_TRUE(within(h->percentile(0.9) / 1e6, tl["p90"])) << h->percentile(0.9) / 1e6 << " vs " << tl["p90"];
      EXPECT_TRUE(within(h->percentile(0.99) / 1e6, tl["p99"])) << h->percentile(0.99) / 1e6 << " vs " << tl["p99"];
      EXPECT_NEAR(double(h->min()) / 1e6, tl["min"].get<double>(), 1e-9);  // exact in the histogram
      EXPECT_NEAR(double(h->max()) / 1e6, tl["max"].get<double>(), 1e-9);
      EXPECT_NEAR(h->mean() / 1e6, tl["mean"].get<double>(), 1e-6);
    }
  }

  // Worker connections: jobs ended, and jobs lost when the connection closed
  std::map<std::string, const gan::WorkerStats*> workers;
  for (const auto& w : a.workers())
    if (w.merged_into < 0) workers[w.address] = &w;
  ASSERT_EQ(workers.size(), t["workers"].size());
  for (const auto& w : t["workers"]) {
    std::string addr = w["address"];
    SCOPED_TRACE(addr);
    ASSERT_TRUE(workers.count(addr));
    const gan::WorkerStats& m = *workers[addr];
    EXPECT_EQ(m.jobs, w["jobs"].get<uint64_t>());
    EXPECT_EQ(m.complete, w["complete"].get<uint64_t>());
    EXPECT_EQ(m.fail, w["fail"].get<uint64_t>());
    EXPECT_EQ(m.exception, w["exception"].get<uint64_t>());
    EXPECT_EQ(m.lost, w["lost"].get<uint64_t>());
    EXPECT_EQ(m.open_job, 0u);  // every connection closes in the capture
  }
  for (const auto& p : {pcap, truth, csv}) std::remove(p.c_str());
}

// Each option alone (at about the shares gearmand 1.1.20 shows under load for the first two),
// then all of them with every other edge option of the generator.
const OrderCase kOrderCases[] = {
    {"AssignBeforeCreated", "--assign-before-created 0.05", {"assign_before_created"}},
    {"EndBeforeCreated", "--end-before-created 0.03", {"assign_before_created", "end_before_created"}},
    {"ResultBeforeEnd", "--result-before-end 0.1", {"result_before_end"}},
    {"EndBeforeAssign", "--end-before-assign 0.1", {"end_before_assign"}},
    {"WorkerDeaths", "--worker-deaths 8", {"reassigned"}},
    {"AllTogether",
     "--assign-before-created 0.05 --end-before-created 0.03 --result-before-end 0.1 --end-before-assign 0.1"
     " --worker-deaths 8 --coalesce 0.05 --batch 0.3 --split 0.2 --reorder 0.05 --loss 0.02"
     " --exception-then-fail 0.5 --stuck 2 --admin-every 300",
     {"assign_before_created", "end_before_created", "result_before_end", "end_before_assign", "reassigned",
      "incomplete", "coalesced_submits"}},
};
INSTANTIATE_TEST_SUITE_P(Options, AnalyzerGeneratorOrderings, ::testing::ValuesIn(kOrderCases),
                         [](const ::testing::TestParamInfo<OrderCase>& i) { return std::string(i.param.name); });

}  // namespace
