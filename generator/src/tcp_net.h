// gearman-gen's TCP: connections with right sequence and acknowledgement numbers and checksums,
// the shaping options (split, reorder, loss, drop, pure ACKs), and the time-ordered output queue.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "geargen/generator.h"
#include "pcap_writer.h"
#include "rng.h"

namespace geargen {

enum : uint8_t { kFin = 0x01, kSyn = 0x02, kRst = 0x04, kPsh = 0x08, kAck = 0x10 };
constexpr uint32_t kLoopback = 0x7f000001;
constexpr uint16_t kServerPort = 4730;

struct Conn {
  uint16_t port = 0;
  uint32_t isn[2] = {0, 0};          // [0]: peer -> server, [1]: server -> peer
  uint64_t next_rel[2] = {0, 0};     // next sequence offset to assign
  uint64_t written_rel[2] = {0, 0};  // highest sequence offset written (or dropped) so far
  uint64_t last_time[2] = {0, 0};    // sequence-consuming sends are kept in time order
  uint16_t ip_id[2] = {0, 0};
  uint32_t last_ack[2] = {0, 0};
  bool acked_any[2] = {false, false};
};

struct OutPkt {
  uint64_t time, order;
  uint32_t conn;
  uint8_t dir, flags;
  bool pure_ack, drop;
  uint64_t rel;  // sequence offset (pure ACKs: taken when written)
  std::string payload;
};
struct OutLater {
  bool operator()(const OutPkt& a, const OutPkt& b) const {
    return a.time != b.time ? a.time > b.time : a.order > b.order;
  }
};

class Net {
 public:
  Net(const Config& cfg, PcapWriter& w, Rng& rng) : cfg_(cfg), w_(w), rng_(rng) {}

  uint32_t open(uint16_t port) {
    Conn c;
    c.port = port;
    c.isn[0] = uint32_t(rng_.next());
    c.isn[1] = uint32_t(rng_.next());
    conns_.push_back(c);
    return uint32_t(conns_.size() - 1);
  }
  Conn& conn(uint32_t i) { return conns_[i]; }

  // Queues a sequence-consuming send (data, SYN or FIN) at `t` or later; returns its time.
  uint64_t send(uint32_t ci, uint8_t dir, uint64_t t, std::string payload, uint8_t flags = kAck | kPsh) {
    Conn& c = conns_[ci];
    if (t < c.last_time[dir]) t = c.last_time[dir];
    c.last_time[dir] = t;
    if (payload.empty()) {  // SYN / FIN
      push(t, ci, dir, flags, false, c.next_rel[dir], {}, rng_.chance(cfg_.drop));
      c.next_rel[dir] += 1;
      return t;
    }
    // Cut into pieces: MSS, random split, reorder (two pieces, the second captured first).
    std::vector<std::pair<size_t, size_t>> pieces;
    bool reorder = payload.size() >= 2 && rng_.chance(cfg_.reorder);
    bool split = !reorder && payload.size() >= 2 && rng_.chance(cfg_.split);
    size_t mss = cfg_.mss ? cfg_.mss : 65483;
    for (size_t off = 0; off < payload.size(); off += mss) {
      size_t n = std::min(mss, payload.size() - off);
      if ((reorder || split) && pieces.empty() && n >= 2) {
        size_t cut = 1 + size_t(rng_.below(n - 1));
        pieces.push_back({off, cut});
        pieces.push_back({off + cut, n - cut});
      } else {
        pieces.push_back({off, n});
      }
    }
    if (reorder) std::swap(pieces[0], pieces[1]);
    uint64_t base = c.next_rel[dir];
    for (auto [off, n] : pieces) {
      std::string part = payload.substr(off, n);
      if (rng_.chance(cfg_.loss))  // the same bytes again after an RTO (the ACK was lost)
        push(t + 200000 + rng_.below(50000), ci, dir, kAck | kPsh, false, base + off, part, false);
      push(t, ci, dir, flags, false, base + off, std::move(part), rng_.chance(cfg_.drop));
    }
    c.next_rel[dir] += payload.size();
    if (rng_.chance(cfg_.ack)) push(t + 5 + rng_.below(35), ci, dir ^ 1, kAck, true, 0, {}, false);
    return t;
  }

  void handshake(uint32_t ci, uint64_t t) {
    send(ci, 0, t, {}, kSyn);
    send(ci, 1, t + 12, {}, kSyn | kAck);
    send(ci, 0, t + 25, {}, kAck);
    conns_[ci].next_rel[0] -= 1;  // the final ACK consumes no sequence number
  }
  void close(uint32_t ci, uint64_t t) {
    send(ci, 0, t, {}, kFin | kAck);
    send(ci, 1, t + 20, {}, kFin | kAck);
    push(t + 40, ci, 0, kAck, true, 0, {}, false);
  }

  // The peer aborts: one RST (with ACK) and nothing more from either side.
  void reset(uint32_t ci, uint64_t t) {
    Conn& c = conns_[ci];
    if (t < c.last_time[0]) t = c.last_time[0];
    c.last_time[0] = t;
    push(t, ci, 0, kRst | kAck, false, c.next_rel[0], {}, rng_.chance(cfg_.drop));
  }

  // Writes every queued packet earlier than `t`.
  void flush_before(uint64_t t) {
    while (!heap_.empty() && heap_.front().time < t) {
      std::pop_heap(heap_.begin(), heap_.end(), OutLater());
      OutPkt p = std::move(heap_.back());
      heap_.pop_back();
      write(p);
    }
  }
  void flush_all() { flush_before(UINT64_MAX); }

 private:
  void push(uint64_t t, uint32_t ci, uint8_t dir, uint8_t flags, bool pure_ack, uint64_t rel,
            std::string payload, bool drop) {
    heap_.push_back(OutPkt{t, order_++, ci, dir, flags, pure_ack, drop, rel, std::move(payload)});
    std::push_heap(heap_.begin(), heap_.end(), OutLater());
  }

  // Internet checksum (RFC 1071) of big-endian 16-bit words, accumulated 32 bits at a time.
  static void sum16(uint64_t& s, const unsigned char* p, size_t n) {
    for (; n >= 4; p += 4, n -= 4)
      s += (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | p[3];
    if (n >= 2) { s += (uint32_t(p[0]) << 8) | p[1]; p += 2; n -= 2; }
    if (n) s += uint32_t(p[0]) << 8;
  }
  static uint16_t fold(uint64_t s) {
    while (s >> 16) s = (s & 0xffff) + (s >> 16);
    return uint16_t(~s);
  }

  void write(OutPkt& p) {
    Conn& c = conns_[p.conn];
    uint8_t d = p.dir, r = d ^ 1;
    if (p.pure_ack) p.rel = c.written_rel[d];
    uint64_t end = p.rel + p.payload.size() + ((p.flags & (kSyn | kFin)) ? 1 : 0);
    if (!p.pure_ack && end > c.written_rel[d]) c.written_rel[d] = end;
    uint32_t ack = (p.flags & kAck) ? c.isn[r] + uint32_t(c.written_rel[r]) : 0;
    // A pure ACK that acknowledges nothing new would be a duplicate ACK: real stacks send none.
    if (p.pure_ack && c.acked_any[d] && ack == c.last_ack[d]) return;
    if (p.flags & kAck) { c.last_ack[d] = ack; c.acked_any[d] = true; }
    uint16_t id = c.ip_id[d]++;
    if (p.drop) return;
    uint32_t seq = c.isn[d] + uint32_t(p.rel);
    uint16_t sport = d == 0 ? c.port : kServerPort, dport = d == 0 ? kServerPort : c.port;

    std::string_view link = cfg_.null_link ? std::string_view("\x02\0\0\0", 4)
                                           : std::string_view("\0\0\0\0\0\0\0\0\0\0\0\0\x08\0", 14);
    size_t tot = 20 + 20 + p.payload.size();
    unsigned char h[40] = {0x45, 0, uint8_t(tot >> 8), uint8_t(tot), uint8_t(id >> 8), uint8_t(id), 0x40, 0,
                           64, 6, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1,
                           uint8_t(sport >> 8), uint8_t(sport), uint8_t(dport >> 8), uint8_t(dport),
                           uint8_t(seq >> 24), uint8_t(seq >> 16), uint8_t(seq >> 8), uint8_t(seq),
                           uint8_t(ack >> 24), uint8_t(ack >> 16), uint8_t(ack >> 8), uint8_t(ack),
                           0x50, p.flags, 0xff, 0xff /* window */, 0, 0, 0, 0};
    uint64_t s = 0;
    sum16(s, h, 20);
    uint16_t ipc = fold(s);
    h[10] = uint8_t(ipc >> 8); h[11] = uint8_t(ipc);
    s = 0;  // pseudo-header: addresses, protocol, TCP length
    sum16(s, h + 12, 8);
    s += 6 + uint32_t(20 + p.payload.size());
    sum16(s, h + 20, 20);
    sum16(s, reinterpret_cast<const unsigned char*>(p.payload.data()), p.payload.size());
    uint16_t tc = fold(s);
    h[36] = uint8_t(tc >> 8); h[37] = uint8_t(tc);
    w_.record(p.time, {link, std::string_view(reinterpret_cast<const char*>(h), 40), p.payload});
  }

  const Config& cfg_;
  PcapWriter& w_;
  Rng& rng_;
  std::vector<Conn> conns_;
  std::vector<OutPkt> heap_;
  uint64_t order_ = 0;
};

}  // namespace geargen
