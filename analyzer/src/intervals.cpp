#include "intervals.h"

#include <algorithm>
#include <map>
#include <stdexcept>

namespace gan {

namespace {
// A clock that jumps further than this many intervals (files days apart, a bad timestamp) does
// not make that many empty intervals: the next one starts where the clock is.
constexpr int64_t kMaxEmptyRun = 100000;
constexpr int64_t kEmitMargin = 500'000'000;  // past the engine's linger: a job's last packets
                                               // come some time after its end

double ms(double ns) { return ns / 1e6; }
}  // namespace

LatencySummary summarize(const LogHistogram& h) {
  LatencySummary s;
  s.count = h.count();
  if (!s.count) return s;
  s.min = ms(double(h.min()));
  static const double kP[] = {0.50, 0.90, 0.99};
  double v[3];
  h.percentiles(kP, v, 3);  // one walk: every interval and function has three of these
  s.p50 = ms(v[0]);
  s.p90 = ms(v[1]);
  s.p99 = ms(v[2]);
  s.max = ms(double(h.max()));
  s.mean = ms(h.mean());
  return s;
}

IntervalStats::IntervalStats(Analyzer& a, int64_t interval_ns, std::function<void(Interval&&)> emit)
    : a_(a),
      interval_ns_(interval_ns > 0 ? interval_ns : 1'000'000'000),
      lag_ns_(a.engine().options().linger_ns + kEmitMargin),
      emit_(std::move(emit)) {
  if (!a.engine().options().gauges) throw std::logic_error("IntervalStats reads the engine's gauges: Options::gauges is off");
}

int64_t IntervalStats::floor_interval(int64_t t) const {
  int64_t r = t % interval_ns_;
  if (r < 0) r += interval_ns_;
  return t - r;
}

void IntervalStats::start(int64_t t) {
  Bin b;
  b.start = floor_interval(t);
  b.end = b.start + interval_ns_;
  pending_.push_back(std::move(b));
}

void IntervalStats::update_next_check() {
  next_check_ = pending_.back().end;
  const Bin& f = pending_.front();
  if (f.snapped) next_check_ = std::min(next_check_, f.end + lag_ns_);
}

void IntervalStats::step(int64_t t) {
  if (pending_.empty()) start(t);
  while (t >= pending_.back().end) {
    Bin& cur = pending_.back();
    snapshot(cur, cur.end);
    int64_t next = cur.end;
    if ((t - next) / interval_ns_ >= kMaxEmptyRun) next = floor_interval(t);
    Bin b;
    b.start = next;
    b.end = next + interval_ns_;
    pending_.push_back(std::move(b));
  }
  if (pending_.front().snapped && t >= pending_.front().end + lag_ns_) {
    a_.stage().advance(t);  // jobs that ended in the intervals to write and lingered past t are closed now
    while (pending_.size() > 1 && pending_.front().snapped && t >= pending_.front().end + lag_ns_) emit_front();
  }
  update_next_check();
}

IntervalStats::Bin& IntervalStats::bin_for(int64_t t, bool* late) {
  if (pending_.empty()) start(t);
  if (t < pending_.front().start) {
    if (late) *late = true;
    return pending_.front();
  }
  for (size_t i = pending_.size(); i-- > 0;)
    if (pending_[i].start <= t) return pending_[i];
  return pending_.front();
}

void IntervalStats::add_busy(int32_t worker, int64_t from, int64_t to) {
  if (worker < 0 || to <= from) return;
  for (Bin& b : pending_) {
    const int64_t lo = std::max(from, b.start), hi = std::min(to, b.end);
    if (hi <= lo) continue;
    if (b.busy.size() <= size_t(worker)) b.busy.resize(size_t(worker) + 1, 0);
    b.busy[size_t(worker)] += hi - lo;
  }
}

OpenJob IntervalStats::describe(const gearjobs::Job& j, bool running, int64_t since, int64_t at) const {
  const JobRecord r = a_.stage().statistics().record(j);
  OpenJob o;
  o.valid = true;
  o.function = r.function;
  o.handle = r.handle;
  o.server = r.server;
  o.worker = r.worker;
  o.running = running;
  o.since = since;
  o.age_ns = since == kNoTime || at < since ? 0 : at - since;
  o.f_submit = r.f_submit;
  o.f_created = r.f_created;
  o.f_assign = r.f_assign;
  return o;
}

void IntervalStats::snapshot(Bin& b, int64_t at) {
  b.snapped = true;
  b.gauges = a_.stage().engine().gauges();
  const Running* oldest = nullptr;
  for (auto& kv : running_) {
    Running& r = kv.second;
    const int64_t from = std::max(r.since, b.start);
    if (at > from) {
      if (b.busy.size() <= size_t(r.worker)) b.busy.resize(size_t(r.worker) + 1, 0);
      b.busy[size_t(r.worker)] += at - from;
    }
    if (at > r.since) r.since = at;
    if (!oldest || r.assigned < oldest->assigned) oldest = &r;
  }
  if (oldest) b.oldest_running = describe(*oldest->job, true, oldest->assigned, at);
  // The table lists jobs by first sight: the first queued one has waited longest (near enough:
  // a job re-queued after its worker was lost keeps its place).
  const gearjobs::Job* from = queued_from_;
  if (from && (from->id != queued_from_id_ ||
               (from->state != gearjobs::JobState::Open && from->state != gearjobs::JobState::Done)))
    from = nullptr;  // closed since (its object may hold another job now)
  const gearjobs::Job* q = a_.stage().engine().first_job_in_table([](const gearjobs::Job& j) { return j.queued(); }, from);
  queued_from_ = q;
  queued_from_id_ = q ? q->id : 0;
  if (q) {
    const int64_t since = q->t_created != kNoTime ? q->t_created : q->t_submit;
    b.oldest_queued = describe(*q, false, since, at);
  }
  b.connected = worker_conns_;
}

void IntervalStats::end_of_capture(int64_t at) {
  a_.settle();  // on the reading thread: the stage's events so far are all seen first
  if (pending_.empty()) return;
  Bin& cur = pending_.back();
  if (at == kNoTime) at = a_.totals().last_ns;
  if (at == kNoTime || at > cur.end) at = cur.end;
  if (at < cur.start) at = cur.start;
  if (!cur.snapped) snapshot(cur, at);
  next_check_ = INT64_MAX;  // no more frames
  ended_ = true;
}

void IntervalStats::flush() {
  while (!pending_.empty()) {
    if (!pending_.front().snapped) snapshot(pending_.front(), pending_.front().end);
    emit_front();
  }
}

void IntervalStats::emit_front() {
  Bin b = std::move(pending_.front());
  pending_.pop_front();
  Interval iv;
  iv.start = b.start;
  iv.end = b.end;
  const gearjobs::FunctionTable& names = a_.stage().engine().functions();
  auto name_of = [&](gearjobs::FunctionId id) -> std::string {
    return id == gearjobs::kNoFunction ? std::string("(unknown)") : names.name(id);
  };
  std::map<std::string, IntervalFunction> fns;
  for (auto& kv : b.fns) {
    IntervalFunction& o = fns[name_of(kv.first)];
    FnBin& f = kv.second;
    o.submitted += f.submitted;
    o.complete += f.complete; o.fail += f.fail; o.exception += f.exception; o.incomplete += f.incomplete;
    o.background += f.background;
    o.late += f.late;
    o.reordered += f.reordered;
    o.queue = summarize(f.queue);
    o.run = summarize(f.run);
    o.total = summarize(f.total);
    if (keep_histograms_) o.total_histogram = std::move(f.total);
  }
  for (size_t id = 0; id < b.gauges.size(); ++id) {
    const gearjobs::FunctionGauge& g = b.gauges[id];
    if (g.queued + g.running == 0) continue;
    IntervalFunction& o = fns[name_of(gearjobs::FunctionId(id))];
    o.in_flight = g.queued + g.running;
    o.queued = g.queued;
  }
  for (auto& kv : fns) {
    kv.second.name = kv.first;
    iv.functions.push_back(std::move(kv.second));
  }
  // Workers: entries merged since (the same client ID on a later connection) add up into theirs.
  const std::vector<WorkerStats>& ws = a_.stage().statistics().workers();
  std::map<std::string, IntervalWorker> workers;
  const size_t n = std::max({b.busy.size(), b.connected.size(), b.lost.size()});
  for (size_t i = 0; i < n && i < ws.size(); ++i) {
    int32_t w = int32_t(i);
    while (ws[size_t(w)].merged_into >= 0) w = ws[size_t(w)].merged_into;
    IntervalWorker& e = workers[ws[size_t(w)].name];
    if (i < b.busy.size()) e.busy_ns += b.busy[i];
    if (i < b.connected.size()) e.connections += b.connected[i];
    if (i < b.lost.size()) e.lost += b.lost[i];
  }
  for (auto& kv : workers) {
    IntervalWorker& w = kv.second;
    if (w.busy_ns <= 0 && w.connections <= 0 && w.lost == 0) continue;
    w.name = kv.first;
    w.busy = double(w.busy_ns) / double(b.end - b.start);
    iv.workers.push_back(std::move(w));
  }
  iv.oldest_running = std::move(b.oldest_running);
  iv.oldest_queued = std::move(b.oldest_queued);
  emit_(std::move(iv));
}

void IntervalStats::widen(int64_t width) {
  if (ended_ || width <= interval_ns_ || width % interval_ns_ != 0) return;
  interval_ns_ = width;
  auto add = [](auto& into, const auto& from) {
    if (into.size() < from.size()) into.resize(from.size(), 0);
    for (size_t i = 0; i < from.size(); ++i) into[i] += from[i];
  };
  std::deque<Bin> merged;
  for (Bin& b : pending_) {
    const int64_t start = floor_interval(b.start);
    if (merged.empty() || merged.back().start != start) {
      Bin n;
      n.start = start;
      n.end = start + width;
      merged.push_back(std::move(n));
    }
    Bin& m = merged.back();
    for (auto& kv : b.fns) {
      FnBin& o = m.fns[kv.first];
      const FnBin& f = kv.second;
      o.submitted += f.submitted;
      o.complete += f.complete; o.fail += f.fail; o.exception += f.exception; o.incomplete += f.incomplete;
      o.background += f.background; o.late += f.late; o.reordered += f.reordered;
      o.queue.merge(f.queue); o.run.merge(f.run); o.total.merge(f.total);
    }
    add(m.busy, b.busy);
    add(m.lost, b.lost);
    // The end state is the last narrow interval's, if that one ends where the wide one does;
    // else it is taken when the clock gets there.
    m.snapped = b.snapped && b.end == m.end;
    if (m.snapped) {
      m.gauges = std::move(b.gauges);
      m.connected = std::move(b.connected);
      m.oldest_running = std::move(b.oldest_running);
      m.oldest_queued = std::move(b.oldest_queued);
    }
  }
  pending_ = std::move(merged);
  if (!pending_.empty()) update_next_check();
}

// ---------------------------------------------------------------------------------------------
// Events

void IntervalStats::on_submitted(gearjobs::FunctionId f, int64_t t) { ++bin_for(t).fns[f].submitted; }

void IntervalStats::stop_running(const gearjobs::Job& j, int64_t t) {
  auto it = running_.find(j.id);
  if (it == running_.end()) return;
  add_busy(it->second.worker, it->second.since, t);
  running_.erase(it);
}

void IntervalStats::on_assigned(const gearjobs::Job& j, int32_t worker, int64_t t) {
  stop_running(j, t);  // re-assigned: the earlier worker lost it
  if (worker < 0 || j.t_worker_done != kNoTime) return;
  running_[j.id] = Running{&j, worker, t, t};
}

void IntervalStats::on_worker_ended(const gearjobs::Job& j, int64_t t) { stop_running(j, t); }

void IntervalStats::on_job_lost(const gearjobs::Job& j, int64_t t) {
  auto it = running_.find(j.id);  // the worker that held it (the engine has cleared it already)
  if (it != running_.end() && it->second.worker >= 0) {
    Bin& b = bin_for(t);
    const size_t w = size_t(it->second.worker);
    if (b.lost.size() <= w) b.lost.resize(w + 1, 0);
    ++b.lost[w];
  }
  stop_running(j, t);
  queued_from_ = nullptr;  // it is queued again, perhaps before the one found last
}

void IntervalStats::on_job_closed(const gearjobs::Job& j, int64_t t) {
  stop_running(j, t);
  int64_t end = j.t_worker_done != kNoTime ? j.t_worker_done : j.t_client_done != kNoTime ? j.t_client_done : t;
  bool late = false;
  FnBin& f = bin_for(end, &late).fns[j.function];
  switch (j.outcome) {
    case Outcome::Complete: ++f.complete; break;
    case Outcome::Fail: ++f.fail; break;
    case Outcome::Exception: ++f.exception; break;
    case Outcome::Incomplete: ++f.incomplete; break;
  }
  if (j.background) ++f.background;
  if (late) ++f.late;
  if (j.reordered) ++f.reordered;
  const int64_t q = j.queue_ns(), r = j.run_ns(), tot = j.total_ns();
  if (q != kNoTime) f.queue.add(uint64_t(q));
  if (r != kNoTime) f.run.add(uint64_t(r));
  if (tot != kNoTime) f.total.add(uint64_t(tot));
}

void IntervalStats::on_worker_connection(int32_t worker, int delta) {
  if (worker < 0) return;
  if (worker_conns_.size() <= size_t(worker)) worker_conns_.resize(size_t(worker) + 1, 0);
  worker_conns_[size_t(worker)] += delta;
}

}  // namespace gan
