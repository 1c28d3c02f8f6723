#include "connections.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "gearproto/server_side.h"

namespace gan {

using gearproto::Bytes;
using netstream::Endpoint;
using netstream::TcpSegment;
using netstream::kAck;
using netstream::kFin;
using netstream::kRst;
using netstream::kSyn;

// A direction's reassembled bytes into its decoder, and the decoder's messages to the events.
struct DirSink final : gearproto::MessageSink, netstream::StreamOut {
  ConnectionTable* t;
  Conn* c;
  int from;
  DirSink(ConnectionTable* tb, Conn* cn, int f) : t(tb), c(cn), from(f) {}
  void on_message(const gearproto::Message& m) override { t->events_.on_message(*c, from, m); }
  void on_skip(uint64_t, uint64_t length, gearproto::SkipReason r, gearproto::FrameError why) override {
    t->events_.on_skip(*c, from, length, r, why);
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
// The slot of a connection in ConnectionTable::recent_: symmetric in its endpoints, a few instructions.
inline size_t recent_slot(const Endpoint& a, const Endpoint& b) {
  uint64_t w[4];
  std::memcpy(w, a.addr, 16);
  std::memcpy(w + 2, b.addr, 16);
  const uint64_t x = (w[0] ^ w[1] ^ w[2] ^ w[3]) + (uint64_t(a.port) ^ b.port);
  return size_t(((x ^ (x >> 29)) * 0x9E3779B97F4A7C15ull) >> 56);
}
inline bool conn_is(const Conn& c, const Endpoint& s, const Endpoint& d) {
  return (c.x == s && c.y == d) || (c.x == d && c.y == s);
}
bool port_listed(const std::vector<uint16_t>& ports, uint16_t p) {
  return std::find(ports.begin(), ports.end(), p) != ports.end();
}

}  // namespace

ConnectionTable::ConnectionTable(const Options& o, ConnectionEvents& events, WarningCounter& warnings, Totals& totals)
    : opt_(o), events_(events), warnings_(warnings), totals_(totals) {}

ConnectionTable::~ConnectionTable() {
  conns_.for_each([](Conn* c) { delete c; });
}

Conn* ConnectionTable::find(const Endpoint& src, const Endpoint& dst, uint64_t* key_out) {
  for (uint64_t k = conn_hash(src, dst);; ++k) {
    Conn* c = conns_.find(k);
    if (!c || conn_is(*c, src, dst)) {
      if (key_out) *key_out = k;
      return c;
    }
  }
}

Conn* ConnectionTable::lookup(const TcpSegment& s, bool create) {
  static_assert(kRecent == 256, "recent_slot gives 8 bits");
  Conn*& recent = recent_[recent_slot(s.src, s.dst)];
  uint64_t k;
  Conn* c = recent && conn_is(*recent, s.src, s.dst) ? recent : find(s.src, s.dst, &k);
  if (c) {
    recent = c;
    c->last_use = ++use_clock_;
    return c;
  }
  if (!create) return nullptr;
  if (opt_.max_connections && conns_.size() >= opt_.max_connections) {
    warnings_.count("connections_cap", 0, "connections dropped, least recently active first, because --max-connections were tracked (their open jobs lose their worker or client)", frame_);
    drop(least_recently_used());
    find(s.src, s.dst, &k);  // slots may have moved on erase
  }
  c = new Conn(opt_.max_out_of_order_bytes);
  c->id = next_id_++;
  c->key = k;
  c->x = s.src;
  c->y = s.dst;
  c->last_use = ++use_clock_;
  conns_.put(k, c);
  recent_[recent_slot(s.src, s.dst)] = c;
  // Entries of connections dropped since (closed and expired, reused ports) are cleared out once
  // they are as many as the live ones, so the heap stays within twice the table.
  if (by_use_.size() >= 2 * conns_.size() + 64) {
    by_use_.clear();
    conns_.for_each([this](const Conn* o) { by_use_.push_back({o->last_use, o->id, o->key}); });
    std::make_heap(by_use_.begin(), by_use_.end(), later_use);
  } else {
    by_use_.push_back({c->last_use, c->id, c->key});
    std::push_heap(by_use_.begin(), by_use_.end(), later_use);
  }
  return c;
}

// The open connection whose latest segment is the oldest. Every open connection has one entry,
// whose stamp is at most its last use; so the first entry found up to date is the least recent.
Conn* ConnectionTable::least_recently_used() {
  for (;;) {
    std::pop_heap(by_use_.begin(), by_use_.end(), later_use);
    UseMark m = by_use_.back();
    by_use_.pop_back();
    Conn* c = conns_.find(m.key);
    if (!c || c->id != m.id) continue;  // dropped since
    if (c->last_use == m.stamp) return c;
    m.stamp = c->last_use;
    by_use_.push_back(m);
    std::push_heap(by_use_.begin(), by_use_.end(), later_use);
  }
}

// Forgets a connection (closing it first if it was not): out of the maps, deleted (its entry in
// by_use_ goes when it comes up).
void ConnectionTable::drop(Conn* c) {
  if (!c->closed) close(*c);
  Conn*& recent = recent_[recent_slot(c->x, c->y)];
  if (recent == c) recent = nullptr;
  conns_.erase(c->key);
  if (c->kind == Conn::Gearman) events_.on_forgotten(*c);
  delete c;
}

void ConnectionTable::on_segment(const TcpSegment& s) {
  ++totals_.tcp_segments;
  frame_ = s.frame;
  now_ = s.ts_ns;
  const bool syn = s.flags & kSyn;
  const bool opening = syn && !(s.flags & kAck);
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
    drop(c);
    c = lookup(s, true);
    from = 0;
  }
  if (c->closed) {
    if (s.length > 0 && c->kind == Conn::Gearman) ++totals_.retransmissions;
    return;
  }
  bool kept_first_bytes = false;
  if (c->kind == Conn::Undecided) {
    kept_first_bytes = decide(c, s, from, opening);
    if (c->kind == Conn::NotGearman) return;
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
  if (c->kind == Conn::Gearman && (!c->first_bytes[0].empty() || !c->first_bytes[1].empty())) {
    // Just found to be Gearman after waiting for more bytes: what waited is decoded first.
    replay_first_bytes(*c, 1 - from, s);
    replay_first_bytes(*c, from, s);
  }
  if (s.length > 0 && c->kind == Conn::Gearman) {
    ++totals_.gearman_segments;
    if (!kept_first_bytes) {
      if (!d.tcp.started()) {
        d.tcp.start(s.seq - 1);
        d.dec = gearproto::StreamDecoder(opt_.limits, false);
        warnings_.count("mid_stream_start", 0, "directions seen without their SYN: decoding began at the first plausible header", frame_);
      }
      payload(*c, from, s);
    }
  }
  if ((s.flags & (kSyn | kAck)) == (kSyn | kAck)) c->synack_seen = true;
  if (s.length > 0) c->data_seen = true;
  if (s.flags & kRst) {
    // A worker or client retrying while its server is down makes one such "connection" per try.
    if (c->kind == Conn::Gearman && !c->closed && c->syn_seen && !c->synack_seen && !c->data_seen && !c->to_server(from))
      warnings_.count("connection_refused", 0, "connection attempts the server answered with RST before any SYN+ACK (nothing listening, or it refused them): counted among the connections, with no packets", frame_);
    close(*c);
  } else if (s.flags & kFin) {
    d.fin = true;
    if (c->dir[0].fin && c->dir[1].fin) close(*c);
  }
  if (c->closed) {
    // Kept for a while (like TIME_WAIT) so that late retransmissions are recognised as such
    // instead of starting a new connection in mid-stream.
    closed_.push_back({now_, c->id, c->key});
  }
  expire_closed();
}

// Which side is the server (gearproto::decide_server_side): by port, else by the first bytes. A
// first segment may hold too few bytes to tell (part of a header, part of a command line): they
// are kept, with what follows them in order, until they tell.
bool ConnectionTable::decide(Conn* c, const TcpSegment& s, int from, bool opening) {
  if ((s.flags & kSyn) && !c->syn_seen) {
    c->syn_seen = true;
    c->syn_from_x = (from == 0) == opening;
  }
  std::string& kept = c->first_bytes[from];
  bool keeping = false;
  Bytes bytes(reinterpret_cast<const char*>(s.payload), s.captured);
  if (!kept.empty() && s.captured > 0) {
    if (s.seq == c->first_seq[from] + uint32_t(kept.size()) && s.captured == s.length) {
      kept.append(bytes.data(), bytes.size());
      bytes = kept;
      keeping = true;
    } else if (s.seq == c->first_seq[from] && s.captured >= kept.size()) {
      kept.assign(bytes.data(), bytes.size());  // a retransmission with more in it
      bytes = kept;
      keeping = true;
    } else {
      bytes = kept;  // out of order: decide on what is in order
    }
  }
  gearproto::SideHints h;
  h.sender_port_listed = port_listed(opt_.ports, s.src.port);
  h.receiver_port_listed = port_listed(opt_.ports, s.dst.port);
  if (c->syn_seen)
    h.opening = ((from == 0) == c->syn_from_x) ? gearproto::SideHints::SenderOpened : gearproto::SideHints::ReceiverOpened;
  h.payload = bytes;
  h.heuristic = opt_.heuristic;
  const gearproto::ServerSide side = gearproto::decide_server_side(h, opt_.limits);
  constexpr size_t kMaxFirstBytes = 4096;  // an admin command line is short
  switch (side) {
    case gearproto::ServerSide::Undecided:
      if (s.captured > 0 && kept.empty() && s.captured == s.length) {
        kept.assign(bytes.data(), bytes.size());
        c->first_seq[from] = s.seq;
        keeping = true;
      }
      if (kept.size() > kMaxFirstBytes) {
        c->kind = Conn::NotGearman;
        c->first_bytes[0].clear();
        c->first_bytes[1].clear();
      }
      return keeping;
    case gearproto::ServerSide::NotGearman:
      if (s.length > 0 || !kept.empty()) {  // a SYN alone says nothing yet
        c->kind = Conn::NotGearman;
        c->first_bytes[0].clear();
        c->first_bytes[1].clear();
      }
      return false;
    case gearproto::ServerSide::Sender:
      c->server_is_x = from == 0;
      break;
    case gearproto::ServerSide::Receiver:
      c->server_is_x = from == 1;
      break;
  }
  c->kind = Conn::Gearman;
  ++totals_.connections;
  events_.on_gearman(*c);
  return keeping;
}

// Decodes a direction's first bytes that waited for the decision, as the segment they came in.
void ConnectionTable::replay_first_bytes(Conn& c, int from, const TcpSegment& now) {
  std::string kept;
  kept.swap(c.first_bytes[from]);
  if (kept.empty()) return;
  Dir& d = c.dir[from];
  if (!d.tcp.started()) {
    d.tcp.start(c.first_seq[from] - 1);
    d.dec = gearproto::StreamDecoder(opt_.limits, false);
    warnings_.count("mid_stream_start", 0, "directions seen without their SYN: decoding began at the first plausible header", frame_);
  }
  TcpSegment t = now;
  t.src = from == 0 ? c.x : c.y;
  t.dst = from == 0 ? c.y : c.x;
  t.seq = c.first_seq[from];
  t.payload = reinterpret_cast<const uint8_t*>(kept.data());
  t.captured = t.length = uint32_t(kept.size());
  payload(c, from, t);
}

uint64_t ConnectionTable::undecided() const {
  uint64_t n = 0;
  conns_.for_each([&n](const Conn* c) {
    if (c->kind == Conn::Undecided && (!c->first_bytes[0].empty() || !c->first_bytes[1].empty())) ++n;
  });
  return n;
}

void ConnectionTable::expire_closed() {
  constexpr int64_t kLinger = 60ll * 1000000000;
  while (!closed_.empty() && (now_ - closed_.front().ns > kLinger || closed_.size() > 65536)) {
    Conn* c = conns_.find(closed_.front().key);
    if (c && c->id == closed_.front().id) drop(c);
    closed_.pop_front();
  }
}

void ConnectionTable::payload(Conn& c, int from, const TcpSegment& s) {
  if (s.captured < s.length)
    warnings_.count("snaplen_truncated", s.length - s.captured, "segments cut off by the snap length: their missing bytes are a gap", frame_);
  DirSink sink(this, &c, from);
  netstream::ReassemblyCounts n;
  c.dir[from].tcp.segment(s.seq, s.payload, s.captured, s.length, sink, n);
  totals_.retransmissions += n.retransmissions;
  totals_.out_of_order += n.out_of_order;
  if (n.beyond_window)
    warnings_.count("sequence_jump", 0, "segments further ahead than any TCP window (2^30 bytes): the hole before them was declared lost at once", frame_);
}

// Gives up on holes (waiting segments are delivered after gaps); at the end of a stream, also
// reports a message it cut off.
void ConnectionTable::flush(Conn& c, int from, bool finish) {
  Dir& d = c.dir[from];
  DirSink sink(this, &c, from);
  d.tcp.flush(sink);
  if (finish && d.tcp.started()) d.dec.finish(sink);
}

void ConnectionTable::close(Conn& c) {
  if (c.closed) return;
  if (c.kind == Conn::Gearman) {
    flush(c, 0, true);
    flush(c, 1, true);
    events_.on_closed(c);
  }
  c.closed = true;
}

void ConnectionTable::finish() {
  std::vector<Conn*> open;
  conns_.for_each([&open](Conn* c) { open.push_back(c); });
  std::sort(open.begin(), open.end(), [](Conn* a, Conn* b) { return a->id < b->id; });
  for (Conn* c : open) {
    if (c->kind != Conn::Gearman || c->closed) continue;
    flush(*c, 0, true);
    flush(*c, 1, true);
  }
}

}  // namespace gan
