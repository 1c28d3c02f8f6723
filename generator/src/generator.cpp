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
  Samples s;
};

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
enum class Ev : uint8_t { Arrival, Ready, WorkerGrab, WorkerSleep, WorkerStatus, WorkerDone, Admin, Finish };
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
};

struct Worker {
  uint32_t conn = 0;
  enum class State : uint8_t { Starting, Sleeping, Woken, Grabbing, Busy, Stuck } state = State::Starting;
  bool uniq = false, stuck_designate = false;
  uint32_t job = 0;
};

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
      if (!csv_) throw std::runtime_error("cannot open " + cfg_.jobs_csv + " for writing");
      std::fputs("handle,function,unique,priority,background,outcome,coalesced_submits,client_port,worker_port,"
                 "submit_us,created_us,assign_us,end_us,delivered_us,queue_us,run_us,total_us\n", csv_);
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
      std::string cando;
      for (auto& f : fns_) gp::append_packet(cando, gp::Magic::Req, gp::CAN_DO, {f.name});
      uint64_t ts = net_.send(wk.conn, 0, t + 60, cando);
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
      }
    }
    net_.flush_all();
    write_truth(truth_path);
    if (csv_) {
      std::FILE* f = csv_;
      csv_ = nullptr;
      if (std::fclose(f) != 0) throw std::runtime_error("write error on " + cfg_.jobs_csv);
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
  uint64_t srv_delay() { return 15 + model_.below(40); }
  uint64_t worker_delay() { return 30 + model_.below(90); }
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
      if (!j.bg && !j.stuck && !dup && j.planned_end > t + 2000) {
        std::string sub;
        gp::append_packet(sub, gp::Magic::Req, gp::SUBMIT_JOB, {fns_[j.func].name, unique(j.unique), payload(fns_[j.func].payload)});
        uint64_t ts = net_.send(clients_[c], 0, t, sub);
        net_.send(clients_[c], 1, ts + srv_delay(), gp::make_response(gp::JOB_CREATED, {handle(j)}));
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
    std::string sub, created;
    std::vector<uint32_t> batch;
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
      gp::append_packet(created, gp::Magic::Res, gp::JOB_CREATED, {handle(j)});
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
    uint64_t tc = net_.send(clients_[c], 1, ts + srv_delay(), created);
    for (uint32_t s : batch) {
      Job& j = jobs_[s];
      j.submit_t = ts;
      j.created_t = tc;
      schedule(tc + model_.lognormal_us(fns_[j.func].queue, 0), Ev::Ready, s);
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
    int64_t s = take_ready();
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
    j.assign_t = ta;
    j.worker = wi;
    w.state = Worker::State::Busy;
    w.job = uint32_t(s);
    fn_running_[j.func]++;
    truth_[j.func].s.queue.push_back(sat(ta - j.created_t));
    if (w.stuck_designate && created_ * 2 >= cfg_.jobs) {  // hangs from here to the end
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
    j.planned_end = ta + run;
    if (j.status) schedule(ta + run / 2, Ev::WorkerStatus, wi);
    schedule(ta + run, Ev::WorkerDone, wi);
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

  void done(uint64_t t, uint32_t wi) {
    Worker& w = workers_[wi];
    uint32_t s = w.job;
    Job& j = jobs_[s];
    const FunctionSpec& f = fns_[j.func];
    FnTruth& tr = truth_[j.func];
    std::string h = handle(j), req, res, chunk;
    if (j.data) {
      chunk = payload(std::max<uint32_t>(16, f.result / 4));
      gp::append_packet(req, gp::Magic::Req, gp::WORK_DATA, {h, chunk});
      gp::append_packet(res, gp::Magic::Res, gp::WORK_DATA, {h, chunk});
    }
    uint32_t type = gp::WORK_COMPLETE;
    std::string data;
    switch (j.outcome) {
      case Outcome::Complete: data = payload(f.result); tr.complete++; break;
      case Outcome::Fail: type = gp::WORK_FAIL; tr.fail++; break;
      case Outcome::Exception: type = gp::WORK_EXCEPTION; data = "RuntimeError: synthetic failure"; tr.exception++; break;
    }
    if (type == gp::WORK_FAIL) {
      gp::append_packet(req, gp::Magic::Req, type, {h});
      gp::append_packet(res, gp::Magic::Res, type, {h});
    } else {
      gp::append_packet(req, gp::Magic::Req, type, {h, data});
      gp::append_packet(res, gp::Magic::Res, type, {h, data});
    }
    uint64_t tt = net_.send(w.conn, 0, t, req), td = 0;
    tr.s.run.push_back(sat(tt - j.assign_t));
    if (!j.bg) {
      td = net_.send(clients_[j.client], 1, tt + srv_delay(), res);
      tr.s.total.push_back(sat(td - j.submit_t));
      // The creating client hears first, so "total" is the same whether a reader takes the
      // creating client's result or the first result sent to any client of the job.
      for (uint32_t c : j.extra_clients) net_.send(clients_[c], 1, std::max(tt + srv_delay(), td), res);
    }
    job_row(j, tt, td);
    uint64_t next = tt;
    if (j.outcome == Outcome::Exception && model_.chance(cfg_.exception_then_fail)) {
      // Some client libraries follow WORK_EXCEPTION with WORK_FAIL; gearmand has dropped the job.
      next = net_.send(w.conn, 0, tt + 5, gp::make_request(gp::WORK_FAIL, {h}));
      next = net_.send(w.conn, 1, next + srv_delay(),
                       gp::make_response(gp::ERROR, {"JOB_NOT_FOUND", "Job given in work result not found"}));
    }
    release(s);
    w.state = Worker::State::Grabbing;
    schedule(next + worker_delay(), Ev::WorkerGrab, wi);
    maybe_finish(tt);
  }

  // One line of --jobs-csv per job, written when it ends (or at the end of the capture).
  void job_row(const Job& j, uint64_t end, uint64_t delivered) {
    if (!csv_) return;
    static const char* prio[3] = {"high", "normal", "low"};
    static const char* outcome[3] = {"complete", "fail", "exception"};
    auto opt = [](uint64_t v) { return v ? std::to_string(v) : std::string(); };
    std::fprintf(csv_, "H:gen:%" PRIu64 ",%s,%s,%s,%d,%s,%zu,%u,%u,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%s,%s,%" PRIu64 ",%s,%s\n",
                 j.handle_no, fns_[j.func].name.c_str(), unique(j.unique).c_str(), prio[j.prio], j.bg ? 1 : 0,
                 end ? outcome[int(j.outcome)] : "incomplete", j.extra_clients.size(),
                 unsigned(net_.conn(clients_[j.client]).port), unsigned(net_.conn(workers_[j.worker].conn).port),
                 j.submit_t, j.created_t, j.assign_t, opt(end).c_str(), opt(delivered).c_str(), j.assign_t - j.created_t,
                 end ? std::to_string(end - j.assign_t).c_str() : "", delivered ? std::to_string(delivered - j.submit_t).c_str() : "");
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
        gp::append_admin_line(reply, std::to_string(fd++) + " 127.0.0.1 - :" + all, false);
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
      truth_[jobs_[s].func].incomplete++;
      job_row(jobs_[s], 0, 0);
    }
    for (uint32_t i = 0; i < clients_.size(); ++i) net_.close(clients_[i], t + 100 * i);
    for (uint32_t i = 0; i < workers_.size(); ++i) net_.close(workers_[i].conn, t + 100 * (clients_.size() + i));
    end_us_ = t + 100 * (clients_.size() + workers_.size()) + 40;
    // Sleeping workers get no more events; the event queue now drains.
    sleeping_.clear();
    closed_ = true;
  }

  static uint32_t sat(uint64_t v) { return v > UINT32_MAX ? UINT32_MAX : uint32_t(v); }

  void write_truth(const std::string& path) {
    std::FILE* f = std::fopen(path.c_str(), "w");
    if (!f) throw std::runtime_error("cannot open " + path + " for writing");
    FnTruth all;
    std::vector<size_t> order(fns_.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return fns_[a].name < fns_[b].name; });
    for (auto& t : truth_) {
      all.jobs += t.jobs; all.complete += t.complete; all.fail += t.fail; all.exception += t.exception;
      all.incomplete += t.incomplete; all.background += t.background;
      all.coalesced_submits += t.coalesced_submits; all.submits += t.submits;
    }
    std::fprintf(f, "{\n  \"generator\": {\"seed\": %" PRIu64 ", \"jobs\": %" PRIu64 ", \"clients\": %u, \"workers\": %u, "
                 "\"rate_per_s\": %.3f, \"link\": \"%s\", \"server_port\": %u, \"admin_connections\": %" PRIu64 "},\n",
                 cfg_.seed, cfg_.jobs, cfg_.clients, cfg_.workers, 1e6 / mean_gap_us_,
                 cfg_.null_link ? "NULL" : "EN10MB", kServerPort, admin_polls_);
    std::fprintf(f, "  \"jobs\": {\"total\": %" PRIu64 ", \"complete\": %" PRIu64 ", \"fail\": %" PRIu64
                 ", \"exception\": %" PRIu64 ", \"incomplete\": %" PRIu64 ", \"background\": %" PRIu64
                 ", \"submits\": %" PRIu64 ", \"coalesced_submits\": %" PRIu64 "},\n",
                 all.jobs, all.complete, all.fail, all.exception, all.incomplete, all.background,
                 all.submits, all.coalesced_submits);
    std::fprintf(f, "  \"functions\": [");
    bool first = true;
    for (size_t i : order) {
      FnTruth& t = truth_[i];
      std::fprintf(f, "%s\n    {\"name\": \"%s\", \"jobs\": %" PRIu64 ", \"complete\": %" PRIu64 ", \"fail\": %" PRIu64
                   ", \"exception\": %" PRIu64 ", \"incomplete\": %" PRIu64 ", \"background\": %" PRIu64
                   ", \"submits\": %" PRIu64 ", \"coalesced_submits\": %" PRIu64 ",\n     ",
                   first ? "" : ",", fns_[i].name.c_str(), t.jobs, t.complete, t.fail, t.exception, t.incomplete,
                   t.background, t.submits, t.coalesced_submits);
      put_stats(f, "queue_ms", t.s.queue);
      std::fprintf(f, ",\n     ");
      put_stats(f, "run_ms", t.s.run);
      std::fprintf(f, ",\n     ");
      put_stats(f, "total_ms", t.s.total);
      std::fputc('}', f);
      first = false;
    }
    std::fprintf(f, "\n  ]\n}\n");
    if (std::fclose(f) != 0) throw std::runtime_error("write error on " + path);
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
