// Request/answer pairing on one connection: every packet type that has an answer, the ERROR
// rules, and the admin text protocol. Answers come in order on one connection.

#include "conn_state.h"
#include "gearjobs/engine.h"
#include "rules.h"

namespace gearjobs {

using namespace gearproto;

namespace {

void push(RequestQueue<Request>& q, size_t limit, const PduIn& p) {
  if (q.size() >= limit) q.pop_front();
  Request& r = q.push_back();
  r = Request{p.frame, p.t, p.tag, p.header->type, false};
}

// Pops the oldest request of `q` into the effect. Returns false when none was waiting.
bool answer(RequestQueue<Request>& q, Effect& e) {
  if (q.empty()) return false;
  e.answers = true;
  e.request = q.front();
  q.pop_front();
  return true;
}

}  // namespace

// Requests and answers that are not about one job (GRAB_JOB's answer JOB_ASSIGN is also about a
// job; the lifecycle rules handle that part).
void EngineRules::pair_simple(Engine::ConnState& c, const PduIn& p, Effect& e) {
  const size_t limit = eng.opt_.max_pending_requests;
  switch (p.header->type) {
    case GRAB_JOB: case GRAB_JOB_UNIQ: case GRAB_JOB_ALL:
      if (p.to_server) push(c.grabs, limit, p);
      break;
    case NO_JOB: case JOB_ASSIGN: case JOB_ASSIGN_UNIQ: case JOB_ASSIGN_ALL:
      if (!p.to_server && !answer(c.grabs, e)) e.unanswered = true;
      break;
    case PRE_SLEEP:
      if (p.to_server) push(c.sleeps, limit, p);
      break;
    case NOOP:  // a wake-up nobody slept for is allowed: the server may send it any time
      if (!p.to_server) answer(c.sleeps, e);
      break;
    case ECHO_REQ:
      if (p.to_server) push(c.echoes, limit, p);
      break;
    case ECHO_RES:
      if (!p.to_server && !answer(c.echoes, e)) e.unanswered = true;
      break;
    case GET_STATUS: case GET_STATUS_UNIQUE:
      if (p.to_server) push(c.statuses, limit, p);
      break;
    case STATUS_RES: case STATUS_RES_UNIQUE:
      if (!p.to_server && !answer(c.statuses, e)) e.unanswered = true;
      break;
    case OPTION_REQ:
      if (p.to_server) push(c.options, limit, p);
      break;
    case OPTION_RES:
      if (!p.to_server && !answer(c.options, e)) e.unanswered = true;
      break;
    default:
      break;
  }
}

// ERROR from the server. JOB_NOT_FOUND after a worker's terminal packet says that packet named
// no job. Any other ERROR answers the oldest request that the server may refuse with one: a
// submit (e.g. QUEUE_FULL), an OPTION_REQ, or a GRAB_JOB_ALL Gearman::Server does not know.
void EngineRules::on_error(Engine::ConnState& c, const PduIn& p, Effect& e) {
  const Bytes code = arg(*p.args, Arg::ErrorCode);
  if (code == "JOB_NOT_FOUND") {
    Job* j = c.tentative.get();
    c.tentative = Engine::JobRef{};
    // A JOB_CREATED that named the handle in between made it real: then the server refused only
    // this worker's packet, and the job stays.
    if (j && j->tentative) {
      eng.warnings_.add(WarningKind::UnknownHandle, p.frame);
      eng.void_job(j);
      e.job = j;
      e.event = Event::UnknownHandle;
      return;
    }
    if (j) return;  // it answered that worker's packet all the same
    if (c.not_found_expected > 0) {
      --c.not_found_expected;
      return;
    }
  }
  if (c.refusals_expected > 0) {  // the answer to a packet the server refused
    --c.refusals_expected;
    return;
  }
  uint64_t best = UINT64_MAX;
  int which = -1;
  if (!c.submits.empty() && c.submits.front().request.frame < best) { best = c.submits.front().request.frame; which = 0; }
  if (!c.options.empty() && c.options.front().frame < best) { best = c.options.front().frame; which = 1; }
  if (!c.grabs.empty() && c.grabs.front().frame < best) { best = c.grabs.front().frame; which = 2; }
  switch (which) {
    case 0:
      e.answers = true;
      e.request = c.submits.front().request;
      e.event = Event::Refused;
      eng.pop_submit(c);
      break;
    case 1: answer(c.options, e); break;
    case 2: answer(c.grabs, e); break;
    default: break;
  }
}

Effect Engine::on_admin_command(ConnRef ref, const AdminRequest& r, uint64_t frame, Time t, uint64_t tag) {
  advance(t);
  ConnState& c = conn(ref);
  if (!c.admin) c.admin = std::make_unique<AdminState>();
  AdminState& a = *c.admin;
  const uint64_t seq = a.next_seq++;
  a.commands[seq % AdminPairing::kMaxPending] = Request{frame, t, tag, uint32_t(r.command), true};
  a.pairing.on_command(r.command, seq);
  return Effect{};
}

Effect Engine::on_admin_reply(ConnRef ref, Bytes line, AdminReplyLine& out, uint64_t frame, Time t) {
  (void)frame;
  advance(t);
  ConnState& c = conn(ref);
  if (!c.admin) c.admin = std::make_unique<AdminState>();
  AdminState& a = *c.admin;
  AdminPairing::Pair pr = a.pairing.on_reply_line(line, out);
  Effect e;
  e.admin_first_line = pr.first_line;
  e.admin_last_line = pr.last_line;
  if (pr.matched) {
    // The pairing holds at most kMaxPending commands, so the ring slot is still this command's.
    e.answers = true;
    e.request = a.commands[pr.command_seq % AdminPairing::kMaxPending];
  } else {
    e.unanswered = pr.first_line;
  }
  return e;
}

}  // namespace gearjobs
