// Link / IP / TCP parsing: what is read, and what is counted as skipped.
#include <gtest/gtest.h>

#include "analyzer.h"
#include "gearproto/encoder.h"
#include "netstream/packet.h"
#include "synth.h"

namespace {
synth::Seg seg(bool v6, const std::string& payload) {
  synth::Seg s;
  s.src = synth::ep(v6 ? "fd00::2" : "10.0.0.2", 40000);
  s.dst = synth::ep(v6 ? "fd00::1" : "10.0.0.1", 4730);
  s.seq = 100;
  s.flags = gan::kAck;
  s.payload = payload;
  return s;
}
const uint8_t* u(const std::string& s) { return reinterpret_cast<const uint8_t*>(s.data()); }
uint64_t warning(const gan::Analyzer& a, const std::string& kind) {
  for (const auto& w : a.warnings()) if (w.kind == kind) return w.count;
  return 0;
}
}  // namespace

TEST(AnalyzerPacket, EveryLinkTypeGivesTheSameSegment) {
  for (bool v6 : {false, true}) {
    for (auto link : {synth::Link::Ethernet, synth::Link::EthernetVlanQinQ, synth::Link::Sll,
                      synth::Link::Sll2, synth::Link::Null, synth::Link::Raw}) {
      std::string f = synth::frame(seg(v6, "hello"), link);
      gan::TcpSegment t;
      ASSERT_EQ(gan::parse_frame(synth::dlt_of(link), u(f), uint32_t(f.size()), uint32_t(f.size()), t),
                gan::ParseResult::Tcp);
      EXPECT_EQ(t.src.port, 40000);
      EXPECT_EQ(t.dst.port, 4730);
      EXPECT_EQ(t.src.v6, v6);
      EXPECT_EQ(t.seq, 100u);
      EXPECT_EQ(std::string(reinterpret_cast<const char*>(t.payload), t.captured), "hello");
    }
  }
}

TEST(AnalyzerPacket, EthernetPaddingIsNotPayload) {
  std::string f = synth::frame(seg(false, ""), synth::Link::Ethernet) + std::string(6, '\0');
  gan::TcpSegment t;
  ASSERT_EQ(gan::parse_frame(1, u(f), uint32_t(f.size()), uint32_t(f.size()), t), gan::ParseResult::Tcp);
  EXPECT_EQ(t.length, 0u);
}

TEST(AnalyzerPacket, FragmentsTruncationAndUnknownLinksAreCounted) {
  gan::Analyzer a;
  std::string f = synth::frame(seg(false, "x"), synth::Link::Raw);
  f[6] = 0x20;  // IPv4 more-fragments
  a.on_frame(101, u(f), uint32_t(f.size()), uint32_t(f.size()), 1);
  std::string g = synth::frame(seg(true, "x"), synth::Link::Raw);
  g[6] = 44;  // IPv6 next header: fragment
  a.on_frame(101, u(g), uint32_t(g.size()), uint32_t(g.size()), 2);
  std::string h = synth::frame(seg(false, "x"), synth::Link::Ethernet);
  a.on_frame(1, u(h), 30, uint32_t(h.size()), 3);  // cut inside the IP header
  a.on_frame(147, u(h), uint32_t(h.size()), uint32_t(h.size()), 4);  // a user link type
  a.finish();
  EXPECT_EQ(warning(a, "ip_fragment"), 2u);
  EXPECT_EQ(warning(a, "snaplen_headers"), 1u);
  EXPECT_EQ(warning(a, "unknown_link_type"), 1u);
  EXPECT_EQ(a.totals().frames, 4u);
}

TEST(AnalyzerPacket, SnaplenCutPayloadIsAGapNotAMessage) {
  std::string pdu = gearproto::make_request(gearproto::SUBMIT_JOB, {"f", "u", std::string(500, 'p')});
  std::string next = gearproto::make_request(gearproto::SUBMIT_JOB, {"g", "v", ""});
  synth::Seg a = seg(false, pdu), b = seg(false, next);
  b.seq = a.seq + uint32_t(pdu.size());
  gan::Analyzer an;
  for (const auto* x : {&a, &b}) {
    std::string f = synth::frame(*x, synth::Link::Ethernet);
    uint32_t cap = f.size() > 128 ? 128 : uint32_t(f.size());
    an.on_frame(1, u(f), cap, uint32_t(f.size()), 1);
  }
  an.finish();
  EXPECT_EQ(an.totals().pdus, 1u);  // only the second, whole submit
  EXPECT_GT(warning(an, "snaplen_truncated"), 0u);
}
