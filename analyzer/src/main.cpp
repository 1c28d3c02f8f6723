// SPDX-License-Identifier: GPL-2.0-or-later
// gearman-analyze: job lifecycles and latency statistics from Gearman captures.
#include <sched.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "analyzer.h"
#include "html_report.h"
#include "html_series.h"
#include "interval_report.h"
#include "intervals.h"
#include "live.h"
#include "live_capture.h"
#include "open_work.h"
#include "reader.h"
#include "report.h"
#include "stop_signal.h"

#ifndef GEARMAN_ANALYZE_VERSION
#define GEARMAN_ANALYZE_VERSION "unknown"
#endif

namespace {

// --threads auto: the job engine gets a thread of its own when a second CPU is there to run it:
// the process may use two CPUs and the machine is not busy (1-minute load average at most the CPU
// count minus a half: one other busy process leaves a core free). Two threads do more work in
// all (the hand-over), so where the cores are taken they are slower than one (15 % on a 2-core
// machine at load 5).
unsigned auto_threads() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) != 0 || CPU_COUNT(&set) < 2) return 1;
  double load[1];
  if (getloadavg(load, 1) == 1 && load[0] > CPU_COUNT(&set) - 0.5) return 1;
  return 2;
}

constexpr int kInputError = 1;  // an input could not be opened
constexpr int kUsageOrWriteError = 2;

// CLI11's messages, like ours, start with the program's name.
std::string failure_message(const CLI::App*, const CLI::Error& e) {
  return std::string("gearman-analyze: ") + e.what() + "\n(see gearman-analyze --help)\n";
}

int usage_error(CLI::App& app, const std::string& what) {
  return app.exit(CLI::ValidationError(what)) == 0 ? 0 : kUsageOrWriteError;
}

// The captures in command-line order, whether named with -r or as positional arguments.
std::vector<std::string> inputs_in_order(const CLI::App& app, const CLI::Option* pos, const CLI::Option* r) {
  std::vector<std::string> out;
  size_t ip = 0, ir = 0;
  const auto& pr = pos->results();
  const auto& rr = r->results();
  for (const CLI::Option* o : app.parse_order()) {
    if (o == pos && ip < pr.size()) out.push_back(pr[ip++]);
    if (o == r && ir < rr.size()) out.push_back(rr[ir++]);
  }
  while (ip < pr.size()) out.push_back(pr[ip++]);  // (parse_order lists every value; in case not)
  while (ir < rr.size()) out.push_back(rr[ir++]);
  return out;
}

// The report went to `out`: anything that did not arrive is an error, said once.
bool check_written(FILE* out, const char* name) {
  bool ok = std::fflush(out) == 0 && !std::ferror(out);
  if (!ok)
    std::fprintf(stderr, "gearman-analyze: writing the report to %s: %s\n", name,
                 std::strerror(errno ? errno : EIO));
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Gearman job lifecycles and latency statistics from packet captures (pcap, pcapng; plain, gzip\n"
               "or zstd), or live from an interface (-i). Several files are read as one continuous capture (a\n"
               "ring-buffer set); '-' reads stdin.",
               "gearman-analyze"};
  app.failure_message(failure_message);
  std::vector<std::string> pos_files, r_files;
  std::vector<uint16_t> ports;
  std::string format = "text";
  std::string jobs_path, jobs_format = "auto";
  size_t top = 10;
  size_t max_open_jobs = gan::Options{}.max_open_jobs;
  size_t max_connections = gan::Options{}.max_connections;
  uint32_t max_message = gan::Options{}.limits.max_data_length;
  bool no_heuristic = false, no_progress = false, quiet = false;
  std::string threads = "auto";
  std::string iface, save_path, html_path;
  double duration = 0, interval = -1;
  bool heuristic_live = false;
  auto* pos_opt = app.add_option("FILE", pos_files, "pcap or pcapng files, plain, gzip or zstd, in capture order "
                                                     "('-' for stdin)")
                     ->option_text("...");
  auto* r_opt = app.add_option("-r,--read-file", r_files, "a capture file, as with tshark (repeatable; the same as "
                                                          "naming it without -r)")
                    ->option_text("FILE")
                    ->allow_extra_args(false);
  // One value per -p: the capture after `-p 7003` is a file, not a second port.
  app.add_option("-p,--port", ports, "TCP port of a Gearman server besides 4730 (repeatable)")
      ->option_text("PORT")
      ->allow_extra_args(false);
  app.add_option("-f,--format", format, "report format: text, json or csv (per function)")
      ->check(CLI::IsMember({"text", "json", "csv"}))
      ->option_text("FORMAT");
  app.add_option("--jobs", jobs_path,
                 "write one record per job to FILE ('-': stdout, and the report goes to stderr)")
      ->option_text("FILE");
  app.add_option("--jobs-format", jobs_format,
                 "records as csv or jsonl (default auto: jsonl when FILE ends in .json, .jsonl or .ndjson, "
                 "else csv)")
      ->check(CLI::IsMember({"auto", "csv", "jsonl"}))
      ->option_text("FORMAT");
  app.add_option("--html", html_path,
                 "also write the report as one self-contained HTML page to FILE (charts over time, latency "
                 "distributions, worker lanes; opens offline)")
      ->option_text("FILE");
  app.add_flag("-q,--quiet", quiet, "no report (with --jobs, only the job records are written)");
  app.add_option("--top", top, "how many of the slowest jobs to list (default 10)")->option_text("N");
  app.add_option("--max-open-jobs", max_open_jobs,
                 "jobs kept open at once (default 1000000, ~400 bytes each; 0: no limit); beyond, the oldest is "
                 "reported as incomplete with a warning")
      ->option_text("N");
  app.add_option("--max-connections", max_connections,
                 "connections tracked at once (default 100000, ~2 KiB each; 0: no limit); beyond, the least "
                 "recently active is dropped with a warning")
      ->option_text("N");
  app.add_option("--max-message-size", max_message,
                 "largest PDU data length buffered, in bytes (default 67108864 = 64 MiB); a longer length is "
                 "taken for a broken header and skipped with a warning")
      ->check(CLI::Range(uint32_t(12), UINT32_MAX))
      ->option_text("BYTES");
  app.add_flag("--no-heuristic", no_heuristic, "only ports 4730 and --port, no plausibility test on other ports");
  auto* i_opt = app.add_option("-i,--interface", iface,
                               "capture live on IFACE (as tcpdump -i; needs root or CAP_NET_RAW) until --duration, "
                               "SIGINT or SIGTERM, then write the report")
                    ->option_text("IFACE");
  app.add_option("--duration", duration, "live capture: stop after SECONDS")
      ->check(CLI::PositiveNumber)
      ->option_text("SECONDS")
      ->needs(i_opt);
  app.add_option("--interval", interval,
                 "statistics per interval of SECONDS, at least 0.1 (default 1 in live capture, none for files; 0: none)")
      ->check(CLI::NonNegativeNumber)
      ->option_text("SECONDS");
  app.add_option("-w,--write", save_path, "live capture: also save the captured packets to FILE (pcap)")
      ->option_text("FILE")
      ->needs(i_opt);
  app.add_flag("--heuristic", heuristic_live,
               "live capture: capture every port and find Gearman by the plausibility test (the default for "
               "files); without it only ports 4730 and --port are captured")
      ->needs(i_opt);
  app.add_flag("--no-progress", no_progress, "no progress bar on stderr");
  app.add_option("--threads", threads,
                 "1: everything on one thread; 2: the job engine and statistics on a second thread, beside "
                 "reading and decoding (the same report); auto (default): 2 when a second CPU is free (1-minute "
                 "load average at most the CPU count minus 0.5); live capture (-i) always uses 1")
      ->check(CLI::IsMember({"auto", "1", "2"}))
      ->option_text("N");
  // -v as in tshark (where -V means verbose).
  app.set_version_flag("-v,--version", "gearman-analyze " GEARMAN_ANALYZE_VERSION);
  app.footer("Exit status: 0 report written, 1 an input could not be opened, 2 usage error or a write failed.\n"
             "See gearman-analyze(1) and docs/gearman-analyze.md.");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : kUsageOrWriteError;
  }
  std::vector<std::string> files = inputs_in_order(app, pos_opt, r_opt);
  const bool live = !iface.empty();
  if (live && !files.empty()) return usage_error(app, "-i captures live: no capture file as well");
  if (files.empty() && !live) return usage_error(app, "no capture given (FILE, -r FILE, '-' for stdin, or -i IFACE)");
  if (std::count(files.begin(), files.end(), "-") > 1) return usage_error(app, "stdin ('-') can be read only once");
  const bool jobs_to_stdout = jobs_path == "-";

  gan::Options opt;
  for (uint16_t p : ports) opt.ports.push_back(p);
  opt.heuristic = live ? heuristic_live && !no_heuristic : !no_heuristic;
  opt.top = top;
  opt.max_open_jobs = max_open_jobs;
  opt.max_connections = max_connections;
  opt.limits.max_data_length = max_message;
  opt.threads = threads == "auto" ? auto_threads() : unsigned(std::stoul(threads));
  // Live capture reads the statistics while it runs (the screen, each interval): one thread, so
  // they are never waited for. Its packet rate is a network's, not a disk's.
  if (live) opt.threads = 1;

  if (interval < 0) interval = live ? 1.0 : 0.0;
  const int64_t interval_ns = int64_t(interval * 1e9 + 0.5);
  // Intervals wait 1.5 s to be final, held in memory meanwhile: shorter ones would be many.
  if (interval > 0 && interval_ns < 100000000) return usage_error(app, "--interval: at least 0.1 s (or 0: none)");
  opt.gauges = live || interval_ns > 0 || !html_path.empty();  // IntervalStats' conditions below and in live.cpp

  gan::ReadResult check = gan::check_inputs(files);
  if (!check.ok) {
    std::fprintf(stderr, "gearman-analyze: %s\n", check.error.c_str());
    return kInputError;
  }

  // The page's file is opened now: a path that cannot be written fails before a long read.
  FILE* html_file = nullptr;
  if (!html_path.empty()) {
    html_file = std::fopen(html_path.c_str(), "w");
    if (!html_file) {
      std::fprintf(stderr, "gearman-analyze: cannot write %s: %s\n", html_path.c_str(), std::strerror(errno));
      return kUsageOrWriteError;
    }
  }
  auto drop_html = [&]() {  // nothing to show: no half-made page left behind
    if (!html_file) return;
    std::fclose(html_file);
    std::remove(html_path.c_str());
  };
  // The page's time axis (html_series.h): the interval statistics merged into at most 300 bins.
  // Without --interval the width starts at 0.1 s and the intervals widen along with the bins.
  const bool html_auto = interval_ns <= 0;
  gan::TimeSeries series(live ? (interval_ns > 0 ? interval_ns : 1000000000) : (html_auto ? 100000000 : interval_ns));

  gan::Analyzer a(opt);
  gan::JobWriter jw;
  if (!jobs_path.empty()) {
    std::string err;
    auto jf = jobs_format == "csv"     ? gan::JobWriter::Format::Csv
              : jobs_format == "jsonl" ? gan::JobWriter::Format::JsonLines
                                       : gan::JobWriter::Format::ByName;
    if (!jw.open(jobs_path, err, jf)) {
      std::fprintf(stderr, "gearman-analyze: cannot write %s\n", err.c_str());
      drop_html();
      return kUsageOrWriteError;
    }
    a.set_job_sink([&jw](const gan::JobRecord& r) {
      jw.write(r);
      std::string err;
      if (jw.failed(err)) {
        // A full disk or a closed pipe: reading the rest of the capture cannot help.
        std::fprintf(stderr, "gearman-analyze: %s\n", err.c_str());
        std::_Exit(kUsageOrWriteError);
      }
    });
  }

  // stdout carries one stream a program can read: with --jobs -, the records; the report then
  // goes to stderr.
  FILE* out = jobs_to_stdout ? stderr : stdout;
  const char* out_name = jobs_to_stdout ? "stderr" : "stdout";
  gan::ReportExtras extras;
  gan::OpenWork open;
  std::vector<gan::Interval> intervals;
  if (live) {
    gan::LiveConfig lc;
    lc.iface = iface;
    lc.filter = gan::LiveCapture::filter_for(opt.ports, opt.heuristic);
    lc.save = save_path;
    lc.format = format;
    lc.duration_s = duration;
    lc.interval_ns = interval_ns;
    lc.top = top;
    lc.out = out;
    lc.screen = format == "text" && !quiet && isatty(fileno(out));
    lc.quiet = quiet;
    lc.color = std::getenv("NO_COLOR") == nullptr || !*std::getenv("NO_COLOR");
    if (html_file) {
      lc.keep_histograms = true;
      lc.on_interval = [&series](gan::Interval& x) { series.add(x); };
    }
    gan::LiveResult lr = gan::run_live(a, lc);
    if (lr.exit_code >= 0) {
      drop_html();
      return lr.exit_code;
    }
    open = std::move(lr.open);
    extras.live = std::move(lr.live);
    extras.live_text = std::move(lr.live_text);
    extras.json_line = format == "json";
    extras.csv_header = !(format == "csv" && interval_ns > 0);  // written before the first interval
  } else {
    // Interval statistics for files: kept until the report.
    std::unique_ptr<gan::IntervalStats> iv;
    if (interval_ns > 0 || html_file) {
      const bool keep = interval_ns > 0;  // for the report; the page's are only merged into its bins
      iv = std::make_unique<gan::IntervalStats>(a, interval_ns > 0 ? interval_ns : series.width(),
                                                [&intervals, &series, keep, html = html_file != nullptr](gan::Interval&& x) {
        if (html) series.add(x);
        if (keep) intervals.push_back(std::move(x));
      });
      iv->keep_total_histograms(html_file != nullptr);
      if (html_file && html_auto) series.on_widen([&iv](int64_t w) { iv->widen(w); });
      a.set_observer(iv.get());
      a.set_clock([&iv](int64_t t) { iv->on_time(t); });
    }
    // Ctrl-C while reading a pipe ends the input, not the program: the report is still written.
    if (std::count(files.begin(), files.end(), "-")) gan::install_stop_handlers();
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
      drop_html();
      return kInputError;
    }
    if (iv) iv->end_of_capture();
    open = gan::collect_open_work(a, a.totals().last_ns, top, true);
    a.finish();
    if (iv) {
      iv->flush();
      if (interval_ns > 0) {
        extras.intervals = &intervals;
        extras.interval_ns = interval_ns;
      }
      a.set_observer(nullptr);
      a.set_clock({});
    }
  }
  extras.open = &open;
  if (!jobs_path.empty()) {
    std::string err;
    if (!jw.close(err)) {
      std::fprintf(stderr, "gearman-analyze: %s\n", err.c_str());
      drop_html();
      return kUsageOrWriteError;
    }
  }
  gan::ReportInfo info{files, GEARMAN_ANALYZE_VERSION};
  bool ok = true;
  if (html_file) {  // asked for by name: written with -q too
    series.finish();
    gan::HtmlInput h;
    h.analyzer = &a;
    h.info = &info;
    h.open = &open;
    h.series = &series;
    h.auto_interval = html_auto && !live;
    h.interval_ns = live ? (interval_ns > 0 ? interval_ns : 1000000000) : interval_ns;
    h.live = extras.live.is_null() ? nullptr : &extras.live;
    std::string err;
    if (!gan::write_html_report(html_file, html_path, h, err)) {
      std::fprintf(stderr, "gearman-analyze: %s\n", err.c_str());
      ok = false;
    }
  }
  if (quiet) return ok ? 0 : kUsageOrWriteError;

  errno = 0;
  gan::write_report(out, format, a, info, extras);
  return check_written(out, out_name) && ok ? 0 : kUsageOrWriteError;
}
