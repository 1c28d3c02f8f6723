// Names of the engine's enums, for reports and the plugin's fields.

#include "gearjobs/effect.h"
#include "gearjobs/job.h"
#include "gearjobs/warnings.h"

namespace gearjobs {

const char* outcome_name(Outcome o) {
  switch (o) {
    case Outcome::Complete: return "complete";
    case Outcome::Fail: return "fail";
    case Outcome::Exception: return "exception";
    case Outcome::Incomplete: break;
  }
  return "incomplete";
}

Outcome outcome_of_terminal(uint32_t type) {
  switch (type) {
    case gearproto::WORK_COMPLETE: return Outcome::Complete;
    case gearproto::WORK_FAIL: return Outcome::Fail;
    case gearproto::WORK_EXCEPTION: return Outcome::Exception;
    default: return Outcome::Incomplete;
  }
}

const char* event_name(Event e) {
  switch (e) {
    case Event::None: return "none";
    case Event::Submitted: return "submitted";
    case Event::Created: return "created";
    case Event::JoinedCreated: return "joined_created";
    case Event::Coalesced: return "coalesced";
    case Event::Refused: return "refused";
    case Event::Assigned: return "assigned";
    case Event::Reassigned: return "reassigned";
    case Event::Update: return "update";
    case Event::LateUpdate: return "late_update";
    case Event::WorkerEnded: return "worker_ended";
    case Event::LateTerminal: return "late_terminal";
    case Event::RefusedTerminal: return "refused_terminal";
    case Event::Result: return "result";
    case Event::LateResult: return "late_result";
    case Event::OrphanResult: return "orphan_result";
    case Event::UnknownHandle: return "unknown_handle";
    case Event::StatusQuery: return "status_query";
    case Event::StatusReply: return "status_reply";
  }
  return "none";
}

namespace {
struct WarningText { const char* name; const char* detail; };
constexpr WarningText kWarningTexts[kWarningKinds] = {
  {"submit_pairing_reset", "unanswered submits forgotten at lost bytes (amount = submits): their jobs show as began-before-the-capture"},
  {"submit_fifo_overflow", "more unanswered submits on one connection than the limit: the oldest were forgotten"},
  {"handle_too_long", "PDUs with a job handle over the protocol's 64 bytes (with its NUL): not tracked as jobs"},
  {"submit_pairing_mismatch", "JOB_ASSIGN names another function than the submit paired with the handle: the assign's is used"},
  {"late_terminal", "a worker's terminal packet after the job's first one (the server ended the job at the first: belongs to no job)"},
  {"late_result", "a result sent to a client after its first one (Gearman::Server forwards a worker's WORK_FAIL after its WORK_EXCEPTION): belongs to no job"},
  {"late_update", "WORK_STATUS/DATA/WARNING after the job's terminal packet (belongs to no job)"},
  {"orphan_result", "results sent to a client for a job not open in the capture"},
  {"unknown_handle", "worker results for handles the server did not know (ERROR JOB_NOT_FOUND): not jobs"},
  {"open_jobs_cap", "jobs closed early, oldest first, because the open-jobs limit was reached; later packets of theirs count as orphans or unknown-start jobs"},
  {"gave_up_waiting", "jobs closed without a packet the other side must have seen (the worker's result, or the client's copy): the capture lost it, or the server never sent it (the abraxas server forwards no WORK_FAIL to clients)"},
  {"refused_terminal", "worker terminal packets without the NUL before their empty last argument (Perl Gearman::Worker's empty or '0' result): gearmand drops the connection and re-queues the job, Gearman::Server answers ERROR and fails it; they end no job"},
  {"accepted_bare_terminal", "worker terminal packets without the NUL before their empty last argument that the server took and relayed to the client as the result (the Node.js abraxas server does): they ended their job"},
};
}  // namespace

const char* warning_name(WarningKind k) { return kWarningTexts[static_cast<int>(k)].name; }
const char* warning_detail(WarningKind k) { return kWarningTexts[static_cast<int>(k)].detail; }

}  // namespace gearjobs
