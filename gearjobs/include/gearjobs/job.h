// A job as both front ends report it: one server's job handle, from the client's submit to the
// result, with the one definition of its queue, run and total time. docs/job-model.md explains
// the model; this header is what the plugin and the analyzer read.
#pragma once

#include <cstdint>
#include <string>

#include "gearproto/packet_table.h"

namespace gearjobs {

using Time = int64_t;  // capture time, nanoseconds since the epoch
constexpr Time kNoTime = INT64_MIN;

using FunctionId = uint32_t;  // index into the engine's FunctionTable
constexpr FunctionId kNoFunction = UINT32_MAX;

enum class Outcome : uint8_t { Incomplete, Complete, Fail, Exception };
const char* outcome_name(Outcome o);
// WORK_COMPLETE / WORK_FAIL / WORK_EXCEPTION.
Outcome outcome_of_terminal(uint32_t packet_type);

// Wire orders that are not causal. A threaded gearmand may assign a job (and relay its result)
// before the client's JOB_CREATED is on the wire; a capture merged from two interfaces may show a
// reply before the packet it answers. The interval that would come out negative is reported as
// 0 and the job carries the flag.
enum Reorder : uint8_t {
  kAssignedBeforeCreated = 1u << 0,  // queue: the first JOB_ASSIGN before the JOB_CREATED
  kEndedBeforeAssigned = 1u << 1,    // run: the worker's terminal packet before its JOB_ASSIGN
  kResultBeforeEnd = 1u << 2,        // the client's result before the worker's terminal packet
  kResultBeforeSubmit = 1u << 3,     // total: the client's result before its submit
};

enum class JobState : uint8_t {
  Open,    // packets may still come
  Done,    // nothing more is expected; kept a short while (linger) for late packets
  Closed,  // final: handed to the sink, no longer found by handle
  Void,    // not a job after all: the server answered the worker's packet with JOB_NOT_FOUND
};

struct Job {
  // ---- facts (read by the front ends) -------------------------------------------------------
  uint64_t id = 0;              // serial within the engine's life (1, 2, ...)
  uint32_t server = 0;          // the front end's server number
  std::string handle;
  std::string unique;
  FunctionId function = kNoFunction;
  gearproto::Priority priority = gearproto::Priority::Normal;
  bool background = false;
  bool ended_by_server = false;  // outcome taken from the client's result: no worker ended it
  uint8_t reordered = 0;         // Reorder bits
  Outcome outcome = Outcome::Incomplete;
  JobState state = JobState::Open;
  uint32_t submits = 0;          // submits answered with this handle (> 1: coalesced)
  uint32_t assignments = 0;      // > 1: re-assigned after a worker was lost
  uint32_t status_polls = 0;     // GET_STATUS / GET_STATUS_UNIQUE about it while open
  uint64_t payload_bytes = 0;
  uint64_t submit_conn = 0;      // connection serial of the first submit (0: not in the capture)
  uint64_t client_conn = 0;      // connection serial of the first foreground submit (0: none)
  uint64_t worker_conn = 0;      // connection serial of the worker that ran it (last assignment)

  Time t_submit = kNoTime, t_created = kNoTime, t_assign_first = kNoTime, t_assign = kNoTime,
       t_worker_done = kNoTime, t_client_done = kNoTime;
  uint64_t f_submit = 0, f_created = 0, f_assign_first = 0, f_assign = 0, f_worker_done = 0,
           f_client_done = 0;

  // Began before the capture: no submit of it was seen (its JOB_CREATED answered none).
  bool unknown_start() const { return f_submit == 0; }
  // queue = first assignment - JOB_CREATED: the time in the server's queue after it acknowledged
  // the job. run = the worker's first terminal packet - the (last) assignment. total = the result
  // delivered to the first foreground submitter - that submit. kNoTime when an end is missing;
  // never negative (see Reorder).
  Time queue_ns() const { return span(t_created, t_assign_first); }
  Time run_ns() const { return span(t_assign, t_worker_done); }
  Time total_ns() const { return span(t_client_submit, t_client_done); }
  // What it counts as in the engine's FunctionGauge: open and no worker holds it (queued), open
  // and assigned (running), or neither (ended, lingering, closed).
  bool queued() const { return gauge_phase == 1; }
  bool running() const { return gauge_phase == 2; }

  // ---- the engine's bookkeeping (front ends do not touch) ----------------------------------
  Time t_client_submit = kNoTime;   // the first foreground submit (total time starts here)
  uint64_t key = 0;                 // in the handle index: the handle's number, or its hash key
  bool windowed = false;            // in the handle index by its number (else by hash)
  bool tentative = false;           // first seen at a worker's terminal: a JOB_NOT_FOUND may void it
  bool gave_up_waiting = false;     // an expected packet did not come in time: done without it
  bool awaiting_created = false;    // in its server's list of jobs that may yet get a JOB_CREATED
  bool expect_watched = false;      // has a timer for giving up on an expected packet
  bool outcome_from_result = false; // the outcome so far is the client's copy (no worker's yet)
  uint8_t gauge_phase = 0;          // what it counts as in FunctionGauge (0 none, 1 queued, 2 running)
  FunctionId gauge_function = kNoFunction;
  uint32_t done_gen = 0;            // bumped each time it becomes Done (stale linger timers)
  uint64_t waiting_conns[2] = {0, 0};  // foreground submitters not yet given a result
  uint32_t waiting_more = 0;           // ...beyond those two (counted, not named)
  // The worker's terminal packet without the NUL before its empty last argument (refused_end):
  // kept until the server shows whether it took it (a copy to the client: abraxas does).
  Outcome refused_outcome = Outcome::Incomplete;
  Time t_refused_end = kNoTime;
  uint64_t f_refused_end = 0;
  uint64_t refused_conn = 0;
  Job* older = nullptr;             // the table's list by first sight (the open-jobs cap)
  Job* newer = nullptr;
  Job* next_awaiting = nullptr;     // the server's awaiting-created list
  Job* unique_next = nullptr;       // the next job with the same unique ID (the unique-ID index)
  Job* prev_awaiting = nullptr;

  // Back to a blank job, keeping the strings' capacity (a Job{} and two string moves cost several
  // hundred instructions per job). Adding a field? Reset it here: the static_assert reminds.
  void clear_for_reuse();

 private:
  static Time span(Time from, Time to) {
    if (from == kNoTime || to == kNoTime) return kNoTime;
    return to >= from ? to - from : 0;
  }
};

inline void Job::clear_for_reuse() {
  static_assert(sizeof(Job) == 2 * sizeof(std::string) + 288, "a Job field was added: reset it below");
  id = 0; server = 0;
  handle.clear(); unique.clear();
  function = kNoFunction;
  priority = gearproto::Priority::Normal;
  background = ended_by_server = false;
  reordered = 0;
  outcome = Outcome::Incomplete;
  state = JobState::Open;
  submits = assignments = status_polls = 0;
  payload_bytes = submit_conn = client_conn = worker_conn = 0;
  t_submit = t_created = t_assign_first = t_assign = t_worker_done = t_client_done = kNoTime;
  f_submit = f_created = f_assign_first = f_assign = f_worker_done = f_client_done = 0;
  t_client_submit = kNoTime;
  key = 0;
  windowed = false;
  tentative = gave_up_waiting = awaiting_created = expect_watched = outcome_from_result = false;
  gauge_phase = 0;
  gauge_function = kNoFunction;
  done_gen = 0;
  waiting_conns[0] = waiting_conns[1] = 0;
  waiting_more = 0;
  refused_outcome = Outcome::Incomplete;
  t_refused_end = kNoTime;
  f_refused_end = refused_conn = 0;
  older = newer = next_awaiting = prev_awaiting = unique_next = nullptr;
}

}  // namespace gearjobs
