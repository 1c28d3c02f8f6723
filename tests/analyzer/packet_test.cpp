// Link / IP / TCP parsing: what is read, and what is counted as skipped.
#include <gtest/gtest.h>

#include <cstdio>
#include <map>

#include "analyzer.h"
#include "gearproto/encoder.h"
#include "netstream/packet.h"
#include "reader.h"
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
  for (const auto& w : a.warnings())
    if (w.kind == "unknown_link_type") {
      EXPECT_EQ(w.detail.rfind("link type 147 (", 0), 0u) << w.detail;
    }
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

// Tunnels: the segment inside, whatever carries it, is the same segment.
TEST(AnalyzerPacket, EveryTunnelGivesTheInnerSegment) {
  for (bool v6 : {false, true}) {
    for (synth::Tunnel tun : synth::all_tunnels()) {
      std::string f = synth::tunnelled(seg(v6, "hello"), tun);
      gan::TcpSegment t;
      ASSERT_EQ(gan::parse_frame(1, u(f), uint32_t(f.size()), uint32_t(f.size()), t), gan::ParseResult::Tcp)
          << synth::tunnel_name(tun) << (v6 ? " IPv6" : " IPv4");
      bool mapped = tun == synth::Tunnel::Ipv6InIp && !v6;  // the inner packet is made IPv6
      EXPECT_EQ(t.src.v6, v6 || mapped) << synth::tunnel_name(tun);
      EXPECT_EQ(t.src.port, 40000);
      EXPECT_EQ(t.dst.port, 4730);
      if (!mapped) {
        EXPECT_TRUE(t.dst == seg(v6, "").dst) << synth::tunnel_name(tun) << ": the inner address";
      }
      EXPECT_EQ(t.seq, 100u);
      EXPECT_EQ(std::string(reinterpret_cast<const char*>(t.payload), t.captured), "hello") << synth::tunnel_name(tun);
    }
  }
}

// A tunnelled frame cut anywhere in its headers is Truncated (never read as something else);
// cut in the payload, it is the segment with fewer bytes captured.
TEST(AnalyzerPacket, TunnelsCutBySnaplenAreTruncated) {
  for (synth::Tunnel tun : synth::all_tunnels()) {
    std::string f = synth::tunnelled(seg(false, "0123456789"), tun);
    for (uint32_t cut = 0; cut < f.size(); ++cut) {
      gan::TcpSegment t;
      gan::ParseResult r = gan::parse_frame(1, u(f), cut, uint32_t(f.size()), t);
      if (cut >= f.size() - 10) {
        ASSERT_EQ(r, gan::ParseResult::Tcp) << synth::tunnel_name(tun) << " cut at " << cut;
        EXPECT_EQ(t.captured, cut - (f.size() - 10));
        EXPECT_EQ(t.length, 10u);
      } else {
        ASSERT_EQ(r, gan::ParseResult::Truncated) << synth::tunnel_name(tun) << " cut at " << cut;
      }
    }
  }
}

// What may carry Gearman but is not read is named in the warnings, one entry per kind of
// encapsulation with its count; what cannot carry it (ARP, DNS, VXLAN's port with no VXLAN
// header) is passed over silently.
TEST(AnalyzerPacket, UnreadEncapsulationsAreNamedInWarnings) {
  std::string inner = synth::frame(seg(false, "x"), synth::Link::Raw);
  std::string inner_eth = synth::frame(seg(false, "x"), synth::Link::Ethernet);
  std::string nested = inner;
  for (int i = 0; i < netstream::kMaxTunnelDepth + 1; ++i) nested = synth::ipv4(4, nested);
  std::string esp(16, '\x11');
  struct Case { int dlt; std::string frame; std::string detail; };
  std::vector<Case> cases = {
      {1, synth::eth(0x0800, synth::ipv4(47, synth::gre(0, 0x880b, inner))), "GRE protocol type 0x880b"},
      {1, synth::eth(0x0800, synth::ipv4(47, synth::gre(0, 0x880b, inner))), "GRE protocol type 0x880b"},
      {1, synth::eth(0x0800, synth::ipv4(47, synth::gre(1, 0x880b, inner))), "GRE version 1 (PPTP's enhanced GRE)"},
      {1, synth::eth(0x0800, synth::ipv4(47, synth::gre(0x4000, 0x0800, inner))), "GRE with source routing (RFC 1701)"},
      {1, synth::eth(0x0800, synth::ipv4(50, esp)), "IPsec ESP (encrypted)"},
      {1, synth::eth(0x86dd, synth::ipv6(50, esp)), "IPsec ESP (encrypted)"},
      {1, synth::eth(0x88e5, esp), "MACsec (802.1AE, encrypted)"},
      {1, synth::eth(0x0800, synth::ipv4(17, synth::udp(6081, std::string("\x40\0\x65\x58\0\0\0\0", 8) + inner_eth))),
       "Geneve version 1"},
      {1, synth::eth(0x0800, synth::ipv4(17, synth::udp(6081, std::string("\0\0\x89\x4f\0\0\0\0", 8) + inner_eth))),
       "NSH (network service header)"},
      {1, synth::eth(0x0800, synth::ipv4(47, synth::gre(0x1000, 0x22eb, std::string("\x20\x0a\0\x03\0\0\0\0\0\0\x14\0", 12) + inner))),
       "ERSPAN type III frame type 5"},
      {1, synth::eth(0x8847, synth::mpls({16}, std::string(20, '\x77'))), "MPLS payload starting with 0x77"},
      {1, synth::eth(0x0800, nested), "tunnels nested deeper than 8"},
      {105, inner_eth, "link type 105 (IEEE802_11)"},
  };
  std::vector<std::string> silent = {
      synth::eth(0x0806, std::string(28, '\0')),                                    // ARP
      synth::eth(0x0800, synth::ipv4(17, synth::udp(53, std::string(30, 'd')))),   // DNS
      synth::eth(0x0800, synth::ipv4(17, synth::udp(4789, std::string(30, '\0')))), // no VXLAN flag
      synth::eth(0x0800, synth::ipv4(1, std::string(8, '\0'))),                     // ICMP
  };
  gan::Analyzer a;
  int64_t ts = 1;
  for (const auto& c : cases) a.on_frame(c.dlt, u(c.frame), uint32_t(c.frame.size()), uint32_t(c.frame.size()), ts++);
  for (const auto& f : silent) a.on_frame(1, u(f), uint32_t(f.size()), uint32_t(f.size()), ts++);
  a.finish();
  std::map<std::string, uint64_t> want;
  for (const auto& c : cases) ++want[c.detail];
  std::map<std::string, uint64_t> got;
  for (const auto& w : a.warnings()) {
    if (w.kind != "unsupported_encapsulation" && w.kind != "unknown_link_type") {
      ADD_FAILURE() << "unexpected warning " << w.kind << ": " << w.detail;
      continue;
    }
    std::string name = w.detail.substr(0, w.detail.find(':'));
    got[name] += w.count;
  }
  EXPECT_EQ(got, want);
  EXPECT_EQ(a.totals().frames, cases.size() + silent.size());
}

// An IP fragment of a tunnel (VXLAN over a small MTU) is counted as a fragment; a fragment of
// other UDP traffic is not Gearman's business.
TEST(AnalyzerPacket, FragmentedTunnelsAreCountedAsFragments) {
  std::string f = synth::tunnelled(seg(false, "x"), synth::Tunnel::Vxlan);
  f[14 + 6] = 0x20;  // outer IPv4: more fragments
  gan::TcpSegment t;
  EXPECT_EQ(gan::parse_frame(1, u(f), uint32_t(f.size()), uint32_t(f.size()), t), gan::ParseResult::Fragment);
  std::string g = synth::tunnelled(seg(false, "x"), synth::Tunnel::GreIp);
  g[14 + 6] = 0x20;
  EXPECT_EQ(gan::parse_frame(1, u(g), uint32_t(g.size()), uint32_t(g.size()), t), gan::ParseResult::Fragment);
  std::string dns = synth::eth(0x0800, synth::ipv4(17, synth::udp(53, std::string(30, 'd'))));
  dns[14 + 6] = 0x20;
  EXPECT_EQ(gan::parse_frame(1, u(dns), uint32_t(dns.size()), uint32_t(dns.size()), t), gan::ParseResult::NotTcp);
}

// A whole real capture carried through each tunnel gives the report of the plain capture.
TEST(AnalyzerPacket, BundledCaptureThroughEveryTunnelGivesTheSameJobs) {
  auto segs = synth::from_capture(testsupport::capture_path("libgearman-full.pcap"));
  std::string plain_path = synth::temp_path("plain.pcap");
  synth::write_pcap(plain_path, segs, synth::Link::Ethernet);
  gan::Analyzer plain;
  ASSERT_TRUE(gan::read_captures({plain_path}, plain).ok);
  plain.finish();
  std::remove(plain_path.c_str());
  ASSERT_GT(plain.totals().jobs, 10u);
  for (synth::Tunnel tun : synth::all_tunnels()) {
    std::string path = synth::temp_path("tunnel.pcap");
    synth::write_pcap(path, segs, tun);
    gan::Analyzer a;
    ASSERT_TRUE(gan::read_captures({path}, a).ok);
    a.finish();
    std::remove(path.c_str());
    const auto &x = a.totals(), &y = plain.totals();
    EXPECT_EQ(x.pdus, y.pdus) << synth::tunnel_name(tun);
    EXPECT_EQ(x.jobs, y.jobs) << synth::tunnel_name(tun);
    EXPECT_EQ(x.complete, y.complete) << synth::tunnel_name(tun);
    EXPECT_EQ(x.fail, y.fail) << synth::tunnel_name(tun);
    EXPECT_EQ(x.exception, y.exception) << synth::tunnel_name(tun);
    EXPECT_EQ(x.incomplete, y.incomplete) << synth::tunnel_name(tun);
    EXPECT_EQ(a.warnings().size(), plain.warnings().size()) << synth::tunnel_name(tun);
  }
}

// A worker retrying while its server is down: SYN, RST, again and again. Each try is a connection
// to the Gearman port with no packets; the warning says why there are so many. A connection that
// was accepted and then reset, one the client reset before an answer, or one whose SYN the capture
// missed, is no refused attempt.
TEST(AnalyzerPacket, RefusedConnectionAttemptsAreNamed) {
  gan::Analyzer a{gan::Options{}};
  std::vector<synth::Seg> segs;
  const gan::Endpoint server = synth::ep("10.0.0.1", 4730);
  for (uint16_t i = 0; i < 5; ++i) {
    synth::Seg syn;
    syn.src = synth::ep("10.0.0.2", uint16_t(40000 + i));
    syn.dst = server;
    syn.seq = 1000;
    syn.flags = gan::kSyn;
    synth::Seg rst;
    rst.src = server;
    rst.dst = syn.src;
    rst.flags = gan::kRst | gan::kAck;
    segs.push_back(syn);
    segs.push_back(rst);
  }
  synth::Script accepted;  // handshake done, then reset
  int c = accepted.connect("10.0.0.3", 41000);
  accepted.close(c, 2'000'000, true);
  segs.insert(segs.end(), accepted.segs.begin(), accepted.segs.end());
  synth::Seg gave_up;  // the client gave up before an answer: not the server's refusal
  gave_up.src = synth::ep("10.0.0.5", 43000);
  gave_up.dst = server;
  gave_up.seq = 1000;
  gave_up.flags = gan::kSyn;
  segs.push_back(gave_up);
  gave_up.flags = gan::kRst;
  gave_up.seq = 1001;
  segs.push_back(gave_up);
  synth::Seg mid = seg(false, "");  // a bare RST of a connection whose start was not captured
  mid.src = synth::ep("10.0.0.4", 42000);
  mid.flags = gan::kRst;
  segs.push_back(mid);
  synth::feed(a, segs);
  EXPECT_EQ(warning(a, "connection_refused"), 5u);
}
