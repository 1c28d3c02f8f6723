// SPDX-License-Identifier: GPL-2.0-or-later
// gearman-gen: writes a deterministic synthetic Gearman capture and its ground truth.
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <string>

#include "geargen/generator.h"

#ifndef GEARMAN_GEN_VERSION
#define GEARMAN_GEN_VERSION "unknown"
#endif

namespace {

// CLI11's messages, and ours, start with the program's name, like every Unix tool's.
std::string failure_message(const CLI::App*, const CLI::Error& e) {
  return std::string("gearman-gen: ") + e.what() + "\n(see gearman-gen --help)\n";
}

// Help text as in the man page: "--loss P   share of ... (default 0)".
CLI::Option* doc(CLI::Option* o, const char* metavar) {
  std::string d = o->get_default_str();
  if (!d.empty()) o->description(o->get_description() + " (default " + d + ")");
  o->option_text(metavar);
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  geargen::Config cfg;
  std::string out, truth, functions, link = "en10mb";
  uint64_t start_s = cfg.start_us / 1000000;
  bool quiet = false;

  CLI::App app{
      "writes a deterministic classic pcap of Gearman traffic (clients, workers, gearmand\n"
      "on 127.0.0.1:4730) and a JSON file with the exact counts and latencies of what it generated.\n"
      "The same seed and options give the same bytes.",
      "gearman-gen"};
  app.failure_message(failure_message);
  app.option_defaults()->always_capture_default();
  const auto share = CLI::Range(0.0, 1.0);

  doc(app.add_option("--out", out, "the capture to write (classic pcap; required)"), "FILE")->required();
  doc(app.add_option("--truth", truth, "the ground truth to write (JSON; required)"), "FILE")->required();
  doc(app.add_option("--seed", cfg.seed, "random seed; same seed and options = identical bytes"), "N");
  doc(app.add_option("--jobs", cfg.jobs, "distinct jobs"), "N");
  doc(app.add_option("--clients", cfg.clients, "client connections"), "N")->check(CLI::Range(1u, 32766u));
  doc(app.add_option("--workers", cfg.workers, "worker connections"), "N")->check(CLI::Range(1u, 32766u));
  doc(app.add_option("--rate", cfg.rate, "new jobs per second (0: half of the workers' capacity)"), "R")
      ->check(CLI::NonNegativeNumber);
  doc(app.add_option("--functions", functions,
                     "'name[:key=value]...;name...' keys: w (weight), q / r (queue / run time: "
                     "median_ms/sigma, lognormal), fail, exc, bg (shares), payload, result (bytes); "
                     "e.g. 'resize:w=3:q=1/0.9:r=15/0.5:fail=0.01;email:r=40/0.8:bg=0.6'"),
      "SPEC");
  doc(app.add_option("--coalesce", cfg.coalesce, "share of submits joining an in-flight job's unique ID"), "P")
      ->check(share);
  doc(app.add_option("--batch", cfg.batch, "share of arrivals submitting 2-6 jobs in one segment"), "P")
      ->check(share);
  doc(app.add_option("--high", cfg.high, "share of high-priority submits"), "P")->check(share);
  doc(app.add_option("--low", cfg.low, "share of low-priority submits"), "P")->check(share);
  doc(app.add_option("--status", cfg.status, "share of jobs sending WORK_STATUS mid-run"), "P")->check(share);
  doc(app.add_option("--data", cfg.data, "share of jobs sending WORK_DATA before the result"), "P")->check(share);
  doc(app.add_option("--extra-wake", cfg.extra_wake, "chance a second sleeping worker is woken (then NO_JOB)"),
      "P")->check(share);
  doc(app.add_option("--exception-then-fail", cfg.exception_then_fail,
                     "share of WORK_EXCEPTIONs followed by a WORK_FAIL (answered by ERROR)"),
      "P")->check(share);
  doc(app.add_option("--stuck", cfg.stuck, "workers that hang on their job from half-way: incomplete jobs"), "N");
  doc(app.add_option("--admin-every", cfg.admin_every_ms,
                     "every MS milliseconds a gearadmin-like connection sends \"status\" or \"workers\" "
                     "(alternately) and gets the reply list (0: none)"),
      "MS")->check(CLI::NonNegativeNumber);
  doc(app.add_option("--assign-before-created", cfg.assign_before_created,
                     "share of new jobs a threaded server gives a sleeping worker before their JOB_CREATED "
                     "is out (the client's JOB_CREATED comes after JOB_ASSIGN)"),
      "P")->check(share);
  doc(app.add_option("--end-before-created", cfg.end_before_created,
                     "share of new jobs that are quick and also ended by the worker before their JOB_CREATED "
                     "(the client's copies still come after it)"),
      "P")->check(share);
  doc(app.add_option("--result-before-end", cfg.result_before_end,
                     "share of foreground jobs whose result to the client is captured before the worker's "
                     "terminal packet (worker side's clock ahead)"),
      "P")->check(share);
  doc(app.add_option("--end-before-assign", cfg.end_before_assign,
                     "share of quick jobs whose worker's terminal is captured before their JOB_ASSIGN "
                     "(worker side's clock behind)"),
      "P")->check(share);
  doc(app.add_option("--worker-deaths", cfg.worker_deaths,
                     "worker connections that die (FIN or RST) holding a job, spread over the run; the server "
                     "gives the job to another worker; the worker reconnects"),
      "N");
  doc(app.add_option("--mss", cfg.mss, "TCP segment size (65483: loopback)"), "N")->check(CLI::Range(1u, 65535u));
  doc(app.add_option("--split", cfg.split, "share of sends split at a random byte"), "P")->check(share);
  doc(app.add_option("--reorder", cfg.reorder, "share of sends split and captured out of order"), "P")
      ->check(share);
  doc(app.add_option("--loss", cfg.loss, "share of segments retransmitted ~200 ms later"), "P")->check(share);
  doc(app.add_option("--drop", cfg.drop,
                     "share of segments missing from the capture (truth then describes what was sent, "
                     "not what can be seen)"),
      "P")->check(share);
  doc(app.add_option("--ack", cfg.ack, "chance of a pure ACK after a data segment"), "P")->check(share);
  doc(app.add_option("--link", link, "link type"), "en10mb|null")->check(CLI::IsMember({"en10mb", "null"}));
  doc(app.add_option("--start", start_s, "time of the first packet, Unix seconds"), "SECONDS")
      ->check(CLI::Range(uint64_t(0), uint64_t(1) << 33));
  doc(app.add_option("--jobs-csv", cfg.jobs_csv,
                     "also write one line per job: handle, function, outcome, ports and the microsecond "
                     "times of submit, created, assign, end, delivered"),
      "FILE");
  app.add_flag("-q,--quiet", quiet, "no summary on stderr");
  app.set_version_flag("--version", "gearman-gen " GEARMAN_GEN_VERSION);
  app.footer("Exit status: 0 written, 2 usage error or a file could not be written. "
             "See gearman-gen(1) and docs/generator.md.");

  try {
    app.parse(argc, argv);
    if (!functions.empty()) {
      try {
        cfg.functions = geargen::parse_functions(functions);
      } catch (const std::exception& e) {
        throw CLI::ValidationError("--functions", e.what());
      }
    }
    if (cfg.high + cfg.low > 1) throw CLI::ValidationError("--high plus --low must not exceed 1");
    if (cfg.clients + cfg.workers > 32767)
      throw CLI::ValidationError("--clients plus --workers: at most 32767 connections (one port each)");
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  cfg.null_link = link == "null";
  cfg.start_us = start_s * 1000000ull;

  auto t0 = std::chrono::steady_clock::now();
  try {
    geargen::Summary s = geargen::generate(cfg, out, truth);
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!quiet)
      std::fprintf(stderr, "gearman-gen: %llu jobs (%llu submits), %llu frames, %.1f MB in %.2f s -> %s, %s\n",
                   (unsigned long long)s.jobs, (unsigned long long)s.submits, (unsigned long long)s.frames,
                   s.bytes / 1e6, secs, out.c_str(), truth.c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gearman-gen: %s\n", e.what());
    return 2;
  }
  return 0;
}
