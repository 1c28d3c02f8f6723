// The job engine (gearjobs) driven like a front end would drive it, with its invariants checked
// after every step and at the end. The input is a script (engine_script.h): connections opened and
// closed on one or two servers, binary PDUs of every type in both directions built with gearproto's
// encoder from a small alphabet of handles, functions and unique IDs (so that packets of one job
// meet), admin commands and reply lines, lost bytes, the clock moving either way, finish and reset,
// in the plugin's mode (keep_jobs) or the analyzer's, with small caps so that they are reached.
//
// Invariants (the table in docs/robustness.md):
// - the sink: every job at most once, every job of the table exactly once by finish(), a voided
//   job never;
// - times: t_* are kNoTime or times fed with a PDU; queue/run/total are kNoTime or >= 0; facts that
//   go together do (an ended job has an outcome, a reorder flag has both its times, ...);
// - memory: jobs_in_table() <= max_open_jobs and equal to the table's list, every job found by its
//   handle; connections() = opened - closed; lingering timers <= max_lingering; recycled job
//   objects <= max_open_jobs; unanswered submits per server = those of its connections;
// - gauges: each function's queued/running equal the open jobs in that phase (so never wrap), all
//   0 after finish();
// - effects: the event fits the packet's role and direction; the job is on the PDU's server and is
//   the one the packet names; job_created_here / job_ended_here / job_result_here only on the
//   packets they are about; an answer names an unanswered request of the same connection, of a
//   type that the packet answers, answered once;
// - waiting: the clients a job waits for are exactly the connected ones given it by the JOB_CREATED
//   of a foreground submit that got no result yet; a running job's worker is connected.
//
// FUZZ_ENGINE_TRACE=1 prints each step and its effect (for reading a crash input).
#include <algorithm>
#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "conn_state.h"  // white-box: a connection's unanswered submits
#include "engine_script.h"
#include "gearjobs/engine.h"
#include "gearproto/admin.h"
#include "gearproto/arguments.h"
#include "gearproto/encoder.h"
#include "gearproto/framer.h"

namespace gearjobs {
// The engine's private containers whose size the public API does not show.
class EngineTestPeer {
 public:
  static size_t lingering(const Engine& e) { return e.lingering_.size(); }
  static size_t expecting(const Engine& e) { return e.expecting_.size(); }
  static size_t stored_jobs(const Engine& e) { return e.store_.size(); }
  static uint64_t next_job_id(const Engine& e) { return e.next_job_id_; }
  static uint64_t pending_submits(const Engine& e, uint32_t server) {
    return server < e.servers_.size() ? e.servers_[server].pending_submits : 0;
  }
  static size_t queued_submits(const Engine& e, ConnRef c) { return e.conns_[c.slot]->submits.size(); }
  static bool unique_indexed(const Engine& e) { return e.unique_indexed_; }
};
}  // namespace gearjobs

namespace {

using namespace gearjobs;
using namespace gearproto;
using namespace enginefuzz;
using Peer = gearjobs::EngineTestPeer;

size_t g_step = 0;
bool g_trace = false;

[[noreturn]] void fail(const char* what, int line) {
  std::fprintf(stderr, "fuzz_engine: invariant broken at step %zu (fuzz_engine.cpp:%d): %s\n", g_step, line, what);
  std::abort();
}
#define CHECK(cond) \
  do {              \
    if (!(cond)) fail(#cond, __LINE__); \
  } while (0)

constexpr Time kMaxTime = Time(1) << 62;  // capture times are >= 0; this leaves room for any sum
constexpr Time kStart = 1'700'000'000'000'000'000;

bool is_response(uint32_t type) {
  switch (type) {
    case JOB_CREATED: case NO_JOB: case JOB_ASSIGN: case JOB_ASSIGN_UNIQ: case JOB_ASSIGN_ALL:
    case NOOP: case ECHO_RES: case STATUS_RES: case STATUS_RES_UNIQUE: case OPTION_RES: case ERROR:
      return true;
    default:
      return false;
  }
}
bool is_submit(uint32_t type) {
  const PacketInfo* i = packet_info(type);
  return i && i->job_role == JobRole::Submit;
}
bool is_grab(uint32_t type) { return type == GRAB_JOB || type == GRAB_JOB_UNIQ || type == GRAB_JOB_ALL; }
// May a response of `answer` pair with a request of `request`?
bool answers_type(uint32_t answer, uint32_t request) {
  switch (answer) {
    case JOB_CREATED: return is_submit(request);
    case NO_JOB: case JOB_ASSIGN: case JOB_ASSIGN_UNIQ: case JOB_ASSIGN_ALL: return is_grab(request);
    case NOOP: return request == PRE_SLEEP;
    case ECHO_RES: return request == ECHO_REQ;
    case STATUS_RES: case STATUS_RES_UNIQUE: return request == GET_STATUS || request == GET_STATUS_UNIQUE;
    case OPTION_RES: return request == OPTION_REQ;
    case ERROR: return is_submit(request) || request == OPTION_REQ || is_grab(request);
    default: return false;
  }
}
bool event_needs_job(Event e) {
  switch (e) {
    case Event::None: case Event::Submitted: case Event::Refused: case Event::OrphanResult:
      return false;
    case Event::StatusQuery: case Event::StatusReply:  // about a job only when it is in the table
    case Event::RefusedTerminal:  // about a job only when its handle names one
      return false;
    default:
      return true;
  }
}

struct Slot {
  bool open = false;
  ConnRef ref;
  uint32_t server = 0;
  uint64_t serial = 0;
};

// A request the script sent, by tag.
struct Sent {
  uint64_t serial;
  uint32_t type;
  bool to_server;
  bool admin;
  Time t;
  uint64_t frame;
};

class Run : public JobSink {
 public:
  explicit Run(uint8_t config) : opt_(options(config)), eng_(opt_), two_servers_(config & kTwoServers) {
    sink_ = !(config & kNoSink);
    eng_.set_sink(sink_ ? this : nullptr);
    if (g_trace)
      std::fprintf(stderr, "config keep_jobs=%d max_open_jobs=%zu max_lingering=%zu busy_lingering=%zu max_pending_submits=%zu linger=%lld min_linger=%lld expect=%lld two_servers=%d\n",
                   opt_.keep_jobs, opt_.max_open_jobs, opt_.max_lingering, opt_.busy_lingering, opt_.max_pending_submits,
                   (long long)opt_.linger_ns, (long long)opt_.min_linger_ns, (long long)opt_.expect_ns, two_servers_);
  }

  void step(const uint8_t* r) {
    switch (r[0] % kOpCount) {
      case kOpen: {
        Slot& s = slot(r[1]);
        if (s.open) close(s);
        open(s, r[2] & 1);
        break;
      }
      case kClose: {
        Slot& s = slot(r[1]);
        move_clock(Step(r[2] % 8));
        if (s.open) close(s);
        break;
      }
      case kPdu: pdu(r); break;
      case kAdminCommand: admin_command(r); break;
      case kAdminReply: admin_reply(r); break;
      case kLostBytes: {
        Slot& s = ensure_open(r[1]);
        trace("lost_bytes conn %llu", (unsigned long long)s.serial);
        eng_.lost_bytes(s.ref, frame_);
        break;
      }
      case kClock: clock(r); break;
      case kAdvance:
        move_clock(Step(r[1] % 8));
        trace("advance %lld", (long long)now_);
        eng_.advance(now_);
        break;
      case kFinish: finish(); break;
      case kReset: reset(); break;
      case kStale:
        // Front ends may hand back a ref they never got (a connection that was not Gearman) or
        // close one twice; the engine ignores both.
        switch (r[1] % 3) {
          case 0: eng_.close_conn(ConnRef{}, now_); break;
          case 1: eng_.lost_bytes(ConnRef{}, frame_); break;
          case 2: if (last_closed_.valid()) eng_.close_conn(last_closed_, now_); break;
        }
        break;
    }
    check_table();
  }

  void finish() {
    trace("finish");
    eng_.finish();
    CHECK(eng_.jobs_in_table() == 0);
    CHECK(Peer::lingering(eng_) == 0 && Peer::expecting(eng_) == 0);
    for (const FunctionGauge& g : eng_.gauges()) CHECK(g.queued == 0 && g.running == 0);
    // Every job the engine made in this epoch was handed to the sink once, or voided.
    const uint64_t next = Peer::next_job_id(eng_);
    grow(next);
    if (sink_)
      for (uint64_t id = 1; id < next; ++id) CHECK(closed_[id] + voided_[id] == 1);
  }

  // JobSink
  void on_job_closed(const Job& j) override {
    trace("  sink: job %llu %s closed, outcome %s", (unsigned long long)j.id, j.handle.c_str(), outcome_name(j.outcome));
    CHECK(j.state == JobState::Closed);
    CHECK(j.id >= 1 && j.id < Peer::next_job_id(eng_));
    grow(j.id + 1);
    CHECK(closed_[j.id] == 0);  // at most once
    CHECK(voided_[j.id] == 0);  // a voided job is no job
    closed_[j.id] = 1;
    check_job(j);
    waiting_.erase(j.id);
  }
  void on_job_lost(const Job& j, uint64_t worker_conn) override {
    trace("  sink: job %llu lost by conn %llu", (unsigned long long)j.id, (unsigned long long)worker_conn);
    CHECK(j.state == JobState::Open || j.state == JobState::Done);
    CHECK(j.t_worker_done == kNoTime);  // a job its worker ended is not lost
    CHECK(worker_conn != 0 && worker_conn < next_serial_);
    check_job(j);
  }

 private:
  static Options options(uint8_t config) {
    Options o;
    o.keep_jobs = config & kKeepJobs;
    switch ((config >> kLimitsShift) & 3) {
      case kSmallCaps:
        o.max_open_jobs = 8; o.max_lingering = 4; o.busy_lingering = 2; o.max_pending_submits = 4;
        o.max_pending_requests = 4;
        break;
      case kTinyCaps:
        o.max_open_jobs = 1; o.max_lingering = 1; o.max_pending_submits = 1; o.max_pending_requests = 1;
        break;
      case kDefaultCaps:
        break;
      case kNoJobCap:  // 0: no limit on open jobs; no job lingers at all
        o.max_open_jobs = 0; o.max_lingering = 0; o.max_pending_submits = 2; o.max_pending_requests = 2;
        break;
    }
    switch ((config >> kTimingShift) & 3) {
      case kDefaultTiming: break;
      case kShortTiming: o.linger_ns = 1'000'000; o.min_linger_ns = 200'000; o.expect_ns = 5'000'000; break;
      case kZeroTiming: o.linger_ns = 0; o.expect_ns = 0; break;
      case kLongLingerShortExpect: o.linger_ns = 10'000'000'000; o.expect_ns = 1'000'000; break;
    }
    return o;
  }

  void trace(const char* fmt, ...) __attribute__((format(printf, 2, 3))) {
    if (!g_trace) return;
    va_list ap;
    va_start(ap, fmt);
    std::fprintf(stderr, "[%zu f%llu t+%lld] ", g_step, (unsigned long long)frame_, (long long)(now_ - kStart));
    std::vfprintf(stderr, fmt, ap);
    std::fputc('\n', stderr);
    va_end(ap);
  }

  Slot& slot(uint8_t b) { return slots_[b % kSlots]; }
  Slot& ensure_open(uint8_t b) {
    Slot& s = slot(b);
    if (!s.open) open(s, two_servers_ ? (b % kSlots) / 2 % 2 : 0);
    return s;
  }
  void open(Slot& s, uint32_t server) {
    s.serial = next_serial_++;
    s.server = server;
    s.ref = eng_.open_conn(server, s.serial);
    s.open = true;
    last_closed_ = ConnRef{};  // its slot may be this connection's now
    ++opened_;
    trace("open conn %llu on server %u", (unsigned long long)s.serial, server);
  }
  void close(Slot& s) {
    trace("close conn %llu", (unsigned long long)s.serial);
    eng_.close_conn(s.ref, now_);
    s.open = false;
    ++closed_conns_;
    last_closed_ = s.ref;
    for (auto& w : waiting_) w.second.erase(s.serial);
  }

  void move_clock(Step s) {
    Time d = 0;
    switch (s) {
      case kSameTime: d = 0; break;
      case kMicro: d = 1'000; break;
      case kMilli: d = 1'000'000; break;
      case kSecond: d = 1'000'000'000; break;
      case kPastLinger: d = opt_.linger_ns + 1; break;
      case kPastExpect: d = opt_.expect_ns + 1; break;
      case kBackMilli: d = -1'000'000; break;
      case kBackPastExpect: d = -(opt_.expect_ns + 1); break;
    }
    set_now(__int128(now_) + d);
  }
  void set_now(__int128 t) { now_ = t < 0 ? 0 : t > kMaxTime ? kMaxTime : Time(t); }
  void clock(const uint8_t* r) {
    const int how = r[1] % 8;
    const uint64_t v = uint64_t(r[2] | r[3] << 8 | r[4] << 16) << (r[5] % 40);
    const Time amount = v > uint64_t(kMaxTime) ? kMaxTime : Time(v);
    switch (how & 3) {
      case 0: set_now(__int128(now_) + amount); break;
      case 1: set_now(__int128(now_) - amount); break;
      case 2: set_now(kMaxTime - amount); break;
      case 3: set_now(amount); break;
    }
    trace("clock -> %lld", (long long)now_);
    if (how & 4) eng_.advance(now_);
  }

  void next_frame(bool same) {
    if (!same || frame_ == 0) ++frame_;
  }

  std::string_view arg_value(Arg k, const uint8_t* r) {
    switch (k) {
      case Arg::Handle: return handle_value(r[4]);
      case Arg::Function: return function_value(r[5]);
      case Arg::Unique: return unique_value(r[6]);
      default: return misc_value(r[7]);
    }
  }

  void pdu(const uint8_t* r) {
    const uint32_t type = r[2];
    const PacketInfo* info = packet_info(type);
    if (!info) return;  // unknown types never reach the engine (the front ends count them)
    Slot& s = ensure_open(r[1]);
    const uint8_t flags = r[3];
    const bool to_server = flags & kToServer;
    const Shape shape = Shape((flags >> kShapeShift) & 3);
    next_frame(flags & kSameFrame);
    move_clock(Step(flags >> kStepShift));

    std::string data;
    int n = info->argc;
    if (shape == kLastArgMissing && n > 0) --n;
    if (shape == kNoData) n = 0;
    for (int i = 0; i < n; ++i) {
      if (i) data.push_back('\0');
      data.append(arg_value(info->args[i], r));
    }
    if (shape == kExtraArg) {
      if (!data.empty() || info->argc) data.push_back('\0');
      data.append("extra");
    }
    Magic magic = to_server ? Magic::Req : Magic::Res;
    if (flags & kOtherMagic) magic = magic == Magic::Req ? Magic::Res : Magic::Req;
    if (!info->allows(magic)) magic = magic == Magic::Req ? Magic::Res : Magic::Req;
    std::string packet;
    append_raw(packet, magic == Magic::Req ? Bytes("\0REQ", 4) : Bytes("\0RES", 4), type, uint32_t(data.size()), data);

    const Frame f = frame_message(packet, Limits{});
    CHECK(f.status == Frame::Complete && f.error == FrameError::None && f.header.info == info);
    const Bytes pdu_data = Bytes(packet).substr(kHeaderSize);
    const Arguments a = split_arguments(*info, pdu_data, ArgChecks::Structure);
    const ArgSpans spans = spans_of(a, pdu_data);
    PduIn in;
    in.to_server = to_server;
    in.frame = frame_;
    in.t = now_;
    in.tag = ++tag_;
    in.header = &f.header;
    in.args = &spans;
    pdu_times_.insert(now_);
    sent_[in.tag] = Sent{s.serial, type, to_server, false, now_, frame_};
    trace("%s %s conn %llu handle '%.*s' fn '%.*s' uniq '%.*s' shape %d", info->name,
          to_server ? "->" : "<-", (unsigned long long)s.serial,
          int(std::min<size_t>(a.get(Arg::Handle).value_or("").size(), 16)), a.get(Arg::Handle).value_or("").data(),
          int(a.get(Arg::Function).value_or("").size()), a.get(Arg::Function).value_or("").data(),
          int(a.get(Arg::Unique).value_or("").size()), a.get(Arg::Unique).value_or("").data(), int(shape));
    const Effect e = eng_.on_binary(s.ref, in);
    trace("  effect: %s job %llu%s%s%s%s%s", event_name(e.event), e.job ? (unsigned long long)e.job->id : 0ull,
          e.answers ? " answers" : "", e.unanswered ? " unanswered" : "", e.job_created_here ? " created_here" : "",
          e.job_ended_here ? " ended_here" : "", e.job_result_here ? " result_here" : "");
    check_effect(e, s, in, *info, a);
    ++events_[size_t(e.event)];
    if (a.defects & kHandleTooLong) ++too_long_pdus_;
  }

  void check_effect(const Effect& e, const Slot& s, const PduIn& p, const PacketInfo& info, const Arguments& a) {
    const uint32_t type = info.type;
    const bool to_server = p.to_server;
    // The event fits the packet's role and direction.
    switch (e.event) {
      case Event::None: break;
      case Event::Submitted: CHECK(info.job_role == JobRole::Submit && to_server); break;
      case Event::Created: case Event::JoinedCreated: case Event::Coalesced:
        CHECK(type == JOB_CREATED && !to_server);
        break;
      case Event::Refused: CHECK(type == ERROR && !to_server); break;
      case Event::Assigned: case Event::Reassigned: CHECK(info.job_role == JobRole::Assign && !to_server); break;
      case Event::Update: CHECK(info.job_role == JobRole::Update); break;
      case Event::LateUpdate: CHECK(info.job_role == JobRole::Update && to_server); break;
      case Event::WorkerEnded: case Event::LateTerminal: case Event::RefusedTerminal:
        CHECK(info.job_role == JobRole::Terminal && to_server);
        break;
      case Event::Result: case Event::LateResult: case Event::OrphanResult:
        CHECK(info.job_role == JobRole::Terminal && !to_server);
        break;
      case Event::UnknownHandle: CHECK(type == ERROR && !to_server); break;
      case Event::StatusQuery: CHECK(info.job_role == JobRole::StatusQuery && to_server); break;
      case Event::StatusReply: CHECK(info.job_role == JobRole::StatusReply && !to_server); break;
    }
    // The job: where the event needs one, on this connection's server, the one the packet names.
    if (event_needs_job(e.event)) CHECK(e.job != nullptr);
    if (e.event == Event::None || e.event == Event::Submitted || e.event == Event::Refused || e.event == Event::OrphanResult)
      CHECK(e.job == nullptr);
    if (e.job) {
      const Job& j = *e.job;
      CHECK(j.server == s.server);
      CHECK(j.id >= 1 && j.id < Peer::next_job_id(eng_));
      if (e.event == Event::UnknownHandle) {
        CHECK(j.state == JobState::Void);
        // Known: JOB_NOT_FOUND voids the job of the worker's terminal packet even when a
        // JOB_CREATED gave that handle to a client meanwhile (or a worker was assigned it): a job
        // the server acknowledged is real, and its submit must reach the sink.
        CHECK(j.f_created == 0 && j.assignments == 0);
        grow(j.id + 1);
        CHECK(closed_[j.id] == 0 && voided_[j.id] == 0);
        voided_[j.id] = 1;
        waiting_.erase(j.id);
      } else {
        CHECK(j.state != JobState::Void);
        if (info.job_role == JobRole::StatusReply || info.job_role == JobRole::StatusQuery) {
          if (type == GET_STATUS || type == STATUS_RES) CHECK(j.handle == a.get(Arg::Handle).value_or(""));
          else CHECK(j.unique == a.get(Arg::Unique).value_or(""));
        } else if (a.get(Arg::Handle)) {
          CHECK(j.handle == *a.get(Arg::Handle));
        }
        check_job(j);
      }
    }
    // Flags: only on the packets they are about.
    if (e.job_created_here) CHECK(type == JOB_CREATED && !to_server && (e.event == Event::Created || e.event == Event::JoinedCreated));
    if (e.job_ended_here) CHECK(info.job_role == JobRole::Terminal && (e.event == Event::WorkerEnded || e.event == Event::Result));
    if (e.job_result_here) CHECK(info.job_role == JobRole::Terminal && !to_server && e.event == Event::Result);
    if (e.unanswered) CHECK(!to_server && is_response(type) && !e.answers);
    CHECK(!e.admin_first_line && !e.admin_last_line);
    if (e.answers) {
      CHECK(!to_server && is_response(type));
      auto it = sent_.find(e.request.tag);
      CHECK(it != sent_.end());
      const Sent& q = it->second;
      CHECK(!q.admin && !e.request.admin && q.to_server);
      CHECK(q.serial == s.serial);  // answers come on the request's connection
      CHECK(q.type == e.request.type && q.frame == e.request.frame && q.t == e.request.t);
      CHECK(answers_type(type, q.type));
      CHECK(e.request.tag < p.tag);
      CHECK(answered_.insert(e.request.tag).second);  // each request answered once
    }
    // The model of who waits for a job's result: a client given the job by the JOB_CREATED that
    // answered its foreground submit, until it gets a result or closes.
    if (e.job && e.answers && (e.event == Event::Created || e.event == Event::JoinedCreated || e.event == Event::Coalesced) &&
        !packet_info(e.request.type)->background)
      waiting_[e.job->id].insert(s.serial);
    if (e.job && (e.event == Event::Result || e.event == Event::LateResult)) {
      auto w = waiting_.find(e.job->id);
      if (w != waiting_.end()) w->second.erase(s.serial);
    }
  }

  void admin_command(const uint8_t* r) {
    Slot& s = ensure_open(r[1]);
    next_frame(false);
    move_clock(Step(r[3] % 8));
    const Bytes line = admin_command_line(r[2]);
    const AdminRequest req = parse_admin_command(line);
    const uint64_t tag = ++tag_;
    sent_[tag] = Sent{s.serial, uint32_t(req.command), true, true, now_, frame_};
    trace("admin command '%.*s' conn %llu", int(line.size()), line.data(), (unsigned long long)s.serial);
    const Effect e = eng_.on_admin_command(s.ref, req, frame_, now_, tag);
    CHECK(!e.job && e.event == Event::None && !e.answers && !e.unanswered && !e.job_created_here &&
          !e.job_ended_here && !e.job_result_here && !e.admin_first_line && !e.admin_last_line);
  }

  void admin_reply(const uint8_t* r) {
    Slot& s = ensure_open(r[1]);
    next_frame(false);
    move_clock(Step(r[3] % 8));
    const Bytes line = admin_reply_line(r[2]);
    AdminReplyLine out;
    const Effect e = eng_.on_admin_reply(s.ref, line, out, frame_, now_);
    trace("admin reply '%.*s' conn %llu:%s%s%s", int(line.size()), line.data(), (unsigned long long)s.serial,
          e.answers ? " answers" : "", e.admin_first_line ? " first" : "", e.admin_last_line ? " last" : "");
    CHECK(!e.job && e.event == Event::None && !e.job_created_here && !e.job_ended_here && !e.job_result_here);
    CHECK(out.line == line);
    if (e.unanswered) CHECK(!e.answers);
    if (e.answers) {
      auto it = sent_.find(e.request.tag);
      CHECK(it != sent_.end());
      const Sent& q = it->second;
      CHECK(q.admin && e.request.admin && q.serial == s.serial);
      CHECK(q.type == e.request.type && q.frame == e.request.frame && q.t == e.request.t);
    }
  }

  void reset() {
    trace("reset");
    eng_.reset();
    for (Slot& s : slots_) s = Slot{};
    opened_ = closed_conns_ = 0;
    closed_.clear();
    voided_.clear();
    for (uint64_t& n : events_) n = 0;
    too_long_pdus_ = 0;
    sent_.clear();
    answered_.clear();
    waiting_.clear();
    last_closed_ = ConnRef{};
    CHECK(eng_.jobs_in_table() == 0 && eng_.connections() == 0 && eng_.gauges().empty());
  }

  void grow(uint64_t n) {
    if (closed_.size() < n) {
      closed_.resize(n);
      voided_.resize(n);
    }
  }

  // The facts of one job as the front ends read them.
  void check_job(const Job& j) {
    for (Time t : {j.t_submit, j.t_created, j.t_assign_first, j.t_assign, j.t_worker_done, j.t_client_done, j.t_client_submit})
      CHECK(t == kNoTime || pdu_times_.count(t));
    for (Time d : {j.queue_ns(), j.run_ns(), j.total_ns()}) CHECK(d == kNoTime || d >= 0);
    for (uint64_t f : {j.f_submit, j.f_created, j.f_assign_first, j.f_assign, j.f_worker_done, j.f_client_done})
      CHECK(f <= frame_);
    CHECK(!j.handle.empty() && j.handle.size() <= kMaxHandleLength);
    CHECK(j.server < 2);
    // Facts that go together.
    if (j.t_worker_done != kNoTime || j.ended_by_server) CHECK(j.outcome != Outcome::Incomplete);
    CHECK((j.t_assign_first != kNoTime) == (j.assignments > 0));
    CHECK(j.f_assign_first <= j.f_assign);
    CHECK((j.f_created != 0) == (j.submits > 0));
    CHECK((j.client_conn != 0) == (j.t_client_submit != kNoTime));
    if (j.reordered & kAssignedBeforeCreated) CHECK(j.t_created != kNoTime && j.t_assign_first != kNoTime);
    if (j.reordered & kEndedBeforeAssigned) CHECK(j.t_assign != kNoTime && j.t_worker_done != kNoTime);
    if (j.reordered & kResultBeforeEnd) CHECK(j.t_worker_done != kNoTime && j.t_client_done != kNoTime);
    if (j.reordered & kResultBeforeSubmit) CHECK(j.t_client_submit != kNoTime && j.t_client_done != kNoTime);
  }

  // The warnings (the analyzer's report) count what the effects (the plugin's per-PDU view) show.
  void check_warnings() {
    const Warnings& w = eng_.warnings();
    auto count = [&](WarningKind k) { return w[k].count; };
    auto events = [&](Event e) { return events_[size_t(e)]; };
    CHECK(count(WarningKind::HandleTooLong) == too_long_pdus_);
    CHECK(count(WarningKind::LateTerminal) == events(Event::LateTerminal));
    CHECK(count(WarningKind::LateResult) == events(Event::LateResult));
    CHECK(count(WarningKind::LateUpdate) == events(Event::LateUpdate));
    CHECK(count(WarningKind::OrphanResult) == events(Event::OrphanResult));
    CHECK(count(WarningKind::UnknownHandle) == events(Event::UnknownHandle));
    if (sink_) {
      uint64_t closed = 0;
      for (uint8_t c : closed_) closed += c;
      CHECK(count(WarningKind::OpenJobsCap) <= closed);
    }
    for (int k = 0; k < kWarningKinds; ++k) CHECK(warning_name(WarningKind(k)) && warning_detail(WarningKind(k)));
  }

  void check_table() {
    check_warnings();
    size_t n = 0, done = 0;
    std::vector<FunctionGauge> want(eng_.functions().size());
    eng_.for_each_job_in_table([&](const Job& j) {
      ++n;
      CHECK(j.state == JobState::Open || j.state == JobState::Done);
      if (j.state == JobState::Done) ++done;
      CHECK(eng_.find(j.server, j.handle) == &j);
      CHECK(j.id >= 1 && j.id < Peer::next_job_id(eng_));
      check_job(j);
      check_waiting(j);
      // FunctionGauge: queued = open jobs no worker has been given yet; running = assigned and
      // not ended.
      if (j.state == JobState::Open && j.t_worker_done == kNoTime && !j.ended_by_server && j.function != kNoFunction) {
        CHECK(j.function < want.size());
        (j.t_assign_first != kNoTime && j.worker_conn != 0 ? want[j.function].running : want[j.function].queued)++;
      }
    });
    CHECK(n == eng_.jobs_in_table());
    // Once the engine indexes unique IDs (the first GET_STATUS_UNIQUE), each job's unique ID finds
    // a job of the table with that ID. (Only then: asking earlier would build the index early.)
    if (Peer::unique_indexed(eng_)) {
      std::vector<const Job*> jobs;
      eng_.for_each_job_in_table([&](const Job& j) { jobs.push_back(&j); });
      for (const Job* j : jobs) {
        if (j->unique.empty()) continue;
        const Job* u = eng_.find_by_unique(j->server, j->unique);
        // Known: two jobs with one unique ID (two functions): the index holds the later one, and
        // when that one closes its entry goes, so the other is no longer found by its unique ID.
        CHECK(u != nullptr);
        if (!u) continue;
        CHECK(u->unique == j->unique && u->server == j->server);
        CHECK(u->state == JobState::Open || u->state == JobState::Done);
      }
    }
    CHECK(n <= n_limit());
    CHECK(done <= opt_.max_lingering);
    CHECK(eng_.connections() == opened_ - closed_conns_);
    const std::vector<FunctionGauge>& g = eng_.gauges();
    for (size_t f = 0; f < g.size(); ++f) {
      CHECK(g[f].queued <= n && g[f].running <= n);  // a counter that wrapped is huge
      CHECK(f < want.size());
      CHECK(g[f].queued == want[f].queued && g[f].running == want[f].running);
    }
    for (size_t f = g.size(); f < want.size(); ++f) CHECK(want[f].queued == 0 && want[f].running == 0);
    // Memory the options bound.
    CHECK(Peer::lingering(eng_) <= opt_.max_lingering);
    if (!opt_.keep_jobs && opt_.max_open_jobs) CHECK(Peer::stored_jobs(eng_) <= opt_.max_open_jobs);
    // Stale timers (of jobs closed before their timer was due) go once they outnumber twice the
    // jobs in the table plus 1024 (job_lifetime.cpp): bounded by the cap.
    if (opt_.max_open_jobs) CHECK(Peer::expecting(eng_) <= 2 * opt_.max_open_jobs + 1025);
    for (uint32_t srv = 0; srv < 2; ++srv) {
      uint64_t queued = 0;
      for (const Slot& s : slots_)
        if (s.open && s.server == srv) {
          const size_t q = Peer::queued_submits(eng_, s.ref);
          CHECK(q <= opt_.max_pending_submits);
          queued += q;
        }
      CHECK(Peer::pending_submits(eng_, srv) == queued);
    }
  }
  // The clients a job waits for are those of the model (waiting_); its worker, while it runs the
  // job, is connected.
  void check_waiting(const Job& j) {
    auto w = waiting_.find(j.id);
    const size_t want = w == waiting_.end() ? 0 : w->second.size();
    size_t named = 0;
    for (uint64_t c : j.waiting_conns)
      if (c) {
        ++named;
        CHECK(w != waiting_.end() && w->second.count(c));
      }
    CHECK(named + j.waiting_more >= want);  // no waiting client forgotten
    // Known: a client counted in waiting_more that closes stays counted (Engine::close_conn clears
    // only the two named ones), so the job waits expect_ns and gives up with a gave_up_waiting.
    CHECK(named + j.waiting_more == want);
    if (j.state == JobState::Open && j.t_worker_done == kNoTime && !j.ended_by_server && j.worker_conn) {
      bool connected = false;
      for (const Slot& s : slots_) connected |= s.open && s.serial == j.worker_conn && s.server == j.server;
      CHECK(connected);
    }
  }
  size_t n_limit() const { return opt_.max_open_jobs ? opt_.max_open_jobs : SIZE_MAX; }

  Options opt_;
  Engine eng_;
  bool two_servers_;
  Slot slots_[kSlots];
  uint64_t next_serial_ = 1;
  size_t opened_ = 0, closed_conns_ = 0;  // this epoch (since the last reset)
  Time now_ = kStart;
  uint64_t frame_ = 0;
  uint64_t tag_ = 0;
  std::unordered_set<Time> pdu_times_;
  std::vector<uint8_t> closed_, voided_;  // by job id, this epoch
  std::unordered_map<uint64_t, Sent> sent_;
  std::unordered_set<uint64_t> answered_;
  std::unordered_map<uint64_t, std::unordered_set<uint64_t>> waiting_;  // job id -> client serials
  ConnRef last_closed_;
  bool sink_ = true;
  uint64_t events_[size_t(Event::StatusReply) + 1] = {};  // by event, this epoch
  uint64_t too_long_pdus_ = 0;  // a closed connection's ref, while no open_conn may have reused its slot
};

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  g_trace = std::getenv("FUZZ_ENGINE_TRACE") != nullptr;
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  Run run(data[0]);
  g_step = 0;
  for (size_t i = 1; i < size; i += kRecord) {
    uint8_t r[kRecord] = {};
    std::memcpy(r, data + i, std::min(kRecord, size - i));
    ++g_step;
    run.step(r);
  }
  ++g_step;
  run.finish();
  return 0;
}
