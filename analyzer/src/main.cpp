// gearman-analyze: job lifecycles and latency statistics from Gearman captures.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>
#include <vector>

#include "analyzer.h"
#include "reader.h"
#include "report.h"

#ifndef GEARMAN_ANALYZE_VERSION
#define GEARMAN_ANALYZE_VERSION "0.1.0"
#endif

int main(int argc, char** argv) {
  CLI::App app{"gearman-analyze: Gearman job lifecycles and latency statistics from packet captures.\n"
               "Several files are read as one continuous capture (a ring-buffer set); '-' reads stdin."};
  std::vector<std::string> files;
  std::vector<uint16_t> ports;
  std::string format = "text";
  std::string jobs_path;
  size_t top = 10;
  size_t max_open_jobs = gan::Options{}.max_open_jobs;
  size_t max_connections = gan::Options{}.max_connections;
  uint32_t max_message = gan::Options{}.limits.max_data_length;
  bool no_heuristic = false, no_progress = false;
  app.add_option("files", files, "pcap or pcapng files, in capture order ('-' for stdin)")->required();
  app.add_option("-p,--port", ports, "TCP port of a Gearman server besides 4730 (repeatable)");
  app.add_option("-f,--format", format, "report format: text, json or csv (per function)")
      ->check(CLI::IsMember({"text", "json", "csv"}));
  app.add_option("--jobs", jobs_path, "write one record per job to FILE (.json/.jsonl: JSON lines, else CSV)");
  app.add_option("--top", top, "how many of the slowest jobs to list (default 10)");
  app.add_option("--max-open-jobs", max_open_jobs,
                 "jobs kept open at once (default 1000000, ~400 bytes each; 0: no limit); beyond, the oldest is "
                 "reported as incomplete with a warning");
  app.add_option("--max-connections", max_connections,
                 "connections tracked at once (default 100000, ~2 KiB each; 0: no limit); beyond, the least "
                 "recently active is dropped with a warning");
  app.add_option("--max-message-size", max_message,
                 "largest PDU data length buffered, in bytes (default 67108864 = 64 MiB); a longer length is "
                 "taken for a broken header and skipped with a warning")
      ->check(CLI::Range(uint32_t(12), UINT32_MAX));
  app.add_flag("--no-heuristic", no_heuristic, "only ports 4730 and --port, no plausibility test on other ports");
  app.add_flag("--no-progress", no_progress, "no progress bar on stderr");
  app.set_version_flag("-V,--version", "gearman-analyze " GEARMAN_ANALYZE_VERSION);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }

  gan::Options opt;
  for (uint16_t p : ports) opt.ports.push_back(p);
  opt.heuristic = !no_heuristic;
  opt.top = top;
  opt.max_open_jobs = max_open_jobs;
  opt.max_connections = max_connections;
  opt.limits.max_data_length = max_message;

  gan::ReadResult check = gan::check_inputs(files);
  if (!check.ok) {
    std::fprintf(stderr, "gearman-analyze: %s\n", check.error.c_str());
    return 1;
  }

  gan::Analyzer a(opt);
  gan::JobWriter jw;
  if (!jobs_path.empty()) {
    std::string err;
    if (!jw.open(jobs_path, err)) {
      std::fprintf(stderr, "gearman-analyze: cannot write %s\n", err.c_str());
      return 2;
    }
    a.set_job_sink([&jw](const gan::JobRecord& r) { jw.write(r); });
  }

  std::function<void(uint64_t, uint64_t)> progress;
  bool tty = !no_progress && isatty(2);
  bool drew = false;
  if (tty) {
    progress = [&drew](uint64_t done, uint64_t total) {
      if (total < (64u << 20)) return;  // small inputs finish before a bar helps
      std::fprintf(stderr, "\rreading %5.1f%% (%llu / %llu MiB)", 100.0 * double(done) / double(total),
                   (unsigned long long)(done >> 20), (unsigned long long)(total >> 20));
      drew = true;
    };
  }
  gan::ReadResult r = gan::read_captures(files, a, progress);
  if (drew) std::fprintf(stderr, "\r%60s\r", "");
  if (!r.ok) {
    std::fprintf(stderr, "gearman-analyze: %s\n", r.error.c_str());
    return 1;
  }
  a.finish();

  gan::ReportInfo info{files, GEARMAN_ANALYZE_VERSION};
  if (format == "json") {
    std::string s = gan::json_report(a, info);
    std::fwrite(s.data(), 1, s.size(), stdout);
  } else if (format == "csv") {
    gan::write_csv(stdout, a);
  } else {
    gan::write_text(stdout, a, info);
  }
  return 0;
}
