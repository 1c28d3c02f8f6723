// gearman-gen: writes a deterministic synthetic Gearman capture and its ground truth.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>

#include "geargen/generator.h"

namespace {

const char* kUsage =
    "usage: gearman-gen --out F.pcap --truth F.json [options]\n"
    "\n"
    "Writes a deterministic classic pcap of Gearman traffic (clients, workers, gearmand on\n"
    "127.0.0.1:4730) and a JSON file with the exact counts and latencies of what it generated.\n"
    "\n"
    "  --seed N           random seed (default 1); same seed and options = identical bytes\n"
    "  --jobs N           distinct jobs (default 10000)\n"
    "  --clients N        client connections (default 16)\n"
    "  --workers N        worker connections (default 32)\n"
    "  --rate R           new jobs per second (default: half of the workers' capacity)\n"
    "  --functions SPEC   'name[:key=value]...;name...' keys: w (weight), q / r (queue / run time:\n"
    "                     median_ms/sigma, lognormal), fail, exc, bg (shares), payload, result (bytes)\n"
    "                     e.g. 'resize:w=3:q=1/0.9:r=15/0.5:fail=0.01;email:r=40/0.8:bg=0.6'\n"
    "  --coalesce P       share of submits joining an in-flight job's unique ID (default 0.02)\n"
    "  --batch P          share of arrivals submitting 2-6 jobs in one segment (default 0.1)\n"
    "  --high P --low P   priority shares (default 0.05 each)\n"
    "  --status P         share of jobs sending WORK_STATUS mid-run (default 0.05)\n"
    "  --data P           share of jobs sending WORK_DATA before the result (default 0.05)\n"
    "  --extra-wake P     chance a second sleeping worker is woken (then NO_JOB) (default 0.1)\n"
    "  --exception-then-fail P  WORK_FAIL after WORK_EXCEPTION, answered by ERROR (default 0)\n"
    "  --stuck N          workers that hang on their job from half-way: incomplete jobs (default 0)\n"
    "  --admin-every MS   every MS milliseconds a gearadmin-like connection sends \"status\" or\n"
    "                     \"workers\" (alternately) and gets the reply list (default 0: none)\n"
    "\n"
    "Wire orders of threaded servers and merged captures, and worker deaths (default 0: none; the\n"
    "truth then also counts each order, re-assignments and per worker connection lost jobs):\n"
    "  --assign-before-created P  share of new jobs a threaded server gives a sleeping worker before\n"
    "                     their JOB_CREATED is out (the client's JOB_CREATED comes after JOB_ASSIGN)\n"
    "  --end-before-created P     share of new jobs that are quick and also ended by the worker\n"
    "                     before their JOB_CREATED (the client's copies still come after it)\n"
    "  --result-before-end P      share of foreground jobs whose result to the client is captured\n"
    "                     before the worker's terminal packet (worker side's clock ahead)\n"
    "  --end-before-assign P      share of jobs that are quick and whose worker's terminal is captured\n"
    "                     before their JOB_ASSIGN (worker side's clock behind)\n"
    "  --worker-deaths N  N worker connections die (FIN or RST) holding a job, spread over the run;\n"
    "                     the server gives the job to another worker; the worker reconnects\n"
    "\n"
    "  --mss N            TCP segment size (default 65483, loopback)\n"
    "  --split P          share of sends split at a random byte (default 0.02)\n"
    "  --reorder P        share of sends split and captured out of order (default 0)\n"
    "  --loss P           share of segments retransmitted ~200 ms later (default 0)\n"
    "  --drop P           share of segments missing from the capture (default 0; truth then\n"
    "                     describes what was sent, not what can be seen)\n"
    "  --ack P            chance of a pure ACK after a data segment (default 0.3)\n"
    "  --link en10mb|null link type (default en10mb)\n"
    "  --start SECONDS    time of the first packet, Unix seconds (default 1700000000)\n"
    "  --jobs-csv F       also write one line per job: handle, function, outcome, ports and the\n"
    "                     microsecond times of submit, created, assign, end, delivered\n"
    "  -q, --quiet        no summary on stderr\n";

[[noreturn]] void die(const std::string& msg) {
  std::fprintf(stderr, "gearman-gen: %s\n", msg.c_str());
  std::exit(2);
}

double share(const char* v, const char* opt) {
  char* end = nullptr;
  double d = std::strtod(v, &end);
  if (!*v || *end || !(d >= 0 && d <= 1)) die(std::string(opt) + ": expected a share between 0 and 1, got '" + v + "'");
  return d;
}
uint64_t count(const char* v, const char* opt) {
  char* end = nullptr;
  unsigned long long n = std::strtoull(v, &end, 10);
  if (!*v || *end || v[0] == '-') die(std::string(opt) + ": expected a non-negative integer, got '" + v + "'");
  return n;
}

}  // namespace

int main(int argc, char** argv) {
  geargen::Config cfg;
  std::string out, truth;
  bool quiet = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "-h" || a == "--help") { std::fputs(kUsage, stdout); return 0; }
    if (a == "-q" || a == "--quiet") { quiet = true; continue; }
    if (i + 1 >= argc) die("option " + a + " needs a value (see --help)");
    const char* v = argv[++i];
    const char* o = a.c_str();
    if (a == "--out") out = v;
    else if (a == "--truth") truth = v;
    else if (a == "--jobs-csv") cfg.jobs_csv = v;
    else if (a == "--seed") cfg.seed = count(v, o);
    else if (a == "--jobs") cfg.jobs = count(v, o);
    else if (a == "--clients") cfg.clients = uint32_t(count(v, o));
    else if (a == "--workers") cfg.workers = uint32_t(count(v, o));
    else if (a == "--rate") {
      char* end = nullptr;
      cfg.rate = std::strtod(v, &end);
      if (*end || !(cfg.rate > 0)) die("--rate: expected a positive number");
    } else if (a == "--functions") {
      try { cfg.functions = geargen::parse_functions(v); } catch (const std::exception& e) { die(std::string("--functions: ") + e.what()); }
    } else if (a == "--coalesce") cfg.coalesce = share(v, o);
    else if (a == "--batch") cfg.batch = share(v, o);
    else if (a == "--high") cfg.high = share(v, o);
    else if (a == "--low") cfg.low = share(v, o);
    else if (a == "--status") cfg.status = share(v, o);
    else if (a == "--data") cfg.data = share(v, o);
    else if (a == "--extra-wake") cfg.extra_wake = share(v, o);
    else if (a == "--exception-then-fail") cfg.exception_then_fail = share(v, o);
    else if (a == "--stuck") cfg.stuck = uint32_t(count(v, o));
    else if (a == "--assign-before-created") cfg.assign_before_created = share(v, o);
    else if (a == "--end-before-created") cfg.end_before_created = share(v, o);
    else if (a == "--result-before-end") cfg.result_before_end = share(v, o);
    else if (a == "--end-before-assign") cfg.end_before_assign = share(v, o);
    else if (a == "--worker-deaths") cfg.worker_deaths = uint32_t(count(v, o));
    else if (a == "--admin-every") {
      char* end = nullptr;
      cfg.admin_every_ms = std::strtod(v, &end);
      if (*end || !(cfg.admin_every_ms >= 0)) die("--admin-every: expected milliseconds");
    }
    else if (a == "--mss") { cfg.mss = uint32_t(count(v, o)); if (cfg.mss == 0) die("--mss must be positive"); }
    else if (a == "--split") cfg.split = share(v, o);
    else if (a == "--reorder") cfg.reorder = share(v, o);
    else if (a == "--loss") cfg.loss = share(v, o);
    else if (a == "--drop") cfg.drop = share(v, o);
    else if (a == "--ack") cfg.ack = share(v, o);
    else if (a == "--link") {
      if (std::strcmp(v, "en10mb") == 0) cfg.null_link = false;
      else if (std::strcmp(v, "null") == 0) cfg.null_link = true;
      else die("--link: expected en10mb or null");
    } else if (a == "--start") cfg.start_us = count(v, o) * 1000000ull;
    else die("unknown option " + a + " (see --help)");
  }
  if (out.empty() || truth.empty()) die("--out and --truth are required (see --help)");
  if (cfg.high + cfg.low > 1) die("--high plus --low must not exceed 1");
  if (cfg.assign_before_created + cfg.end_before_created > 1)
    die("--assign-before-created plus --end-before-created must not exceed 1");
  if (cfg.worker_deaths > cfg.jobs) die("--worker-deaths must not exceed --jobs (one death per job at most)");
  if (cfg.clients == 0 || cfg.workers == 0) die("--clients and --workers must be at least 1");
  if (cfg.clients + cfg.workers > 32767) die("at most 32767 connections (one port each)");
  auto t0 = std::chrono::steady_clock::now();
  try {
    geargen::Summary s = geargen::generate(cfg, out, truth);
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!quiet)
      std::fprintf(stderr, "gearman-gen: %llu jobs (%llu submits), %llu frames, %.1f MB in %.2f s -> %s, %s\n",
                   (unsigned long long)s.jobs, (unsigned long long)s.submits, (unsigned long long)s.frames,
                   s.bytes / 1e6, secs, out.c_str(), truth.c_str());
  } catch (const std::exception& e) {
    die(e.what());
  }
  return 0;
}
