#include "statistics.h"

#include <arpa/inet.h>

#include <algorithm>

namespace gan {

using gearjobs::Effect;
using gearjobs::Event;
using gearjobs::Job;

std::string endpoint_string(const netstream::Endpoint& e) {
  char buf[80];
  int n = netstream::format_endpoint(e, buf, sizeof buf);
  return std::string(buf, n > 0 ? size_t(n) : 0);
}

std::string address_string(const netstream::Endpoint& e) {
  char ip[INET6_ADDRSTRLEN] = "?";
  inet_ntop(e.v6 ? AF_INET6 : AF_INET, e.addr, ip, sizeof ip);
  return ip;
}

namespace {
bool slower(const JobRecord& a, const JobRecord& b) { return slowness(a) > slowness(b); }
}  // namespace

void TextCounts::add(gearproto::Bytes text) {
  if (text.size() > kMaxText) text = text.substr(0, kMaxText);
  for (auto& c : counts) {
    if (c.first == text) { ++c.second; return; }
  }
  if (counts.size() < kMaxDistinct) {
    counts.emplace_back(std::string(text), 1);
    return;
  }
  for (auto& c : counts) {  // full: the rest is "(other)", kept last
    if (c.first == "(other)") { ++c.second; return; }
  }
  counts.back() = {"(other)", counts.back().second + 1};
}

std::vector<std::pair<std::string, uint64_t>> TextCounts::sorted() const {
  auto v = counts;
  std::stable_sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  return v;
}

Statistics::Statistics(gearjobs::Engine& engine, Totals& totals, PeerDirectory& peers, size_t top)
    : engine_(engine), totals_(totals), peers_(peers), top_n_(top) {}

uint32_t Statistics::add_server(const std::string& endpoint) {
  ServerStats s;
  s.endpoint = endpoint;
  servers_.push_back(std::move(s));
  return uint32_t(servers_.size() - 1);
}

FunctionStats& Statistics::function(gearjobs::FunctionId id) {
  if (id == gearjobs::kNoFunction) id = engine_.functions().intern("(unknown)");
  if (id >= functions_.size()) {
    size_t old = functions_.size();
    functions_.resize(id + 1);
    for (size_t i = old; i < functions_.size(); ++i) functions_[i].name = engine_.functions().name(gearjobs::FunctionId(i));
  }
  return functions_[id];
}

// ---------------------------------------------------------------------------------------------
// Workers and clients

int32_t Statistics::find_worker(Peer& p, int64_t now) {
  while (p.worker >= 0 && workers_[p.worker].merged_into >= 0) p.worker = workers_[p.worker].merged_into;
  if (p.worker < 0) {
    auto it = p.client_id.empty() ? worker_by_id_.end() : worker_by_id_.find(p.client_id);
    if (it != worker_by_id_.end()) {
      p.worker = it->second;  // the same worker, reconnected
    } else {
      WorkerStats w;
      w.address = endpoint_string(p.endpoint);
      w.name = p.client_id.empty() ? w.address : p.client_id;
      w.first_ns = now;
      workers_.push_back(std::move(w));
      p.worker = int32_t(workers_.size() - 1);
      if (!p.client_id.empty()) worker_by_id_.emplace(p.client_id, p.worker);
    }
    WorkerStats& w = workers_[p.worker];
    ++w.connections;
    w.address = endpoint_string(p.endpoint);
    if (observer_) observer_->on_worker_connection(p.worker, +1);
  }
  WorkerStats& w = workers_[p.worker];
  if (w.first_ns == kNoTime || now < w.first_ns) w.first_ns = now;
  if (w.last_ns == kNoTime || now > w.last_ns) w.last_ns = now;
  return p.worker;
}

// SET_CLIENT_ID on a connection that already works: it takes the ID's name, or joins the worker
// that had that ID on an earlier connection.
void Statistics::name_worker(Peer& p, int64_t now) {
  if (p.worker < 0 || p.client_id.empty()) return;
  (void)now;
  WorkerStats& w = workers_[p.worker];
  if (w.name == p.client_id) return;
  auto it = worker_by_id_.find(p.client_id);
  if (it != worker_by_id_.end() && it->second != p.worker) {
    merge_worker(p.worker, it->second);
    p.worker = it->second;
    return;
  }
  w.name = p.client_id;
  worker_by_id_[p.client_id] = p.worker;
}

void Statistics::merge_worker(int32_t from, int32_t into) {
  WorkerStats& f = workers_[from];
  WorkerStats& t = workers_[into];
  for (const auto& fn : f.functions)
    if (std::find(t.functions.begin(), t.functions.end(), fn) == t.functions.end()) t.functions.push_back(fn);
  t.connections += f.connections;
  t.jobs += f.jobs; t.complete += f.complete; t.fail += f.fail; t.exception += f.exception; t.lost += f.lost;
  t.busy_ns += f.busy_ns;
  t.sleeps += f.sleeps; t.wakes += f.wakes;
  t.open_job += f.open_job;
  if (f.first_ns != kNoTime && (t.first_ns == kNoTime || f.first_ns < t.first_ns)) t.first_ns = f.first_ns;
  if (f.last_ns != kNoTime && (t.last_ns == kNoTime || f.last_ns > t.last_ns)) t.last_ns = f.last_ns;
  t.address = f.address;
  f = WorkerStats{};
  f.merged_into = into;
}

int32_t Statistics::find_client(Peer& p) {
  std::string name = p.client_id.empty() ? address_string(p.endpoint) : p.client_id;
  auto it = client_by_name_.find(name);
  if (it == client_by_name_.end()) {
    ClientStats c;
    c.name = name;
    clients_.push_back(std::move(c));
    it = client_by_name_.emplace(std::move(name), int32_t(clients_.size() - 1)).first;
  }
  p.client = it->second;
  ++clients_[p.client].connections;
  return p.client;
}

// ---------------------------------------------------------------------------------------------
// Per PDU

void Statistics::on_pdu(Peer& p, bool to_server, uint32_t type, const gearproto::ArgSpans& a, const Effect& e,
                        int64_t now) {
  using namespace gearproto;
  if (p.worker >= 0) workers_[p.worker].last_ns = now;  // last seen (a merged entry is never a peer's)
  switch (e.event) {
    case Event::Submitted:
      ++clients_[client_of(p)].submits;
      if (observer_) observer_->on_submitted(engine_.functions().intern(a.get(Arg::Function)), now);
      break;
    case Event::Refused:
      ++totals_.submit_errors;
      ++clients_[client_of(p)].submit_errors;
      break;
    case Event::StatusQuery:
      ++totals_.status_queries;
      break;
    case Event::WorkerEnded:
      if (type == WORK_EXCEPTION && e.job) function(e.job->function).exceptions.add(a.get(Arg::Payload));
      break;
    default:
      break;
  }
  if (type == ERROR && !to_server) error_codes_.add(a.get(Arg::ErrorCode));
  if (to_server) {
    switch (type) {
      case CAN_DO: case CAN_DO_TIMEOUT: {
        WorkerStats& w = workers_[worker_of(p, now)];
        Bytes fn = a.get(Arg::Function);
        if (std::find(w.functions.begin(), w.functions.end(), fn) == w.functions.end()) w.functions.emplace_back(fn);
        break;
      }
      case SET_CLIENT_ID: {
        Bytes id = a.get(Arg::ClientId);
        if (id.empty()) break;
        p.client_id.assign(id.data(), id.size());
        name_worker(p, now);
        break;
      }
      case PRE_SLEEP: ++workers_[worker_of(p, now)].sleeps; break;
      case GRAB_JOB: case GRAB_JOB_UNIQ: case GRAB_JOB_ALL:
      case WORK_STATUS: case WORK_DATA: case WORK_WARNING:
      case WORK_COMPLETE: case WORK_FAIL: case WORK_EXCEPTION:
        worker_of(p, now);
        break;
      default: break;
    }
  } else if (type == NOOP) {  // only workers are woken
    ++workers_[worker_of(p, now)].wakes;
  } else if (e.event == Event::Assigned || e.event == Event::Reassigned) {
    const int32_t w = worker_of(p, now);
    if (observer_ && e.job) observer_->on_assigned(*e.job, w, now);
  }
  if (observer_ && e.event == Event::WorkerEnded && e.job) observer_->on_worker_ended(*e.job, now);
  if (observer_ && e.worker_end_accepted && e.job) observer_->on_worker_ended(*e.job, e.job->t_worker_done);
}

void Statistics::on_admin_reply(const gearproto::AdminReplyLine& line) {
  if (line.kind != gearproto::ReplyLineKind::StatusRow || line.count_n < 2) return;
  FunctionStats& f = function(engine_.functions().intern(line.name));
  uint64_t queued = line.counts[0] >= line.counts[1] ? line.counts[0] - line.counts[1] : 0;
  ++f.depth_samples;
  f.depth_last = queued;
  if (queued > f.depth_max) f.depth_max = queued;
}

// ---------------------------------------------------------------------------------------------
// Per job

void Statistics::on_closed(const Peer& p) {
  if (!observer_ || p.worker < 0) return;
  int32_t w = p.worker;
  while (workers_[w].merged_into >= 0) w = workers_[w].merged_into;
  observer_->on_worker_connection(w, -1);
}

int32_t Statistics::worker_of_conn(uint64_t serial) const {
  Peer* p = serial ? peers_.peer(serial) : nullptr;
  if (!p || p->worker < 0) return -1;
  int32_t w = p->worker;
  while (workers_[w].merged_into >= 0) w = workers_[w].merged_into;
  return w;
}

JobRecord Statistics::record(const Job& j) const {
  JobRecord r;
  r.server = j.server < servers_.size() ? servers_[j.server].endpoint : std::string();
  r.handle = j.handle;
  r.function = engine_.functions().name(j.function);
  r.unique = j.unique;
  if (j.worker_conn) {
    if (Peer* p = peers_.peer(j.worker_conn)) {
      if (p->worker >= 0) {
        int32_t w = p->worker;
        while (workers_[w].merged_into >= 0) w = workers_[w].merged_into;
        r.worker = workers_[w].name;
      } else {
        r.worker = endpoint_string(p->endpoint);
      }
    }
  }
  if (const uint64_t who = j.client_conn ? j.client_conn : j.submit_conn) {
    if (Peer* p = peers_.peer(who)) r.client = p->client >= 0 ? clients_[p->client].name : address_string(p->endpoint);
  }
  r.background = j.background;
  r.unknown_start = j.unknown_start();
  r.ended_by_server = j.ended_by_server;
  r.reordered = j.reordered;
  r.priority = gearproto::priority_name(j.priority);
  r.submits = j.submits;
  r.assignments = j.assignments;
  r.status_polls = j.status_polls;
  r.payload_bytes = j.payload_bytes;
  r.outcome = j.outcome;
  r.t_submit = j.t_submit; r.t_created = j.t_created; r.t_assign_first = j.t_assign_first;
  r.t_assign = j.t_assign; r.t_worker_done = j.t_worker_done; r.t_client_done = j.t_client_done;
  r.f_submit = j.f_submit; r.f_created = j.f_created; r.f_assign_first = j.f_assign_first;
  r.f_assign = j.f_assign; r.f_worker_done = j.f_worker_done; r.f_client_done = j.f_client_done;
  r.queue = j.queue_ns();
  r.run = j.run_ns();
  r.total = j.total_ns();
  return r;
}

void Statistics::on_job_closed(const Job& j) {
  FunctionStats& f = function(j.function);
  ++f.jobs; ++totals_.jobs;
  if (j.server < servers_.size()) ++servers_[j.server].jobs;
  f.submits += j.submits;
  if (j.submits > 1) { f.coalesced += j.submits - 1; totals_.coalesced_submits += j.submits - 1; }
  if (j.background) { ++f.background; ++totals_.background; }
  if (j.unknown_start()) { ++f.unknown_start; ++totals_.unknown_start; }
  if (j.assignments > 1) { ++f.reassigned; ++totals_.reassigned; }
  if (j.reordered) { ++f.reordered; ++totals_.reordered; }
  switch (j.outcome) {
    case Outcome::Complete: ++f.complete; ++totals_.complete; break;
    case Outcome::Fail: ++f.fail; ++totals_.fail; break;
    case Outcome::Exception: ++f.exception; ++totals_.exception; break;
    case Outcome::Incomplete: ++f.incomplete; ++totals_.incomplete; break;
  }
  const int64_t q = j.queue_ns(), run = j.run_ns(), tot = j.total_ns();
  if (q != kNoTime) f.queue.add(uint64_t(q));
  if (run != kNoTime) f.run.add(uint64_t(run));
  if (tot != kNoTime) f.total.add(uint64_t(tot));

  if (j.worker_conn) {
    Peer* p = peers_.peer(j.worker_conn);
    if (p && p->worker >= 0) {
      int32_t wi = p->worker;
      while (workers_[wi].merged_into >= 0) wi = workers_[wi].merged_into;
      WorkerStats& w = workers_[wi];
      if (j.outcome != Outcome::Incomplete && j.t_worker_done != kNoTime) {
        ++w.jobs;
        if (j.outcome == Outcome::Complete) ++w.complete;
        else if (j.outcome == Outcome::Fail) ++w.fail;
        else ++w.exception;
        if (run != kNoTime) w.busy_ns += run;
      } else if (j.outcome == Outcome::Incomplete) {
        ++w.open_job;
      }
    }
  }
  if (j.submit_conn) {  // the client that submitted it (a background job's too)
    Peer* p = peers_.peer(j.submit_conn);
    if (p && p->client >= 0) {
      ClientStats& c = clients_[p->client];
      ++c.jobs;
      if (j.background) ++c.background;
      switch (j.outcome) {
        case Outcome::Complete: ++c.complete; break;
        case Outcome::Fail: ++c.fail; break;
        case Outcome::Exception: ++c.exception; break;
        case Outcome::Incomplete: ++c.incomplete; break;
      }
      if (tot != kNoTime) c.total.add(uint64_t(tot));
    }
  }

  if (record_sink_) record_sink_(record(j));
  if (observer_) observer_->on_job_closed(j, engine_.now());
  const int64_t s = slowness(j);
  if (top_n_ > 0 && s != kNoTime) {
    auto cmp = [](const JobRecord& a, const JobRecord& b) { return slower(a, b); };  // min-heap
    if (top_.size() < top_n_) {
      top_.push_back(record(j));
      std::push_heap(top_.begin(), top_.end(), cmp);
    } else if (s > slowness(top_.front())) {
      std::pop_heap(top_.begin(), top_.end(), cmp);
      top_.back() = record(j);
      std::push_heap(top_.begin(), top_.end(), cmp);
    }
  }
}

void Statistics::on_job_lost(const Job& j, uint64_t worker_conn) {
  if (observer_) observer_->on_job_lost(j, engine_.now());
  Peer* p = peers_.peer(worker_conn);
  if (!p || p->worker < 0) return;
  int32_t wi = p->worker;
  while (workers_[wi].merged_into >= 0) wi = workers_[wi].merged_into;
  ++workers_[wi].lost;
}

std::vector<JobRecord> Statistics::slowest() const {
  std::vector<JobRecord> v = top_;
  std::sort(v.begin(), v.end(), slower);
  return v;
}

}  // namespace gan
