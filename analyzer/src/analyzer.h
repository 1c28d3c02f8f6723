// The analyzer's pipeline after the capture source: TCP segments → connection demux and
// per-direction reassembly → gearproto::StreamDecoder → job lifecycle tracker → statistics.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "gearproto/admin.h"
#include "gearproto/stream_decoder.h"
#include "flat_map.h"
#include "histogram.h"
#include "netstream/packet.h"
#include "netstream/tcp_direction.h"

namespace gan {

// Link/IP/TCP parsing and reassembly live in netstream; the analyzer names them as its own.
using netstream::Endpoint;
using netstream::TcpSegment;
using netstream::ParseResult;
using netstream::parse_frame;
using netstream::format_endpoint;
using netstream::TcpDirection;
using netstream::StreamOut;
using netstream::ReassemblyCounts;
using netstream::kFin;
using netstream::kSyn;
using netstream::kRst;
using netstream::kPsh;
using netstream::kAck;

struct Options {
  std::vector<uint16_t> ports{4730};
  bool heuristic = true;               // Gearman on any port by the plausibility test
  size_t top = 10;                     // slowest jobs kept
  size_t max_out_of_order_bytes = 4u << 20;  // per direction; beyond, the hole is declared lost
  // Jobs open at once (~400 bytes each). Beyond, the oldest open job is reported as incomplete
  // early (warning open_jobs_cap), so memory stays bounded on a server that never runs its queue.
  // 0: no limit.
  size_t max_open_jobs = 1'000'000;
  // Connections tracked at once (~2 KiB each); beyond, the least recently active one is dropped
  // (warning connections_cap), so a SYN flood cannot take the memory. 0: no limit.
  size_t max_connections = 100'000;
  // A PDU is buffered whole before it is decoded: one longer than limits.max_data_length (64 MiB)
  // is taken for a broken header and skipped (warning oversize_message), never waited for.
  gearproto::Limits limits;
};

enum class Outcome : uint8_t { Incomplete, Complete, Fail, Exception };
const char* outcome_name(Outcome o);

constexpr int64_t kNoTime = INT64_MIN;

// One job (a server's job handle), as written by --jobs and kept for --top.
struct JobRecord {
  std::string server, handle, function, unique, worker;
  bool background = false;
  bool unknown_start = false;  // began before the capture (no submit / JOB_CREATED seen)
  const char* priority = "normal";
  uint32_t submits = 0;        // > 1: coalesced (same unique ID)
  uint32_t assignments = 0;    // > 1: re-assigned after a worker connection died
  uint64_t payload_bytes = 0;
  uint32_t status_polls = 0;   // GET_STATUS / GET_STATUS_UNIQUE asked about this job while open
  Outcome outcome = Outcome::Incomplete;
  int64_t t_submit = kNoTime, t_created = kNoTime, t_assign_first = kNoTime, t_assign = kNoTime,
          t_worker_done = kNoTime, t_client_done = kNoTime;
  uint64_t f_submit = 0, f_created = 0, f_assign = 0, f_worker_done = 0, f_client_done = 0;
  int64_t queue_ns() const { return t_created != kNoTime && t_assign_first != kNoTime ? t_assign_first - t_created : kNoTime; }
  int64_t run_ns() const { return t_assign != kNoTime && t_worker_done != kNoTime ? t_worker_done - t_assign : kNoTime; }
  int64_t total_ns() const { return t_submit != kNoTime && t_client_done != kNoTime ? t_client_done - t_submit : kNoTime; }
};

struct FunctionStats {
  std::string name;
  uint64_t jobs = 0, complete = 0, fail = 0, exception = 0, incomplete = 0, background = 0;
  uint64_t submits = 0, coalesced = 0, unknown_start = 0, reassigned = 0, submit_errors = 0;
  LogHistogram queue, run, total;
  uint64_t depth_samples = 0, depth_max = 0, depth_last = 0;  // admin 'status': queued (total - running)
};

struct WorkerStats {
  std::string name;     // SET_CLIENT_ID, else the connection's address
  std::string address;
  std::vector<std::string> functions;
  uint64_t jobs = 0, complete = 0, fail = 0, exception = 0, lost = 0;
  int64_t busy_ns = 0;
  uint64_t sleeps = 0, wakes = 0;
  int64_t first_ns = kNoTime, last_ns = kNoTime;
  uint64_t open_job = 0;  // jobs assigned and not finished when the capture ended
};

struct ServerStats {
  std::string endpoint;
  uint64_t connections = 0, jobs = 0, pdus = 0, admin_commands = 0;
};

struct Warning {
  std::string kind;
  uint64_t count = 0;
  uint64_t bytes = 0;
  uint64_t first_frame = 0;
  std::string detail;
};

struct Totals {
  uint64_t frames = 0, tcp_segments = 0, gearman_segments = 0;
  uint64_t pdus = 0, admin_commands = 0, admin_reply_lines = 0, status_queries = 0;
  uint64_t jobs = 0, complete = 0, fail = 0, exception = 0, incomplete = 0, background = 0;
  uint64_t coalesced_submits = 0, unknown_start = 0, reassigned = 0, submit_errors = 0;
  uint64_t connections = 0, retransmissions = 0, out_of_order = 0;
  int64_t first_ns = kNoTime, last_ns = kNoTime;
};

class Analyzer {
 public:
  explicit Analyzer(Options o = {});
  ~Analyzer();
  Analyzer(const Analyzer&) = delete;
  Analyzer& operator=(const Analyzer&) = delete;

  // Called with every finished job (in finishing order), e.g. to write --jobs.
  void set_job_sink(std::function<void(const JobRecord&)> sink) { job_sink_ = std::move(sink); }

  // One captured frame; numbers frames 1, 2, ... across calls.
  void on_frame(int dlt, const uint8_t* data, uint32_t caplen, uint32_t wirelen, int64_t ts_ns);
  // A TCP segment already parsed (tests feed these directly).
  void on_segment(const TcpSegment& s);
  // Something outside the TCP pipeline went wrong (e.g. a file cut off): kept as a warning.
  void warn(const std::string& kind, const std::string& detail, uint64_t frame = 0);
  // End of the capture: flush streams, close jobs still open (incomplete).
  void finish();

  const Totals& totals() const { return totals_; }
  const std::vector<FunctionStats>& functions() const { return functions_; }
  const std::vector<WorkerStats>& workers() const { return workers_; }
  const std::vector<ServerStats>& servers() const { return servers_; }
  std::vector<Warning> warnings() const;
  std::vector<JobRecord> slowest() const;  // slowest first
  uint64_t frame() const { return frame_; }

  struct Conn;
  struct Job;

 private:
  friend struct DirSink;
  // Connections by a symmetric hash of their two endpoints (the slot key may be a later one on
  // a collision: see find_conn).
  Conn* find_conn(const Endpoint& src, const Endpoint& dst, uint64_t* key_out);
  void count_warning(const char* kind, uint64_t bytes, const char* detail);
  Conn* lookup(const TcpSegment& s, bool create);
  void link_conn(Conn* c);    // as the most recently used
  void unlink_conn(Conn* c);
  void drop_conn(Conn* c);
  void expire_closed();
  void process_payload(Conn& c, int from, const TcpSegment& s);
  void flush_dir(Conn& c, int from, bool finish);
  void close_conn(Conn& c);
  void on_message(Conn& c, int from, const gearproto::Message& m);
  void on_skip(Conn& c, int from, uint64_t len, gearproto::SkipReason r, gearproto::FrameError why);
  void on_pdu(Conn& c, bool to_server, const gearproto::Message& m);
  void on_admin(Conn& c, bool to_server, const gearproto::Message& m);

  uint32_t function_index(std::string_view name);
  uint32_t worker_of(Conn& c);
  Job* find_job(uint32_t server, std::string_view handle, uint64_t* key_out = nullptr);
  Job* create_job(uint32_t server, std::string_view handle);
  void finalize(Job* j);
  void release(Job* j);  // no longer open: out of jobs_ and the age list, object kept for reuse

  Options opt_;
  std::function<void(const JobRecord&)> job_sink_;
  Totals totals_;
  std::vector<FunctionStats> functions_;
  std::unordered_map<uint64_t, uint32_t> function_by_hash_;
  std::vector<WorkerStats> workers_;
  std::vector<ServerStats> servers_;
  std::vector<Endpoint> server_endpoints_;
  FlatMap<Conn> conns_;         // owns its Conn objects (deleted on erase and at the end)
  Conn* last_conn_ = nullptr;  // the previous packet's connection: consecutive packets often share it
  Conn* oldest_conn_ = nullptr;  // connections by last use (a list through Conn::older / newer)
  Conn* newest_conn_ = nullptr;
  size_t open_conns_ = 0;
  FlatMap<Job> jobs_;                           // open jobs by handle hash
  std::vector<std::unique_ptr<Job>> job_store_;  // every Job object; finished ones are reused
  std::vector<Job*> free_jobs_;
  Job* oldest_ = nullptr;  // open jobs in order of creation (a list through Job::older / newer)
  Job* newest_ = nullptr;
  size_t open_jobs_ = 0;
  struct Closed { int64_t ns; uint64_t id; uint64_t key; };
  std::deque<Closed> closed_;
  std::vector<Warning> warnings_;
  std::vector<JobRecord> top_;  // min-heap on slowness
  uint64_t frame_ = 0;
  int64_t now_ = 0;
  uint64_t next_conn_id_ = 1;
  TcpSegment seg_;  // scratch for on_frame
};

}  // namespace gan
