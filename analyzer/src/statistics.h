// Statistics of a capture: per function, worker, client and server, whole-capture totals, and the
// slowest jobs. Fed with each PDU's effect (roles of connections: who asks for work, who
// submits) and with each job the engine closes (outcomes and latencies).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "gearjobs/engine.h"
#include "gearproto/admin.h"
#include "gearproto/arguments.h"
#include "histogram.h"
#include "job_record.h"
#include "netstream/packet.h"

namespace gan {

// Texts (or codes) counted, a bounded number of distinct ones: beyond, they count as "(other)".
struct TextCounts {
  static constexpr size_t kMaxDistinct = 16;
  static constexpr size_t kMaxText = 120;  // bytes kept of a text
  std::vector<std::pair<std::string, uint64_t>> counts;  // by count, most first (sorted on read)
  void add(gearproto::Bytes text);
  std::vector<std::pair<std::string, uint64_t>> sorted() const;
};

struct FunctionStats {
  std::string name;
  uint64_t jobs = 0, complete = 0, fail = 0, exception = 0, incomplete = 0, background = 0;
  uint64_t submits = 0, coalesced = 0, unknown_start = 0, reassigned = 0, submit_errors = 0;
  uint64_t reordered = 0;  // jobs whose wire order was not causal (times clamped at 0)
  LogHistogram queue, run, total;
  uint64_t depth_samples = 0, depth_max = 0, depth_last = 0;  // admin 'status': queued (total - running)
  TextCounts exceptions;  // the data of the workers' WORK_EXCEPTIONs (the exception's text)
  // Jobs that failed or raised, of those that ended (incomplete ones are not in the share).
  double fail_percent() const {
    const uint64_t ended = complete + fail + exception;
    return ended ? 100.0 * double(fail + exception) / double(ended) : 0.0;
  }
};

// A worker: the connections that asked for work (CAN_DO, GRAB_JOB*, PRE_SLEEP, or that were given
// and ran jobs), one entry per client ID (a worker that reconnects with the same ID is one), else
// per connection.
struct WorkerStats {
  std::string name;     // SET_CLIENT_ID, else the connection's address
  std::string address;  // the (last) connection's address
  std::vector<std::string> functions;
  uint64_t connections = 0;
  uint64_t jobs = 0, complete = 0, fail = 0, exception = 0, lost = 0;
  int64_t busy_ns = 0;
  uint64_t sleeps = 0, wakes = 0;
  int64_t first_ns = kNoTime, last_ns = kNoTime;
  uint64_t open_job = 0;  // jobs assigned and not finished when the capture ended
  int32_t merged_into = -1;  // >= 0: counted in that entry (same client ID), not reported itself
};

// A client: connections that submitted jobs, by client ID, else by IP address.
struct ClientStats {
  std::string name;
  uint64_t connections = 0, submits = 0, submit_errors = 0;
  uint64_t jobs = 0, complete = 0, fail = 0, exception = 0, incomplete = 0, background = 0;
  LogHistogram total;
};

struct ServerStats {
  std::string endpoint;
  uint64_t connections = 0, jobs = 0, pdus = 0, admin_commands = 0;
};

struct Totals {
  uint64_t frames = 0, tcp_segments = 0, gearman_segments = 0;
  uint64_t pdus = 0, admin_commands = 0, admin_reply_lines = 0, status_queries = 0;
  uint64_t jobs = 0, complete = 0, fail = 0, exception = 0, incomplete = 0, background = 0;
  uint64_t coalesced_submits = 0, unknown_start = 0, reassigned = 0, submit_errors = 0, reordered = 0;
  uint64_t connections = 0, retransmissions = 0, out_of_order = 0;
  int64_t first_ns = kNoTime, last_ns = kNoTime;
  // The span is the earliest to the latest time seen, in whatever order frames come.
  void saw_time(int64_t t) {
    if (first_ns == kNoTime || t < first_ns) first_ns = t;
    if (last_ns == kNoTime || t > last_ns) last_ns = t;
  }
};

// Adds the counts Statistics keeps (jobs and their outcomes, submits, status queries) from
// `jobs` to `into`, whose other counts (frames, segments, PDUs, connections) come from the stages
// before the job engine.
inline void add_job_totals(Totals& into, const Totals& jobs) {
  static_assert(sizeof(Totals) == 23 * 8, "a Totals field was added: is it counted by Statistics? Add it here if so");
  into.status_queries += jobs.status_queries;
  into.jobs += jobs.jobs;
  into.complete += jobs.complete;
  into.fail += jobs.fail;
  into.exception += jobs.exception;
  into.incomplete += jobs.incomplete;
  into.background += jobs.background;
  into.coalesced_submits += jobs.coalesced_submits;
  into.unknown_start += jobs.unknown_start;
  into.reassigned += jobs.reassigned;
  into.submit_errors += jobs.submit_errors;
  into.reordered += jobs.reordered;
}

// What the statistics know of one connection's far end (the analyzer keeps it with the connection).
struct Peer {
  uint64_t serial = 0;
  uint32_t server = 0;
  netstream::Endpoint endpoint;  // the client or worker end
  std::string client_id;         // SET_CLIENT_ID
  int32_t worker = -1;           // index into workers(), once it acted as a worker
  int32_t client = -1;           // index into clients(), once it submitted
};

// Finds a connection's Peer by its serial (jobs close after their connections may have gone).
class PeerDirectory {
 public:
  virtual Peer* peer(uint64_t serial) = 0;

 protected:
  ~PeerDirectory() = default;
};

// Sees what the statistics see, as it happens, for statistics kept over time (intervals.h).
// Workers are indices into Statistics::workers() (never a merged entry).
class StatsObserver {
 public:
  virtual void on_submitted(gearjobs::FunctionId f, int64_t t) = 0;      // a SUBMIT_JOB* packet
  virtual void on_assigned(const gearjobs::Job& j, int32_t worker, int64_t t) = 0;  // JOB_ASSIGN*
  virtual void on_worker_ended(const gearjobs::Job& j, int64_t t) = 0;  // the worker's terminal
  virtual void on_job_lost(const gearjobs::Job& j, int64_t t) = 0;      // its worker went away
  virtual void on_job_closed(const gearjobs::Job& j, int64_t t) = 0;    // final: t is the engine's now
  // A connection of `worker` opened (+1: it first acted as a worker) or closed (-1).
  virtual void on_worker_connection(int32_t worker, int delta) = 0;

 protected:
  ~StatsObserver() = default;
};

class Statistics final : public gearjobs::JobSink {
 public:
  Statistics(gearjobs::Engine& engine, Totals& totals, PeerDirectory& peers, size_t top);

  void set_record_sink(std::function<void(const JobRecord&)> sink) { record_sink_ = std::move(sink); }
  void set_observer(StatsObserver* o) { observer_ = o; }

  uint32_t add_server(const std::string& endpoint);  // returns its number
  ServerStats& server(uint32_t i) { return servers_[i]; }

  // A binary PDU and what the engine made of it.
  void on_pdu(Peer& p, bool to_server, uint32_t type, const gearproto::ArgSpans& a, const gearjobs::Effect& e,
              int64_t now);
  void on_admin_reply(const gearproto::AdminReplyLine& line);
  // The connection is gone (FIN/RST, dropped, or the capture ended).
  void on_closed(const Peer& p);

  // gearjobs::JobSink
  void on_job_closed(const gearjobs::Job& j) override;
  void on_job_lost(const gearjobs::Job& j, uint64_t worker_conn) override;

  const std::vector<FunctionStats>& functions() const { return functions_; }
  const std::vector<WorkerStats>& workers() const { return workers_; }
  const std::vector<ClientStats>& clients() const { return clients_; }
  const std::vector<ServerStats>& servers() const { return servers_; }
  const TextCounts& error_codes() const { return error_codes_; }  // ERROR packets from servers, by code
  std::vector<JobRecord> slowest() const;  // slowest first
  JobRecord record(const gearjobs::Job& j) const;
  // The worker entry of a connection (merged entries resolved), or -1 when it never worked.
  int32_t worker_of_conn(uint64_t serial) const;

 private:
  FunctionStats& function(gearjobs::FunctionId id);
  // The peer's worker (made on first use, followed through merges), seen at `now`. Inline for the
  // known, unmerged worker: it is asked for at every packet a worker sends or is woken by.
  int32_t worker_of(Peer& p, int64_t now) {
    if (p.worker >= 0 && workers_[p.worker].merged_into < 0) {
      workers_[p.worker].last_ns = now;
      return p.worker;
    }
    return find_worker(p, now);
  }
  int32_t find_worker(Peer& p, int64_t now);
  int32_t client_of(Peer& p) { return p.client >= 0 ? p.client : find_client(p); }
  int32_t find_client(Peer& p);
  void name_worker(Peer& p, int64_t now);
  void merge_worker(int32_t from, int32_t into);

  gearjobs::Engine& engine_;  // its function table names the functions
  Totals& totals_;
  PeerDirectory& peers_;
  size_t top_n_;
  std::function<void(const JobRecord&)> record_sink_;
  StatsObserver* observer_ = nullptr;
  std::vector<FunctionStats> functions_;  // by FunctionId (empty entries for ids not seen yet)
  std::vector<WorkerStats> workers_;
  std::unordered_map<std::string, int32_t> worker_by_id_;
  std::vector<ClientStats> clients_;
  std::unordered_map<std::string, int32_t> client_by_name_;
  std::vector<ServerStats> servers_;
  TextCounts error_codes_;
  std::vector<JobRecord> top_;  // min-heap on slowness
};

std::string endpoint_string(const netstream::Endpoint& e);  // "10.0.0.1:4730", "[::1]:4730"
std::string address_string(const netstream::Endpoint& e);   // "10.0.0.1", "::1"

}  // namespace gan
