// Interval statistics (--interval, live capture): which interval each event belongs to, the open
// jobs at an interval's end, busy time, the late rule, and on every bundled capture that the
// intervals add up to the report.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <glob.h>
#include <nlohmann/json.hpp>
#include <sys/wait.h>

#include "analyzer.h"
#include "gearproto/encoder.h"
#include "intervals.h"
#include "open_work.h"
#include "synth.h"

using namespace gearproto;

namespace {

constexpr int64_t kMs = 1000000;
constexpr int64_t kS = 1000 * kMs;
constexpr int64_t kBase = 1700000000 * kS;  // intervals are aligned to the epoch

struct Fed {
  gan::Analyzer a;
  std::vector<gan::Interval> ivs;
  std::unique_ptr<gan::IntervalStats> st;
  gan::OpenWork open;
  Fed(const synth::Script& s, int64_t interval) {
    st = std::make_unique<gan::IntervalStats>(a, interval, [this](gan::Interval&& i) { ivs.push_back(std::move(i)); });
    a.set_observer(st.get());
    a.set_clock([this](int64_t t) { st->on_time(t); });
    int64_t first = 0;  // the script's SYNs carry no time: they get the first packet's
    for (const auto& g : s.segs) if (!first && g.ts_ns) first = g.ts_ns;
    synth::feed_segments(a, s.segs, first);
    st->end_of_capture();
    open = gan::collect_open_work(a, a.totals().last_ns, 10, true);
    a.finish();
    st->flush();
  }
  const gan::IntervalFunction* fn(size_t i, const std::string& name) const {
    if (i >= ivs.size()) return nullptr;
    for (const auto& f : ivs[i].functions) if (f.name == name) return &f;
    return nullptr;
  }
};

}  // namespace

// The open jobs at an interval's end come from the engine's gauges, which it keeps only when
// asked (gearman-analyze asks when it reports intervals): without them, no IntervalStats.
TEST(AnalyzerIntervals, NeedTheEnginesGauges) {
  gan::Options o;
  o.gauges = false;
  gan::Analyzer a(o);
  EXPECT_THROW(gan::IntervalStats(a, kS, [](gan::Interval&&) {}), std::logic_error);
  gan::Analyzer b;
  EXPECT_NO_THROW(gan::IntervalStats(b, kS, [](gan::Interval&&) {}));
}

// Job 1 runs from 0.5 s to 1.9 s; job 2 is submitted at 1.2 s and never assigned. Intervals of 1 s.
TEST(AnalyzerIntervals, EventsLandInTheIntervalOfTheirCaptureTime) {
  synth::Script s;
  int wk = s.connect("10.0.0.3", 40001);
  int cl = s.connect("10.0.0.2", 40000);
  s.send(wk, true, make_request(SET_CLIENT_ID, {"w1"}), kBase + 100 * kMs);
  s.send(wk, true, make_request(CAN_DO, {"f"}), kBase + 100 * kMs);
  s.send(cl, true, make_request(SUBMIT_JOB, {"f", "u1", "p"}), kBase + 200 * kMs);
  s.send(cl, false, make_response(JOB_CREATED, {"H:x:1"}), kBase + 210 * kMs);
  s.send(wk, false, make_response(JOB_ASSIGN_UNIQ, {"H:x:1", "f", "u1", "p"}), kBase + 500 * kMs);
  s.send(cl, true, make_request(SUBMIT_JOB_BG, {"g", "u2", "p"}), kBase + 1200 * kMs);
  s.send(cl, false, make_response(JOB_CREATED, {"H:x:2"}), kBase + 1210 * kMs);
  s.send(wk, true, make_request(WORK_COMPLETE, {"H:x:1", "r"}), kBase + 1900 * kMs);
  s.send(cl, false, make_response(WORK_COMPLETE, {"H:x:1", "r"}), kBase + 1950 * kMs);
  s.send(wk, true, make_request(PRE_SLEEP, {}), kBase + 2500 * kMs);
  s.send(wk, true, make_request(PRE_SLEEP, {}), kBase + 3500 * kMs);
  Fed r(s, kS);
  ASSERT_EQ(r.ivs.size(), 4u);
  for (size_t i = 0; i < r.ivs.size(); ++i) {
    EXPECT_EQ(r.ivs[i].start, kBase + int64_t(i) * kS);
    EXPECT_EQ(r.ivs[i].end, kBase + int64_t(i + 1) * kS);
  }
  // [0, 1): job 1 submitted, running at the end; w1 busy from 0.5 s.
  const gan::IntervalFunction* f0 = r.fn(0, "f");
  ASSERT_TRUE(f0);
  EXPECT_EQ(f0->submitted, 1u);
  EXPECT_EQ(f0->complete, 0u);
  EXPECT_EQ(f0->in_flight, 1u);
  EXPECT_EQ(f0->queued, 0u);
  ASSERT_EQ(r.ivs[0].workers.size(), 1u);
  EXPECT_EQ(r.ivs[0].workers[0].name, "w1");
  EXPECT_EQ(r.ivs[0].workers[0].busy_ns, 500 * kMs);
  ASSERT_TRUE(r.ivs[0].oldest_running.valid);
  EXPECT_EQ(r.ivs[0].oldest_running.handle, "H:x:1");
  EXPECT_EQ(r.ivs[0].oldest_running.age_ns, 500 * kMs);
  EXPECT_FALSE(r.ivs[0].oldest_queued.valid);
  // [1, 2): job 1 finished here (its end at the worker, 1.9 s), though the engine closed it at
  // ~2.95 s; job 2 submitted and queued at the end.
  const gan::IntervalFunction* f1 = r.fn(1, "f");
  ASSERT_TRUE(f1);
  EXPECT_EQ(f1->submitted, 0u);
  EXPECT_EQ(f1->complete, 1u);
  EXPECT_EQ(f1->late, 0u);
  EXPECT_EQ(f1->in_flight, 0u);
  EXPECT_EQ(f1->run.count, 1u);
  EXPECT_NEAR(f1->run.max, 1400.0, 1e-9);
  EXPECT_NEAR(f1->total.max, 1750.0, 1e-9);
  const gan::IntervalFunction* g1 = r.fn(1, "g");
  ASSERT_TRUE(g1);
  EXPECT_EQ(g1->submitted, 1u);
  EXPECT_EQ(g1->in_flight, 1u);
  EXPECT_EQ(g1->queued, 1u);
  EXPECT_EQ(r.ivs[1].workers[0].busy_ns, 900 * kMs);
  ASSERT_TRUE(r.ivs[1].oldest_queued.valid);
  EXPECT_EQ(r.ivs[1].oldest_queued.handle, "H:x:2");
  EXPECT_EQ(r.ivs[1].oldest_queued.age_ns, 790 * kMs);
  // [2, 3): only job 2, still queued; f is gone (nothing happened, nothing open).
  EXPECT_EQ(r.fn(2, "f"), nullptr);
  ASSERT_TRUE(r.fn(2, "g"));
  EXPECT_EQ(r.fn(2, "g")->queued, 1u);
  EXPECT_EQ(r.ivs[2].workers[0].busy_ns, 0);
  // [3, 4): the capture ends; job 2 is open at its end and closed incomplete in it.
  ASSERT_TRUE(r.fn(3, "g"));
  EXPECT_EQ(r.fn(3, "g")->queued, 1u);
  EXPECT_EQ(r.fn(3, "g")->incomplete, 1u);
  // The open work at the end: job 2, queued and never assigned, 2.29 s old.
  EXPECT_EQ(r.open.queued, 1u);
  EXPECT_EQ(r.open.never_assigned, 1u);
  ASSERT_EQ(r.open.oldest.size(), 1u);
  EXPECT_EQ(r.open.oldest[0].handle, "H:x:2");
  EXPECT_EQ(r.open.oldest[0].age_ns, 2290 * kMs);
  ASSERT_EQ(r.open.workers.size(), 1u);
  EXPECT_EQ(r.open.workers[0].last_seen, kBase + 3500 * kMs);
}

// A job whose client result never comes waits expect_ns (10 s) before it closes: by then its
// interval was written, so it is counted, as late, in the first interval not yet written.
TEST(AnalyzerIntervals, AJobClosingAfterItsIntervalWasWrittenIsCountedLate) {
  synth::Script s;
  int wk = s.connect("10.0.0.3", 40001);
  int cl = s.connect("10.0.0.2", 40000);
  s.send(wk, true, make_request(CAN_DO, {"f"}), kBase + 100 * kMs);
  s.send(cl, true, make_request(SUBMIT_JOB, {"f", "u1", "p"}), kBase + 200 * kMs);
  s.send(cl, false, make_response(JOB_CREATED, {"H:x:1"}), kBase + 210 * kMs);
  s.send(wk, false, make_response(JOB_ASSIGN_UNIQ, {"H:x:1", "f", "u1", "p"}), kBase + 300 * kMs);
  s.send(wk, true, make_request(WORK_COMPLETE, {"H:x:1", "r"}), kBase + 700 * kMs);
  for (int t = 1; t <= 14; ++t) s.send(wk, true, make_request(PRE_SLEEP, {}), kBase + t * kS + 500 * kMs);
  Fed r(s, kS);
  uint64_t complete = 0, late = 0;
  size_t where = 0;
  for (size_t i = 0; i < r.ivs.size(); ++i)
    if (const gan::IntervalFunction* f = r.fn(i, "f")) {
      complete += f->complete;
      late += f->late;
      if (f->complete) where = i;
    }
  EXPECT_EQ(complete, 1u);
  EXPECT_EQ(late, 1u);
  EXPECT_GE(where, 10u);  // closed at 10.7 s
  EXPECT_EQ(r.a.totals().complete, 1u);
}

// A clock that jumps far ahead does not make millions of empty intervals.
TEST(AnalyzerIntervals, AClockJumpSkipsTheEmptyIntervals) {
  synth::Script s;
  int cl = s.connect("10.0.0.2", 40000);
  s.send(cl, true, make_request(ECHO_REQ, {"x"}), kBase);
  s.send(cl, true, make_request(ECHO_REQ, {"x"}), kBase + 400000 * kS);
  Fed r(s, 1 * kMs);
  EXPECT_LT(r.ivs.size(), 200000u);
  EXPECT_EQ(r.ivs.back().start, kBase + 400000 * kS);
}

namespace {
std::string run_cli(const std::string& args) {
  std::string out;
  FILE* p = popen((std::string(GEARMAN_ANALYZE_BIN) + " " + args + " 2>/dev/null").c_str(), "r");
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  pclose(p);
  return out;
}
}  // namespace

// Every bundled capture, with intervals of 0.1 s (the shortest) and 1 s: per function the intervals'
// outcomes add up to the report's, and per worker their busy time to the report's.
TEST(AnalyzerIntervals, IntervalsAddUpToTheReportOnEveryCapture) {
  glob_t g;
  ASSERT_EQ(glob((std::string(GEARWIRE_CAPTURES_DIR) + "/*.pcap").c_str(), 0, nullptr, &g), 0);
  for (size_t c = 0; c < g.gl_pathc; ++c) {
    const std::string cap = g.gl_pathv[c];
    for (const char* iv : {"0.1", "1"}) {
      SCOPED_TRACE(cap + " --interval " + iv);
      auto j = nlohmann::json::parse(run_cli("--format json -p 7003 --interval " + std::string(iv) + " " + cap));
      ASSERT_TRUE(j.contains("intervals"));
      ASSERT_TRUE(j.contains("open_at_end"));
      std::map<std::string, std::map<std::string, uint64_t>> sums;
      std::map<std::string, double> busy;
      std::string prev_end;
      uint64_t submitted = 0;
      for (const auto& i : j["intervals"]) {
        EXPECT_EQ(i["type"], "interval");
        if (!prev_end.empty()) {
          EXPECT_EQ(i["start"], prev_end);
        }
        prev_end = i["end"];
        for (const auto& f : i["functions"]) {
          for (const char* k : {"complete", "fail", "exception", "incomplete", "background"})
            sums[f["name"]][k] += f[k].get<uint64_t>();
          submitted += f["submitted"].get<uint64_t>();
        }
        for (const auto& w : i["workers"]) busy[w["name"]] += w["busy_ms"].get<double>();
      }
      uint64_t submits = 0;
      for (const auto& f : j["functions"]) {
        for (const char* k : {"complete", "fail", "exception", "incomplete", "background"})
          EXPECT_EQ(sums[f["name"]][k], f[k].get<uint64_t>()) << f["name"] << " " << k;
        submits += f["submits"].get<uint64_t>();
      }
      // Submits seen: those answered with a job (the report's submits), refused, never answered.
      EXPECT_GE(submitted, submits);
      for (const auto& w : j["workers"])
        if (w["lost"] == 0 && w["open_jobs"] == 0) {
          EXPECT_NEAR(busy[w["name"]], w["busy_ms"].get<double>(), 0.001 * double(j["intervals"].size() + 1)) << w["name"];
        }
    }
  }
  globfree(&g);
}

TEST(AnalyzerIntervals, CsvAndTextCarryTheIntervals) {
  const std::string cap = std::string(GEARWIRE_CAPTURES_DIR) + "/basic-cli.pcap";
  const std::string csv = run_cli("--format csv --interval 1 " + cap);
  EXPECT_EQ(csv.rfind("function,jobs,complete,", 0), 0u);
  const std::string header = csv.substr(0, csv.find('\n'));
  EXPECT_NE(header.find(",interval_start,interval_end,submitted,in_flight,queued,late"), std::string::npos);
  // An interval row, then the whole-capture rows with the interval columns empty.
  EXPECT_NE(csv.find("cli_echo,5,5,0,0,0,3,"), std::string::npos);
  EXPECT_NE(csv.find(",,,,,,\n"), std::string::npos);
  const size_t fields = size_t(std::count(header.begin(), header.end(), ',')) + 1;
  size_t pos = 0;
  while (pos < csv.size()) {
    size_t nl = csv.find('\n', pos);
    std::string line = csv.substr(pos, nl - pos);
    EXPECT_EQ(size_t(std::count(line.begin(), line.end(), ',')) + 1, fields) << line;
    pos = nl + 1;
  }
  // Without --interval, the CSV is as it was.
  const std::string plain = run_cli("--format csv " + cap);
  EXPECT_EQ(plain.find("interval_start"), std::string::npos);
  const std::string text = run_cli("--interval 1 " + cap);
  EXPECT_EQ(run_cli("--interval 0.05 " + cap), "");  // too short: a usage error
  EXPECT_NE(text.find("intervals of 1 s"), std::string::npos);
  EXPECT_NE(text.find("open at the end of the capture"), std::string::npos);
}
