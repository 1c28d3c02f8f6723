// gearman-gen: a deterministic synthetic Gearman capture and the ground truth of what is in it.
// See docs/generator.md for the model.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace geargen {

// A lognormal latency: median in milliseconds and sigma of the underlying normal.
struct Dist {
  double median_ms = 1;
  double sigma = 0;
};

struct FunctionSpec {
  std::string name;
  double weight = 1;        // share of new jobs (normalised over all functions)
  Dist queue{2, 0.8};       // JOB_CREATED -> ready for a worker
  Dist run{20, 0.6};        // JOB_ASSIGN -> worker's terminal packet
  double fail = 0.02;       // WORK_FAIL share
  double exception = 0.01;  // WORK_EXCEPTION share
  double background = 0.1;  // SUBMIT_JOB*_BG share
  uint32_t payload = 128;   // mean argument size (uniform in [mean/2, 3*mean/2])
  uint32_t result = 256;    // mean WORK_COMPLETE data size
};

struct Config {
  uint64_t seed = 1;
  uint64_t jobs = 10000;
  uint32_t clients = 16;
  uint32_t workers = 32;
  double rate = 0;             // new-job arrivals per second; 0 = half the workers' capacity
  std::vector<FunctionSpec> functions;  // empty = default_functions()
  double coalesce = 0.02;      // share of submits that join an in-flight job's unique ID
  double batch = 0.1;          // share of arrivals that submit 2..6 jobs in one segment
  double high = 0.05, low = 0.05;  // priority shares
  double status = 0.05;        // share of jobs with a WORK_STATUS mid-run
  double data = 0.05;          // share of jobs with a WORK_DATA in the terminal's segment
  double extra_wake = 0.1;     // chance that a second sleeping worker is woken too (gets NO_JOB)
  double exception_then_fail = 0;  // WORK_FAIL after WORK_EXCEPTION (answered by ERROR)
  uint32_t stuck = 0;          // workers that hang on a job after half the jobs: incomplete jobs
  double admin_every_ms = 0;   // a gearadmin connection ("status" / "workers") this often; 0 = none
  // Wire orders that are not causal (docs/generator.md, "Orders real servers and captures make").
  // All 0 by default: the output is then what it was before these existed, byte for byte.
  double assign_before_created = 0;  // new jobs a threaded server assigns before its JOB_CREATED is out
  double end_before_created = 0;     // ...and whose worker also ends them before it (quick jobs)
  double result_before_end = 0;      // foreground jobs whose result to the client is captured first
  double end_before_assign = 0;      // jobs whose worker's terminal is captured before their JOB_ASSIGN
  uint32_t worker_deaths = 0;        // worker connections that die (FIN or RST) holding a job
  // TCP shaping (drawn from a separate random stream: the job timeline does not change)
  uint32_t mss = 65483;        // loopback
  double split = 0.02;         // share of sends split at a random byte (a PDU across segments)
  double reorder = 0;          // share of sends split in two and captured second part first
  double loss = 0;             // share of segments retransmitted later (spurious retransmission)
  double drop = 0;             // share of segments missing from the capture (holes; truth unobservable)
  double ack = 0.3;            // chance of a pure ACK after a data segment
  bool null_link = false;      // DLT_NULL instead of DLT_EN10MB
  uint64_t start_us = 1700000000ull * 1000000ull;
  std::string jobs_csv;        // one line per job with its times, when not empty

  // Any of the wire-order options: the truth and the CSV then carry what they need.
  bool orderings() const {
    return assign_before_created > 0 || end_before_created > 0 || result_before_end > 0 ||
           end_before_assign > 0 || worker_deaths > 0;
  }
};

std::vector<FunctionSpec> default_functions();
// "name[:key=value]...;name..." with keys w, q (median/sigma), r, fail, exc, bg, payload, result.
// Throws std::invalid_argument.
std::vector<FunctionSpec> parse_functions(const std::string& spec);

struct Summary {
  uint64_t frames = 0;
  uint64_t bytes = 0;
  uint64_t jobs = 0;
  uint64_t submits = 0;
  uint64_t end_us = 0;
};

// Writes the capture and the ground-truth JSON. Throws std::runtime_error on I/O errors.
Summary generate(const Config& cfg, const std::string& pcap_path, const std::string& truth_path);

}  // namespace geargen
