// When a job is Done, when it closes, and what ends its waiting: the rules of docs/job-model.md
// that are about time and connections rather than about one packet.

#include <algorithm>
#include <cstddef>

#include "conn_state.h"
#include "gearjobs/engine.h"

namespace gearjobs {

Engine::Engine(const Options& o) : opt_(o) {
  // A queue of no requests could not hold the one at hand: at least one waits.
  if (opt_.max_pending_submits == 0) opt_.max_pending_submits = 1;
  if (opt_.max_pending_requests == 0) opt_.max_pending_requests = 1;
  // The hard bound holds whatever the soft one says; a job never lingers longer than linger_ns.
  opt_.busy_lingering = std::min(opt_.busy_lingering, opt_.max_lingering);
  opt_.min_linger_ns = std::max<Time>(0, std::min(opt_.min_linger_ns, opt_.linger_ns));
}
Engine::~Engine() = default;

// ---------------------------------------------------------------------------------------------
// Connections

ConnRef Engine::open_conn(uint32_t srv, uint64_t serial) {
  server(srv);
  uint32_t slot;
  if (!free_conn_slots_.empty()) {
    slot = free_conn_slots_.back();
    free_conn_slots_.pop_back();
  } else {
    slot = uint32_t(conns_.size());
    conns_.push_back(std::make_unique<ConnState>());
  }
  conns_[slot]->reset(srv, serial);
  ++open_conns_;
  return ConnRef{slot};
}

void Engine::close_conn(ConnRef ref, Time t) {
  if (!ref.valid() || ref.slot >= conns_.size() || !conns_[ref.slot]->in_use) return;
  advance(t);
  ConnState& c = conn(ref);
  // A worker that died: its unfinished jobs go back to the server's queue.
  for (const JobRef& r : c.assigned) {
    Job* j = r.get();
    if (!j || j->state != JobState::Open || j->worker_conn != c.serial || j->t_worker_done != kNoTime) continue;
    j->worker_conn = 0;
    if (sink_) sink_->on_job_lost(*j, c.serial);
    // Its client already had the result (a capture that shows replies early): no worker will
    // send one now, so what the client got is the outcome.
    if (j->outcome_from_result) j->ended_by_server = true;
    regauge(j);
    reevaluate(j);
  }
  // A client that left waits for nothing (results_due holds the jobs it still waited for: named
  // in waiting_conns, or one of the uncounted beyond them).
  for (const JobRef& r : c.results_due) {
    Job* j = r.get();
    if (!j) continue;
    uint64_t* w = std::find(std::begin(j->waiting_conns), std::end(j->waiting_conns), c.serial);
    if (w != std::end(j->waiting_conns)) *w = 0;
    else if (j->waiting_more) --j->waiting_more;
    reevaluate(j);
  }
  if (Job* j = c.tentative.get()) {
    j->tentative = false;  // no JOB_NOT_FOUND can come on a closed connection
    c.tentative = JobRef{};
    reevaluate(j);
  }
  while (!c.submits.empty()) pop_submit(c);
  c.in_use = false;
  c.assigned.clear();
  c.results_due.clear();
  c.admin.reset();
  free_conn_slots_.push_back(ref.slot);
  --open_conns_;
}

void Engine::lost_bytes(ConnRef ref, uint64_t frame) {
  if (!ref.valid() || ref.slot >= conns_.size() || !conns_[ref.slot]->in_use) return;
  ConnState& c = conn(ref);
  // Lost bytes may hold requests or their answers: pairing in order cannot be trusted across
  // them. Unanswered submits are forgotten (their jobs will show as began-before-the-capture)
  // rather than paired with the wrong handles.
  if (!c.submits.empty()) warnings_.add(WarningKind::SubmitPairingReset, frame, c.submits.size());
  while (!c.submits.empty()) pop_submit(c);
  c.grabs.clear(); c.sleeps.clear(); c.echoes.clear(); c.statuses.clear(); c.options.clear();
  if (c.admin) c.admin.reset();
}

void Engine::pop_submit(ConnState& c) {
  c.submits.pop_front();
  ServerState& s = server(c.server);
  if (s.pending_submits > 0 && --s.pending_submits == 0) release_awaiting(c.server);
}

// No submit of this server is unanswered: a job seen at its worker first can get no JOB_CREATED
// now (its submit, had it been captured, would be waiting), so its start is not in the capture.
void Engine::release_awaiting(uint32_t srv) {
  while (Job* j = server(srv).awaiting) {
    unlink_awaiting(j);
    reevaluate(j);
  }
}

// ---------------------------------------------------------------------------------------------
// Done, lingering, closed

namespace {
bool has_waiting_clients(const Job& j) {
  return j.waiting_conns[0] || j.waiting_conns[1] || j.waiting_more;
}
// A timer fires a second (linger) or ten (expect) after it was set, when its job has long left
// the cache: its lines are asked for when the timer comes to the front, so that they are there
// when it fires (a miss per job per timer was the largest cost of the analyzer's job engine).
void prefetch_lines(const Job* j, size_t bytes) {
  const char* p = reinterpret_cast<const char*>(j);
  for (size_t off = 0; off < bytes; off += 64) __builtin_prefetch(p + off);
}
}  // namespace

void Engine::reevaluate(Job* j) {
  if (j->state != JobState::Open && j->state != JobState::Done) return;
  const bool ended = j->t_worker_done != kNoTime || j->ended_by_server;
  const bool pending_creation = j->f_created == 0 && server(j->server).pending_submits > 0;
  const bool done = !j->tentative && (j->gave_up_waiting ||
                                      (ended && !pending_creation && !has_waiting_clients(*j)));
  if (done) {
    unlink_awaiting(j);
    if (j->state == JobState::Open) {
      j->state = JobState::Done;
      ++j->done_gen;
      lingering_.push_back(Timer{now_ + opt_.linger_ns, JobRef{j, j->id}, j->done_gen});
      regauge(j);
      while (lingering_.size() > opt_.busy_lingering) {
        Timer t = lingering_.front();
        // Lingered less than min_linger_ns (its timer was set linger_ns after it was Done).
        if (lingering_.size() <= opt_.max_lingering && t.due - opt_.linger_ns + opt_.min_linger_ns > now_) break;
        lingering_.pop_front();
        Job* o = t.ref.get();
        if (o && o->state == JobState::Done && o->done_gen == t.gen) close(o);
      }
    }
    return;
  }
  if (j->state == JobState::Done) {  // a new waiting client (a late coalesced JOB_CREATED)
    j->state = JobState::Open;
    regauge(j);
  }
  if (ended && pending_creation && !j->awaiting_created) {
    ServerState& s = server(j->server);
    j->awaiting_created = true;
    j->prev_awaiting = nullptr;
    j->next_awaiting = s.awaiting;
    if (s.awaiting) s.awaiting->prev_awaiting = j;
    s.awaiting = j;
  }
  // Half ended (one side saw the end, the other not yet): give the other side expect_ns.
  if (!j->expect_watched && (ended || j->t_client_done != kNoTime)) {
    j->expect_watched = true;
    // A timer outlives a job that closes before it is due (closed early by the cap, or Done and
    // lingered out): when the clock stands still they would pile up, so the stale ones go once
    // they outnumber the jobs in the table.
    if (expecting_.size() > 2 * in_table_ + 1024) {
      expecting_.erase(std::remove_if(expecting_.begin(), expecting_.end(),
                                      [](const Timer& t) {
                                        const Job* o = t.ref.get();
                                        return !o || o->state != JobState::Open;
                                      }),
                       expecting_.end());
    }
    expecting_.push_back(Timer{now_ + opt_.expect_ns, JobRef{j, j->id}, 0});
  }
}

void Engine::expire() {
  while (!lingering_.empty() && lingering_.front().due <= now_) {
    Timer tm = lingering_.front();
    lingering_.pop_front();
    Job* j = tm.ref.get();
    if (j && j->state == JobState::Done && j->done_gen == tm.gen) close(j);
  }
  while (!expecting_.empty() && expecting_.front().due <= now_) {
    Timer tm = expecting_.front();
    expecting_.pop_front();
    Job* j = tm.ref.get();
    if (!j || j->state != JobState::Open) continue;
    // Creation is only waited for while someone's submit is unanswered; a worker's or a
    // client's copy of the end that never came is a packet the capture lost.
    const bool ended = j->t_worker_done != kNoTime || j->ended_by_server;
    if (j->outcome_from_result && j->t_worker_done == kNoTime) j->ended_by_server = true;
    if ((ended && has_waiting_clients(*j)) || j->outcome_from_result)
      warnings_.add(WarningKind::GaveUpWaiting, j->f_worker_done ? j->f_worker_done : j->f_client_done);
    j->gave_up_waiting = true;
    j->tentative = false;
    reevaluate(j);
  }
  prefetch_timers();
}

// What the next timers to fire will read, in two steps: the jobs of the next few lingering
// timers; and for the first, whose job came in an earlier step, what closing it touches (its
// table slot, its neighbours in the table's list). An expect timer mostly finds its job closed
// already: it reads the job's id and state.
void Engine::prefetch_timers() const {
  const size_t n = lingering_.size();
  if (n > 0) {
    const Timer& t = lingering_.front();
    const Job* j = t.ref.job;
    if (j->id == t.ref.id && j->state == JobState::Done && j->done_gen == t.gen) {
      handles_.prefetch(j);
      if (j->older) __builtin_prefetch(&j->older->newer);
      if (j->newer) __builtin_prefetch(&j->newer->older);
    }
  }
  for (size_t i = 1; i < n && i <= 3; ++i) prefetch_lines(lingering_[i].ref.job, sizeof(Job));
  if (!expecting_.empty()) prefetch_lines(expecting_.front().ref.job, offsetof(Job, state) + 1);
}

// Out of the table, its lists and the unique-ID index, into its final state; the object is reused
// afterwards unless the engine keeps its jobs.
void Engine::take_out(Job* j, JobState final_state) {
  unlink_awaiting(j);
  unindex_unique(j);
  handles_.erase(j);
  (j->older ? j->older->newer : oldest_) = j->newer;
  (j->newer ? j->newer->older : newest_) = j->older;
  j->older = j->newer = nullptr;
  --in_table_;
  j->state = final_state;
  regauge(j);
}

void Engine::close(Job* j, bool early) {
  (void)early;
  // A tentative job still in the table at its close was real: no JOB_NOT_FOUND came.
  j->tentative = false;
  take_out(j, JobState::Closed);
  if (sink_) sink_->on_job_closed(*j);
  if (!opt_.keep_jobs) free_jobs_.push_back(j);
}

void Engine::void_job(Job* j) {
  take_out(j, JobState::Void);
  if (!opt_.keep_jobs) free_jobs_.push_back(j);
}

void Engine::finish() {
  while (oldest_) close(oldest_);
  lingering_.clear();
  expecting_.clear();
}

void Engine::reset() {
  functions_.clear();
  warnings_ = Warnings{};
  gauges_.clear();
  now_ = INT64_MIN;
  conns_.clear();
  free_conn_slots_.clear();
  open_conns_ = 0;
  servers_.clear();
  handles_.clear();
  unique_index_.clear();
  unique_indexed_ = false;
  store_.clear();
  free_jobs_.clear();
  oldest_ = newest_ = nullptr;
  in_table_ = 0;
  next_job_id_ = 1;
  lingering_.clear();
  expecting_.clear();
}

// ---------------------------------------------------------------------------------------------
// Gauges: what each function has open, by phase

void Engine::move_gauge(Job* j, uint8_t phase, FunctionId fn) {
  if (j->gauge_phase) {
    FunctionGauge& g = gauges_[j->gauge_function];
    (j->gauge_phase == 1 ? g.queued : g.running)--;
  }
  j->gauge_phase = phase;
  j->gauge_function = fn;
  if (phase) {
    if (fn >= gauges_.size()) gauges_.resize(fn + 1);
    FunctionGauge& g = gauges_[fn];
    (phase == 1 ? g.queued : g.running)++;
  }
}

}  // namespace gearjobs
