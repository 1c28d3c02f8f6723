// The command line: exit codes, formats, --jobs.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <sys/wait.h>
#include <unistd.h>

#include <zlib.h>
#include <zstd.h>

#include "pcap_streams.h"
#include "synth.h"

namespace {
// Per process: ctest -j runs these tests at the same time, and other checkouts may too.
std::string scratch(const char* name) {
  return "/tmp/gearman-analyze-cli-" + std::to_string(getpid()) + "-" + name;
}
// Removes this process's scratch files when the test binary exits.
struct ScratchCleanup {
  ~ScratchCleanup() {
    for (const char* f : {"stderr", "jobs.jsonl", "c.pcap.gz", "c.pcapng.gz", "c.pcap.zst", "cut.pcap.gz", "x.pcap.xz"})
      std::remove(scratch(f).c_str());
  }
} scratch_cleanup;
std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}
void write_bytes(const std::string& path, const std::string& b) {
  std::ofstream(path, std::ios::binary) << b;
}
std::string gzip(const std::string& raw) {
  z_stream z{};
  EXPECT_EQ(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&z, uLong(raw.size())), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(raw.data()));
  z.avail_in = uInt(raw.size());
  z.next_out = reinterpret_cast<Bytef*>(&out[0]);
  z.avail_out = uInt(out.size());
  EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}
std::string zstd(const std::string& raw) {
  std::string out(ZSTD_compressBound(raw.size()), '\0');
  size_t n = ZSTD_compress(&out[0], out.size(), raw.data(), raw.size(), 3);
  EXPECT_FALSE(ZSTD_isError(n));
  out.resize(n);
  return out;
}
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
  for (const char* flag : {"--version", "-v"}) {  // -v as in tshark
    Out v = run(flag);
    EXPECT_EQ(v.rc, 0) << flag;
    EXPECT_EQ(v.out, "gearman-analyze " GEARMAN_ANALYZE_VERSION "\n") << flag;
  }
  EXPECT_EQ(run("").rc, 2);
  EXPECT_EQ(run("--format xml x.pcap").rc, 2);
}

// Every message, CLI11's own included, starts with the program's name; usage errors exit 2
// with nothing on stdout. -V (tshark: verbose) is not a version flag.
TEST(AnalyzerCli, UsageErrorsStartWithTheProgramName) {
  std::string cap = testsupport::capture_path("basic-cli.pcap");
  for (std::string args : {std::string("--bogus ") + cap, std::string("-V ") + cap, std::string(""),
                           std::string("--format xml ") + cap, std::string("--top"), std::string("- -"),
                           std::string("--jobs-format xml --jobs x ") + cap}) {
    Out o = run(args);
    EXPECT_EQ(o.rc, 2) << args;
    EXPECT_EQ(o.out, "") << args;
    EXPECT_EQ(stderr_text().rfind("gearman-analyze: ", 0), 0u) << args << ": " << stderr_text();
  }
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

// -r FILE as in tshark: the same as naming the file, repeatable, in command-line order with the
// positional files.
TEST(AnalyzerCli, ReadFileOptionLikeTshark) {
  std::string a = testsupport::capture_path("basic-cli.pcap"), b = testsupport::capture_path("errors.pcap");
  Out plain = run("--format json " + a + " " + b);
  Out with_r = run("--format json -r " + a + " " + b);
  Out both_r = run("--format json -r " + a + " --read-file " + b);
  ASSERT_EQ(plain.rc, 0);
  ASSERT_EQ(with_r.rc, 0) << stderr_text();
  ASSERT_EQ(both_r.rc, 0);
  auto jp = nlohmann::json::parse(plain.out), jr = nlohmann::json::parse(with_r.out),
       jb = nlohmann::json::parse(both_r.out);
  EXPECT_EQ(jr["capture"]["files"], jp["capture"]["files"]);
  EXPECT_EQ(jb["capture"]["files"], jp["capture"]["files"]);
  EXPECT_EQ(jr["jobs"], jp["jobs"]);
  auto reversed = nlohmann::json::parse(run("--format json " + b + " -r " + a).out);
  EXPECT_EQ(reversed["capture"]["files"], nlohmann::json::array({b, a}));
}

// gzip and zstd captures are read as what they hold, recognised by their first bytes (not the
// name), from files and from stdin; the report is byte for byte the plain file's.
TEST(AnalyzerCli, CompressedCapturesReadAsTheirContents) {
  std::string cap = testsupport::capture_path("perl-coalesce.pcap");
  std::string raw = file_bytes(cap);
  ASSERT_GT(raw.size(), 1000u);
  write_bytes(scratch("c.pcap.gz"), gzip(raw));
  write_bytes(scratch("c.pcap.zst"), zstd(raw));
  Out want = run("--format csv " + cap);
  ASSERT_EQ(want.rc, 0);
  for (const char* f : {"c.pcap.gz", "c.pcap.zst"}) {
    Out o = run("--format csv " + scratch(f));
    EXPECT_EQ(o.rc, 0) << f << ": " << stderr_text();
    EXPECT_EQ(o.out, want.out) << f;
    Out in = run("--format csv - < " + scratch(f));
    EXPECT_EQ(in.rc, 0) << f << " on stdin: " << stderr_text();
    EXPECT_EQ(in.out, want.out) << f << " on stdin";
  }
  // pcapng inside gzip, under a name that says nothing.
  std::string ng = synth::temp_path("cli.pcapng");
  synth::write_pcapng(ng, synth::from_capture(testsupport::capture_path("basic-cli.pcap")), synth::Link::Ethernet);
  Out plain_ng = run("--format csv " + ng);
  ASSERT_EQ(plain_ng.rc, 0);
  write_bytes(scratch("c.pcapng.gz"), gzip(file_bytes(ng)));
  std::remove(ng.c_str());
  Out o = run("--format csv " + scratch("c.pcapng.gz"));
  ASSERT_EQ(o.rc, 0) << stderr_text();
  EXPECT_EQ(o.out, plain_ng.out);
  EXPECT_NE(o.out.find("cli_echo,5,"), std::string::npos);
}

// A gzip file cut off is what libpcap calls a truncated capture: the report covers what was
// read, with a warning that names the file and the reason. xz is recognised and refused with
// a way to read it.
TEST(AnalyzerCli, DamagedOrUnreadCompressionIsNamed) {
  std::string raw = file_bytes(testsupport::capture_path("large-arg.pcap"));
  std::string gz = gzip(raw);
  write_bytes(scratch("cut.pcap.gz"), gz.substr(0, gz.size() / 2));
  Out o = run("--format json " + scratch("cut.pcap.gz"));
  ASSERT_EQ(o.rc, 0) << stderr_text();
  auto j = nlohmann::json::parse(o.out);
  std::string detail;
  for (const auto& w : j["warnings"])
    if (w["kind"] == "capture_read_error") detail = w["detail"];
  EXPECT_NE(detail.find("cut.pcap.gz: gzip: the compressed data is cut off"), std::string::npos) << detail;
  EXPECT_GT(j["packets"]["frames"].get<int>(), 0);

  write_bytes(scratch("x.pcap.xz"), std::string("\xfd" "7zXZ\0\0\0", 8));
  Out x = run(scratch("x.pcap.xz"));
  EXPECT_EQ(x.rc, 1);
  EXPECT_NE(stderr_text().find("xz-compressed"), std::string::npos) << stderr_text();
}

// --jobs -: the records are stdout, alone; the report goes to stderr (-q: no report).
TEST(AnalyzerCli, JobsToStdoutMovesTheReportToStderr) {
  std::string cap = testsupport::capture_path("basic-cli.pcap");
  Out o = run("--jobs - --format json " + cap);
  ASSERT_EQ(o.rc, 0);
  std::istringstream lines(o.out);
  std::string line;
  size_t n = 0;
  std::getline(lines, line);
  EXPECT_EQ(line.rfind("server,handle,function,", 0), 0u) << line;
  const auto columns = std::count(line.begin(), line.end(), ',');
  EXPECT_GE(columns, 26) << "columns are only ever appended";
  while (std::getline(lines, line)) {
    EXPECT_EQ(std::count(line.begin(), line.end(), ','), columns) << line;
    ++n;
  }
  auto report = nlohmann::json::parse(stderr_text());
  EXPECT_EQ(n, report["jobs"]["total"].get<size_t>());

  Out q = run("--jobs - --jobs-format jsonl -q " + cap);
  ASSERT_EQ(q.rc, 0);
  EXPECT_EQ(stderr_text(), "");
  std::istringstream jl(q.out);
  size_t m = 0;
  while (std::getline(jl, line)) { EXPECT_TRUE(nlohmann::json::parse(line).contains("handle")); ++m; }
  EXPECT_EQ(m, n);
}

// A write that fails (a full disk, a closed stdout) is an error: a message naming where, exit 2.
TEST(AnalyzerCli, WriteErrorsAreExitTwoWithAMessage) {
  std::string cap = testsupport::capture_path("libgearman-full.pcap");
  struct Case { std::string args, says; };
  for (const Case& c : {Case{cap + " > /dev/full", "writing the report to stdout: No space left on device"},
                        Case{"--format json " + cap + " > /dev/full", "writing the report to stdout: No space"},
                        Case{"--jobs /dev/full " + cap, "writing /dev/full: No space left on device"},
                        Case{"--jobs - " + cap + " > /dev/full", "writing the job records to stdout: No space"},
                        Case{cap + " >&-", "writing the report to stdout: Bad file descriptor"}}) {
    Out o = run(c.args);
    EXPECT_EQ(o.rc, 2) << c.args;
    std::string e = stderr_text();
    EXPECT_EQ(e.rfind("gearman-analyze: ", 0), 0u) << c.args << ": " << e;
    EXPECT_NE(e.find(c.says), std::string::npos) << c.args << ": " << e;
  }
}

// -p takes one value: the capture after `-p 7003` is a file, not a second port.
TEST(AnalyzerCli, PortOptionTakesOneValue) {
  std::string cap = testsupport::capture_path("nonstandard-port.pcap");
  for (std::string args : {"--no-heuristic -p 7003 ", "--no-heuristic -p 7003 -p 7004 ", "--no-heuristic --port=7003 "}) {
    Out o = run("--format json " + args + cap);
    ASSERT_EQ(o.rc, 0) << args << stderr_text();
    auto j = nlohmann::json::parse(o.out);
    EXPECT_GT(j["jobs"]["total"].get<int>(), 0) << args;
    EXPECT_EQ(j["capture"]["files"].size(), 1u) << args;
  }
  auto none = nlohmann::json::parse(run("--format json --no-heuristic " + cap).out);
  EXPECT_EQ(none["jobs"]["total"], 0) << "without -p the port-7003 jobs are not seen";
}

// Files are read in the order given; given out of time order (php.pcap was made a week after
// libgearman-full.pcap), the span is still earliest to latest frame and the step back is named.
TEST(AnalyzerCli, FilesOutOfTimeOrderKeepAPositiveSpanAndAreNamed) {
  const std::string later = testsupport::capture_path("php.pcap");
  const std::string earlier = testsupport::capture_path("libgearman-full.pcap");
  Out in_order = run("--format json " + earlier + " " + later);
  Out reversed = run("--format json " + later + " " + earlier);
  ASSERT_EQ(in_order.rc, 0);
  ASSERT_EQ(reversed.rc, 0);
  auto a = nlohmann::json::parse(in_order.out), b = nlohmann::json::parse(reversed.out);
  EXPECT_EQ(b["capture"]["first_time"], a["capture"]["first_time"]);
  EXPECT_EQ(b["capture"]["last_time"], a["capture"]["last_time"]);
  EXPECT_GT(b["capture"]["duration_s"].get<double>(), 500000.0);
  auto steps = [](const nlohmann::json& j) {
    for (const auto& w : j["warnings"])
      if (w["kind"] == "time_step_back") return w["count"].get<int>();
    return 0;
  };
  EXPECT_EQ(steps(a), 0);
  EXPECT_EQ(steps(b), 1);
}
