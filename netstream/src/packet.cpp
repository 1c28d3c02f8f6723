// SPDX-License-Identifier: GPL-2.0-or-later
#include "netstream/packet.h"

#include <arpa/inet.h>
#include <cstdio>

namespace netstream {
namespace {

// An IPv4 endpoint (port 0) written as one 16-byte address store: the connection lookup reads
// the address as 8-byte words, and a load that spans several smaller stores (a zeroed struct,
// then 4 bytes) is not forwarded from them but waits until they retire: that wait was a fifth
// of the reader's connection lookup.
void set_ipv4(Endpoint& e, const uint8_t* a) {
  uint32_t v4;
  std::memcpy(&v4, a, 4);
  const uint64_t words[2] = {v4, 0};
  std::memcpy(e.addr, words, 16);
  e.port = 0;
  e.v6 = false;
}

inline uint16_t be16(const uint8_t* p) { return uint16_t(p[0] << 8 | p[1]); }
inline uint32_t be32(const uint8_t* p) {
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
}

// Ethertypes (also GRE and Geneve protocol types).
constexpr uint16_t kIpv4 = 0x0800, kIpv6 = 0x86dd, kVlan = 0x8100, kQinQ = 0x88a8, kQinQOld = 0x9100,
                   kMplsUc = 0x8847, kMplsMc = 0x8848, kTeb = 0x6558 /* transparent Ethernet bridging */,
                   kPppoeSession = 0x8864, kPbb = 0x88e7 /* 802.1ah I-tag */, kMacsec = 0x88e5,
                   kNsh = 0x894f, kErspan2 = 0x88be /* types I and II */, kErspan3 = 0x22eb;
// UDP destination ports of tunnels.
constexpr uint16_t kVxlanPort = 4789, kVxlanLinuxPort = 8472 /* Linux's default before IANA's */,
                   kVxlanGpePort = 4790, kGenevePort = 6081;
// IP protocol numbers.
constexpr uint8_t kTcp = 6, kUdp = 17, kIpInIp = 4, kIpv6InIp = 41, kGre = 47, kEsp = 50, kAh = 51;

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

// One frame's walk from its link layer down to TCP. Every layer gets the bytes captured for it
// (`avail`) and, where the outer header says, its length on the wire. `depth_` counts the
// encapsulations entered so far (tunnels, MPLS, IPsec AH).
class Walk {
 public:
  explicit Walk(TcpSegment& out) : out_(out) {}

  ParseResult ethernet(const uint8_t* d, uint32_t avail) {
    if (avail < 14) return ParseResult::Truncated;
    uint32_t off = 12;
    uint16_t type = be16(d + off);
    while (type == kVlan || type == kQinQ || type == kQinQOld) {  // any number of 802.1Q / QinQ tags
      off += 4;
      if (avail < off + 2) return ParseResult::Truncated;
      type = be16(d + off);
    }
    off += 2;
    if (type == kIpv4) return ipv4(d + off, avail - off);  // what ethertype() does, a call sooner
    return ethertype(type, d + off, avail - off, nullptr);
  }

  // `unknown`, when the type comes from a tunnel header (GRE, Geneve): the tunnel says its payload
  // is a network packet, so an unknown type there is an encapsulation not read (named by this
  // format), not someone else's frame.
  ParseResult ethertype(uint16_t type, const uint8_t* p, uint32_t avail, const char* unknown) {
    while (type == kVlan || type == kQinQ || type == kQinQOld) {  // tags right after a tunnel header
      if (avail < 4) return ParseResult::Truncated;
      type = be16(p + 2);
      p += 4;
      avail -= 4;
    }
    switch (type) {
      case kIpv4: return ipv4(p, avail);
      case kIpv6: return ipv6(p, avail);
      case kTeb: return tunnel() ? ethernet(p, avail) : too_deep();
      case kMplsUc: case kMplsMc: return tunnel() ? mpls(p, avail) : too_deep();
      case kPppoeSession: return pppoe(p, avail);
      case kPbb:  // backbone I-tag, then the customer's Ethernet header
        if (avail < 4) return ParseResult::Truncated;
        return tunnel() ? ethernet(p + 4, avail - 4) : too_deep();
      case kMacsec: return unsupported("MACsec (802.1AE, encrypted)");
      case kNsh: return unsupported("NSH (network service header)");
      default: return unknown ? unsupported(unknown, type) : ParseResult::NotTcp;
    }
  }

  ParseResult ip(const uint8_t* p, uint32_t avail) {
    if (avail < 1) return ParseResult::Truncated;
    switch (p[0] >> 4) {
      case 4: return ipv4(p, avail);
      case 6: return ipv6(p, avail);
      default: return ParseResult::NotTcp;
    }
  }

  ParseResult ipv4(const uint8_t* p, uint32_t avail) {
    if (avail < 20) return ParseResult::Truncated;
    if ((p[0] >> 4) != 4) return ParseResult::Malformed;
    uint32_t ihl = (p[0] & 15) * 4u;
    uint32_t total = be16(p + 2);
    if (ihl < 20 || total < ihl) return ParseResult::Malformed;
    if (avail < ihl) return ParseResult::Truncated;
    uint16_t frag = be16(p + 6);
    uint8_t proto = p[9];
    uint32_t rest = avail - ihl;
    // Ethernet padding makes frames longer than the IP packet: trust the IP length.
    if (rest > total - ihl) rest = total - ihl;
    if ((frag & 0x2000) || (frag & 0x1fff)) {
      // Fragments are not reassembled; they are counted when they may carry what is read here.
      if (proto == kTcp || proto == kGre || proto == kIpInIp || proto == kIpv6InIp) return ParseResult::Fragment;
      if (proto == kUdp && (frag & 0x1fff) == 0 && rest >= 4 && is_tunnel_port(be16(p + ihl + 2)))
        return ParseResult::Fragment;
      return ParseResult::NotTcp;
    }
    if (proto == kTcp) {
      set_ipv4(out_.src, p + 12);
      set_ipv4(out_.dst, p + 16);
      return parse_tcp(p + ihl, rest, total - ihl, out_);
    }
    return ip_payload(proto, p + ihl, rest, total - ihl);
  }

  ParseResult ipv6(const uint8_t* p, uint32_t avail) {
    if (avail < 40) return ParseResult::Truncated;
    if ((p[0] >> 4) != 6) return ParseResult::Malformed;
    uint32_t plen = be16(p + 4);
    uint8_t next = p[6];
    uint32_t off = 40;
    uint32_t end = 40 + plen;  // jumbograms (plen 0) are not handled: Malformed below
    for (int i = 0; i < 16; ++i) {
      if (next != 0 && next != 43 && next != 60 && next != 51 && next != 44) {
        if (off > end) return ParseResult::Malformed;
        uint32_t rest = avail > off ? avail - off : 0;
        if (rest > end - off) rest = end - off;
        if (next == kTcp) {
          out_.src = Endpoint{};
          out_.dst = Endpoint{};
          std::memcpy(out_.src.addr, p + 8, 16);
          std::memcpy(out_.dst.addr, p + 24, 16);
          out_.src.v6 = out_.dst.v6 = true;
          return parse_tcp(p + off, rest, end - off, out_);
        }
        return ip_payload(next, p + off, rest, end - off);
      }
      if (next == 44) return ParseResult::Fragment;
      if (avail < off + 8) return ParseResult::Truncated;
      uint32_t len = next == 51 ? (p[off + 1] + 2u) * 4u : (p[off + 1] + 1u) * 8u;
      next = p[off];
      off += len;
      if (off > end) return ParseResult::Malformed;
    }
    return ParseResult::Malformed;
  }

  // What an IP header (v4 or v6, after its extension headers) carries, other than TCP.
  ParseResult ip_payload(uint8_t proto, const uint8_t* p, uint32_t avail, uint32_t len) {
    switch (proto) {
      case kUdp: return udp(p, avail, len);
      case kGre: return tunnel() ? gre(p, avail) : too_deep();
      case kIpInIp: return tunnel() ? ipv4(p, avail) : too_deep();
      case kIpv6InIp: return tunnel() ? ipv6(p, avail) : too_deep();
      case kAh: {  // IPsec authentication header (IPv4; IPv6 walks it as an extension header)
        if (avail < 8) return ParseResult::Truncated;
        uint32_t ah = (p[1] + 2u) * 4u;
        if (ah > len) return ParseResult::Malformed;
        if (avail < ah) return ParseResult::Truncated;
        return tunnel() ? ip_payload(p[0], p + ah, avail - ah, len - ah) : too_deep();
      }
      case kEsp: return unsupported("IPsec ESP (encrypted)");
      default: return ParseResult::NotTcp;
    }
  }

  static bool is_tunnel_port(uint16_t port) {
    return port == kVxlanPort || port == kVxlanLinuxPort || port == kVxlanGpePort || port == kGenevePort;
  }

  ParseResult udp(const uint8_t* p, uint32_t avail, uint32_t len) {
    if (len < 8) return ParseResult::Malformed;
    if (avail < 8) return ParseResult::Truncated;
    uint16_t dport = be16(p + 2);
    if (!is_tunnel_port(dport)) return ParseResult::NotTcp;
    const uint8_t* h = p + 8;
    uint32_t rest = avail - 8;
    if (rest < 8) return ParseResult::Truncated;
    if (!tunnel()) return too_deep();
    switch (dport) {
      case kGenevePort: {
        uint32_t ver = h[0] >> 6, hl = 8 + (h[0] & 0x3fu) * 4;
        if (ver != 0) return unsupported("Geneve version %u", ver);
        if (rest < hl) return ParseResult::Truncated;
        return ethertype(be16(h + 2), h + hl, rest - hl, "Geneve protocol type 0x%04x");
      }
      case kVxlanGpePort:
        if (!(h[0] & 0x08)) return ParseResult::NotTcp;  // no VNI flag: not VXLAN
        if (h[0] & 0x04) {  // next protocol present
          switch (h[3]) {
            case 1: return ipv4(h + 8, rest - 8);
            case 2: return ipv6(h + 8, rest - 8);
            case 3: return ethernet(h + 8, rest - 8);
            case 5: return mpls(h + 8, rest - 8);
            default: return unsupported("VXLAN-GPE next protocol %u", h[3]);
          }
        }
        return ethernet(h + 8, rest - 8);
      default:  // VXLAN (RFC 7348), also on Linux's old default port
        if (!(h[0] & 0x08)) return ParseResult::NotTcp;
        return ethernet(h + 8, rest - 8);
    }
  }

  ParseResult gre(const uint8_t* p, uint32_t avail) {
    if (avail < 4) return ParseResult::Truncated;
    uint16_t flags = be16(p), proto = be16(p + 2);
    if ((flags & 7) != 0) return unsupported("GRE version %u (PPTP's enhanced GRE)", flags & 7u);
    if (flags & 0x4000) return unsupported("GRE with source routing (RFC 1701)");
    uint32_t off = 4;
    if (flags & 0x8000) off += 4;  // checksum + reserved
    if (flags & 0x2000) off += 4;  // key
    bool seq = flags & 0x1000;
    if (seq) off += 4;
    if (avail < off) return ParseResult::Truncated;
    const uint8_t* q = p + off;
    uint32_t rest = avail - off;
    switch (proto) {
      case kErspan2:
        if (!seq) return ethernet(q, rest);  // type I: the mirrored frame right after GRE
        if (rest < 8) return ParseResult::Truncated;
        if ((q[0] >> 4) != 1) return unsupported("ERSPAN type II header version %u", q[0] >> 4u);
        return ethernet(q + 8, rest - 8);
      case kErspan3: {
        if (rest < 12) return ParseResult::Truncated;
        if ((q[0] >> 4) != 2) return unsupported("ERSPAN type III header version %u", q[0] >> 4u);
        uint32_t frame_type = (q[10] >> 2) & 0x1f, hl = 12 + ((q[11] & 1) ? 8 : 0);
        if (rest < hl) return ParseResult::Truncated;
        if (frame_type == 0) return ethernet(q + hl, rest - hl);
        if (frame_type == 2) return ip(q + hl, rest - hl);
        return unsupported("ERSPAN type III frame type %u", frame_type);
      }
      default:
        return ethertype(proto, q, rest, "GRE protocol type 0x%04x");
    }
  }

  // MPLS label stack, then IPv4, IPv6 or an Ethernet pseudowire (with or without its control
  // word). The stack does not say which: the first nibble does for IP, and a pseudowire must
  // show an IP or VLAN ethertype where Ethernet's would be.
  ParseResult mpls(const uint8_t* p, uint32_t avail) {
    uint32_t off = 0;
    for (;;) {
      if (avail < off + 4) return ParseResult::Truncated;
      bool bottom = p[off + 2] & 1;
      off += 4;
      if (bottom) break;
    }
    if (avail <= off) return ParseResult::Truncated;
    const uint8_t* q = p + off;
    uint32_t rest = avail - off;
    uint32_t nibble = q[0] >> 4;
    if (nibble == 4) return ipv4(q, rest);
    if (nibble == 6) return ipv6(q, rest);
    if (nibble == 1) return ParseResult::NotTcp;  // associated channel (OAM)
    if (nibble == 0 && rest >= 4 && looks_like_ethernet(q + 4, rest - 4)) return ethernet(q + 4, rest - 4);
    if (looks_like_ethernet(q, rest)) return ethernet(q, rest);
    if (rest < 4 + 14) return ParseResult::Truncated;  // too short to tell
    return unsupported("MPLS payload starting with 0x%02x", q[0]);
  }

  static bool looks_like_ethernet(const uint8_t* d, uint32_t avail) {
    if (avail < 14) return false;
    uint16_t type = be16(d + 12);
    return type == kIpv4 || type == kIpv6 || type == kVlan || type == kQinQ || type == kMplsUc;
  }

  ParseResult pppoe(const uint8_t* p, uint32_t avail) {
    if (avail < 8) return ParseResult::Truncated;
    switch (be16(p + 6)) {  // PPP protocol after the 6-byte PPPoE session header
      case 0x0021: return ipv4(p + 8, avail - 8);
      case 0x0057: return ipv6(p + 8, avail - 8);
      default: return ParseResult::NotTcp;  // LCP, IPCP, ...
    }
  }

  ParseResult unsupported(const char* what, uint32_t id = 0) {
    out_.unsupported = what;
    out_.unsupported_id = id;
    return ParseResult::Unsupported;
  }

 private:
  // One more encapsulation entered; false past kMaxTunnelDepth (this bounds the recursion).
  bool tunnel() { return ++depth_ <= kMaxTunnelDepth; }
  ParseResult too_deep() { return unsupported("tunnels nested deeper than %u", kMaxTunnelDepth); }

  TcpSegment& out_;
  int depth_ = 0;
};

}  // namespace

int format_endpoint(const Endpoint& e, char* buf, size_t n) {
  char ip[INET6_ADDRSTRLEN] = "?";
  inet_ntop(e.v6 ? AF_INET6 : AF_INET, e.addr, ip, sizeof ip);
  return std::snprintf(buf, n, e.v6 ? "[%s]:%u" : "%s:%u", ip, unsigned(e.port));
}

int describe_unsupported(const TcpSegment& s, char* buf, size_t n) {
  if (!s.unsupported) return std::snprintf(buf, n, "unknown");
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
  // Only parse_frame's own literals get here, each with at most one unsigned conversion.
  return std::snprintf(buf, n, s.unsupported, unsigned(s.unsupported_id));
#pragma GCC diagnostic pop
}

ParseResult parse_frame(int dlt, const uint8_t* d, uint32_t caplen, uint32_t wirelen, TcpSegment& out) {
  (void)wirelen;
  out.unsupported = nullptr;
  Walk w(out);
  switch (dlt) {
    case 1:  // Ethernet, with any number of 802.1Q / QinQ tags
      return w.ethernet(d, caplen);
    case 113:  // Linux cooked v1
      if (caplen < 16) return ParseResult::Truncated;
      return w.ethertype(be16(d + 14), d + 16, caplen - 16, nullptr);
    case 276:  // Linux cooked v2
      if (caplen < 20) return ParseResult::Truncated;
      return w.ethertype(be16(d), d + 20, caplen - 20, nullptr);
    case 0:     // BSD NULL: address family in host byte order of the capturing machine
    case 108: { // BSD LOOP: network byte order
      if (caplen < 4) return ParseResult::Truncated;
      uint32_t le = uint32_t(d[0]) | uint32_t(d[1]) << 8 | uint32_t(d[2]) << 16 | uint32_t(d[3]) << 24;
      uint32_t fam = be32(d);
      if (fam > 0xffff) fam = le;
      if (fam == 2) return w.ipv4(d + 4, caplen - 4);
      if (fam == 24 || fam == 28 || fam == 30 || fam == 10) return w.ipv6(d + 4, caplen - 4);
      return ParseResult::NotTcp;
    }
    case 12: case 14: case 101:  // raw IP
      return w.ip(d, caplen);
    case 228: return w.ipv4(d, caplen);
    case 229: return w.ipv6(d, caplen);
    default: return ParseResult::UnknownLink;
  }
}

}  // namespace netstream
