// The job engine: one model of Gearman jobs for the Wireshark plugin and gearman-analyze.
//
// It takes decoded PDUs of many connections, each with (connection, direction, frame, time), and
// returns per PDU what it did (effect.h). It owns the submit queues and every other
// request/answer pairing of each connection, the job table keyed by (server, handle), the
// unique-ID index, and every lifecycle rule (docs/job-model.md). It never calls Wireshark or
// libpcap, allocates nothing per PDU once warm, and keeps its memory bounded (Options).
//
// Order tolerance: the packets of one job join one job in whatever order the capture shows them.
// A job is therefore not final at its last packet: it is Done when nothing more is expected, and
// Closed (handed to the sink) after it lingered a while for late packets, or at finish().
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "gearjobs/effect.h"
#include "gearjobs/flat_map.h"
#include "gearjobs/function_table.h"
#include "gearjobs/handle_index.h"
#include "gearjobs/job.h"
#include "gearjobs/warnings.h"
#include "gearproto/admin.h"
#include "gearproto/arg_spans.h"
#include "gearproto/arguments.h"
#include "gearproto/framer.h"

namespace gearjobs {

struct Options {
  // Plugin: every job object lives until reset() (PDUs point at them). Analyzer: a closed job's
  // object is reused for the next job.
  bool keep_jobs = false;
  // Jobs in the table at once (~350 bytes each); beyond, the oldest is closed early as it is
  // (warning open_jobs_cap). 0: no limit.
  size_t max_open_jobs = 1'000'000;
  // Unanswered submits per connection; beyond, the oldest is forgotten (submit_fifo_overflow).
  size_t max_pending_submits = 4096;
  // Other unanswered requests (GRAB_JOB, PRE_SLEEP, ECHO, GET_STATUS, OPTION) per connection.
  size_t max_pending_requests = 256;
  // How long a Done job stays findable for packets that come late (a coalesced client's
  // JOB_CREATED, a Perl worker's WORK_FAIL after its WORK_EXCEPTION): linger_ns, or less when
  // many jobs end. Late packets come within a few PDUs; no capture we have needs more than 10 ms.
  // The lingering jobs are the job stage's largest working set at high rates: past
  // busy_lingering of them, a job closes once it has lingered min_linger_ns (at 40k jobs/s, 1024
  // jobs are ~25 ms: the stage's data then fits a 2 MiB L2, docs/performance.md), so however
  // high the rate, a late packet has min_linger_ns. max_lingering bounds their memory whatever
  // their age (a clock that stands still).
  Time linger_ns = 1'000'000'000;
  Time min_linger_ns = 20'000'000;
  size_t busy_lingering = 1024;
  size_t max_lingering = 16384;  // 0: a Done job closes at once
  // How long a job that has ended on one side waits for the packet the other side must still
  // see (the worker's terminal after the client's result, the client's result after the
  // worker's, a JOB_CREATED after the worker's result) before it is Done without it.
  Time expect_ns = 10'000'000'000;
  // Per-function counts of open jobs, queued and running (gauges()), kept at every change to a
  // job: for interval reports. Off when nothing reads them (~2 % of gearman-analyze's job stage).
  // Each job's own phase (Job::queued(), running()) is kept either way.
  bool gauges = true;
};

// Where closed jobs go (each real job exactly once, with its final facts).
class JobSink {
 public:
  virtual ~JobSink() = default;
  virtual void on_job_closed(const Job& j) = 0;
  // The worker connection `worker_conn` closed while it ran `j`: the job goes back to the queue.
  virtual void on_job_lost(const Job& j, uint64_t worker_conn) { (void)j; (void)worker_conn; }
};

// A connection as the engine knows it (from open_conn).
struct ConnRef {
  uint32_t slot = UINT32_MAX;
  bool valid() const { return slot != UINT32_MAX; }
};

// One binary PDU. `header.info` is not null (unknown types and bad magics are the decoder's).
struct PduIn {
  bool to_server = false;
  uint64_t frame = 0;
  Time t = 0;
  uint64_t tag = 0;  // the front end's id of this PDU, handed back with its answer
  const gearproto::Header* header = nullptr;
  const gearproto::ArgSpans* args = nullptr;  // split with ArgChecks::Structure at least
};

struct FunctionGauge {
  uint64_t queued = 0;   // open jobs no worker has been given yet
  uint64_t running = 0;  // open jobs assigned and not ended
};

class Engine {
 public:
  explicit Engine(const Options& o = Options{});
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  void set_sink(JobSink* sink) { sink_ = sink; }
  const Options& options() const { return opt_; }

  // `server`: the front end's number for the server endpoint (job handles are per server).
  // `serial`: the front end's id of the connection, never 0, unique for the engine's life.
  ConnRef open_conn(uint32_t server, uint64_t serial);
  // FIN/RST (or the front end forgets it): a worker's unfinished jobs go back to the queue, a
  // client waits for nothing more, pending requests are dropped. The ref is invalid afterwards.
  void close_conn(ConnRef c, Time t);
  // Bytes of the connection were lost: its in-order pairing cannot be trusted across them.
  void lost_bytes(ConnRef c, uint64_t frame);

  Effect on_binary(ConnRef c, const PduIn& p);
  Effect on_admin_command(ConnRef c, const gearproto::AdminRequest& r, uint64_t frame, Time t, uint64_t tag);
  // Parses `line` as part of the reply to the command it answers (into `out`).
  Effect on_admin_reply(ConnRef c, gearproto::Bytes line, gearproto::AdminReplyLine& out, uint64_t frame, Time t);

  // Capture time moved on (every on_* call does this too): lingering and waiting jobs expire.
  void advance(Time now) {
    if (now > now_) now_ = now;
    if ((!lingering_.empty() && lingering_.front().due <= now_) || (!expecting_.empty() && expecting_.front().due <= now_))
      expire();
  }
  // End of the capture: every job still in the table is closed as it is.
  void finish();
  // Forget everything (the plugin, for a new file).
  void reset();

  Job* find(uint32_t server, gearproto::Bytes handle) const;
  Job* find_by_unique(uint32_t server, gearproto::Bytes unique);
  template <typename F>
  void for_each_job_in_table(F f) const {
    for (Job* j = oldest_; j; j = j->newer) f(*j);
  }
  // The first job in the table, by first sight, for which `pred` is true (or null); from `from`
  // on when given (a job still in the table: Open or Done).
  template <typename P>
  const Job* first_job_in_table(P pred, const Job* from = nullptr) const {
    for (const Job* j = from ? from : oldest_; j; j = j->newer)
      if (pred(*j)) return j;
    return nullptr;
  }

  const FunctionTable& functions() const { return functions_; }
  FunctionTable& functions() { return functions_; }
  const Warnings& warnings() const { return warnings_; }
  // By FunctionId; empty unless Options::gauges.
  const std::vector<FunctionGauge>& gauges() const { return gauges_; }
  size_t jobs_in_table() const { return in_table_; }
  size_t connections() const { return open_conns_; }
  Time now() const { return now_; }

  struct ConnState;
  // A job pointer that notices when its job has closed (and its object was reused).
  struct JobRef {
    Job* job = nullptr;
    uint64_t id = 0;
    Job* get() const {
      return job && job->id == id && job->state != JobState::Closed && job->state != JobState::Void ? job : nullptr;
    }
    // get() == j, reading `j` only when it is the object referred to: a search of a list of
    // references for one job reads no other job (each read is a cache miss).
    bool refers_to(const Job* j) const { return job == j && get() == j; }
  };

 private:
  struct Timer {
    Time due;
    JobRef ref;
    uint32_t gen;
  };
  struct ServerState {
    uint64_t pending_submits = 0;  // unanswered submits on all its connections
    Job* awaiting = nullptr;       // ended jobs that may yet get their JOB_CREATED
  };
  friend struct EngineRules;

  ConnState& conn(ConnRef c) { return *conns_[c.slot]; }
  // Inline: the rules ask for a job's server several times per PDU.
  ServerState& server(uint32_t s) {
    if (s >= servers_.size()) add_servers(s);
    return servers_[s];
  }
  void add_servers(uint32_t up_to);

  // Job table (job_table.cpp)
  Job* new_job(uint32_t server, gearproto::Bytes handle, uint64_t frame);
  void index_unique(Job* j);
  void unindex_unique(Job* j);
  void unlink_awaiting(Job* j);

  // Lifetime (job_lifetime.cpp)
  void expire();
  void prefetch_timers() const;
  void reevaluate(Job* j);
  void take_out(Job* j, JobState final_state);
  void close(Job* j, bool early = false);
  void void_job(Job* j);
  void release_awaiting(uint32_t server);
  void pop_submit(ConnState& c);
  // The job's phase in its function's gauges, moved when it changed. Inline: it is asked after
  // every change to a job, and mostly the phase is the same.
  void regauge(Job* j) {
    uint8_t phase = 0;
    if (j->state == JobState::Open && j->t_worker_done == kNoTime && !j->ended_by_server)
      phase = j->t_assign_first != kNoTime && j->worker_conn != 0 ? 2 : 1;
    const FunctionId fn = phase ? j->function : kNoFunction;
    if (fn == kNoFunction) phase = 0;
    if (phase == j->gauge_phase && fn == j->gauge_function) return;
    if (opt_.gauges) return move_gauge(j, phase, fn);
    j->gauge_phase = phase;  // Job::queued() and running() read it, gauges or not
    j->gauge_function = fn;
  }
  void move_gauge(Job* j, uint8_t phase, FunctionId fn);

  friend class EngineTestPeer;
  Options opt_;
  JobSink* sink_ = nullptr;
  FunctionTable functions_;
  Warnings warnings_;
  std::vector<FunctionGauge> gauges_;
  Time now_ = INT64_MIN;

  std::vector<std::unique_ptr<ConnState>> conns_;
  std::vector<uint32_t> free_conn_slots_;
  size_t open_conns_ = 0;
  std::vector<ServerState> servers_;

  HandleIndex handles_;           // open and lingering jobs by (server, handle)
  FlatMap<Job> unique_index_;     // by (server, unique) hash, once something asked by unique
  bool unique_indexed_ = false;
  std::deque<Job> store_;         // every Job object (stable addresses)
  std::vector<Job*> free_jobs_;   // closed jobs' objects for reuse (when !keep_jobs)
  Job* oldest_ = nullptr;         // jobs in the table, by first sight
  Job* newest_ = nullptr;
  size_t in_table_ = 0;
  uint64_t next_job_id_ = 1;
  std::deque<Timer> lingering_;   // Done jobs, by when they close
  std::deque<Timer> expecting_;   // jobs waiting for an expected packet, by when they give up
};

}  // namespace gearjobs
