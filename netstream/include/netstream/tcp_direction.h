// One direction of a TCP connection put back in order: segments in, stream bytes out, with the
// holes the capture missed reported as gaps. Segments that arrive early wait (bounded) for the hole
// before them; what can no longer be filled is declared lost instead of waited for.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

namespace netstream {

// Where a direction's bytes go, in stream order. `len` may exceed `captured`: the rest of that
// segment was cut off by the snap length and is missing, like a gap.
class StreamOut {
 public:
  virtual void bytes(const uint8_t* data, uint32_t captured, uint32_t len) = 0;
  virtual void gap(uint64_t len) = 0;

 protected:
  ~StreamOut() = default;
};

struct ReassemblyCounts {
  uint64_t retransmissions = 0;  // segments (or their leading parts) already delivered
  uint64_t out_of_order = 0;     // segments that had to wait for a hole before them
  uint64_t beyond_window = 0;    // holes declared lost at once: larger than any TCP window
};

class TcpDirection {
 public:
  // RFC 7323 caps a TCP window at 2^30 bytes. A sender cannot send further than that past the
  // first byte the receiver lacks, nor can a retransmission lie further back than that behind what
  // the receiver already has. So a sequence number at most this far behind `next` is old data, and
  // anything else is ahead, even by 2^31 or more: 32-bit sequence arithmetic alone cannot tell
  // +2^31 from -2^31, the window can.
  static constexpr uint32_t kMaxWindow = 1u << 30;

  // What one waiting segment costs besides its captured bytes (map node, string header). Counted
  // against the limit, so that segments with no captured payload (cut by the snap length) cannot
  // pile up without bound.
  static constexpr size_t kWaitingOverhead = 96;

  explicit TcpDirection(size_t max_out_of_order_bytes = 4u << 20) : max_ooo_bytes_(max_out_of_order_bytes) {}

  bool started() const { return started_; }
  // Stream offset 0 is the byte at sequence number isn + 1 (a SYN's own number, or one before the
  // first segment seen when the capture joined in the middle).
  void start(uint32_t isn);
  uint32_t isn() const { return isn_; }
  uint64_t next() const { return next_; }          // next stream offset expected
  size_t buffered_bytes() const { return ooo_bytes_; }  // waiting segments: captured bytes + overhead
  bool waiting() const { return !ooo_.empty(); }  // segments wait for a hole before them

  // Stream offset of sequence number `seq`, by the window rule above (negative: before the stream
  // start, e.g. a retransmission of bytes sent before a capture that joined in the middle).
  int64_t offset_of(uint32_t seq) const;

  // One segment of `len` wire bytes of which `captured` are present.
  void segment(uint32_t seq, const uint8_t* data, uint32_t captured, uint32_t len, StreamOut& out,
               ReassemblyCounts& counts) {
    if (ooo_.empty() && seq - (isn_ + 1) == uint32_t(next_)) {  // in order, nothing waits: most segments
      next_ += len;
      out.bytes(data, captured, len);
      return;
    }
    place(seq, data, captured, len, out, counts);
  }
  // The peer acknowledged `ack`: if that covers bytes after a hole we wait for, the peer has the
  // hole's bytes, so they are missing from the capture, not lost in the network: give up on it.
  // Returns true if it did.
  bool on_peer_ack(uint32_t ack, StreamOut& out);
  // Give up on every hole: deliver what waits, the holes before it as gaps.
  void flush(StreamOut& out);

 private:
  struct Early {
    std::string captured;
    uint32_t len;  // wire length (>= captured.size())
  };
  void place(uint32_t seq, const uint8_t* data, uint32_t captured, uint32_t len, StreamOut& out,
             ReassemblyCounts& counts);
  void deliver(uint64_t off, const uint8_t* data, uint32_t captured, uint32_t len, StreamOut& out);
  void deliver_waiting(StreamOut& out, bool skip_holes);

  bool started_ = false;
  uint32_t isn_ = 0;
  uint64_t next_ = 0;
  std::map<uint64_t, Early> ooo_;  // by stream offset
  size_t ooo_bytes_ = 0;
  size_t max_ooo_bytes_;
};

}  // namespace netstream
