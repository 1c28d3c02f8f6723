#include "netstream/tcp_direction.h"

#include <iterator>

namespace netstream {

void TcpDirection::start(uint32_t isn) {
  started_ = true;
  isn_ = isn;
  next_ = 0;
  ooo_.clear();
  ooo_bytes_ = 0;
}

int64_t TcpDirection::offset_of(uint32_t seq) const {
  const uint32_t delta = seq - (isn_ + 1) - uint32_t(next_);
  if (delta >= 0u - kMaxWindow) return int64_t(next_) - int64_t(0x100000000ull - delta);  // old data
  return int64_t(next_ + delta);
}

void TcpDirection::place(uint32_t seq, const uint8_t* data, uint32_t captured, uint32_t len, StreamOut& out,
                         ReassemblyCounts& counts) {
  int64_t off = offset_of(seq);
  if (off > int64_t(next_) + int64_t(kMaxWindow)) {
    // No sender may be this far past the receiver's first missing byte: the hole will not be
    // filled, and waiting for it would hold back (and misplace) everything after it.
    ++counts.beyond_window;
    flush(out);
    if (off > int64_t(next_)) {
      out.gap(uint64_t(off) - next_);
      next_ = uint64_t(off);
    }
  }
  if (off + int64_t(len) <= int64_t(next_)) {
    ++counts.retransmissions;
    return;
  }
  if (off < int64_t(next_)) {  // starts with bytes already delivered
    const uint32_t old = uint32_t(int64_t(next_) - off);
    ++counts.retransmissions;
    if (old >= captured) {  // the captured part is old; the rest is missing in this copy too
      data += captured;
      captured = 0;
    } else {
      data += old;
      captured -= old;
    }
    len -= old;
    off = int64_t(next_);
  }
  if (uint64_t(off) > next_) {
    ++counts.out_of_order;
    auto it = ooo_.find(uint64_t(off));
    if (it == ooo_.end() || it->second.len < len) {  // keep the longer copy
      if (it != ooo_.end()) ooo_bytes_ -= it->second.captured.size() + kWaitingOverhead;
      ooo_[uint64_t(off)] = Early{std::string(reinterpret_cast<const char*>(data), captured), len};
      ooo_bytes_ += captured + kWaitingOverhead;
    }
    if (ooo_bytes_ > max_ooo_bytes_) flush(out);
    return;
  }
  deliver(next_, data, captured, len, out);
  deliver_waiting(out, false);
}

bool TcpDirection::on_peer_ack(uint32_t ack, StreamOut& out) {
  if (ooo_.empty()) return false;
  const int64_t acked = offset_of(ack);
  const auto& last = *std::prev(ooo_.end());
  const int64_t end = int64_t(last.first + last.second.len);
  if (acked <= int64_t(ooo_.begin()->first) || acked > end) return false;
  flush(out);
  return true;
}

void TcpDirection::flush(StreamOut& out) { deliver_waiting(out, true); }

void TcpDirection::deliver(uint64_t off, const uint8_t* data, uint32_t captured, uint32_t len, StreamOut& out) {
  next_ = off + len;
  out.bytes(data, captured, len);
}

// Segments that waited: those the stream has reached, or (skip_holes) all of them, each hole
// before one reported as a gap.
void TcpDirection::deliver_waiting(StreamOut& out, bool skip_holes) {
  while (!ooo_.empty() && (skip_holes || ooo_.begin()->first <= next_)) {
    auto node = ooo_.extract(ooo_.begin());
    ooo_bytes_ -= node.mapped().captured.size() + kWaitingOverhead;
    const uint64_t o = node.key();
    const uint32_t l = node.mapped().len;
    if (o + l <= next_) continue;
    if (o > next_) {
      out.gap(o - next_);
      next_ = o;
    }
    const uint32_t t = uint32_t(next_ - o);
    const auto* p = reinterpret_cast<const uint8_t*>(node.mapped().captured.data());
    const uint32_t have = uint32_t(node.mapped().captured.size());
    if (t >= have) deliver(next_, p + have, 0, l - t, out);
    else deliver(next_, p + t, have - t, l - t, out);
  }
}

}  // namespace netstream
