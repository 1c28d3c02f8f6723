// The command line: exit codes, formats, --jobs.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <sys/wait.h>
#include <unistd.h>

#include "pcap_streams.h"

namespace {
// Per process: ctest -j runs these tests at the same time, and other checkouts may too.
std::string scratch(const char* name) {
  return "/tmp/gearman-analyze-cli-" + std::to_string(getpid()) + "-" + name;
}
// Removes this process's scratch files when the test binary exits.
struct ScratchCleanup {
  ~ScratchCleanup() {
    std::remove(scratch("stderr").c_str());
    std::remove(scratch("jobs.jsonl").c_str());
  }
} scratch_cleanup;
struct Out { int rc; std::string out; };
Out run(const std::string& args) {
  std::string cmd = std::string(GEARMAN_ANALYZE_BIN) + " " + args + " 2>" + scratch("stderr");
  FILE* p = popen(cmd.c_str(), "r");
  Out o{-1, ""};
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) o.out.append(buf.data(), n);
  int st = pclose(p);
  o.rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return o;
}
std::string stderr_text() {
  std::ifstream in(scratch("stderr"));
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}
}  // namespace

TEST(AnalyzerCli, HelpVersionAndUsage) {
  EXPECT_EQ(run("--help").rc, 0);
  Out v = run("--version");
  EXPECT_EQ(v.rc, 0);
  EXPECT_NE(v.out.find("gearman-analyze"), std::string::npos);
  EXPECT_EQ(run("").rc, 2);
  EXPECT_EQ(run("--format xml x.pcap").rc, 2);
}

TEST(AnalyzerCli, UnreadableInputIsExitOneWithOneLine) {
  Out o = run("/nonexistent/file.pcap");
  EXPECT_EQ(o.rc, 1);
  std::string e = stderr_text();
  EXPECT_NE(e.find("/nonexistent/file.pcap"), std::string::npos);
  EXPECT_EQ(std::count(e.begin(), e.end(), '\n'), 1);
}

TEST(AnalyzerCli, JsonContractAndJobsFile) {
  std::string cap = testsupport::capture_path("basic-cli.pcap");
  Out o = run("--format json --jobs " + scratch("jobs.jsonl") + " " + cap);
  ASSERT_EQ(o.rc, 0);
  auto j = nlohmann::json::parse(o.out);
  for (const char* k : {"total", "complete", "fail", "exception", "incomplete", "background"})
    EXPECT_TRUE(j["jobs"].contains(k)) << k;
  EXPECT_TRUE(j["packets"].contains("gearman"));
  EXPECT_TRUE(j["packets"].contains("admin_commands"));
  for (const char* k : {"functions", "workers", "servers", "warnings"}) EXPECT_TRUE(j[k].is_array()) << k;
  ASSERT_FALSE(j["functions"].empty());
  for (const char* k : {"queue_ms", "run_ms", "total_ms"})
    for (const char* s : {"count", "min", "p50", "p90", "p99", "max", "mean"})
      EXPECT_TRUE(j["functions"][0][k].contains(s)) << k << "." << s;
  std::ifstream in(scratch("jobs.jsonl"));
  std::string line;
  size_t n = 0;
  while (std::getline(in, line)) { auto r = nlohmann::json::parse(line); EXPECT_TRUE(r.contains("t_submit")); ++n; }
  EXPECT_EQ(n, j["jobs"]["total"].get<size_t>());
}

TEST(AnalyzerCli, TextAndCsvAndStdin) {
  std::string cap = testsupport::capture_path("basic-cli.pcap");
  Out t = run(cap);
  EXPECT_EQ(t.rc, 0);
  EXPECT_NE(t.out.find("cli_echo"), std::string::npos);
  Out c = run("--format csv - < " + cap);
  EXPECT_EQ(c.rc, 0);
  EXPECT_EQ(c.out.rfind("function,jobs,", 0), 0u);
  EXPECT_NE(c.out.find("cli_echo,5,"), std::string::npos);
}

// --max-open-jobs: with room for one open job, the background jobs of the admin capture push each
// other out, and the report says so; a bad value is a usage error.
TEST(AnalyzerCli, MaxOpenJobsIsHonouredAndReported) {
  std::string cap = testsupport::capture_path("admin.pcap");
  Out capped = run("--format json --max-open-jobs 1 " + cap);
  ASSERT_EQ(capped.rc, 0);
  auto j = nlohmann::json::parse(capped.out);
  uint64_t evicted = 0;
  for (const auto& w : j["warnings"])
    if (w["kind"] == "open_jobs_cap") evicted = w["count"].get<uint64_t>();
  EXPECT_GT(evicted, 0u) << capped.out;
  auto unlimited = nlohmann::json::parse(run("--format json --max-open-jobs 0 " + cap).out);
  for (const auto& w : unlimited["warnings"]) EXPECT_NE(w["kind"], "open_jobs_cap");
  EXPECT_EQ(j["jobs"]["total"], unlimited["jobs"]["total"]) << "evicted jobs are still reported, as incomplete";
  EXPECT_EQ(run("--max-open-jobs lots " + cap).rc, 2);
}
