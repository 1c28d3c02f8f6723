// Test helper: TCP segments and capture files made from byte streams, for feeding the analyzer
// crafted input (lifecycle rules) and variants of the bundled captures (re-segmented, reordered,
// other link types, pcapng, truncated).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "analyzer.h"
#include "pcap_streams.h"

namespace synth {

struct Seg {
  gan::Endpoint src, dst;
  uint32_t seq = 0;
  uint8_t flags = gan::kAck;
  std::string payload;
  int64_t ts_ns = 0;
  uint64_t order = 0;  // sort key
};

gan::Endpoint ep(const std::string& addr, uint16_t port);

// A scripted conversation: one client/worker connection per `Peer`, segments in call order.
class Script {
 public:
  // Opens a connection from `client` to the server (SYN, SYN-ACK) unless mid_stream.
  int connect(const std::string& client_addr, uint16_t client_port, bool mid_stream = false);
  void send(int conn, bool to_server, const std::string& bytes, int64_t ts_ns);
  void close(int conn, int64_t ts_ns, bool rst = false);
  std::vector<Seg> segs;
  gan::Endpoint server = ep("10.0.0.1", 4730);

 private:
  struct C { gan::Endpoint client, server; uint32_t seq[2]; };
  std::vector<C> conns_;
  uint64_t order_ = 0;
};

// Every TCP connection of a bundled capture as segments of at most `chunk` bytes (0: as captured),
// with SYNs, in the capture's order. Times come from the capture.
std::vector<Seg> from_capture(const std::string& path, size_t chunk = 0, uint16_t port = 4730);

// Feeds segments to an analyzer, numbering frames from 1; a segment without a time (a script's
// SYN) gets `untimed_ts`.
void feed_segments(gan::Analyzer& a, const std::vector<Seg>& segs, int64_t untimed_ts = 0);
// The same into a fresh analyzer, then finishes it.
void feed(gan::Analyzer& a, const std::vector<Seg>& segs);

// A script fed to an analyzer, with every job it closed.
struct Fed {
  gan::Analyzer a;
  std::vector<gan::JobRecord> jobs;
  explicit Fed(const Script& s) {
    a.set_job_sink([this](const gan::JobRecord& r) { jobs.push_back(r); });
    feed(a, s.segs);
  }
  const gan::JobRecord* job(const std::string& handle) const {
    for (const auto& j : jobs) if (j.handle == handle) return &j;
    return nullptr;
  }
  uint64_t warning(const std::string& kind) const {
    for (const auto& w : a.warnings()) if (w.kind == kind) return w.count;
    return 0;
  }
};

enum class Link { Ethernet, EthernetVlanQinQ, Sll, Sll2, Null, Raw };
// A frame for `s` (IPv4 or IPv6 per its addresses).
std::string frame(const Seg& s, Link link);
int dlt_of(Link link);
// Writes a pcap (or pcapng) file; `snaplen` cuts frames (0: none).
void write_pcap(const std::string& path, const std::vector<Seg>& segs, Link link, uint32_t snaplen = 0);
void write_pcapng(const std::string& path, const std::vector<Seg>& segs, Link link);
// Encapsulations a capture point on an underlay network sees. The outer addresses are
// 192.0.2.1 -> 192.0.2.2 (2001:db8::1 -> ::2 for GreOverIpv6); the inner frame is `frame(s, ...)`.
enum class Tunnel {
  Vxlan, VxlanLinuxPort, VxlanGpe, Geneve, GreIp, GreAllFields, GreTap, GreOverIpv6, ErspanI, ErspanII,
  ErspanIII, MplsIp, MplsPwControlWord, MplsPwBare, IpInIp, Ipv6InIp, Pppoe, Pbb, VxlanInGre
};
std::vector<Tunnel> all_tunnels();
const char* tunnel_name(Tunnel t);
// An Ethernet frame (DLT 1) carrying `s` through `t`.
std::string tunnelled(const Seg& s, Tunnel t);
void write_pcap(const std::string& path, const std::vector<Seg>& segs, Tunnel t);

// Builders for frames crafted by hand (headers in network order, checksums 0).
std::string eth(uint16_t type, const std::string& payload);
std::string ipv4(uint8_t proto, const std::string& payload);   // 192.0.2.1 -> 192.0.2.2
std::string ipv6(uint8_t next, const std::string& payload);    // 2001:db8::1 -> 2001:db8::2
std::string udp(uint16_t dport, const std::string& payload);
// GRE with the checksum, key and sequence fields its flags (0x8000, 0x2000, 0x1000) announce.
std::string gre(uint16_t flags, uint16_t proto, const std::string& payload);
std::string mpls(const std::vector<uint32_t>& labels, const std::string& payload);  // last = bottom

// The same addresses mapped into IPv6 (fd00::a.b.c.d).
std::vector<Seg> to_ipv6(std::vector<Seg> segs);

std::string temp_path(const std::string& name);

// Warnings a clean capture of real software may carry: packets a server answered or forwarded
// after a job's end (they belong to no job), worker results for handles the server denied, and
// separator-less worker results a server refused or took. A capture's manifest may name more
// (expected_warnings: what that software did, e.g. a server that never relays a WORK_FAIL).
inline bool expected_in_clean_capture(const std::string& kind, const nlohmann::json& manifest = nlohmann::json()) {
  if (kind == "late_terminal" || kind == "late_result" || kind == "unknown_handle" || kind == "refused_terminal" ||
      kind == "accepted_bare_terminal")
    return true;
  return manifest.is_object() && manifest.contains("expected_warnings") && manifest["expected_warnings"].contains(kind);
}

}  // namespace synth
