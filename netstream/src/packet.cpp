#include "netstream/packet.h"

#include <arpa/inet.h>
#include <cstdio>

namespace netstream {
namespace {

inline uint16_t be16(const uint8_t* p) { return uint16_t(p[0] << 8 | p[1]); }
inline uint32_t be32(const uint8_t* p) {
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
}

ParseResult parse_tcp(const uint8_t* p, uint32_t avail, uint32_t ip_payload_len, TcpSegment& out) {
  if (avail < 20) return ParseResult::Truncated;
  uint32_t hl = (p[12] >> 4) * 4u;
  if (hl < 20 || hl > ip_payload_len) return ParseResult::Malformed;
  if (avail < hl) return ParseResult::Truncated;
  out.src.port = be16(p);
  out.dst.port = be16(p + 2);
  out.seq = be32(p + 4);
  out.ack = be32(p + 8);
  out.flags = p[13] & 0x1f;
  out.payload = p + hl;
  out.length = ip_payload_len - hl;
  uint32_t cap = avail - hl;
  out.captured = cap < out.length ? cap : out.length;
  return ParseResult::Tcp;
}

ParseResult parse_ipv4(const uint8_t* p, uint32_t avail, TcpSegment& out) {
  if (avail < 20) return ParseResult::Truncated;
  if ((p[0] >> 4) != 4) return ParseResult::Malformed;
  uint32_t ihl = (p[0] & 15) * 4u;
  uint32_t total = be16(p + 2);
  if (ihl < 20 || total < ihl) return ParseResult::Malformed;
  if (avail < ihl) return ParseResult::Truncated;
  uint16_t frag = be16(p + 6);
  if (p[9] != 6) return ParseResult::NotTcp;
  if ((frag & 0x2000) || (frag & 0x1fff)) return ParseResult::Fragment;
  out.src = Endpoint{};
  out.dst = Endpoint{};
  std::memcpy(out.src.addr, p + 12, 4);
  std::memcpy(out.dst.addr, p + 16, 4);
  uint32_t rest = avail - ihl;
  // Ethernet padding makes frames longer than the IP packet: trust the IP length.
  if (rest > total - ihl) rest = total - ihl;
  return parse_tcp(p + ihl, rest, total - ihl, out);
}

ParseResult parse_ipv6(const uint8_t* p, uint32_t avail, TcpSegment& out) {
  if (avail < 40) return ParseResult::Truncated;
  if ((p[0] >> 4) != 6) return ParseResult::Malformed;
  uint32_t plen = be16(p + 4);
  uint8_t next = p[6];
  out.src = Endpoint{};
  out.dst = Endpoint{};
  std::memcpy(out.src.addr, p + 8, 16);
  std::memcpy(out.dst.addr, p + 24, 16);
  out.src.v6 = out.dst.v6 = true;
  uint32_t off = 40;
  uint32_t end = 40 + plen;  // jumbograms (plen 0) are not handled: Malformed below
  for (int i = 0; i < 16; ++i) {
    if (next == 6) {
      if (off > end) return ParseResult::Malformed;
      uint32_t rest = avail > off ? avail - off : 0;
      if (rest > end - off) rest = end - off;
      return parse_tcp(p + off, rest, end - off, out);
    }
    if (next == 44) return ParseResult::Fragment;
    if (next != 0 && next != 43 && next != 60 && next != 51) return ParseResult::NotTcp;
    if (avail < off + 8) return ParseResult::Truncated;
    uint32_t len = next == 51 ? (p[off + 1] + 2u) * 4u : (p[off + 1] + 1u) * 8u;
    next = p[off];
    off += len;
    if (off > end) return ParseResult::Malformed;
  }
  return ParseResult::Malformed;
}

ParseResult parse_ip(const uint8_t* p, uint32_t avail, TcpSegment& out) {
  if (avail < 1) return ParseResult::Truncated;
  switch (p[0] >> 4) {
    case 4: return parse_ipv4(p, avail, out);
    case 6: return parse_ipv6(p, avail, out);
    default: return ParseResult::NotTcp;
  }
}

ParseResult by_ethertype(uint16_t type, const uint8_t* p, uint32_t avail, TcpSegment& out) {
  if (type == 0x0800) return parse_ipv4(p, avail, out);
  if (type == 0x86dd) return parse_ipv6(p, avail, out);
  return ParseResult::NotTcp;
}

}  // namespace

int format_endpoint(const Endpoint& e, char* buf, size_t n) {
  char ip[INET6_ADDRSTRLEN] = "?";
  inet_ntop(e.v6 ? AF_INET6 : AF_INET, e.addr, ip, sizeof ip);
  return std::snprintf(buf, n, e.v6 ? "[%s]:%u" : "%s:%u", ip, unsigned(e.port));
}

ParseResult parse_frame(int dlt, const uint8_t* d, uint32_t caplen, uint32_t wirelen, TcpSegment& out) {
  (void)wirelen;
  switch (dlt) {
    case 1: {  // Ethernet, with any number of 802.1Q / QinQ tags
      if (caplen < 14) return ParseResult::Truncated;
      uint32_t off = 12;
      uint16_t type = be16(d + off);
      while (type == 0x8100 || type == 0x88a8 || type == 0x9100) {
        off += 4;
        if (caplen < off + 2) return ParseResult::Truncated;
        type = be16(d + off);
      }
      off += 2;
      return by_ethertype(type, d + off, caplen - off, out);
    }
    case 113:  // Linux cooked v1
      if (caplen < 16) return ParseResult::Truncated;
      return by_ethertype(be16(d + 14), d + 16, caplen - 16, out);
    case 276:  // Linux cooked v2
      if (caplen < 20) return ParseResult::Truncated;
      return by_ethertype(be16(d), d + 20, caplen - 20, out);
    case 0:     // BSD NULL: address family in host byte order of the capturing machine
    case 108: { // BSD LOOP: network byte order
      if (caplen < 4) return ParseResult::Truncated;
      uint32_t le = uint32_t(d[0]) | uint32_t(d[1]) << 8 | uint32_t(d[2]) << 16 | uint32_t(d[3]) << 24;
      uint32_t fam = be32(d);
      if (fam > 0xffff) fam = le;
      if (fam == 2) return parse_ipv4(d + 4, caplen - 4, out);
      if (fam == 24 || fam == 28 || fam == 30 || fam == 10) return parse_ipv6(d + 4, caplen - 4, out);
      return ParseResult::NotTcp;
    }
    case 12: case 14: case 101:  // raw IP
      return parse_ip(d, caplen, out);
    case 228: return parse_ipv4(d, caplen, out);
    case 229: return parse_ipv6(d, caplen, out);
    default: return ParseResult::UnknownLink;
  }
}

}  // namespace netstream
