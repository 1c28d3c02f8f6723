// What one PDU did, as the engine returns it: the job it belongs to, what happened to that job
// here, and which earlier request it answers.
#pragma once

#include <cstdint>

#include "gearjobs/job.h"

namespace gearjobs {

enum class Event : uint8_t {
  None,
  Submitted,      // SUBMIT_JOB*: waits for its JOB_CREATED
  Created,        // JOB_CREATED of a job first seen here
  JoinedCreated,  // JOB_CREATED of a job already seen at its worker (assigned before acknowledged)
  Coalesced,      // JOB_CREATED giving another submit a job in progress (same unique ID)
  Refused,        // ERROR answering a submit instead of JOB_CREATED
  Assigned,       // JOB_ASSIGN* (the first)
  Reassigned,     // JOB_ASSIGN* of a job assigned before: its worker was lost
  Update,         // WORK_STATUS / WORK_DATA / WORK_WARNING about an open job
  LateUpdate,     // ... about a job that had ended
  WorkerEnded,    // the worker's first terminal packet: the job's outcome
  LateTerminal,   // a worker's terminal packet after its first: the server had ended the job
  RefusedTerminal,  // a worker's terminal packet the server refuses (no NUL before its empty last argument)
  Result,         // a terminal packet delivered to a client
  LateResult,     // a further result to the same client (Gearman::Server forwards late ones)
  OrphanResult,   // a result for a handle with no job in the capture
  UnknownHandle,  // ERROR JOB_NOT_FOUND: the worker's terminal packet named no job
  StatusQuery,    // GET_STATUS / GET_STATUS_UNIQUE
  StatusReply,    // STATUS_RES / STATUS_RES_UNIQUE
};
const char* event_name(Event e);

// A request that waits for its answer. `tag` is the front end's own id for the request's PDU
// (the plugin's per-PDU record), handed back with the answer.
struct Request {
  uint64_t frame = 0;
  Time t = kNoTime;
  uint64_t tag = 0;
  uint32_t type = 0;       // packet type, or for an admin command its gearproto::AdminCommand
  bool admin = false;
};

struct Effect {
  Job* job = nullptr;        // valid until the next call into the engine (the analyzer recycles jobs)
  Event event = Event::None;
  bool answers = false;      // this PDU answers `request`
  Request request;
  bool unanswered = false;   // a response that no request on its connection asked for
  bool job_created_here = false;  // the job's first JOB_CREATED
  bool job_ended_here = false;    // the packet that gave the job its outcome
  bool job_result_here = false;   // the result delivered to the job's client (total time ends)
  // A result that shows the server took its worker's refused terminal packet after all: the job
  // ended there (at job->t_worker_done, an earlier frame), not here.
  bool worker_end_accepted = false;
  // Admin replies: where this line stands in its reply.
  bool admin_first_line = false;
  bool admin_last_line = false;
};

}  // namespace gearjobs
