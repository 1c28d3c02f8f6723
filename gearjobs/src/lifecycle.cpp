// The lifecycle rules per packet: submit, JOB_CREATED, assignment, updates, the worker's terminal
// packet and the client's copy of it, status queries. Each joins the job of its handle whatever
// the order the capture shows them in (docs/job-model.md).

#include <algorithm>

#include "conn_state.h"
#include "gearjobs/engine.h"
#include "rules.h"
#include "string_copy.h"

namespace gearjobs {

using namespace gearproto;

namespace {

// Keeps a connection's list of job references short: drops those whose job has closed.
void compact(std::vector<Engine::JobRef>& v) {
  if (v.size() < 64 || (v.size() & (v.size() - 1)) != 0) return;  // at powers of two from 64
  v.erase(std::remove_if(v.begin(), v.end(), [](const Engine::JobRef& r) { return r.get() == nullptr; }), v.end());
}

}  // namespace

Effect Engine::on_binary(ConnRef ref, const PduIn& p) {
  advance(p.t);
  ConnState& c = conn(ref);
  EngineRules r{*this};
  Effect e;
  const PacketInfo& info = *p.header->info;
  const uint32_t type = p.header->type;
  // Too few arguments for its type: a server refuses such a packet (gearmand drops the
  // connection), so it asks nothing and changes no job.
  if (p.args->defects & kMissingArguments) return e;
  r.pair_simple(c, p, e);
  if (p.args->defects & kHandleTooLong) {
    // The protocol caps handles at 64 bytes with their NUL; a longer one names no job a server
    // made, and keeping it would let a hostile capture store megabytes per job. Its JOB_CREATED
    // still answers a submit.
    warnings_.add(WarningKind::HandleTooLong, p.frame);
    if (info.job_role == JobRole::Created && !p.to_server) {
      if (c.submits.empty()) {
        e.unanswered = true;
      } else {
        e.answers = true;
        e.request = c.submits.front().request;
        pop_submit(c);
      }
    }
    return e;
  }
  // A worker's WORK_COMPLETE/FAIL/EXCEPTION whose NUL before an empty last argument is missing
  // (Perl Gearman::Worker's empty result): gearmand reads on into the next packet and drops the
  // connection, so the job goes back to the queue; Gearman::Server answers ERROR not_worker. It
  // ends nothing there. The Node.js abraxas server takes it and relays the result to the client:
  // that copy, before or after this packet on the wire, says the packet ended the job after all.
  if (info.job_role == JobRole::Terminal && p.to_server && (p.args->defects & kMissingLastSeparator)) {
    const Bytes handle = arg(*p.args, Arg::Handle);
    Job* j = handle.empty() ? nullptr : find(c.server, handle);
    if (j && j->outcome_from_result && j->worker_conn == c.serial && j->t_worker_done == kNoTime &&
        j->outcome == outcome_of_terminal(type)) {
      warnings_.add(WarningKind::AcceptedBareTerminal, p.frame);
      r.on_worker_terminal(c, p, e);
      return e;
    }
    warnings_.add(WarningKind::RefusedTerminal, p.frame);
    ++c.refusals_expected;
    if (j && j->worker_conn == c.serial && j->t_worker_done == kNoTime && j->state == JobState::Open) {
      j->refused_outcome = outcome_of_terminal(type);
      j->t_refused_end = p.t;
      j->f_refused_end = p.frame;
      j->refused_conn = c.serial;
    }
    e.job = j;
    e.event = Event::RefusedTerminal;
    return e;
  }
  // The server's next packet to a worker after its terminal packet for an unknown handle: no
  // JOB_NOT_FOUND came, so the handle named a real job.
  if (!p.to_server && type != ERROR) {
    if (Job* j = c.tentative.get()) {
      j->tentative = false;
      c.tentative = JobRef{};
      reevaluate(j);
    }
  }
  switch (info.job_role) {
    case JobRole::Submit: if (p.to_server) r.on_submit(c, p, e); break;
    case JobRole::Created: if (!p.to_server) r.on_created(c, p, e); break;
    case JobRole::Assign: if (!p.to_server) r.on_assign(c, p, e); break;
    case JobRole::Update: r.on_update(c, p, e); break;
    case JobRole::Terminal:
      if (p.to_server) r.on_worker_terminal(c, p, e);
      else r.on_client_result(c, p, e);
      break;
    case JobRole::StatusQuery: case JobRole::StatusReply: r.on_status(c, p, e); break;
    case JobRole::None:
      if (type == ERROR && !p.to_server) r.on_error(c, p, e);
      break;
  }
  return e;
}

// ---------------------------------------------------------------------------------------------
// Small steps shared by the rules

void EngineRules::set_function(Job* j, Bytes name, uint64_t frame) {
  if (name.empty()) return;
  // Mostly the job has its submit's function already: the worker's name is compared with it,
  // not looked up.
  if (j->function != kNoFunction && same_bytes(eng.functions_.name(j->function), name)) return;
  const FunctionId f = eng.functions_.intern(name);
  if (j->function != kNoFunction && j->function != f)
    eng.warnings_.add(WarningKind::SubmitPairingMismatch, frame);  // the worker's name is the server's
  j->function = f;
}

void EngineRules::set_unique(Job* j, Bytes unique) {
  eng.unindex_unique(j);
  copy_bytes(j->unique, unique);
  eng.index_unique(j);
}

void EngineRules::add_waiting(Job* j, Engine::ConnState& c) {
  for (uint64_t w : j->waiting_conns) if (w == c.serial) return;
  // Among the uncounted beyond those two? Only when there are any (a connection waits for `j`
  // exactly when it is named in waiting_conns or counted in waiting_more): the scan reads every
  // job the connection waits for, hundreds for a client that pipelines its submits.
  if (j->waiting_more)
    for (const Engine::JobRef& r : c.results_due) if (r.refers_to(j)) return;
  if (!j->waiting_conns[0]) j->waiting_conns[0] = c.serial;
  else if (!j->waiting_conns[1]) j->waiting_conns[1] = c.serial;
  else ++j->waiting_more;
  compact(c.results_due);
  c.results_due.push_back(Engine::JobRef{j, j->id});
}

bool EngineRules::remove_waiting(Job* j, Engine::ConnState& c) {
  auto it = std::find_if(c.results_due.begin(), c.results_due.end(),
                         [j](const Engine::JobRef& r) { return r.refers_to(j); });
  if (it == c.results_due.end()) return false;
  c.results_due.erase(it);
  for (uint64_t& w : j->waiting_conns) {
    if (w == c.serial) { w = 0; return true; }
  }
  if (j->waiting_more) --j->waiting_more;
  return true;
}

// A job whose first packet in the capture is at its worker: its JOB_CREATED may come later (a
// threaded server assigns before it acknowledges), or its submit was before the capture.
Job* EngineRules::first_seen_at_worker(Engine::ConnState& c, Bytes handle, const PduIn& p) {
  return eng.new_job(c.server, handle, p.frame);
}

// The JOB_CREATED `p` gives job `j` the submit `s` (null when no submit was waiting).
void EngineRules::take_submit(Job* j, Engine::ConnState& c, const PendingSubmit* s, const PduIn& p) {
  j->tentative = false;  // the server named it to a client: a job, whatever it says to the worker
  j->t_created = p.t;
  j->f_created = p.frame;
  j->submits = 1;
  eng.unlink_awaiting(j);
  if (j->f_assign_first && j->f_assign_first < p.frame) j->reordered |= kAssignedBeforeCreated;
  if (!s) return;
  if (j->function == kNoFunction) j->function = s->function;
  else if (j->function != s->function) eng.warnings_.add(WarningKind::SubmitPairingMismatch, p.frame);
  if (j->unique.empty() && !s->unique.empty()) set_unique(j, s->unique);
  j->priority = s->priority;
  j->background = s->background;
  if (!j->payload_bytes) j->payload_bytes = s->payload_bytes;
  j->t_submit = s->request.t;
  j->f_submit = s->request.frame;
  j->submit_conn = c.serial;
  if (!s->background) {
    j->client_conn = c.serial;
    j->t_client_submit = s->request.t;
    add_waiting(j, c);
  }
}

// ---------------------------------------------------------------------------------------------
// Client side

void EngineRules::on_submit(Engine::ConnState& c, const PduIn& p, Effect& e) {
  if (c.submits.size() >= eng.opt_.max_pending_submits) {
    eng.warnings_.add(WarningKind::SubmitFifoOverflow, p.frame);
    eng.pop_submit(c);
  }
  const ArgSpans& a = *p.args;
  PendingSubmit& s = c.submits.push_back();
  s.function = eng.functions_.intern(arg(a, Arg::Function));
  const Bytes u = arg(a, Arg::Unique);
  copy_bytes(s.unique, u);
  s.priority = p.header->info->priority;
  s.background = p.header->info->background;
  s.payload_bytes = arg(a, Arg::Payload).size();
  s.request = Request{p.frame, p.t, p.tag, p.header->type, false};
  ++eng.server(c.server).pending_submits;
  e.event = Event::Submitted;
}

void EngineRules::on_created(Engine::ConnState& c, const PduIn& p, Effect& e) {
  const Bytes handle = arg(*p.args, Arg::Handle);
  PendingSubmit* s = c.submits.empty() ? nullptr : &c.submits.front();
  if (s) {
    e.answers = true;
    e.request = s->request;
  } else {
    e.unanswered = true;
  }
  if (handle.empty()) {
    if (s) eng.pop_submit(c);
    return;
  }
  Job* j = eng.find(c.server, handle);
  if (j && j->f_created == 0 && j->submits == 0) {
    // Seen at its worker first: the same job, now acknowledged to its client.
    take_submit(j, c, s, p);
    e.event = Event::JoinedCreated;
    e.job_created_here = true;
  } else if (j && ((j->t_worker_done == kNoTime && !j->ended_by_server) ||
                   (s && !s->unique.empty() && same_bytes(s->unique, j->unique) && s->function == j->function))) {
    // Coalesced: another submit with the same unique ID got the job in progress. (A job that has
    // ended takes it only with the same unique ID: its JOB_CREATED was on the wire late.)
    ++j->submits;
    if (s && !s->background) {
      if (!j->client_conn) {
        j->client_conn = c.serial;
        j->t_client_submit = s->request.t;
      }
      add_waiting(j, c);
    }
    e.event = Event::Coalesced;
  } else {
    if (j) eng.close(j);  // the server reused a handle (it restarted): the old job is over
    j = eng.new_job(c.server, handle, p.frame);
    take_submit(j, c, s, p);
    e.event = Event::Created;
    e.job_created_here = true;
  }
  e.job = j;
  if (s) eng.pop_submit(c);
  eng.regauge(j);
  eng.reevaluate(j);
}

void EngineRules::on_client_result(Engine::ConnState& c, const PduIn& p, Effect& e) {
  const Bytes handle = arg(*p.args, Arg::Handle);
  Job* j = handle.empty() ? nullptr : eng.find(c.server, handle);
  if (!j) {
    eng.warnings_.add(WarningKind::OrphanResult, p.frame);
    e.event = Event::OrphanResult;
    return;
  }
  e.job = j;
  const bool was_waiting = remove_waiting(j, c);
  const bool first_of_unknown = !was_waiting && j->client_conn == 0 && j->f_client_done == 0;
  if (!was_waiting && !first_of_unknown) {
    // This client had its result (Gearman::Server forwards a Perl worker's WORK_FAIL after its
    // WORK_EXCEPTION): belongs to no job's outcome.
    eng.warnings_.add(WarningKind::LateResult, p.frame);
    e.event = Event::LateResult;
    return;
  }
  e.event = Event::Result;
  // The server's copy of what its worker sent without the NUL (see on_binary): taken after all,
  // unless the job went to another worker since (gearmand) or the server failed it (Gearman::Server).
  if (j->f_refused_end && j->t_worker_done == kNoTime && !j->ended_by_server && j->worker_conn == j->refused_conn &&
      outcome_of_terminal(p.header->type) == j->refused_outcome) {
    accept_bare_terminal(j);
    e.worker_end_accepted = true;
  }
  if (first_of_unknown || c.serial == j->client_conn) {
    j->t_client_done = p.t;
    j->f_client_done = p.frame;
    e.job_result_here = true;
    if (j->t_client_submit != kNoTime && p.t < j->t_client_submit) j->reordered |= kResultBeforeSubmit;
  }
  if (j->t_worker_done == kNoTime && !j->ended_by_server && !j->outcome_from_result) {
    j->outcome = outcome_of_terminal(p.header->type);
    if (j->worker_conn == 0) {
      // No worker holds it: the server ended the job itself (Gearman::Server fails a job its
      // maxqueue evicts; gearmand one whose worker died too often) or the capture lost the rest.
      j->ended_by_server = true;
      e.job_ended_here = true;
    } else {
      j->outcome_from_result = true;  // its worker's terminal packet is yet to come on the wire
    }
  }
  eng.regauge(j);
  eng.reevaluate(j);
}

// ---------------------------------------------------------------------------------------------
// Worker side

void EngineRules::on_assign(Engine::ConnState& c, const PduIn& p, Effect& e) {
  const ArgSpans& a = *p.args;
  const Bytes handle = arg(a, Arg::Handle);
  if (handle.empty()) return;
  Job* j = eng.find(c.server, handle);
  if (!j) j = first_seen_at_worker(c, handle, p);
  j->tentative = false;  // the server gave it to a worker: a job, whatever it answers another worker
  e.job = j;
  set_function(j, arg(a, Arg::Function), p.frame);
  const Bytes u = arg(a, Arg::Unique);
  if (!u.empty() && !same_bytes(j->unique, u)) set_unique(j, u);
  if (!j->payload_bytes) j->payload_bytes = arg(a, Arg::Payload).size();
  const bool first = j->t_assign_first == kNoTime;
  const uint64_t previous_worker = j->worker_conn;
  e.event = first ? Event::Assigned : Event::Reassigned;
  if (first) {
    j->t_assign_first = p.t;
    j->f_assign_first = p.frame;
  }
  ++j->assignments;
  if (first || j->t_worker_done == kNoTime) {  // run time starts at the assignment that ran it
    j->t_assign = p.t;
    j->f_assign = p.frame;
    j->worker_conn = c.serial;
  }
  if (j->f_worker_done && j->f_worker_done < p.frame) j->reordered |= kEndedBeforeAssigned;
  // Given to another worker while the first still held it: the first was lost (the plugin sees
  // no connection close; the analyzer reported it at the close already and cleared the worker).
  if (!first && previous_worker && previous_worker != c.serial && j->t_worker_done == kNoTime && eng.sink_)
    eng.sink_->on_job_lost(*j, previous_worker);
  compact(c.assigned);
  c.assigned.push_back(Engine::JobRef{j, j->id});
  eng.regauge(j);
  eng.reevaluate(j);
}

void EngineRules::on_update(Engine::ConnState& c, const PduIn& p, Effect& e) {
  const Bytes handle = arg(*p.args, Arg::Handle);
  if (handle.empty()) return;
  Job* j = eng.find(c.server, handle);
  if (!p.to_server) {  // the server's copy to a client
    if (j) {
      e.job = j;
      e.event = Event::Update;
    }
    return;
  }
  if (j && j->t_worker_done != kNoTime) {
    eng.warnings_.add(WarningKind::LateUpdate, p.frame);
    e.job = j;
    e.event = Event::LateUpdate;
    return;
  }
  if (!j) {  // the capture began while this worker ran the job
    j = first_seen_at_worker(c, handle, p);
    j->worker_conn = c.serial;
    compact(c.assigned);
    c.assigned.push_back(Engine::JobRef{j, j->id});
  }
  e.job = j;
  e.event = Event::Update;
}

void EngineRules::on_worker_terminal(Engine::ConnState& c, const PduIn& p, Effect& e) {
  const Bytes handle = arg(*p.args, Arg::Handle);
  if (handle.empty()) return;
  Job* j = eng.find(c.server, handle);
  if (j && j->t_worker_done != kNoTime) {
    // The server ended the job at the worker's first terminal packet; gearmand answers this one
    // with ERROR JOB_NOT_FOUND, Gearman::Server forwards it to the client.
    eng.warnings_.add(WarningKind::LateTerminal, p.frame);
    ++c.not_found_expected;
    e.job = j;
    e.event = Event::LateTerminal;
    return;
  }
  if (!j) {
    // Unknown handle: a job that began before the capture, or no job at all (gearmand would
    // answer JOB_NOT_FOUND next). Tentative until the server's next packet to this worker.
    if (Job* older = c.tentative.get()) {
      older->tentative = false;
      eng.reevaluate(older);
    }
    j = first_seen_at_worker(c, handle, p);
    j->tentative = true;
    c.tentative = Engine::JobRef{j, j->id};
  }
  e.job = j;
  e.event = Event::WorkerEnded;
  e.job_ended_here = true;
  j->outcome = outcome_of_terminal(p.header->type);
  j->outcome_from_result = false;
  j->ended_by_server = false;
  j->t_worker_done = p.t;
  j->f_worker_done = p.frame;
  j->worker_conn = c.serial;
  if (j->f_client_done && j->f_client_done < p.frame) j->reordered |= kResultBeforeEnd;
  auto it = std::find_if(c.assigned.begin(), c.assigned.end(),
                         [j](const Engine::JobRef& r) { return r.refers_to(j); });
  if (it != c.assigned.end()) c.assigned.erase(it);
  eng.regauge(j);
  eng.reevaluate(j);
}

// The refused terminal packet recorded in `j` ended it: as on_worker_terminal would have, at its
// frame. It was counted as refused_terminal; it is accepted_bare_terminal now, and its connection
// expects no ERROR for it.
void EngineRules::accept_bare_terminal(Job* j) {
  eng.warnings_.retract(WarningKind::RefusedTerminal);
  eng.warnings_.add(WarningKind::AcceptedBareTerminal, j->f_refused_end);
  for (const auto& cs : eng.conns_) {
    if (cs->in_use && cs->serial == j->refused_conn) {
      if (cs->refusals_expected) --cs->refusals_expected;
      break;
    }
  }
  j->outcome = j->refused_outcome;
  j->outcome_from_result = false;
  j->t_worker_done = j->t_refused_end;
  j->f_worker_done = j->f_refused_end;
  if (j->f_client_done && j->f_client_done < j->f_worker_done) j->reordered |= kResultBeforeEnd;
  j->f_refused_end = 0;
  j->t_refused_end = kNoTime;
}

// ---------------------------------------------------------------------------------------------
// Status

void EngineRules::on_status(Engine::ConnState& c, const PduIn& p, Effect& e) {
  const ArgSpans& a = *p.args;
  const uint32_t type = p.header->type;
  Job* j = nullptr;
  if (type == GET_STATUS || type == STATUS_RES) {
    const Bytes h = arg(a, Arg::Handle);
    if (!h.empty()) j = eng.find(c.server, h);
  } else {
    j = eng.find_by_unique(c.server, arg(a, Arg::Unique));
  }
  const bool query = type == GET_STATUS || type == GET_STATUS_UNIQUE;
  if (query && !p.to_server) return;
  if (!query && p.to_server) return;
  e.event = query ? Event::StatusQuery : Event::StatusReply;
  e.job = j;
  if (j && query && j->state == JobState::Open) ++j->status_polls;
}

}  // namespace gearjobs
