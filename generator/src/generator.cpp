#include "geargen/generator.h"

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <deque>
#include <map>
#include <string_view>
#include <stdexcept>
#include <string>
#include <vector>

#include "gearproto/encoder.h"
#include "gearproto/packet_table.h"
#include "pcap_writer.h"
#include "rng.h"
#include "tcp_net.h"

namespace geargen {
namespace gp = gearproto;
namespace {

// ---------------------------------------------------------------------------------------------
// Ground truth.
struct Samples {
  std::vector<uint32_t> queue, run, total;
};
struct FnTruth {
  uint64_t jobs = 0, complete = 0, fail = 0, exception = 0, incomplete = 0, background = 0;
  uint64_t coalesced_submits = 0, submits = 0;
  uint64_t reassigned = 0, reordered = 0;  // written with the wire-order options
  Samples s;
};

// What a worker connection did, as an analyzer of the capture can count it per connection.
struct WorkerConnTruth {
  uint16_t port = 0;
  uint64_t jobs = 0, complete = 0, fail = 0, exception = 0;  // jobs it ended
  // Jobs it held when its connection closed: when it died (the server gave them to another
  // worker), or a stuck worker's job at the end of the capture (the server would queue it again).
  uint64_t lost = 0;
  uint8_t death = 0;  // 0 alive to the end, 1 died with FIN, 2 died with RST
};

// Wire orders a job showed, by the times written to the capture (bits; the first three are the
// job engine's gearjobs::Reorder bits of the same meaning).
enum : uint8_t {
  kAssignBeforeCreated = 1u << 0,  // its first JOB_ASSIGN before the creating client's JOB_CREATED
  kEndBeforeAssign = 1u << 1,      // the worker's terminal packet before the JOB_ASSIGN that ran it
  kResultBeforeEnd = 1u << 2,      // the creating client's result before the worker's terminal packet
  kEndBeforeCreated = 1u << 4,     // the worker's terminal packet before the JOB_CREATED too
};

// |to - from|, or 0 when `to` is earlier: the job engine's rule for an interval a non-causal
// wire order would make negative (gearjobs::Job::span), so the truth is what it reports.
uint64_t span(uint64_t from, uint64_t to) { return to >= from ? to - from : 0; }

void put_stats(std::FILE* f, const char* key, std::vector<uint32_t>& v) {
  std::sort(v.begin(), v.end());
  std::fprintf(f, "\"%s\": {\"count\": %zu", key, v.size());
  if (!v.empty()) {
    auto rank = [&](double p) {  // nearest rank: the ceil(p/100 * N)-th smallest
      size_t k = size_t(std::ceil(p / 100.0 * double(v.size())));
      if (k < 1) k = 1;
      return v[k - 1];
    };
    uint64_t sum = 0;
    for (uint32_t x : v) sum += x;
    std::fprintf(f, ", \"min\": %.3f, \"p50\": %.3f, \"p90\": %.3f, \"p99\": %.3f, \"max\": %.3f, \"mean\": %.6f",
                 v.front() / 1000.0, rank(50) / 1000.0, rank(90) / 1000.0, rank(99) / 1000.0,
                 v.back() / 1000.0, double(sum) / double(v.size()) / 1000.0);
  }
  std::fputc('}', f);
}

// ---------------------------------------------------------------------------------------------
// The simulation: discrete events in time order; every packet is queued at or after its event.
enum class Ev : uint8_t { Arrival, Ready, WorkerGrab, WorkerSleep, WorkerStatus, WorkerDone, Admin, Finish,
                          WorkerDie, WorkerReconnect };
struct Event {
  uint64_t time, order;
  Ev kind;
  uint32_t a;
};
struct EvLater {
  bool operator()(const Event& x, const Event& y) const {
    return x.time != y.time ? x.time > y.time : x.order > y.order;
  }
};

enum class Outcome : uint8_t { Complete, Fail, Exception };

// The wire order chosen for a job (at most one each; docs/generator.md).
enum class Order : uint8_t {
  Causal,
  AssignBeforeCreated,  // assigned to a reserved sleeping worker while its JOB_CREATED is held back
  EndBeforeCreated,     // as above, and a quick job: the worker ends it before the JOB_CREATED too
  EndBeforeAssign,      // a quick job whose terminal is stamped by a clock behind the server's
  ResultBeforeEnd,      // the terminal is stamped by a clock ahead: after the client's result
  WorkerDies,           // its first worker dies holding it; another worker runs it
};

struct Job {
  uint64_t handle_no = 0, unique = 0;
  uint32_t func = 0, client = 0, worker = 0;
  uint8_t prio = 1;  // 0 high, 1 normal, 2 low
  bool bg = false, stuck = false;
  Outcome outcome = Outcome::Complete;
  bool status = false, data = false;
  uint64_t submit_t = 0, created_t = 0, assign_t = 0, ready_t = 0;
  uint64_t planned_end = UINT64_MAX;
  uint32_t inflight_pos = 0;
  std::vector<uint32_t> extra_clients;
  // Wire orders and re-assignment
  Order order = Order::Causal;
  uint8_t reorder = 0;           // k* bits above, as the capture shows them
  uint32_t assignments = 0;      // JOB_ASSIGNs sent for it
  uint64_t first_assign_t = 0;   // queue time ends here; assign_t (the last) starts the run
  uint64_t end_stamp = 0;        // EndBeforeAssign: the terminal's capture time (sent at assignment)
  uint16_t lost_port = 0;        // the worker connection that died holding it
  std::string result;            // EndBeforeAssign: the server's copy for the client, made with the terminal
};

struct Worker {
  uint32_t conn = 0;
  enum class State : uint8_t { Starting, Sleeping, Woken, Grabbing, Busy, Stuck, Dead } state = State::Starting;
  bool uniq = false, stuck_designate = false;
  uint32_t job = 0;
  int64_t reserved = -1;  // a job the server handed to this woken worker (AssignBeforeCreated)
  uint32_t truth = 0;     // its connection's entry in worker_truth_
  bool alive = true;      // has a connection (false between a death and the reconnect)
};

// Bounds of the model's delays, for holding a JOB_CREATED back past an assignment or a quick run.
constexpr uint64_t kSrvDelayMax = 54, kWorkerDelayMax = 119;
constexpr uint64_t kWakeToAssignMax = 2 * kSrvDelayMax + kWorkerDelayMax;  // NOOP, GRAB_JOB, JOB_ASSIGN
constexpr uint64_t kQuickRunMin = 50, kQuickRunMax = 300;  // a quick job's run (an echo)
constexpr uint64_t kSkewMax = 300;  // how far a capture point's clock is off, at most

class Sim {
 public:
  Sim(const Config& cfg, PcapWriter& w)
      : cfg_(cfg), model_(cfg.seed), shape_(cfg.seed ^ 0x5eed5eed5eedull), net_(cfg, w, shape_) {
    fns_ = cfg.functions.empty() ? default_functions() : cfg.functions;
    if (fns_.empty()) throw std::invalid_argument("no functions");
    double wsum = 0, mean_run_us = 0;
    for (auto& f : fns_) wsum += f.weight;
    if (!(wsum > 0)) throw std::invalid_argument("function weights must add up to more than 0");
    for (auto& f : fns_) {
      cum_.push_back((cum_.empty() ? 0 : cum_.back()) + f.weight / wsum);
      mean_run_us += f.weight / wsum * f.run.median_ms * 1000.0 * std::exp(f.run.sigma * f.run.sigma / 2);
    }
    double rate = cfg.rate > 0 ? cfg.rate : 0.5 * std::max<uint32_t>(1, cfg.workers) / (mean_run_us / 1e6);
    mean_gap_us_ = 1e6 / rate;
    truth_.resize(fns_.size());
    fn_total_.assign(fns_.size(), 0);
    fn_running_.assign(fns_.size(), 0);
    ready_.resize(fns_.size() * 3);
    // Pre-built filler for payloads: printable, deterministic.
    filler_.resize(1 << 16);
    for (auto& ch : filler_) ch = char('a' + model_.below(26));
  }

  Summary run(const std::string& truth_path, PcapWriter& w) {
    if (cfg_.clients == 0 || cfg_.workers == 0) throw std::invalid_argument("need at least one client and one worker");
    if (!cfg_.jobs_csv.empty()) {
      csv_ = std::fopen(cfg_.jobs_csv.c_str(), "w");
      if (!csv_) throw std::runtime_error(io_error("cannot write", cfg_.jobs_csv));
      std::fputs("handle,function,unique,priority,background,outcome,coalesced_submits,client_port,worker_port,"
                 "submit_us,created_us,assign_us,end_us,delivered_us,queue_us,run_us,total_us", csv_);
      if (cfg_.orderings()) std::fputs(",assignments,first_assign_us,lost_worker_port,order", csv_);
      std::fputc('\n', csv_);
    }
    uint64_t t = cfg_.start_us;
    for (uint32_t i = 0; i < cfg_.clients; ++i) {
      uint32_t ci = net_.open(uint16_t(32768 + i));
      clients_.push_back(ci);
      net_.handshake(ci, t);
      std::string opt;
      gp::append_packet(opt, gp::Magic::Req, gp::OPTION_REQ, {"exceptions"});
      uint64_t ts = net_.send(ci, 0, t + 60, opt);
      net_.send(ci, 1, ts + srv_delay(), gp::make_response(gp::OPTION_RES, {"exceptions"}));
      t += 100;
    }
    uint32_t nstuck = std::min(cfg_.stuck, cfg_.workers > 1 ? cfg_.workers - 1 : 0);
    for (uint32_t i = 0; i < cfg_.workers; ++i) {
      Worker wk;
      wk.conn = net_.open(uint16_t(32768 + cfg_.clients + i));
      wk.uniq = (i % 2) == 1;  // half the workers use GRAB_JOB_UNIQ
      wk.stuck_designate = i < nstuck;
      net_.handshake(wk.conn, t);
      uint64_t ts = net_.send(wk.conn, 0, t + 60, can_do_all());
      wk.truth = new_worker_truth(wk.conn);
      workers_.push_back(wk);
      schedule(ts + worker_delay(), Ev::WorkerGrab, i);
      t += 100;
    }
    next_port_ = 32768 + cfg_.clients + cfg_.workers;
    if (cfg_.admin_every_ms > 0) schedule(t + uint64_t(cfg_.admin_every_ms * 1000), Ev::Admin, 0);
    if (cfg_.jobs > 0) schedule(t + 10000, Ev::Arrival, 0);
    else { finishing_ = true; schedule(t + 10000, Ev::Finish, 0); }

    while (!events_.empty()) {
      std::pop_heap(events_.begin(), events_.end(), EvLater());
      Event e = events_.back();
      events_.pop_back();
      net_.flush_before(e.time);
      if (closed_) continue;  // the connections are closed: nothing more is sent
      switch (e.kind) {
        case Ev::Arrival: arrival(e.time); break;
        case Ev::Ready: ready(e.time, e.a); break;
        case Ev::WorkerGrab: grab(e.time, e.a); break;
        case Ev::WorkerSleep: sleep(e.time, e.a); break;
        case Ev::WorkerStatus: status(e.time, e.a); break;
        case Ev::WorkerDone: done(e.time, e.a); break;
        case Ev::Admin: admin(e.time); break;
        case Ev::Finish: finish(e.time); break;
        case Ev::WorkerDie: die(e.time, e.a); break;
        case Ev::WorkerReconnect: reconnect(e.time, e.a); break;
      }
    }
    net_.flush_all();
    write_truth(truth_path);
    if (csv_) {
      std::FILE* f = csv_;
      csv_ = nullptr;
      bool failed = std::ferror(f) != 0;
      int why = errno;
      if (std::fclose(f) != 0 || failed) throw std::runtime_error(io_error("writing", cfg_.jobs_csv, failed ? why : errno));
    }
    Summary s;
    s.frames = w.frames();
    s.bytes = w.bytes();
    s.jobs = created_;
    s.submits = submits_;
    s.end_us = end_us_;
    return s;
  }

 private:
  uint64_t srv_delay() { return 15 + model_.below(kSrvDelayMax - 15 + 1); }
  uint64_t worker_delay() { return 30 + model_.below(kWorkerDelayMax - 30 + 1); }
  std::string can_do_all() const {
    std::string cando;
    for (auto& f : fns_) gp::append_packet(cando, gp::Magic::Req, gp::CAN_DO, {f.name});
    return cando;
  }
  uint32_t new_worker_truth(uint32_t conn) {
    WorkerConnTruth t;
    t.port = net_.conn(conn).port;
    worker_truth_.push_back(t);
    return uint32_t(worker_truth_.size() - 1);
  }
  void schedule(uint64_t t, Ev k, uint32_t a) {
    events_.push_back(Event{t, ev_order_++, k, a});
    std::push_heap(events_.begin(), events_.end(), EvLater());
  }
  std::string handle(const Job& j) { return "H:gen:" + std::to_string(j.handle_no); }
  std::string unique(uint64_t u) {
    char b[40];
    std::snprintf(b, sizeof b, "%08" PRIx64 "-%04" PRIx64 "-%04" PRIx64 "-%04" PRIx64 "-%012" PRIx64,
                  u >> 32, (u >> 16) & 0xffff, u & 0xffff, (u >> 48) ^ 0x4000, uint64_t(u * 0x9e3779b97f4a7c15ull) >> 16);
    return b;
  }
  std::string payload(uint32_t mean) {
    if (mean == 0) return {};
    uint64_t n = model_.between(mean / 2, mean + mean / 2);
    std::string s;
    s.reserve(n);
    while (s.size() < n) {
      size_t off = model_.below(filler_.size());
      size_t k = std::min<size_t>(n - s.size(), filler_.size() - off);
      s.append(filler_, off, k);
    }
    return s;
  }
  uint32_t pick_function() {
    double u = model_.uniform();
    for (uint32_t i = 0; i < cum_.size(); ++i) if (u < cum_[i]) return i;
    return uint32_t(cum_.size() - 1);
  }
  uint32_t new_slot() {
    if (!free_.empty()) { uint32_t s = free_.back(); free_.pop_back(); jobs_[s] = Job(); return s; }
    jobs_.emplace_back();
    return uint32_t(jobs_.size() - 1);
  }

  void arrival(uint64_t t) {
    // A coalesced submit: another client asks for a job that is already in flight.
    if (cfg_.clients > 1 && !inflight_.empty() && model_.chance(cfg_.coalesce)) {
      uint32_t js = inflight_[model_.below(inflight_.size())];
      Job& j = jobs_[js];
      uint32_t c = uint32_t(model_.below(cfg_.clients));
      bool dup = c == j.client || std::find(j.extra_clients.begin(), j.extra_clients.end(), c) != j.extra_clients.end();
      // (Not onto a job whose own JOB_CREATED is held back: this client would hear of it first.)
      const bool created_out = j.order == Order::Causal || j.created_t <= t;
      if (!j.bg && !j.stuck && !dup && j.planned_end > t + 2000 && created_out) {
        std::string sub;
        gp::append_packet(sub, gp::Magic::Req, gp::SUBMIT_JOB, {fns_[j.func].name, unique(j.unique), payload(fns_[j.func].payload)});
        uint64_t ts = net_.send(clients_[c], 0, t, sub);
        // gearmand acknowledges the job to its creator first. (Drawn independently, this answer
        // could overtake the creator's JOB_CREATED when the submits are microseconds apart: the
        // capture would then name this client the creator, and the truth would not say so.)
        net_.send(clients_[c], 1, std::max(ts + srv_delay(), j.created_t + 1), gp::make_response(gp::JOB_CREATED, {handle(j)}));
        j.extra_clients.push_back(c);
        truth_[j.func].coalesced_submits++;
        truth_[j.func].submits++;
        ++submits_;
        schedule(t + model_.exponential_us(mean_gap_us_), Ev::Arrival, 0);
        return;
      }
    }
    uint32_t c = uint32_t(model_.below(cfg_.clients));
    uint64_t k = 1;
    if (model_.chance(cfg_.batch)) k = model_.between(2, 6);
    k = std::min<uint64_t>(k, cfg_.jobs - created_);
    std::string sub, created, held;  // JOB_CREATEDs sent at once, and from the first held-back one on
    std::vector<uint32_t> batch;
    size_t first_held = SIZE_MAX, reserved = 0;
    bool quick = false;
    for (uint64_t i = 0; i < k; ++i) {
      uint32_t s = new_slot();
      Job& j = jobs_[s];
      j.handle_no = ++created_;
      j.unique = model_.next();
      j.func = pick_function();
      j.client = c;
      const FunctionSpec& f = fns_[j.func];
      double u = model_.uniform();
      j.prio = u < cfg_.high ? 0 : u < cfg_.high + cfg_.low ? 2 : 1;
      j.bg = model_.chance(f.background);
      static const uint32_t types[2][3] = {{gp::SUBMIT_JOB_HIGH, gp::SUBMIT_JOB, gp::SUBMIT_JOB_LOW},
                                           {gp::SUBMIT_JOB_HIGH_BG, gp::SUBMIT_JOB_BG, gp::SUBMIT_JOB_LOW_BG}};
      gp::append_packet(sub, gp::Magic::Req, types[j.bg][j.prio], {f.name, unique(j.unique), payload(f.payload)});
      Order o = threaded_server_order();
      if (o != Order::Causal && reserved < sleeping_.size()) {  // a sleeping worker will take it at once
        j.order = o;
        ++reserved;
        quick |= o == Order::EndBeforeCreated;
        if (first_held == SIZE_MAX) first_held = size_t(i);
      }
      // Answers on a connection keep submit order: after a held-back JOB_CREATED, all are held.
      gp::append_packet(first_held == SIZE_MAX ? created : held, gp::Magic::Res, gp::JOB_CREATED, {handle(j)});
      j.inflight_pos = uint32_t(inflight_.size());
      inflight_.push_back(s);
      batch.push_back(s);
      truth_[j.func].jobs++;
      fn_total_[j.func]++;
      truth_[j.func].submits++;
      if (j.bg) truth_[j.func].background++;
      ++submits_;
    }
    uint64_t ts = net_.send(clients_[c], 0, t, sub);
    uint64_t tq = ts + srv_delay();  // the server has the jobs
    uint64_t tc = created.empty() ? 0 : net_.send(clients_[c], 1, tq, created), th = 0;
    if (!held.empty()) {
      // A threaded gearmand: the job goes to a woken worker while this client's thread is still
      // busy with the batch. Its JOB_CREATED goes out after the worker has the job (for a quick
      // job, after the worker has ended it): held past the longest the model can take for that.
      for (uint32_t s : batch) {
        if (jobs_[s].order == Order::Causal) continue;
        uint32_t wi = sleeping_.front();
        sleeping_.pop_front();
        workers_[wi].reserved = s;
        jobs_[s].ready_t = tq;
        wake(tq, wi);
      }
      uint64_t bound = tq + kWakeToAssignMax + (quick ? kQuickRunMax : 0);
      th = net_.send(clients_[c], 1, bound + model_.between(20, 400), held);
    }
    for (size_t i = 0; i < batch.size(); ++i) {
      Job& j = jobs_[batch[i]];
      j.submit_t = ts;
      j.created_t = i < first_held ? tc : th;
      if (j.order == Order::Causal) schedule(j.created_t + model_.lognormal_us(fns_[j.func].queue, 0), Ev::Ready, batch[i]);
    }
    if (created_ < cfg_.jobs) schedule(t + model_.exponential_us(mean_gap_us_), Ev::Arrival, 0);
  }

  bool any_ready() const {
    for (auto& q : ready_) if (!q.empty()) return true;
    return false;
  }
  // The highest-priority job that has waited longest, or -1.
  int64_t take_ready() {
    for (int p = 0; p < 3; ++p) {
      int best = -1;
      for (size_t f = 0; f < fns_.size(); ++f) {
        auto& q = ready_[f * 3 + p];
        if (!q.empty() && (best < 0 || jobs_[q.front()].ready_t < jobs_[ready_[best * 3 + p].front()].ready_t))
          best = int(f);
      }
      if (best >= 0) {
        uint32_t s = ready_[best * 3 + p].front();
        ready_[best * 3 + p].pop_front();
        return s;
      }
    }
    return -1;
  }

  void wake(uint64_t t, uint32_t wi) {
    Worker& w = workers_[wi];
    w.state = Worker::State::Woken;
    uint64_t tn = net_.send(w.conn, 1, t + srv_delay(), gp::make_response(gp::NOOP));
    schedule(tn + worker_delay(), Ev::WorkerGrab, wi);
  }

  void ready(uint64_t t, uint32_t s) {
    Job& j = jobs_[s];
    j.ready_t = t;
    ready_[j.func * 3 + j.prio].push_back(s);
    if (!sleeping_.empty()) {
      wake(t, sleeping_.front());
      sleeping_.pop_front();
      if (!sleeping_.empty() && model_.chance(cfg_.extra_wake)) {  // gearmand wakes every sleeper
        wake(t, sleeping_.front());
        sleeping_.pop_front();
      }
    }
  }

  void grab(uint64_t t, uint32_t wi) {
    Worker& w = workers_[wi];
    uint64_t tg = net_.send(w.conn, 0, t, gp::make_request(w.uniq ? gp::GRAB_JOB_UNIQ : gp::GRAB_JOB));
    int64_t s = w.reserved >= 0 ? w.reserved : take_ready();
    w.reserved = -1;
    if (s < 0) {
      w.state = Worker::State::Grabbing;
      uint64_t tn = net_.send(w.conn, 1, tg + srv_delay(), gp::make_response(gp::NO_JOB));
      schedule(tn + worker_delay(), Ev::WorkerSleep, wi);
      return;
    }
    Job& j = jobs_[s];
    const FunctionSpec& f = fns_[j.func];
    std::string h = handle(j), arg = payload(f.payload);
    std::string assign = w.uniq ? gp::make_response(gp::JOB_ASSIGN_UNIQ, {h, f.name, unique(j.unique), arg})
                                : gp::make_response(gp::JOB_ASSIGN, {h, f.name, arg});
    uint64_t ta = net_.send(w.conn, 1, tg + srv_delay(), assign);
    const bool first = j.assignments++ == 0;
    j.assign_t = ta;  // the run starts at the last assignment: the one that ran it
    j.worker = wi;
    w.state = Worker::State::Busy;
    w.job = uint32_t(s);
    fn_running_[j.func]++;
    if (first) {  // the queue time ends at the first
      j.first_assign_t = ta;
      truth_[j.func].s.queue.push_back(sat(span(j.created_t, ta)));
      if (ta < j.created_t) j.reorder |= kAssignBeforeCreated;
    }
    if (w.stuck_designate && created_ * 2 >= cfg_.jobs && j.order == Order::Causal) {  // hangs from here to the end
      w.state = Worker::State::Stuck;
      j.stuck = true;
      stuck_jobs_++;
      maybe_finish(ta);
      return;
    }
    double u = model_.uniform();
    j.outcome = u < f.fail ? Outcome::Fail : u < f.fail + f.exception ? Outcome::Exception : Outcome::Complete;
    j.status = model_.chance(cfg_.status);
    j.data = model_.chance(cfg_.data);
    uint64_t run = model_.lognormal_us(f.run, 50);
    if (first && j.order == Order::Causal) j.order = worker_side_order(w, j);
    if (j.order == Order::EndBeforeCreated || j.order == Order::EndBeforeAssign)
      run = model_.between(kQuickRunMin, kQuickRunMax);
    j.planned_end = ta + run;
    if (j.order == Order::WorkerDies && first) {  // dies mid-run: no WORK_* from this worker
      schedule(ta + 200 + model_.below(run), Ev::WorkerDie, wi);
      return;
    }
    if (j.order == Order::EndBeforeAssign) {
      // The worker's side is captured by a clock behind the server's by more than this quick
      // job's run: its terminal is stamped between its GRAB_JOB and the JOB_ASSIGN. (No
      // WORK_STATUS: it would follow the terminal on the wire.)
      j.status = false;
      std::string req;
      terminal_pdus(j, req, j.result);
      j.end_stamp = net_.send(w.conn, 0, ta - model_.between(1, std::min(ta - tg - 1, kSkewMax)), req);
    }
    if (j.status) schedule(ta + run / 2, Ev::WorkerStatus, wi);
    schedule(ta + run, Ev::WorkerDone, wi);
  }

  // Drawn for each new job when --assign-before-created or --end-before-created is on.
  Order threaded_server_order() {
    if (!(cfg_.assign_before_created > 0) && !(cfg_.end_before_created > 0)) return Order::Causal;
    double v = model_.uniform();
    if (v < cfg_.end_before_created) return Order::EndBeforeCreated;
    if (v < cfg_.end_before_created + cfg_.assign_before_created) return Order::AssignBeforeCreated;
    return Order::Causal;
  }

  // Drawn at a job's first assignment: does its worker die with it, or is its terminal captured
  // out of order? Deaths are spread evenly over the jobs' creation.
  Order worker_side_order(const Worker& w, const Job& j) {
    const uint64_t n = cfg_.worker_deaths;
    if (deaths_ < n && !w.stuck_designate && next_port_ <= 65535 && created_ * (n + 1) >= (deaths_ + 1) * cfg_.jobs) {
      ++deaths_;
      return Order::WorkerDies;
    }
    if (model_.chance(cfg_.end_before_assign)) return Order::EndBeforeAssign;
    if (!j.bg && model_.chance(cfg_.result_before_end)) return Order::ResultBeforeEnd;
    return Order::Causal;
  }

  void sleep(uint64_t t, uint32_t wi) {
    Worker& w = workers_[wi];
    uint64_t tp = net_.send(w.conn, 0, t, gp::make_request(gp::PRE_SLEEP));
    if (any_ready()) {  // a job arrived while the worker was saying it would sleep
      wake(tp, wi);
    } else {
      w.state = Worker::State::Sleeping;
      sleeping_.push_back(wi);
    }
  }

  void forward(const Job& j, uint64_t t, const std::string& pdu_res) {
    if (j.bg) return;
    net_.send(clients_[j.client], 1, t + srv_delay(), pdu_res);
    for (uint32_t c : j.extra_clients) net_.send(clients_[c], 1, t + srv_delay(), pdu_res);
  }

  void status(uint64_t t, uint32_t wi) {
    Worker& w = workers_[wi];
    Job& j = jobs_[w.job];
    std::string h = handle(j);
    uint64_t tu = net_.send(w.conn, 0, t, gp::make_request(gp::WORK_STATUS, {h, "1", "2"}));
    forward(j, tu, gp::make_response(gp::WORK_STATUS, {h, "1", "2"}));
  }

  // The worker's terminal packet (a WORK_DATA first for --data jobs) and the server's copy of them
  // for the clients.
  void terminal_pdus(const Job& j, std::string& req, std::string& res) {
    const FunctionSpec& f = fns_[j.func];
    std::string h = handle(j), chunk;
    if (j.data) {
      chunk = payload(std::max<uint32_t>(16, f.result / 4));
      gp::append_packet(req, gp::Magic::Req, gp::WORK_DATA, {h, chunk});
      gp::append_packet(res, gp::Magic::Res, gp::WORK_DATA, {h, chunk});
    }
    uint32_t type = gp::WORK_COMPLETE;
    std::string data;
    switch (j.outcome) {
      case Outcome::Complete: data = payload(f.result); break;
      case Outcome::Fail: type = gp::WORK_FAIL; break;
      case Outcome::Exception: type = gp::WORK_EXCEPTION; data = "RuntimeError: synthetic failure"; break;
    }
    if (type == gp::WORK_FAIL) {
      gp::append_packet(req, gp::Magic::Req, type, {h});
      gp::append_packet(res, gp::Magic::Res, type, {h});
    } else {
      gp::append_packet(req, gp::Magic::Req, type, {h, data});
      gp::append_packet(res, gp::Magic::Res, type, {h, data});
    }
  }

  // The worker has ended its job at `t`.
  void done(uint64_t t, uint32_t wi) {
    Worker& w = workers_[wi];
    uint32_t s = w.job;
    Job& j = jobs_[s];
    FnTruth& tr = truth_[j.func];
    WorkerConnTruth& wt = worker_truth_[w.truth];
    std::string req, res;
    if (j.order == Order::EndBeforeAssign) res = std::move(j.result);  // the terminal is out already
    else terminal_pdus(j, req, res);
    switch (j.outcome) {
      case Outcome::Complete: tr.complete++; wt.complete++; break;
      case Outcome::Fail: tr.fail++; wt.fail++; break;
      case Outcome::Exception: tr.exception++; wt.exception++; break;
    }
    wt.jobs++;
    // tt: the terminal's time in the capture; heard: when the server has it (its copies follow).
    uint64_t tt, heard, td = 0;
    if (j.order == Order::EndBeforeAssign) {
      tt = j.end_stamp;
      heard = t;
    } else if (j.order == Order::ResultBeforeEnd) {
      // The worker's side is captured by a clock ahead of the client's side: its terminal is
      // stamped after the creating client's copy of it.
      heard = t;
      td = net_.send(clients_[j.client], 1, heard + srv_delay(), res);
      tt = net_.send(w.conn, 0, td + model_.between(1, kSkewMax), req);
    } else {
      tt = heard = net_.send(w.conn, 0, t, req);
    }
    tr.s.run.push_back(sat(span(j.assign_t, tt)));
    if (!j.bg) {
      if (j.order != Order::ResultBeforeEnd) td = net_.send(clients_[j.client], 1, heard + srv_delay(), res);
      tr.s.total.push_back(sat(td - j.submit_t));
      // The creating client hears first, so "total" is the same whether a reader takes the
      // creating client's result or the first result sent to any client of the job.
      for (uint32_t c : j.extra_clients) net_.send(clients_[c], 1, std::max(heard + srv_delay(), td), res);
    }
    if (tt < j.assign_t) j.reorder |= kEndBeforeAssign;
    if (tt < j.created_t) j.reorder |= kEndBeforeCreated;
    if (!j.bg && td < tt) j.reorder |= kResultBeforeEnd;
    job_row(j, tt, td);
    count_job_end(j);
    const uint64_t after = std::max(tt, heard);  // the worker's next packet comes after both
    uint64_t next = after;
    if (j.outcome == Outcome::Exception && model_.chance(cfg_.exception_then_fail)) {
      // Some client libraries follow WORK_EXCEPTION with WORK_FAIL; gearmand has dropped the job.
      next = net_.send(w.conn, 0, after + 5, gp::make_request(gp::WORK_FAIL, {handle(j)}));
      next = net_.send(w.conn, 1, next + srv_delay(),
                       gp::make_response(gp::ERROR, {"JOB_NOT_FOUND", "Job given in work result not found"}));
    }
    release(s);
    w.state = Worker::State::Grabbing;
    schedule(next + worker_delay(), Ev::WorkerGrab, wi);
    maybe_finish(after);
  }

  // The per-function counts of a job that has ended (or is open at the end of the capture).
  void count_job_end(const Job& j) {
    FnTruth& tr = truth_[j.func];
    if (j.assignments > 1) tr.reassigned++;
    if (j.reorder & (kAssignBeforeCreated | kEndBeforeAssign | kResultBeforeEnd)) tr.reordered++;
    for (unsigned b = 0; b < 8; ++b)
      if (j.reorder & (1u << b)) reorder_counts_[b]++;
  }

  // The worker's connection dies while it holds a job (the process crashed or was killed), with
  // FIN or RST. gearmand puts the job back in its queue and gives it to the next worker that asks
  // (a second JOB_ASSIGN); the worker comes back on a new connection.
  void die(uint64_t t, uint32_t wi) {
    Worker& w = workers_[wi];
    Job& j = jobs_[w.job];
    WorkerConnTruth& wt = worker_truth_[w.truth];
    const bool rst = model_.chance(0.5);
    if (rst) net_.reset(w.conn, t);
    else net_.close(w.conn, t);
    wt.lost++;
    wt.death = rst ? 2 : 1;
    j.lost_port = wt.port;
    j.planned_end = UINT64_MAX;
    fn_running_[j.func]--;
    w.state = Worker::State::Dead;
    w.alive = false;
    schedule(t + 20, Ev::Ready, w.job);  // the server has read the close: the job is queued again
    schedule(t + model_.between(1000, 5000), Ev::WorkerReconnect, wi);
  }

  void reconnect(uint64_t t, uint32_t wi) {
    if (next_port_ > 65535) return;  // no port left: the worker stays away
    Worker& w = workers_[wi];
    w.conn = net_.open(uint16_t(next_port_++));
    w.truth = new_worker_truth(w.conn);
    w.alive = true;
    w.state = Worker::State::Starting;
    net_.handshake(w.conn, t);
    uint64_t ts = net_.send(w.conn, 0, t + 60, can_do_all());
    schedule(ts + worker_delay(), Ev::WorkerGrab, wi);
  }

  // One line of --jobs-csv per job, written when it ends (or at the end of the capture).
  void job_row(const Job& j, uint64_t end, uint64_t delivered) {
    if (!csv_) return;
    static const char* prio[3] = {"high", "normal", "low"};
    static const char* outcome[3] = {"complete", "fail", "exception"};
    auto opt = [](uint64_t v) { return v ? std::to_string(v) : std::string(); };
    std::fprintf(csv_, "H:gen:%" PRIu64 ",%s,%s,%s,%d,%s,%zu,%u,%u,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%s,%s,%" PRIu64 ",%s,%s",
                 j.handle_no, fns_[j.func].name.c_str(), unique(j.unique).c_str(), prio[j.prio], j.bg ? 1 : 0,
                 end ? outcome[int(j.outcome)] : "incomplete", j.extra_clients.size(),
                 unsigned(net_.conn(clients_[j.client]).port), unsigned(net_.conn(workers_[j.worker].conn).port),
                 j.submit_t, j.created_t, j.assign_t, opt(end).c_str(), opt(delivered).c_str(), span(j.created_t, j.first_assign_t),
                 end ? std::to_string(span(j.assign_t, end)).c_str() : "", delivered ? std::to_string(delivered - j.submit_t).c_str() : "");
    if (cfg_.orderings()) {
      std::string order;
      for (unsigned b = 0; b < 8; ++b)
        if (j.reorder & (1u << b)) order += (order.empty() ? "" : "+") + std::string(reorder_name(1u << b));
      std::fprintf(csv_, ",%u,%" PRIu64 ",%s,%s", j.assignments, j.first_assign_t,
                   j.lost_port ? std::to_string(j.lost_port).c_str() : "", order.c_str());
    }
    std::fputc('\n', csv_);
  }
  uint64_t reorder_count(unsigned bit) const {
    for (unsigned b = 0; b < 8; ++b)
      if (bit == 1u << b) return reorder_counts_[b];
    return 0;
  }
  static const char* reorder_name(unsigned bit) {
    switch (bit) {
      case kAssignBeforeCreated: return "assign_before_created";
      case kEndBeforeCreated: return "end_before_created";
      case kResultBeforeEnd: return "result_before_end";
      case kEndBeforeAssign: return "end_before_assign";
      default: return "?";
    }
  }

  void release(uint32_t s) {
    Job& j = jobs_[s];
    fn_total_[j.func]--;
    fn_running_[j.func]--;
    uint32_t pos = j.inflight_pos;
    inflight_[pos] = inflight_.back();
    jobs_[inflight_[pos]].inflight_pos = pos;
    inflight_.pop_back();
    free_.push_back(s);
    std::vector<uint32_t>().swap(j.extra_clients);
  }

  void maybe_finish(uint64_t t) {
    if (created_ >= cfg_.jobs && inflight_.size() == stuck_jobs_ && !finishing_) {
      finishing_ = true;
      schedule(t + 2000, Ev::Finish, 0);
    }
  }

  // gearadmin: a new connection, one command ("status" or "workers", alternately), the reply
  // (a list ended by "."), and the client closes. Replies describe the model's state.
  void admin(uint64_t t) {
    if (finishing_ || next_port_ > 65535) return;
    uint32_t ci = net_.open(uint16_t(next_port_++));
    net_.handshake(ci, t);
    bool status = admin_polls_ % 2 == 0;
    ++admin_polls_;
    std::string cmd, reply;
    gp::append_admin_line(cmd, status ? "status" : "workers", true);
    if (status) {
      for (size_t f = 0; f < fns_.size(); ++f) {
        std::string row = fns_[f].name + "\t" + std::to_string(fn_total_[f]) + "\t" +
                          std::to_string(fn_running_[f]) + "\t" + std::to_string(workers_.size());
        gp::append_admin_line(reply, row, false);
      }
    } else {
      std::string all;
      for (auto& f : fns_) all += " " + f.name;
      uint32_t fd = 30;
      for (size_t i = 0; i < clients_.size(); ++i)
        gp::append_admin_line(reply, std::to_string(fd++) + " 127.0.0.1 - :", false);
      for (size_t i = 0; i < workers_.size(); ++i)
        if (workers_[i].alive) gp::append_admin_line(reply, std::to_string(fd++) + " 127.0.0.1 - :" + all, false);
      gp::append_admin_line(reply, std::to_string(fd++) + " 127.0.0.1 - :", false);  // this connection
    }
    gp::append_admin_line(reply, ".", false);
    uint64_t tc = net_.send(ci, 0, t + 60, cmd);
    uint64_t tr = net_.send(ci, 1, tc + srv_delay(), reply);
    net_.close(ci, tr + 200);
    schedule(t + uint64_t(cfg_.admin_every_ms * 1000), Ev::Admin, 0);
  }

  void finish(uint64_t t) {
    for (uint32_t s : inflight_) {
      const Job& j = jobs_[s];
      truth_[j.func].incomplete++;
      // Every connection closes below: a stuck worker's close loses its job, as a death does.
      if (j.assignments > 0 && workers_[j.worker].alive) worker_truth_[workers_[j.worker].truth].lost++;
      job_row(j, 0, 0);
      count_job_end(j);
    }
    for (uint32_t i = 0; i < clients_.size(); ++i) net_.close(clients_[i], t + 100 * i);
    for (uint32_t i = 0; i < workers_.size(); ++i)
      if (workers_[i].alive) net_.close(workers_[i].conn, t + 100 * (clients_.size() + i));
    end_us_ = t + 100 * (clients_.size() + workers_.size()) + 40;
    // Sleeping workers get no more events; the event queue now drains.
    sleeping_.clear();
    closed_ = true;
  }

  static uint32_t sat(uint64_t v) { return v > UINT32_MAX ? UINT32_MAX : uint32_t(v); }

  void write_truth(const std::string& path) {
    std::FILE* f = std::fopen(path.c_str(), "w");
    if (!f) throw std::runtime_error(io_error("cannot write", path));
    FnTruth all;
    std::vector<size_t> order(fns_.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return fns_[a].name < fns_[b].name; });
    for (auto& t : truth_) {
      all.jobs += t.jobs; all.complete += t.complete; all.fail += t.fail; all.exception += t.exception;
      all.incomplete += t.incomplete; all.background += t.background;
      all.coalesced_submits += t.coalesced_submits; all.submits += t.submits;
      all.reassigned += t.reassigned; all.reordered += t.reordered;
    }
    // The wire-order keys are written only when one of their options is on: without them the
    // truth is byte for byte what it was before they existed.
    const bool orderings = cfg_.orderings();
    std::fprintf(f, "{\n  \"generator\": {\"seed\": %" PRIu64 ", \"jobs\": %" PRIu64 ", \"clients\": %u, \"workers\": %u, "
                 "\"rate_per_s\": %.3f, \"link\": \"%s\", \"server_port\": %u, \"admin_connections\": %" PRIu64,
                 cfg_.seed, cfg_.jobs, cfg_.clients, cfg_.workers, 1e6 / mean_gap_us_,
                 cfg_.null_link ? "NULL" : "EN10MB", kServerPort, admin_polls_);
    if (orderings)
      std::fprintf(f, ",\n                \"assign_before_created\": %g, \"end_before_created\": %g, \"result_before_end\": %g, "
                   "\"end_before_assign\": %g, \"worker_deaths\": %u",
                   cfg_.assign_before_created, cfg_.end_before_created, cfg_.result_before_end,
                   cfg_.end_before_assign, cfg_.worker_deaths);
    std::fprintf(f, "},\n");
    std::fprintf(f, "  \"jobs\": {\"total\": %" PRIu64 ", \"complete\": %" PRIu64 ", \"fail\": %" PRIu64
                 ", \"exception\": %" PRIu64 ", \"incomplete\": %" PRIu64 ", \"background\": %" PRIu64
                 ", \"submits\": %" PRIu64 ", \"coalesced_submits\": %" PRIu64,
                 all.jobs, all.complete, all.fail, all.exception, all.incomplete, all.background,
                 all.submits, all.coalesced_submits);
    if (orderings) std::fprintf(f, ", \"reassigned\": %" PRIu64 ", \"reordered\": %" PRIu64, all.reassigned, all.reordered);
    std::fprintf(f, "},\n");
    if (orderings) {
      std::fprintf(f, "  \"reordering\": {\"assign_before_created\": %" PRIu64 ", \"end_before_created\": %" PRIu64
                   ", \"result_before_end\": %" PRIu64 ", \"end_before_assign\": %" PRIu64 "},\n",
                   reorder_count(kAssignBeforeCreated), reorder_count(kEndBeforeCreated),
                   reorder_count(kResultBeforeEnd), reorder_count(kEndBeforeAssign));
      std::fprintf(f, "  \"workers\": [");
      for (size_t i = 0; i < worker_truth_.size(); ++i) {
        const WorkerConnTruth& w = worker_truth_[i];
        static const char* death[3] = {"", ", \"death\": \"fin\"", ", \"death\": \"rst\""};
        std::fprintf(f, "%s\n    {\"address\": \"127.0.0.1:%u\", \"port\": %u, \"jobs\": %" PRIu64 ", \"complete\": %" PRIu64
                     ", \"fail\": %" PRIu64 ", \"exception\": %" PRIu64 ", \"lost\": %" PRIu64 "%s}",
                     i ? "," : "", unsigned(w.port), unsigned(w.port), w.jobs, w.complete, w.fail, w.exception, w.lost,
                     death[w.death]);
      }
      std::fprintf(f, "\n  ],\n");
    }
    std::fprintf(f, "  \"functions\": [");
    bool first = true;
    for (size_t i : order) {
      FnTruth& t = truth_[i];
      std::fprintf(f, "%s\n    {\"name\": \"%s\", \"jobs\": %" PRIu64 ", \"complete\": %" PRIu64 ", \"fail\": %" PRIu64
                   ", \"exception\": %" PRIu64 ", \"incomplete\": %" PRIu64 ", \"background\": %" PRIu64
                   ", \"submits\": %" PRIu64 ", \"coalesced_submits\": %" PRIu64 ",\n     ",
                   first ? "" : ",", fns_[i].name.c_str(), t.jobs, t.complete, t.fail, t.exception, t.incomplete,
                   t.background, t.submits, t.coalesced_submits);
      if (orderings)
        std::fprintf(f, "\"reassigned\": %" PRIu64 ", \"reordered\": %" PRIu64 ",\n     ", t.reassigned, t.reordered);
      put_stats(f, "queue_ms", t.s.queue);
      std::fprintf(f, ",\n     ");
      put_stats(f, "run_ms", t.s.run);
      std::fprintf(f, ",\n     ");
      put_stats(f, "total_ms", t.s.total);
      std::fputc('}', f);
      first = false;
    }
    std::fprintf(f, "\n  ]\n}\n");
    bool failed = std::ferror(f) != 0;
    int why = errno;
    if (std::fclose(f) != 0 || failed) throw std::runtime_error(io_error("writing", path, failed ? why : errno));
  }

  const Config& cfg_;
  Rng model_, shape_;
  Net net_;
  std::vector<FunctionSpec> fns_;
  std::vector<double> cum_;
  double mean_gap_us_ = 1000;
  std::string filler_;
  std::vector<Event> events_;
  uint64_t ev_order_ = 0;
  std::vector<uint32_t> clients_;
  std::vector<uint64_t> fn_total_ = std::vector<uint64_t>(64), fn_running_ = std::vector<uint64_t>(64);
  uint64_t admin_polls_ = 0;
  uint32_t next_port_ = 0;
  std::vector<Worker> workers_;
  std::deque<uint32_t> sleeping_;
  std::vector<Job> jobs_;
  std::vector<uint32_t> free_, inflight_;
  std::vector<std::deque<uint32_t>> ready_;  // [function * 3 + priority]
  std::vector<FnTruth> truth_;
  std::vector<WorkerConnTruth> worker_truth_;  // by worker connection, in the order they opened
  uint64_t reorder_counts_[8] = {};            // jobs per k* bit
  uint64_t deaths_ = 0;
  uint64_t created_ = 0, submits_ = 0, stuck_jobs_ = 0, end_us_ = 0;
  bool finishing_ = false, closed_ = false;
  std::FILE* csv_ = nullptr;

 public:
  ~Sim() { if (csv_) std::fclose(csv_); }
};

}  // namespace

std::vector<FunctionSpec> default_functions() {
  std::vector<FunctionSpec> v(4);
  v[0] = {"email.send", 0.3, {5, 1.0}, {40, 0.8}, 0.03, 0.01, 0.6, 200, 16};
  v[1] = {"index", 0.2, {2, 0.7}, {5, 0.4}, 0.005, 0.002, 0.3, 300, 32};
  v[2] = {"report", 0.1, {20, 1.2}, {250, 0.7}, 0.05, 0.02, 0.2, 64, 4096};
  v[3] = {"resize", 0.4, {1, 0.9}, {15, 0.5}, 0.01, 0.005, 0.05, 256, 512};
  return v;
}

std::vector<FunctionSpec> parse_functions(const std::string& spec) {
  std::vector<FunctionSpec> out;
  auto split = [](const std::string& s, char sep) {
    std::vector<std::string> parts;
    size_t b = 0;
    for (size_t i = 0; i <= s.size(); ++i)
      if (i == s.size() || s[i] == sep) { parts.push_back(s.substr(b, i - b)); b = i + 1; }
    return parts;
  };
  auto num = [](const std::string& v, const std::string& what) {
    char* end = nullptr;
    double d = std::strtod(v.c_str(), &end);
    if (v.empty() || *end || !(d >= 0)) throw std::invalid_argument("bad number for " + what + ": '" + v + "'");
    return d;
  };
  for (const std::string& fs : split(spec, ';')) {
    if (fs.empty()) continue;
    auto fields = split(fs, ':');
    FunctionSpec f;
    f.name = fields[0];
    if (f.name.empty() || f.name.find('\0') != std::string::npos || f.name.find('"') != std::string::npos)
      throw std::invalid_argument("bad function name in '" + fs + "'");
    for (size_t i = 1; i < fields.size(); ++i) {
      size_t eq = fields[i].find('=');
      if (eq == std::string::npos) throw std::invalid_argument("expected key=value in '" + fields[i] + "'");
      std::string k = fields[i].substr(0, eq), v = fields[i].substr(eq + 1);
      if (k == "q" || k == "r") {
        size_t slash = v.find('/');
        Dist d{num(v.substr(0, slash), k), slash == std::string::npos ? 0.0 : num(v.substr(slash + 1), k)};
        (k == "q" ? f.queue : f.run) = d;
      } else if (k == "w") f.weight = num(v, k);
      else if (k == "fail") f.fail = num(v, k);
      else if (k == "exc") f.exception = num(v, k);
      else if (k == "bg") f.background = num(v, k);
      else if (k == "payload") f.payload = uint32_t(num(v, k));
      else if (k == "result") f.result = uint32_t(num(v, k));
      else throw std::invalid_argument("unknown function key '" + k + "'");
    }
    if (f.fail + f.exception > 1 || f.background > 1) throw std::invalid_argument("shares above 1 in '" + fs + "'");
    out.push_back(f);
  }
  if (out.empty()) throw std::invalid_argument("no functions in '" + spec + "'");
  return out;
}

Summary generate(const Config& cfg, const std::string& pcap_path, const std::string& truth_path) {
  PcapWriter w(pcap_path, cfg.null_link ? 0 : 1);
  Sim sim(cfg, w);
  Summary s = sim.run(truth_path, w);
  w.close();
  s.frames = w.frames();
  s.bytes = w.bytes();
  return s;
}

}  // namespace geargen
