// TcpDirection on crafted sequence numbers: the cases a capture from a real network produces
// (reordering, retransmissions overlapping new data, wraparound at 2^32, snap-length cuts, holes
// the capture missed) and the ones only a broken or hostile capture does (jumps of 2^31).
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "netstream/tcp_direction.h"

using netstream::ReassemblyCounts;
using netstream::TcpDirection;

namespace {

// Records the stream as text: data as is, missing bytes as '#' each (gaps up to 64 bytes) or
// "<gap N>" for larger ones.
struct Recorder final : netstream::StreamOut {
  std::string s;
  uint64_t gaps = 0, gap_bytes = 0;
  void bytes(const uint8_t* data, uint32_t captured, uint32_t len) override {
    s.append(reinterpret_cast<const char*>(data), captured);
    if (len > captured) gap(len - captured);
  }
  void gap(uint64_t len) override {
    ++gaps;
    gap_bytes += len;
    if (len <= 64) s.append(len, '#');
    else s += "<gap " + std::to_string(len) + ">";
  }
};

struct Fixture {
  TcpDirection d;
  Recorder out;
  ReassemblyCounts n;
  explicit Fixture(uint32_t isn, size_t max_ooo = 4u << 20) : d(max_ooo) { d.start(isn); }
  void seg(uint32_t seq, const std::string& data) { seg(seq, data, uint32_t(data.size())); }
  void seg(uint32_t seq, const std::string& data, uint32_t wire_len) {
    d.segment(seq, reinterpret_cast<const uint8_t*>(data.data()), uint32_t(data.size()), wire_len, out, n);
  }
};

}  // namespace

TEST(TcpDirection, InOrderAcrossSequenceWraparound) {
  Fixture f(0xfffffff9u);  // first byte at 0xfffffffa: the stream crosses 2^32 after 6 bytes
  f.seg(0xfffffffau, "abcd");
  f.seg(0xfffffffeu, "efgh");
  f.seg(0x00000002u, "ijkl");
  EXPECT_EQ(f.out.s, "abcdefghijkl");
  EXPECT_EQ(f.d.next(), 12u);
  EXPECT_EQ(f.n.retransmissions + f.n.out_of_order, 0u);
}

TEST(TcpDirection, ReorderedSegmentsWaitForTheHole) {
  Fixture f(1000);
  f.seg(1008, "hij");
  f.seg(1005, "efg");
  EXPECT_EQ(f.out.s, "");
  EXPECT_EQ(f.d.buffered_bytes(), 6u + 2 * TcpDirection::kWaitingOverhead);
  f.seg(1001, "abcd");
  EXPECT_EQ(f.out.s, "abcdefghij");
  EXPECT_EQ(f.n.out_of_order, 2u);
  EXPECT_EQ(f.d.buffered_bytes(), 0u);
  EXPECT_FALSE(f.d.waiting());
}

TEST(TcpDirection, RetransmissionsAreDroppedAndOverlapsTrimmed) {
  Fixture f(1000);
  f.seg(1001, "abcd");
  f.seg(1001, "abcd");     // whole copy
  f.seg(1003, "cdefgh");   // overlaps: only "efgh" is new
  EXPECT_EQ(f.out.s, "abcdefgh");
  EXPECT_EQ(f.n.retransmissions, 2u);
}

TEST(TcpDirection, OldDataUpToAWholeWindowBackIsARetransmission) {
  Fixture f(0);
  std::string big(4096, 'x');
  f.seg(1, big);
  const uint32_t next_seq = 1 + 4096;
  // A retransmission of bytes from before the stream start (a capture joined mid-stream): its
  // offset is negative, it must not be taken for bytes ahead.
  f.seg(next_seq - 5000, std::string(4000, 'y'));
  EXPECT_EQ(f.n.retransmissions, 1u);
  EXPECT_EQ(f.out.s.size(), 4096u);
  // Straddles the stream's current end from far behind: only the new tail is delivered.
  f.seg(next_seq - 4096, big + "new");
  EXPECT_EQ(f.out.s.substr(4096), "new");
  EXPECT_EQ(f.n.retransmissions, 2u);
}

TEST(TcpDirection, SnaplenCutSegmentsGiveGapsForTheirMissingBytes) {
  Fixture f(0);
  f.seg(1, "ab", 5);  // 3 bytes cut off by the snap length
  f.seg(6, "fg");
  EXPECT_EQ(f.out.s, "ab###fg");
  // A later full copy of the cut segment is a retransmission: its bytes came too late.
  f.seg(1, "abcde");
  EXPECT_EQ(f.out.s, "ab###fg");
}

TEST(TcpDirection, PeerAckPastTheHoleDeclaresItLost) {
  Fixture f(0);
  f.seg(1, "ab");
  f.seg(6, "fg");  // bytes 3..5 (offsets 2..4) missing
  EXPECT_FALSE(f.d.on_peer_ack(3, f.out));  // the peer has only up to the hole: wait
  EXPECT_EQ(f.out.s, "ab");
  EXPECT_TRUE(f.d.on_peer_ack(8, f.out));   // the peer has the bytes after it: the capture missed them
  EXPECT_EQ(f.out.s, "ab###fg");
  EXPECT_EQ(f.out.gaps, 1u);
}

TEST(TcpDirection, OutOfOrderBufferLimitGivesUpOnTheHole) {
  Fixture f(0, /*max_ooo=*/10 + 2 * TcpDirection::kWaitingOverhead);
  f.seg(1, "a");
  f.seg(3, "cdefg");
  EXPECT_EQ(f.out.s, "a");
  f.seg(8, "hijkl");  // 10 bytes in 2 segments waiting: at the limit, not over it
  EXPECT_EQ(f.out.s, "a");
  f.seg(13, "m");     // over: the hole is declared lost
  EXPECT_EQ(f.out.s, "a#cdefghijklm");
  EXPECT_EQ(f.d.buffered_bytes(), 0u);
}

// Segments whose payload the snap length cut off entirely still take memory while they wait:
// they count against the limit too, so a flood of them cannot grow without bound.
TEST(TcpDirection, EmptyCapturedSegmentsCountAgainstTheLimit) {
  Fixture f(0, /*max_ooo=*/64 * 1024);
  f.seg(1, "a");
  size_t peak = 0;
  for (uint32_t i = 0; i < 100000; ++i) {
    f.seg(3 + 10 * i, "", 10);  // after a 1-byte hole, 10 wire bytes each, none captured
    peak = std::max(peak, f.d.buffered_bytes());
  }
  EXPECT_LE(peak, 64u * 1024 + TcpDirection::kWaitingOverhead);
  EXPECT_GT(f.out.gaps, 0u);
}

TEST(TcpDirection, AJumpPastAnyWindowIsAGapAtOnce) {
  Fixture f(0);
  f.seg(1, "ab");
  f.seg(1 + 2 + TcpDirection::kMaxWindow + 1, "z");  // beyond the largest window: not waited for
  EXPECT_EQ(f.out.s, "ab<gap " + std::to_string(TcpDirection::kMaxWindow + 1) + ">z");
  EXPECT_EQ(f.n.beyond_window, 1u);
  EXPECT_FALSE(f.d.waiting());
}

TEST(TcpDirection, AJumpWithinTheWindowWaits) {
  Fixture f(0);
  f.seg(1, "ab");
  f.seg(1 + 2 + TcpDirection::kMaxWindow, "z");
  EXPECT_EQ(f.out.s, "ab");
  EXPECT_TRUE(f.d.waiting());
  EXPECT_EQ(f.n.beyond_window, 0u);
}

// 2^31 ahead and 2^31 behind are the same 32-bit difference; nothing can be 2^31 behind (that is
// past any window), so it is read as ahead. So is 2^31 + 2^29.
TEST(TcpDirection, JumpsOfTwoToThe31AndMoreAreAhead) {
  Fixture f(0);
  f.seg(1, "a");
  uint32_t seq = 2;
  for (uint32_t jump : {0x80000000u, 0x7fffffffu, 0xa0000000u}) {
    seq += jump;
    f.seg(seq, "b");
    seq += 1;
  }
  EXPECT_EQ(f.out.s, "a<gap 2147483648>b<gap 2147483647>b<gap 2684354560>b");
  EXPECT_EQ(f.n.retransmissions, 0u);
  EXPECT_EQ(f.d.next(), 4u + 0x80000000ull + 0x7fffffffull + 0xa0000000ull);
}

// While a segment waits after a hole, a later one more than 2^31 past the stream's end used to be
// measured backwards and dropped as a retransmission.
TEST(TcpDirection, ASecondJumpWhileTheFirstWaitsIsNotDropped) {
  Fixture f(0);
  f.seg(1, "a");
  f.seg(1 + 1 + 1000, "c");                        // waits after a 1000-byte hole
  f.seg(1 + 1 + 1000 + 1 + 0x7fffffffu, "e");      // far past any window: both holes are lost
  EXPECT_EQ(f.out.s, "a<gap 1000>c<gap 2147483647>e");
  EXPECT_EQ(f.n.retransmissions, 0u);
}
