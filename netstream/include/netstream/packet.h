// SPDX-License-Identifier: GPL-2.0-or-later
// Link / IP / TCP parsing of one captured frame into a TCP segment view (no allocation, no copy),
// through the tunnels a capture point on an underlay network sees: VXLAN (and VXLAN-GPE),
// Geneve, GRE (with ERSPAN types I, II and III), MPLS, PPPoE, 802.1ah, IP in IP.
#pragma once

#include <cstdint>
#include <cstring>

namespace netstream {

struct Endpoint {
  uint8_t addr[16] = {};  // IPv4 in the first 4 bytes
  uint16_t port = 0;
  bool v6 = false;
  bool operator==(const Endpoint& o) const {
    uint64_t a[2], b[2];
    std::memcpy(a, addr, 16);
    std::memcpy(b, o.addr, 16);
    return port == o.port && v6 == o.v6 && a[0] == b[0] && a[1] == b[1];
  }
  bool operator!=(const Endpoint& o) const { return !(*this == o); }
};
// "10.0.0.1:4730" / "[::1]:4730" into buf (>= 64 bytes); returns length.
int format_endpoint(const Endpoint& e, char* buf, size_t n);

enum TcpFlags : uint8_t { kFin = 1, kSyn = 2, kRst = 4, kPsh = 8, kAck = 16 };

struct TcpSegment {
  Endpoint src, dst;
  uint32_t seq = 0;
  uint32_t ack = 0;          // valid with kAck
  uint8_t flags = 0;
  const uint8_t* payload = nullptr;
  uint32_t captured = 0;     // payload bytes present in the capture
  uint32_t length = 0;       // payload bytes on the wire (from the IP length)
  uint64_t frame = 0;        // 1-based, continuous across the files of one capture
  int64_t ts_ns = 0;
  // With ParseResult::Unsupported: a printf format naming what could not be read, with at most
  // one conversion for `unsupported_id` ("GRE protocol 0x%04x"); see describe_unsupported.
  const char* unsupported = nullptr;
  uint32_t unsupported_id = 0;
};

enum class ParseResult : uint8_t {
  Tcp,            // `out` holds a segment
  NotTcp,         // another protocol: ignored silently
  UnknownLink,    // link type not handled
  Fragment,       // IPv4 fragment / IPv6 fragment header: not reassembled, counted
  Truncated,      // headers cut off by the snap length
  Malformed,      // headers that do not add up
  Unsupported,    // an encapsulation that may carry TCP but is not read (out.unsupported says which)
};

// Encapsulations inside encapsulations (tunnels, MPLS, AH) are followed this deep; deeper is
// Unsupported.
constexpr int kMaxTunnelDepth = 8;

// "GRE protocol 0x880b" for a segment parse_frame left Unsupported; returns snprintf's length.
int describe_unsupported(const TcpSegment& s, char* buf, size_t n);

// Link types (libpcap DLT_* values as pcap_datalink() returns them).
ParseResult parse_frame(int dlt, const uint8_t* data, uint32_t caplen, uint32_t wirelen, TcpSegment& out);

}  // namespace netstream
