// What the engine keeps per connection: the requests waiting for answers (answered in order on
// one connection), the jobs it runs as a worker or waits for as a client.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "gearjobs/engine.h"
#include "gearjobs/request_queue.h"

namespace gearjobs {

struct PendingSubmit {
  FunctionId function = kNoFunction;
  std::string unique;  // keeps its capacity across reuse of the slot
  gearproto::Priority priority = gearproto::Priority::Normal;
  bool background = false;
  uint64_t payload_bytes = 0;
  Request request;
};

// Admin text is rare on a connection: its pairing state is made only when a command is seen.
struct AdminState {
  gearproto::AdminPairing pairing;
  Request commands[gearproto::AdminPairing::kMaxPending];  // by sequence number modulo the ring
  uint64_t next_seq = 0;
};

struct Engine::ConnState {
  uint64_t serial = 0;
  uint32_t server = 0;
  bool in_use = false;
  RequestQueue<PendingSubmit> submits;
  RequestQueue<Request> grabs, sleeps, echoes, statuses, options;
  std::unique_ptr<AdminState> admin;
  std::vector<JobRef> assigned;     // jobs given to this connection (a worker) and not ended
  std::vector<JobRef> results_due;  // jobs whose result this connection (a client) waits for
  JobRef tentative;                 // a job first seen at this worker's terminal packet
  uint32_t not_found_expected = 0;  // late terminals the server will answer with JOB_NOT_FOUND
  uint32_t refusals_expected = 0;   // refused packets Gearman::Server answers with an ERROR

  void reset(uint32_t srv, uint64_t ser) {
    serial = ser;
    server = srv;
    in_use = true;
    submits.clear();
    grabs.clear(); sleeps.clear(); echoes.clear(); statuses.clear(); options.clear();
    admin.reset();
    assigned.clear();
    results_due.clear();
    tentative = JobRef{};
    not_found_expected = 0;
    refusals_expected = 0;
  }
};

}  // namespace gearjobs
