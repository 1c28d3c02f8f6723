// --threads 2 (the job engine on a second thread, handoff.h) writes exactly what --threads 1
// writes: the report in every format and the --jobs records in the same order, on every bundled
// capture and on generated ones that exercise the hand-over's edges (connections forgotten and
// their slots reused, messages too large to copy, the open-jobs cap, gaps and reordering).
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

#include "analyzer.h"
#include "gearproto/encoder.h"
#include "pcap_streams.h"
#include "report.h"
#include "synth.h"

namespace {

std::string scratch(const std::string& name) {
  return "/tmp/gearman-analyze-threads-" + std::to_string(getpid()) + "-" + name;
}
std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}
// stdout, stderr and the --jobs file of one run.
struct Run {
  int rc = -1;
  std::string out, err, jobs;
};
Run analyze(const std::string& args, unsigned threads, const std::string& jobs_ext) {
  const std::string tag = std::to_string(threads);
  const std::string jobs = scratch("jobs-" + tag + jobs_ext), err = scratch("err-" + tag);
  std::string cmd = std::string(GEARMAN_ANALYZE_BIN) + " --no-progress --threads " + tag + " --jobs " + jobs + " " +
                    args + " 2>" + err;
  Run r;
  FILE* p = popen(cmd.c_str(), "r");
  std::array<char, 65536> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  int st = pclose(p);
  r.rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  r.err = slurp(err);
  r.jobs = slurp(jobs);
  std::remove(jobs.c_str());
  std::remove(err.c_str());
  return r;
}
// "" when equal, else where they first differ (the outputs are too long to print whole).
std::string difference(const std::string& one, const std::string& two) {
  if (one == two) return "";
  size_t i = 0;
  while (i < one.size() && i < two.size() && one[i] == two[i]) ++i;
  const size_t from = i < 80 ? 0 : i - 80;
  return "first difference at byte " + std::to_string(i) + " of " + std::to_string(one.size()) + "/" +
         std::to_string(two.size()) + ":\n  one thread:  ..." + one.substr(from, 160) + "\n  two threads: ..." +
         two.substr(from, 160);
}
// Every format, both job record formats: one thread and two give the same bytes.
void expect_same(const std::string& input, const std::string& extra = "") {
  const std::pair<const char*, const char*> runs[] = {
      {"--format text", ".csv"}, {"--format json", ".jsonl"}, {"--format csv --top 3", ".csv"}};
  for (const auto& [fmt, ext] : runs) {
    const std::string args = std::string(fmt) + " " + extra + " " + input;
    Run one = analyze(args, 1, ext), two = analyze(args, 2, ext);
    ASSERT_EQ(one.rc, 0) << args << ": " << one.err;
    EXPECT_EQ(two.rc, one.rc) << args;
    EXPECT_FALSE(one.out.empty()) << args;
    EXPECT_EQ(difference(one.out, two.out), "") << args << ": the report";
    EXPECT_EQ(difference(one.err, two.err), "") << args << ": stderr";
    EXPECT_EQ(difference(one.jobs, two.jobs), "") << args << ": the --jobs records";
  }
}

// A gearman-gen capture, removed when the test ends.
struct Generated {
  std::string pcap, truth;
  Generated(const std::string& name, const std::string& options)
      : pcap(synth::temp_path(name + ".pcap")), truth(synth::temp_path(name + ".json")) {
    const std::string cmd = std::string(GEARMAN_GEN_BIN) + " -q " + options + " --out " + pcap + " --truth " + truth;
    EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
  }
  ~Generated() {
    std::remove(pcap.c_str());
    std::remove(truth.c_str());
  }
};

}  // namespace

TEST(AnalyzerThreads, BundledCapturesGiveTheSameOutput) {
  const char* captures[] = {"admin.pcap", "basic-cli.pcap", "errors.pcap", "large-arg.pcap",
                            "libgearman-full.pcap", "nodejs-abraxas-server.pcap",
                            "nodejs-abraxas-server-dies.pcap", "nodejs-gearman.pcap", "nodejs-gearmanode.pcap",
                            "nodejs-node-gearman.pcap", "nonstandard-port.pcap", "perl-coalesce.pcap",
                            "perl-empty-perlserver.pcap", "perl-empty.pcap", "perl-server.pcap", "php.pcap"};
  for (const char* c : captures) expect_same(testsupport::capture_path(c));
  // Several files as one capture, and stdin.
  expect_same(testsupport::capture_path("basic-cli.pcap") + " " + testsupport::capture_path("errors.pcap"));
  expect_same("- < " + testsupport::capture_path("libgearman-full.pcap"));
}

// Many batches through the ring, with every oddity the generator makes.
TEST(AnalyzerThreads, GeneratedCaptureGivesTheSameOutput) {
  const Generated g("threads-gen", "--jobs 20000 --seed 11 --clients 40 --workers 48 --coalesce 0.05 --batch 0.2 "
                              "--split 0.2 --reorder 0.05 --loss 0.02 --drop 0.002 --exception-then-fail 0.5 "
                              "--stuck 2 --admin-every 200 --status 0.2 --data 0.2");
  expect_same(g.pcap);
  // Connections dropped at the cap (their slots reused) and jobs closed early at the open-jobs cap.
  expect_same(g.pcap, "--max-connections 30 --max-open-jobs 200");
  // Intervals run on the job stage's thread: the frames' clock crosses over with the events.
  expect_same(g.pcap, "--interval 0.1");
}

// Messages larger than a batch copies are handed over on the reading thread, in their place.
TEST(AnalyzerThreads, LargeMessagesKeepTheirPlace) {
  const Generated g("threads-large", "--jobs 3000 --seed 5 --functions 'big:w=1:payload=300000:result=90000;small:w=4'");
  expect_same(g.pcap);
}

// The HTML page is drawn from intervals kept on the job stage's thread (automatic bins, widened
// as the capture grows): the same page either way.
TEST(AnalyzerThreads, HtmlPageIsTheSame) {
  const Generated g("threads-html", "--jobs 20000 --seed 11 --clients 40 --workers 48 --coalesce 0.05 "
                                    "--reorder 0.05 --loss 0.02 --stuck 2");
  std::string page[2];
  for (unsigned t = 1; t <= 2; ++t) {
    const std::string html = scratch("page-" + std::to_string(t) + ".html");
    const ::Run r = analyze("-q --html " + html + " " + g.pcap, t, ".csv");
    ASSERT_EQ(r.rc, 0) << r.err;
    page[t - 1] = slurp(html);
    std::remove(html.c_str());
  }
  ASSERT_GT(page[0].size(), 10000u);
  EXPECT_EQ(difference(page[0], page[1]), "");
}

// With two threads either side splits a PDU's arguments (handoff.h: the one that is ahead). Each
// way, and both mixed in one run, give what one thread gives, malformed arguments included
// (counted by the stage whoever split them).
TEST(AnalyzerThreads, ArgumentsSplitOnEitherSideGiveTheSameResults) {
  using namespace gearproto;
  using Split = gan::Options::SplitArgs;
  synth::Script s;
  const int cl = s.connect("10.0.0.2", 40000), wk = s.connect("10.0.0.3", 40001);
  const int64_t kMs = 1000000;
  int64_t t = 1000 * kMs;
  s.send(wk, true, make_request(CAN_DO, {"f"}), t);
  size_t malformed = 0;
  for (int i = 0; i < 30000; ++i) {  // ~45 batches of records
    const std::string h = "H:x:" + std::to_string(i + 1), u = "u" + std::to_string(i);
    s.send(cl, true, make_request(SUBMIT_JOB, {"f", u, "payload"}), t += kMs / 10);
    s.send(cl, false, make_response(JOB_CREATED, {h}), t += kMs / 10);
    s.send(wk, false, make_response(JOB_ASSIGN, {h, "f", "payload"}), t += kMs / 10);
    s.send(wk, true, make_request(WORK_COMPLETE, {h, "result"}), t += kMs / 10);
    s.send(cl, false, make_response(WORK_COMPLETE, {h, "result"}), t += kMs / 10);
    if (i % 500 == 0) {  // a submit without its separators, a status without its handle
      s.send(cl, true, make_request(SUBMIT_JOB, {"f"}), t += kMs / 10);
      s.send(wk, true, make_request(WORK_STATUS, {"", "1", "2"}), t += kMs / 10);
      malformed += 2;
    }
  }
  auto run = [&](unsigned threads, Split split) {
    gan::Options o;
    o.threads = threads;
    o.split_args = split;
    gan::Analyzer a(o);
    std::string jobs;
    a.set_job_sink([&jobs](const gan::JobRecord& r) { jobs += r.handle + "," + std::to_string(r.t_client_done) + ";"; });
    synth::feed(a, s.segs);
    uint64_t warned = 0;
    for (const auto& w : a.warnings())
      if (w.kind == "malformed_arguments") warned += w.count;
    EXPECT_EQ(warned, malformed) << "threads " << threads << ", split " << int(split);
    return gan::json_report(a, gan::ReportInfo{{"script"}, "test"}) + jobs;
  };
  const std::string one = run(1, Split::Adaptive);
  EXPECT_NE(one.find("\"malformed_arguments\""), std::string::npos);
  for (Split split : {Split::Reader, Split::Stage, Split::Alternate, Split::Adaptive})
    EXPECT_EQ(difference(one, run(2, split)), "") << "split " << int(split);
}
