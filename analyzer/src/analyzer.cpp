#include "analyzer.h"

#include <pcap/pcap.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "gearproto/arguments.h"
#include "gearproto/resync.h"
#include "netstream/tcp_direction.h"

namespace gan {

using gearproto::Bytes;

const char* outcome_name(Outcome o) {
  switch (o) {
    case Outcome::Complete: return "complete";
    case Outcome::Fail: return "fail";
    case Outcome::Exception: return "exception";
    default: return "incomplete";
  }
}

namespace {

uint64_t fnv(const void* p, size_t n, uint64_t h = 1469598103934665603ull) {
  const auto* b = static_cast<const uint8_t*>(p);
  for (size_t i = 0; i < n; ++i) { h ^= b[i]; h *= 1099511628211ull; }
  return h;
}

std::string endpoint_string(const Endpoint& e) {
  char buf[80];
  int n = format_endpoint(e, buf, sizeof buf);
  return std::string(buf, n > 0 ? size_t(n) : 0);
}

bool slower(const JobRecord& a, const JobRecord& b);  // a is slower than b

int64_t slowness(const JobRecord& r) {
  int64_t t = r.total_ns();
  if (t == kNoTime) t = r.run_ns();
  if (t == kNoTime) t = r.queue_ns();
  return t;
}
bool slower(const JobRecord& a, const JobRecord& b) { return slowness(a) > slowness(b); }

}  // namespace

// ---------------------------------------------------------------------------------------------
// Connection and job state

struct Analyzer::Job {
  JobRecord r;
  uint32_t server = 0;
  uint32_t fn = UINT32_MAX;
  uint64_t key = 0;
  uint64_t worker_conn = 0;        // connection the job is assigned on (0: none)
  int32_t worker = -1;
  std::vector<uint64_t> waiting;   // client connections that wait for the result
  Job* older = nullptr;            // neighbours in the analyzer's list of open jobs by age
  Job* newer = nullptr;
};

struct Pending {
  std::string function, unique;
  const char* priority;
  bool background;
  uint64_t payload;
  int64_t t;
  uint64_t frame;
};

// FIFO of a connection's unanswered submits: a ring of Pending objects that are reused, so
// their function / unique strings keep their capacity (no allocation per submit after warm-up).
class PendingQueue {
 public:
  bool empty() const { return n_ == 0; }
  size_t size() const { return n_; }
  Pending& front() { return buf_[head_]; }
  void pop_front() { head_ = head_ + 1 == buf_.size() ? 0 : head_ + 1; --n_; }
  Pending& push_back() {  // the slot keeps its old strings' capacity: assign every field
    if (n_ == buf_.size()) grow();
    size_t i = head_ + n_;
    if (i >= buf_.size()) i -= buf_.size();
    ++n_;
    return buf_[i];
  }
  void clear() { head_ = 0; n_ = 0; }

 private:
  void grow() {
    std::vector<Pending> nb(buf_.empty() ? 4 : buf_.size() * 2);
    for (size_t i = 0; i < n_; ++i) nb[i] = std::move(buf_[(head_ + i) % buf_.size()]);
    buf_.swap(nb);
    head_ = 0;
  }
  std::vector<Pending> buf_;
  size_t head_ = 0, n_ = 0;
};

struct Dir {
  gearproto::StreamDecoder dec;
  TcpDirection tcp;
  bool fin = false;
  explicit Dir(size_t max_out_of_order) : tcp(max_out_of_order) {}
};

struct Analyzer::Conn {
  uint64_t id = 0;
  uint64_t key = 0;          // its key in conns_
  Endpoint x, y;             // x: sender of the first segment seen
  enum Kind : uint8_t { Undecided, Gearman, NotGearman } kind = Undecided;
  bool server_is_x = false;
  bool syn_from_x = false, syn_seen = false;
  bool closed = false;
  int64_t closed_ns = 0;
  uint32_t server = 0;
  Dir dir[2];                // by sender: 0 = x, 1 = y
  explicit Conn(size_t max_out_of_order) : dir{Dir(max_out_of_order), Dir(max_out_of_order)} {}
  PendingQueue pending;
  gearproto::AdminPairing admin;
  int32_t worker = -1;
  std::vector<uint64_t> assigned;  // job keys assigned on this (worker) connection
  uint64_t recent_done[8] = {};    // job keys finished lately on this connection (late packets)
  unsigned recent_pos = 0;
  bool finished_lately(uint64_t key) const {
    bool found = false;
    for (uint64_t r : recent_done) found |= (r == key);
    return found;
  }
  void remember_finished(uint64_t key) { recent_done[recent_pos++ % 8] = key; }
  uint64_t tentative = 0;          // unknown-start job made from this worker's terminal packet;
                                   // gearmand's ERROR JOB_NOT_FOUND right after says it was none
  uint32_t not_found_expected = 0; // late terminals gearmand answers with ERROR JOB_NOT_FOUND
  Conn* older = nullptr;           // neighbours in the analyzer's list of connections by last use
  Conn* newer = nullptr;
  bool to_server(int from) const { return (from == 0) != server_is_x; }
};

namespace {
inline bool conn_is(const Analyzer::Conn& c, const Endpoint& s, const Endpoint& d) {
  return (c.x == s && c.y == d) || (c.x == d && c.y == s);
}
}  // namespace

// A direction's reassembled bytes into its decoder, and the decoder's messages into the tracker.
struct DirSink final : gearproto::MessageSink, StreamOut {
  Analyzer* a;
  Analyzer::Conn* c;
  int from;
  DirSink(Analyzer* an, Analyzer::Conn* cn, int f) : a(an), c(cn), from(f) {}
  void on_message(const gearproto::Message& m) override { a->on_message(*c, from, m); }
  void on_skip(uint64_t, uint64_t length, gearproto::SkipReason r, gearproto::FrameError why) override {
    a->on_skip(*c, from, length, r, why);
  }
  void bytes(const uint8_t* data, uint32_t captured, uint32_t len) override {
    gearproto::StreamDecoder& dec = c->dir[from].dec;
    if (captured > 0) dec.feed(Bytes(reinterpret_cast<const char*>(data), captured), *this);
    if (captured < len) dec.gap(len - captured, *this);
  }
  void gap(uint64_t len) override { c->dir[from].dec.gap(len, *this); }
};

namespace {
// Word-wise multiply-xorshift of one endpoint; a connection's hash is the sum of its two ends'
// (symmetric: both directions find the connection without ordering the endpoints first).
inline uint64_t endpoint_hash(const Endpoint& e) {
  uint64_t w[2];
  std::memcpy(w, e.addr, 16);
  uint64_t h = (uint64_t(e.port) << 1 | uint64_t(e.v6)) * 0x9E3779B97F4A7C15ull;
  h = (h ^ w[0]) * 0xff51afd7ed558ccdull;
  h ^= h >> 32;
  h = (h ^ w[1]) * 0xff51afd7ed558ccdull;
  h ^= h >> 32;
  return h;
}
inline uint64_t conn_hash(const Endpoint& a, const Endpoint& b) {
  uint64_t h = endpoint_hash(a) + endpoint_hash(b);
  return h ^ (h >> 29);
}
inline bool conn_is(const Analyzer::Conn& c, const Endpoint& s, const Endpoint& d);
}  // namespace

Analyzer::Analyzer(Options o) : opt_(std::move(o)) {}
Analyzer::~Analyzer() {
  conns_.for_each([](Conn* c) { delete c; });
}

// ---------------------------------------------------------------------------------------------
// Warnings

void Analyzer::count_warning(const char* kind, uint64_t bytes, const char* detail) {
  for (auto& w : warnings_) {
    if (w.kind == kind && w.detail == detail) { ++w.count; w.bytes += bytes; return; }
  }
  Warning w;
  w.kind = kind;
  w.count = 1;
  w.bytes = bytes;
  w.first_frame = frame_;
  w.detail = detail;
  warnings_.push_back(std::move(w));
}

void Analyzer::warn(const std::string& kind, const std::string& detail, uint64_t frame) {
  Warning w;
  w.kind = kind;
  w.count = 1;
  w.first_frame = frame ? frame : frame_;
  w.detail = detail;
  warnings_.push_back(std::move(w));
}

std::vector<Warning> Analyzer::warnings() const { return warnings_; }

std::vector<JobRecord> Analyzer::slowest() const {
  std::vector<JobRecord> v = top_;
  std::sort(v.begin(), v.end(), slower);
  return v;
}

// ---------------------------------------------------------------------------------------------
// Frames and segments

void Analyzer::on_frame(int dlt, const uint8_t* data, uint32_t caplen, uint32_t wirelen, int64_t ts_ns) {
  ++frame_;
  ++totals_.frames;
  if (totals_.first_ns == kNoTime) totals_.first_ns = ts_ns;
  totals_.last_ns = ts_ns;
  ParseResult r = parse_frame(dlt, data, caplen, wirelen, seg_);
  switch (r) {
    case ParseResult::Tcp:
      seg_.frame = frame_;
      seg_.ts_ns = ts_ns;
      on_segment(seg_);
      return;
    case ParseResult::NotTcp: return;
    case ParseResult::UnknownLink: {  // one warning per link type, named
      char d[128];
      const char* name = pcap_datalink_val_to_name(dlt);
      std::snprintf(d, sizeof d, "link type %d (%s): frames of a link type the analyzer does not read", dlt,
                    name ? name : "unknown to libpcap");
      count_warning("unknown_link_type", 0, d);
      return;
    }
    case ParseResult::Unsupported: {  // one warning per encapsulation, named
      char d[128];
      int n = netstream::describe_unsupported(seg_, d, sizeof d);
      if (n > 0 && size_t(n) < sizeof d)
        std::snprintf(d + n, sizeof d - size_t(n), ": frames in an encapsulation the analyzer does not read");
      count_warning("unsupported_encapsulation", 0, d);
      return;
    }
    case ParseResult::Fragment: count_warning("ip_fragment", 0, "IP fragments are not reassembled; their bytes count as lost if Gearman"); return;
    case ParseResult::Truncated: count_warning("snaplen_headers", 0, "frames cut off by the snap length inside their link/IP/TCP headers"); return;
    case ParseResult::Malformed: count_warning("malformed_frame", 0, "frames whose IP/TCP headers do not add up"); return;
  }
}

Analyzer::Conn* Analyzer::find_conn(const Endpoint& src, const Endpoint& dst, uint64_t* key_out) {
  for (uint64_t k = conn_hash(src, dst);; ++k) {
    Conn* c = conns_.find(k);
    if (!c || conn_is(*c, src, dst)) {
      if (key_out) *key_out = k;
      return c;
    }
  }
}

Analyzer::Conn* Analyzer::lookup(const TcpSegment& s, bool create) {
  if (last_conn_ && conn_is(*last_conn_, s.src, s.dst)) return last_conn_;
  uint64_t k;
  Conn* c = find_conn(s.src, s.dst, &k);
  if (c) {
    // Another connection than the previous packet's: it becomes the most recently used.
    unlink_conn(c);
    link_conn(c);
    last_conn_ = c;
    return c;
  }
  if (!create) return nullptr;
  if (opt_.max_connections && open_conns_ >= opt_.max_connections) {
    count_warning("connections_cap", 0, "connections dropped, least recently active first, because --max-connections were tracked (their open jobs lose their worker or client)");
    drop_conn(oldest_conn_);
    find_conn(s.src, s.dst, &k);  // slots may have moved on erase
  }
  c = new Conn(opt_.max_out_of_order_bytes);
  c->id = next_conn_id_++;
  c->key = k;
  c->x = s.src;
  c->y = s.dst;
  conns_.put(k, c);
  link_conn(c);
  last_conn_ = c;
  return c;
}

void Analyzer::link_conn(Conn* c) {
  c->older = newest_conn_;
  c->newer = nullptr;
  (newest_conn_ ? newest_conn_->newer : oldest_conn_) = c;
  newest_conn_ = c;
  ++open_conns_;
}

void Analyzer::unlink_conn(Conn* c) {
  (c->older ? c->older->newer : oldest_conn_) = c->newer;
  (c->newer ? c->newer->older : newest_conn_) = c->older;
  c->older = c->newer = nullptr;
  --open_conns_;
}

// Forgets a connection (closing it first if it was not): out of the map and the list, deleted.
void Analyzer::drop_conn(Conn* c) {
  if (!c->closed) close_conn(*c);
  if (c == last_conn_) last_conn_ = nullptr;
  unlink_conn(c);
  conns_.erase(c->key);
  delete c;
}

static bool port_listed(const std::vector<uint16_t>& ports, uint16_t p) {
  for (uint16_t q : ports) if (q == p) return true;
  return false;
}

void Analyzer::on_segment(const TcpSegment& s) {
  ++totals_.tcp_segments;
  now_ = s.ts_ns;
  if (totals_.first_ns == kNoTime) totals_.first_ns = s.ts_ns;
  if (s.ts_ns > totals_.last_ns || totals_.last_ns == kNoTime) totals_.last_ns = s.ts_ns;
  bool syn = s.flags & kSyn;
  bool opening = syn && !(s.flags & kAck);
  Conn* c = lookup(s, s.length > 0 || syn);
  if (!c) return;
  int from = s.src == c->x ? 0 : 1;
  if (c->kind == Conn::NotGearman && !opening) {
    if ((s.flags & (kFin | kRst)) && !c->closed) {
      c->closed = true;
      closed_.push_back({now_, c->id, c->key});
    }
    return;
  }

  // Port reuse: a new SYN on a connection that already carried data or was closed.
  if (opening && (c->closed || (c->dir[from].tcp.started() && c->dir[from].tcp.isn() != s.seq))) {
    drop_conn(c);
    c = lookup(s, true);
    from = 0;
  }
  if (c->closed) {
    if (s.length > 0 && c->kind == Conn::Gearman) ++totals_.retransmissions;
    return;
  }

  if (c->kind == Conn::Undecided) {
    if (syn && !c->syn_seen) { c->syn_seen = true; c->syn_from_x = (from == 0) == opening; }
    bool dst_listed = port_listed(opt_.ports, s.dst.port), src_listed = port_listed(opt_.ports, s.src.port);
    if (dst_listed || src_listed) {
      bool server_is_dst = dst_listed && (!src_listed || opening || (c->syn_seen && (from == 0) == c->syn_from_x));
      c->server_is_x = server_is_dst ? (from == 1) : (from == 0);
      c->kind = Conn::Gearman;
    } else if (s.captured > 0 && opt_.heuristic) {
      auto p = gearproto::classify_stream_start(Bytes(reinterpret_cast<const char*>(s.payload), s.captured), opt_.limits);
      if (p == gearproto::Plausibility::No) {
        c->kind = Conn::NotGearman;
        return;
      }
      bool sender_is_server = p == gearproto::Plausibility::Binary && s.captured >= 4 && s.payload[3] == 'S';
      c->server_is_x = sender_is_server ? (from == 0) : (from == 1);
      c->kind = Conn::Gearman;
    } else if (s.length > 0) {
      c->kind = Conn::NotGearman;
      return;
    }
    if (c->kind == Conn::Gearman) {
      ++totals_.connections;
      const Endpoint& srv = c->server_is_x ? c->x : c->y;
      uint32_t idx = 0;
      for (; idx < server_endpoints_.size(); ++idx) if (server_endpoints_[idx] == srv) break;
      if (idx == server_endpoints_.size()) {
        server_endpoints_.push_back(srv);
        ServerStats st;
        st.endpoint = endpoint_string(srv);
        servers_.push_back(std::move(st));
      }
      c->server = idx;
      ++servers_[idx].connections;
    }
  }

  // The peer acknowledges bytes after a hole we are waiting for (checked before this
  // segment's own messages, which may answer those bytes): it received them, so the hole is
  // bytes the capture missed, not a loss TCP will repair. Declare it lost now rather than hold
  // this direction's later messages back (their events would come out of order with the others).
  if ((s.flags & kAck) && c->kind == Conn::Gearman && c->dir[1 - from].tcp.waiting()) {
    DirSink sink(this, c, 1 - from);
    c->dir[1 - from].tcp.on_peer_ack(s.ack, sink);
  }
  Dir& d = c->dir[from];
  if (syn && !d.tcp.started()) {
    d.tcp.start(s.seq);
    d.dec = gearproto::StreamDecoder(opt_.limits, true);
  }
  if (s.length > 0 && c->kind == Conn::Gearman) {
    ++totals_.gearman_segments;
    if (!d.tcp.started()) {
      d.tcp.start(s.seq - 1);
      d.dec = gearproto::StreamDecoder(opt_.limits, false);
      count_warning("mid_stream_start", 0, "directions seen without their SYN: decoding began at the first plausible header");
    }
    process_payload(*c, from, s);
  }
  if (s.flags & kRst) {
    close_conn(*c);
  } else if (s.flags & kFin) {
    d.fin = true;
    if (c->dir[0].fin && c->dir[1].fin) close_conn(*c);
  }
  if (c->closed) {
    // Kept for a while (like TIME_WAIT) so that late retransmissions are recognised as such
    // instead of starting a new connection in mid-stream.
    c->closed_ns = now_;
    closed_.push_back({now_, c->id, c->key});
  }
  expire_closed();
}

void Analyzer::expire_closed() {
  constexpr int64_t kLinger = 60ll * 1000000000;
  while (!closed_.empty() && (now_ - closed_.front().ns > kLinger || closed_.size() > 65536)) {
    Conn* c = conns_.find(closed_.front().key);
    if (c && c->id == closed_.front().id) drop_conn(c);
    closed_.pop_front();
  }
}

void Analyzer::process_payload(Conn& c, int from, const TcpSegment& s) {
  if (s.captured < s.length)
    count_warning("snaplen_truncated", s.length - s.captured, "segments cut off by the snap length: their missing bytes are a gap");
  DirSink sink(this, &c, from);
  ReassemblyCounts n;
  c.dir[from].tcp.segment(s.seq, s.payload, s.captured, s.length, sink, n);
  totals_.retransmissions += n.retransmissions;
  totals_.out_of_order += n.out_of_order;
  if (n.beyond_window)
    count_warning("sequence_jump", 0, "segments further ahead than any TCP window (2^30 bytes): the hole before them was declared lost at once");
}

// Gives up on holes (waiting segments are delivered after gaps); at the end of a stream, also
// reports a message it cut off.
void Analyzer::flush_dir(Conn& c, int from, bool finish) {
  Dir& d = c.dir[from];
  DirSink sink(this, &c, from);
  d.tcp.flush(sink);
  if (finish && d.tcp.started()) d.dec.finish(sink);
}

void Analyzer::close_conn(Conn& c) {
  if (c.closed) return;
  if (c.kind == Conn::Gearman) {
    flush_dir(c, 0, true);
    flush_dir(c, 1, true);
  }
  c.closed = true;
  // Jobs assigned on a worker connection that died go back to the queue.
  for (uint64_t key : c.assigned) {
    Job* j = jobs_.find(key);
    if (!j) continue;
    if (j->worker_conn == c.id && j->r.t_worker_done == kNoTime) {
      j->worker_conn = 0;
      if (j->worker >= 0) ++workers_[j->worker].lost;
    }
  }
  c.assigned.clear();
  c.pending.clear();
}

// ---------------------------------------------------------------------------------------------
// Messages

void Analyzer::on_skip(Conn& c, int from, uint64_t len, gearproto::SkipReason r, gearproto::FrameError why) {
  (void)from;
  if (why == gearproto::FrameError::Oversize)
    count_warning("oversize_message", 0, "PDU headers whose length is over --max-message-size: not waited for, skipped as not Gearman (see resync)");
  if (r == gearproto::SkipReason::Gap || r == gearproto::SkipReason::Truncated) {
    // Lost bytes may hold submits or their JOB_CREATEDs: the in-order pairing of this
    // connection cannot be trusted across them. Unanswered submits are forgotten (their jobs
    // will show as began-before-the-capture) rather than paired with the wrong handles.
    if (!c.pending.empty()) {
      count_warning("submit_pairing_reset", c.pending.size(), "unanswered submits forgotten at lost bytes (bytes = submits)");
      c.pending.clear();
    }
  }
  switch (r) {
    case gearproto::SkipReason::Gap: count_warning("gap", len, "bytes missing from the capture (lost or not captured): decoding resynchronised after them"); break;
    case gearproto::SkipReason::Garbage: count_warning("resync", len, "bytes that are not Gearman, skipped to the next plausible header"); break;
    case gearproto::SkipReason::Truncated: count_warning("truncated_message", len, "messages cut off by a gap or by the end of their stream"); break;
    case gearproto::SkipReason::LineTooLong: count_warning("line_too_long", len, "admin text lines over the length limit"); break;
    case gearproto::SkipReason::MidStream: count_warning("mid_stream_skip", len, "bytes before the first plausible header of a stream joined in its middle"); break;
  }
}

void Analyzer::on_message(Conn& c, int from, const gearproto::Message& m) {
  bool to_server = c.to_server(from);
  if (m.kind == gearproto::MessageKind::Binary) on_pdu(c, to_server, m);
  else on_admin(c, to_server, m);
}

uint32_t Analyzer::function_index(std::string_view name) {
  uint64_t h = fnv(name.data(), name.size());
  for (;; ++h) {
    auto it = function_by_hash_.find(h);
    if (it == function_by_hash_.end()) {
      FunctionStats f;
      f.name = std::string(name);
      functions_.push_back(std::move(f));
      function_by_hash_.emplace(h, uint32_t(functions_.size() - 1));
      return uint32_t(functions_.size() - 1);
    }
    if (functions_[it->second].name == name) return it->second;
  }
}

uint32_t Analyzer::worker_of(Conn& c) {
  if (c.worker < 0) {
    WorkerStats w;
    w.address = endpoint_string(c.server_is_x ? c.y : c.x);
    w.name = w.address;
    w.first_ns = now_;
    workers_.push_back(std::move(w));
    c.worker = int32_t(workers_.size() - 1);
  }
  workers_[c.worker].last_ns = now_;
  return uint32_t(c.worker);
}

// Word-wise (8 bytes per step) multiply-xorshift over the handle: runs several times per PDU,
// where byte-wise FNV-1a was the largest single cost of the tracker.
static uint64_t job_key(uint32_t server, std::string_view handle) {
  const char* p = handle.data();
  size_t n = handle.size();
  uint64_t h = (uint64_t(server) << 32 ^ n) * 0x9E3779B97F4A7C15ull;
  auto mixin = [&h](uint64_t w) {
    h = (h ^ w) * 0xff51afd7ed558ccdull;
    h ^= h >> 32;
  };
  for (; n >= 8; p += 8, n -= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    mixin(w);
  }
  if (n) {
    uint64_t w = 0;
    std::memcpy(&w, p, n);
    mixin(w);
  }
  h ^= h >> 29;
  return h;
}

Analyzer::Job* Analyzer::find_job(uint32_t server, std::string_view handle, uint64_t* key_out) {
  uint64_t k = job_key(server, handle);
  for (;; ++k) {
    Job* j = jobs_.find(k);
    if (!j) { if (key_out) *key_out = k; return nullptr; }
    if (j->server == server && j->r.handle == handle) {
      if (key_out) *key_out = k;
      return j;
    }
  }
}

Analyzer::Job* Analyzer::create_job(uint32_t server, std::string_view handle) {
  uint64_t k;
  Job* existing = find_job(server, handle, &k);
  if (existing) return existing;
  if (opt_.max_open_jobs && open_jobs_ >= opt_.max_open_jobs) {
    count_warning("open_jobs_cap", 0, "jobs reported as incomplete early, oldest first, because --max-open-jobs were open; later packets of theirs count as orphans or unknown-start jobs");
    finalize(oldest_);
    // Slots may have moved on erase: the new job's key is looked up again.
    find_job(server, handle, &k);
  }
  Job* j;
  if (!free_jobs_.empty()) {
    // Reuse a finished job's object: its strings keep their capacity (no allocation per job).
    j = free_jobs_.back();
    free_jobs_.pop_back();
    // Field by field (a JobRecord{} plus moving five strings in and out cost ~1000 instructions
    // per job). Adding a field to JobRecord? Reset it here too: the static_assert is the reminder.
    JobRecord& r = j->r;
    static_assert(sizeof(JobRecord) == 5 * sizeof(std::string) + 128, "reset the new JobRecord field below");
    r.server.clear(); r.handle.clear(); r.function.clear(); r.unique.clear(); r.worker.clear();
    r.background = false;
    r.unknown_start = false;
    r.priority = "normal";
    r.submits = 0;
    r.assignments = 0;
    r.payload_bytes = 0;
    r.status_polls = 0;
    r.outcome = Outcome::Incomplete;
    r.t_submit = r.t_created = r.t_assign_first = r.t_assign = r.t_worker_done = r.t_client_done = kNoTime;
    r.f_submit = r.f_created = r.f_assign = r.f_worker_done = r.f_client_done = 0;
    j->fn = UINT32_MAX;
    j->worker_conn = 0;
    j->worker = -1;
    j->waiting.clear();
  } else {
    job_store_.push_back(std::make_unique<Job>());
    j = job_store_.back().get();
  }
  j->server = server;
  j->key = k;
  j->r.handle.assign(handle.data(), handle.size());
  j->r.server = servers_[server].endpoint;
  jobs_.put(k, j);
  j->older = newest_;
  j->newer = nullptr;
  (newest_ ? newest_->newer : oldest_) = j;
  newest_ = j;
  ++open_jobs_;
  return j;
}

// Absent arguments read as empty: the tracker treats both alike.
static Bytes arg(const gearproto::Arguments& a, gearproto::Arg k) { return a.get(k).value_or(Bytes()); }

void Analyzer::on_pdu(Conn& c, bool to_server, const gearproto::Message& m) {
  using namespace gearproto;
  ++totals_.pdus;
  ++servers_[c.server].pdus;
  if (m.error != FrameError::None || !m.header.info) {
    count_warning("malformed_pdu", m.raw.size(), "PDUs of unknown type or with a magic their type may not carry");
    return;
  }
  const PacketInfo& info = *m.header.info;
  // The tracker reads no numeric argument, so numbers are not parsed here.
  const Arguments a = split_arguments(info, m.data, ArgChecks::Structure);
  if (a.defects & (kMissingArguments | kEmptyRequired))
    count_warning("malformed_arguments", 0, "PDUs whose arguments do not fit their type");
  if (a.defects & kHandleTooLong) {
    // The protocol caps handles at 64 bytes with their NUL; a longer one names no job a server
    // made, and keeping it would let a hostile capture store megabytes per job.
    count_warning("handle_too_long", 0, "PDUs with a job handle over the protocol's 64 bytes (with its NUL): not tracked as jobs");
    if (info.job_role == JobRole::Created && !to_server && !c.pending.empty()) c.pending.pop_front();
    return;
  }
  const bool req = m.header.magic == Magic::Req;
  if (!to_server && m.header.type != ERROR) c.tentative = 0;
  switch (info.job_role) {
    case JobRole::Submit: {
      if (!to_server) break;
      if (c.pending.size() >= 4096) { c.pending.pop_front(); count_warning("submit_fifo_overflow", 0, "more than 4096 unanswered submits on one connection"); }
      Pending& p = c.pending.push_back();
      p.function.assign(arg(a, Arg::Function));
      p.unique.assign(arg(a, Arg::Unique));
      p.priority = priority_name(info.priority);
      p.background = info.background;
      p.payload = arg(a, Arg::Payload).size();
      p.t = now_;
      p.frame = frame_;
      break;
    }
    case JobRole::Created: {
      if (to_server) break;
      Bytes handle = arg(a, Arg::Handle);
      if (handle.empty()) break;
      Job* j = find_job(c.server, handle);
      bool have = !c.pending.empty();
      if (j && j->r.t_created == kNoTime && j->r.submits == 0) {
        // Seen at the worker first (its JOB_CREATED came late, e.g. retransmitted): the same job.
        j->r.t_created = now_;
        j->r.f_created = frame_;
        j->r.submits = 1;
        if (have) {
          Pending& p = c.pending.front();
          j->r.unknown_start = false;
          if (j->r.unique.empty()) j->r.unique = p.unique;
          j->r.priority = p.priority;
          j->r.background = p.background;
          j->r.t_submit = p.t;
          j->r.f_submit = p.frame;
          if (!p.background) j->waiting.push_back(c.id);
          c.pending.pop_front();
        }
        break;
      }
      if (j && j->r.t_worker_done == kNoTime) {
        // Coalesced: another submit with the same unique ID got the running job's handle.
        ++j->r.submits;
        if (j->fn != UINT32_MAX) ++functions_[j->fn].coalesced;
        ++totals_.coalesced_submits;
        if (have && !c.pending.front().background &&
            std::find(j->waiting.begin(), j->waiting.end(), c.id) == j->waiting.end())
          j->waiting.push_back(c.id);
        if (have) c.pending.pop_front();
        break;
      }
      if (j) finalize(j);  // a handle reused by the server: the old job is over
      j = create_job(c.server, handle);
      j->r.t_created = now_;
      j->r.f_created = frame_;
      j->r.submits = 1;
      if (have) {
        Pending& p = c.pending.front();
        j->r.function = p.function;  // copies into the reused strings' capacity
        j->r.unique = p.unique;
        j->r.priority = p.priority;
        j->r.background = p.background;
        j->r.payload_bytes = p.payload;
        j->r.t_submit = p.t;
        j->r.f_submit = p.frame;
        if (!p.background) j->waiting.push_back(c.id);
        c.pending.pop_front();
        j->fn = function_index(j->r.function);
      } else {
        j->r.unknown_start = true;
      }
      break;
    }
    case JobRole::Assign: {
      if (to_server) break;
      Bytes handle = arg(a, Arg::Handle);
      if (handle.empty()) break;
      Job* j = find_job(c.server, handle);
      if (!j) {
        j = create_job(c.server, handle);
        j->r.unknown_start = true;
        j->r.submits = 0;
      }
      Bytes afn = arg(a, Arg::Function);
      if (j->r.function.empty() || (!afn.empty() && j->r.function != afn)) {
        if (!j->r.function.empty())
          count_warning("submit_pairing_mismatch", 0, "JOB_ASSIGN names another function than the submit paired with the handle: the assign's is used");
        j->r.function = std::string(afn);
        j->fn = function_index(j->r.function);
      }
      Bytes aun = arg(a, Arg::Unique);
      if (!aun.empty() && j->r.unique != aun) j->r.unique = std::string(aun);
      if (j->r.payload_bytes == 0) j->r.payload_bytes = arg(a, Arg::Payload).size();
      if (j->r.t_assign_first == kNoTime) { j->r.t_assign_first = now_; }
      j->r.t_assign = now_;
      j->r.f_assign = frame_;
      ++j->r.assignments;
      j->worker_conn = c.id;
      j->worker = int32_t(worker_of(c));
      j->r.worker = workers_[j->worker].name;
      c.assigned.push_back(j->key);
      break;
    }
    case JobRole::Update: {
      if (to_server && req) {
        Bytes handle = arg(a, Arg::Handle);
        worker_of(c);
        if (!find_job(c.server, handle)) {
          uint64_t k = job_key(c.server, handle);
          if (c.finished_lately(k)) { count_warning("late_update", 0, "WORK_STATUS/DATA/WARNING after the job's terminal packet (belongs to no job)"); break; }
          Job* j = create_job(c.server, handle);
          j->r.unknown_start = true;
          j->r.submits = 0;
          j->worker_conn = c.id;
          j->worker = c.worker;
          j->r.worker = workers_[c.worker].name;
          c.assigned.push_back(j->key);
        }
      }
      break;
    }
    case JobRole::Terminal: {
      Bytes handle = arg(a, Arg::Handle);
      Outcome o = m.header.type == WORK_COMPLETE ? Outcome::Complete
                : m.header.type == WORK_FAIL ? Outcome::Fail : Outcome::Exception;
      if (to_server && req) {
        worker_of(c);
        uint64_t k;
        Job* j = find_job(c.server, handle, &k);
        const uint64_t hk = job_key(c.server, handle);
        if ((j && j->r.t_worker_done != kNoTime) || (!j && c.finished_lately(hk))) {
          count_warning("late_terminal", 0, "a worker's terminal packet after the job's first one (the server ended the job at the first: belongs to no job)");
          ++c.not_found_expected;
          break;
        }
        bool tentative = false;
        if (!j) {
          j = create_job(c.server, handle);
          j->r.unknown_start = true;
          j->r.submits = 0;
          tentative = true;
          c.tentative = j->key;
        }
        j->r.outcome = o;
        j->r.t_worker_done = now_;
        j->r.f_worker_done = frame_;
        if (j->worker < 0 || j->worker_conn != c.id) { j->worker = c.worker; j->worker_conn = c.id; }
        j->r.worker = workers_[c.worker].name;
        c.remember_finished(hk);
        auto it = std::find(c.assigned.begin(), c.assigned.end(), j->key);
        if (it != c.assigned.end()) c.assigned.erase(it);
        // A job that began before the capture stays open until the capture ends or its client
        // copy arrives: gearmand may yet answer ERROR JOB_NOT_FOUND (then it was no job).
        if (!tentative && (j->r.background || j->waiting.empty())) finalize(j);
      } else if (!to_server) {
        Job* j = find_job(c.server, handle);
        const uint64_t hk = job_key(c.server, handle);
        if (!j) {
          if (c.finished_lately(hk)) count_warning("late_result", 0, "a result sent to a client after the job's first one (Gearman::Server forwards a worker's WORK_FAIL after its WORK_EXCEPTION): belongs to no job");
          else count_warning("orphan_result", 0, "results sent to a client for a job not open in the capture");
          break;
        }
        if (j->r.t_worker_done == kNoTime) {
          // No worker's terminal packet: the server ended the job itself (Gearman::Server fails a
          // job its maxqueue evicts) or the capture lost it. What the client got is the outcome.
          j->r.outcome = o;
        }
        c.remember_finished(hk);
        if (j->r.t_client_done == kNoTime) { j->r.t_client_done = now_; j->r.f_client_done = frame_; }
        auto it = std::find(j->waiting.begin(), j->waiting.end(), c.id);
        if (it != j->waiting.end()) j->waiting.erase(it);
        if (j->waiting.empty()) finalize(j);
      }
      break;
    }
    case JobRole::StatusQuery:
      if (to_server) {
        ++totals_.status_queries;
        if (m.header.type == GET_STATUS) {
          if (Job* j = find_job(c.server, arg(a, Arg::Handle))) ++j->r.status_polls;
        }
      }
      break;
    case JobRole::StatusReply:
      break;
    case JobRole::None: {
      uint32_t t = m.header.type;
      if (t == ERROR && !to_server) {
        bool not_found = arg(a, Arg::ErrorCode) == "JOB_NOT_FOUND";
        if (not_found && c.tentative) {
          if (Job* t = jobs_.find(c.tentative)) release(t);
          c.tentative = 0;
          count_warning("unknown_handle", 0, "worker results for handles the server did not know (ERROR JOB_NOT_FOUND): not jobs");
        } else if (not_found && c.not_found_expected) {
          --c.not_found_expected;
        } else if (!c.pending.empty()) {
          c.pending.pop_front();
          ++totals_.submit_errors;
        }
      } else if (to_server && (t == CAN_DO || t == CAN_DO_TIMEOUT)) {
        WorkerStats& w = workers_[worker_of(c)];
        std::string_view fn = arg(a, Arg::Function);
        if (std::find(w.functions.begin(), w.functions.end(), fn) == w.functions.end())
          w.functions.emplace_back(fn);
      } else if (to_server && t == SET_CLIENT_ID) {
        WorkerStats& w = workers_[worker_of(c)];
        Bytes id = arg(a, Arg::ClientId);
        if (!id.empty()) w.name = std::string(id);
      } else if (to_server && t == PRE_SLEEP) {
        ++workers_[worker_of(c)].sleeps;
      } else if (!to_server && t == NOOP) {
        ++workers_[worker_of(c)].wakes;
      } else if (to_server && (t == GRAB_JOB || t == GRAB_JOB_UNIQ || t == GRAB_JOB_ALL)) {
        worker_of(c);
      }
      break;
    }
  }
}

void Analyzer::on_admin(Conn& c, bool to_server, const gearproto::Message& m) {
  using namespace gearproto;
  if (to_server) {
    AdminRequest r = parse_admin_command(m.line);
    ++totals_.admin_commands;
    ++servers_[c.server].admin_commands;
    c.admin.on_command(r.command, frame_);
    return;
  }
  ++totals_.admin_reply_lines;
  AdminReplyLine line;
  c.admin.on_reply_line(m.line, line);
  if (line.kind == ReplyLineKind::StatusRow && line.count_n >= 2) {
    FunctionStats& f = functions_[function_index(line.name)];
    uint64_t queued = line.counts[0] >= line.counts[1] ? line.counts[0] - line.counts[1] : 0;
    ++f.depth_samples;
    f.depth_last = queued;
    if (queued > f.depth_max) f.depth_max = queued;
  }
}

// ---------------------------------------------------------------------------------------------
// Finishing jobs

void Analyzer::finalize(Job* j) {
  JobRecord& r = j->r;
  if (j->fn == UINT32_MAX) {
    if (r.function.empty()) r.function = "(unknown)";
    j->fn = function_index(r.function);
  }
  FunctionStats& f = functions_[j->fn];
  ++f.jobs; ++totals_.jobs;
  ++servers_[j->server].jobs;
  f.submits += r.submits;
  if (r.background) { ++f.background; ++totals_.background; }
  if (r.unknown_start) { ++f.unknown_start; ++totals_.unknown_start; }
  if (r.assignments > 1) { ++f.reassigned; ++totals_.reassigned; }
  switch (r.outcome) {
    case Outcome::Complete: ++f.complete; ++totals_.complete; break;
    case Outcome::Fail: ++f.fail; ++totals_.fail; break;
    case Outcome::Exception: ++f.exception; ++totals_.exception; break;
    case Outcome::Incomplete: ++f.incomplete; ++totals_.incomplete; break;
  }
  int64_t q = r.queue_ns(), run = r.run_ns(), tot = r.total_ns();
  if (q != kNoTime && q >= 0) f.queue.add(uint64_t(q));
  if (run != kNoTime && run >= 0) f.run.add(uint64_t(run));
  if (tot != kNoTime && tot >= 0) f.total.add(uint64_t(tot));
  if (j->worker >= 0 && r.outcome != Outcome::Incomplete) {
    WorkerStats& w = workers_[j->worker];
    ++w.jobs;
    if (r.outcome == Outcome::Complete) ++w.complete;
    else if (r.outcome == Outcome::Fail) ++w.fail;
    else ++w.exception;
    if (run != kNoTime && run > 0) w.busy_ns += run;
  } else if (j->worker >= 0 && j->worker_conn != 0) {
    ++workers_[j->worker].open_job;
  }
  if (job_sink_) job_sink_(r);
  if (opt_.top > 0 && slowness(r) != kNoTime) {
    auto cmp = [](const JobRecord& a, const JobRecord& b) { return slower(a, b); };  // min-heap
    if (top_.size() < opt_.top) {
      top_.push_back(r);
      std::push_heap(top_.begin(), top_.end(), cmp);
    } else if (slower(r, top_.front())) {
      std::pop_heap(top_.begin(), top_.end(), cmp);
      top_.back() = r;
      std::push_heap(top_.begin(), top_.end(), cmp);
    }
  }
  release(j);
}

void Analyzer::release(Job* j) {
  jobs_.erase(j->key);
  (j->older ? j->older->newer : oldest_) = j->newer;
  (j->newer ? j->newer->older : newest_) = j->older;
  j->older = j->newer = nullptr;
  --open_jobs_;
  free_jobs_.push_back(j);
}

void Analyzer::finish() {
  std::vector<Conn*> open;
  conns_.for_each([&open](Conn* c) { open.push_back(c); });
  std::sort(open.begin(), open.end(), [](Conn* a, Conn* b) { return a->id < b->id; });
  for (Conn* c : open) {
    if (c->kind != Conn::Gearman) continue;
    flush_dir(*c, 0, true);
    flush_dir(*c, 1, true);
  }
  // Jobs still open: finished at the worker but the client's copy not seen, or incomplete.
  std::vector<Job*> left;
  jobs_.for_each([&left](Job* j) { left.push_back(j); });
  std::sort(left.begin(), left.end(), [](Job* a, Job* b) {
    int64_t ta = a->r.t_created != kNoTime ? a->r.t_created : a->r.t_assign;
    int64_t tb = b->r.t_created != kNoTime ? b->r.t_created : b->r.t_assign;
    return ta < tb;
  });
  for (Job* j : left) finalize(j);
  conns_.for_each([](Conn* c) { delete c; });
  conns_.clear();
  last_conn_ = oldest_conn_ = newest_conn_ = nullptr;
  open_conns_ = 0;
}

}  // namespace gan
