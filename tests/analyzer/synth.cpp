#include "synth.h"

#include <arpa/inet.h>
#include <pcap/pcap.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace synth {

gan::Endpoint ep(const std::string& addr, uint16_t port) {
  gan::Endpoint e;
  e.port = port;
  if (addr.find(':') != std::string::npos) {
    e.v6 = true;
    inet_pton(AF_INET6, addr.c_str(), e.addr);
  } else {
    inet_pton(AF_INET, addr.c_str(), e.addr);
  }
  return e;
}

int Script::connect(const std::string& client_addr, uint16_t client_port, bool mid_stream) {
  C c;
  c.client = ep(client_addr, client_port);
  c.server = server;
  c.seq[0] = 1000u * (conns_.size() + 1);
  c.seq[1] = 900000u * (conns_.size() + 1);
  conns_.push_back(c);
  int id = int(conns_.size() - 1);
  if (!mid_stream) {
    Seg syn; syn.src = c.client; syn.dst = c.server; syn.seq = c.seq[0]; syn.flags = gan::kSyn; syn.order = order_++;
    Seg sa; sa.src = c.server; sa.dst = c.client; sa.seq = c.seq[1]; sa.flags = gan::kSyn | gan::kAck; sa.order = order_++;
    segs.push_back(syn);
    segs.push_back(sa);
  }
  conns_[id].seq[0]++;
  conns_[id].seq[1]++;
  return id;
}

void Script::send(int conn, bool to_server, const std::string& bytes, int64_t ts_ns) {
  C& c = conns_[conn];
  Seg s;
  s.src = to_server ? c.client : c.server;
  s.dst = to_server ? c.server : c.client;
  s.seq = c.seq[to_server ? 0 : 1];
  s.flags = gan::kAck | gan::kPsh;
  s.payload = bytes;
  s.ts_ns = ts_ns;
  s.order = order_++;
  c.seq[to_server ? 0 : 1] += uint32_t(bytes.size());
  segs.push_back(std::move(s));
}

void Script::close(int conn, int64_t ts_ns, bool rst) {
  C& c = conns_[conn];
  for (int d = 0; d < 2; ++d) {
    Seg s;
    s.src = d == 0 ? c.client : c.server;
    s.dst = d == 0 ? c.server : c.client;
    s.seq = c.seq[d];
    s.flags = rst ? gan::kRst : (gan::kFin | gan::kAck);
    s.ts_ns = ts_ns;
    s.order = order_++;
    segs.push_back(s);
    if (rst) break;
  }
}

std::vector<Seg> from_capture(const std::string& path, size_t chunk, uint16_t port) {
  auto conns = testsupport::read_tcp_connections(path, port);
  std::vector<Seg> out;
  uint32_t n = 0;
  for (const auto& c : conns) {
    ++n;
    gan::Endpoint cl = ep(c.client_addr, c.client_port), sv = ep(c.server_addr, c.server_port);
    uint32_t isn[2] = {1000u * n, 7000000u + 1000u * n};
    uint64_t first = UINT64_MAX;
    int64_t first_ts = 0;
    for (const auto* d : {&c.to_server, &c.to_client})
      for (const auto& s : d->segments)
        if (s.frame < first) { first = s.frame; first_ts = int64_t(std::llround(s.time * 1e9)); }
    if (first == UINT64_MAX) continue;
    Seg syn; syn.src = cl; syn.dst = sv; syn.seq = isn[0]; syn.flags = gan::kSyn; syn.ts_ns = first_ts;
    syn.order = (first << 20) - 2;
    Seg sa; sa.src = sv; sa.dst = cl; sa.seq = isn[1]; sa.flags = gan::kSyn | gan::kAck; sa.ts_ns = first_ts;
    sa.order = (first << 20) - 1;
    out.push_back(syn);
    out.push_back(sa);
    for (int d = 0; d < 2; ++d) {
      const auto& dir = d == 0 ? c.to_server : c.to_client;
      for (const auto& s : dir.segments) {
        size_t step = chunk ? chunk : s.length;
        if (step == 0) continue;
        for (size_t o = 0, k = 0; o < s.length; o += step, ++k) {
          Seg g;
          g.src = d == 0 ? cl : sv;
          g.dst = d == 0 ? sv : cl;
          g.seq = isn[d] + 1 + uint32_t(s.stream_offset + o);
          g.flags = gan::kAck | gan::kPsh;
          g.payload = dir.bytes.substr(s.stream_offset + o, std::min(step, s.length - o));
          g.ts_ns = int64_t(std::llround(s.time * 1e9));
          g.order = (s.frame << 20) + k;
          out.push_back(std::move(g));
        }
      }
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const Seg& a, const Seg& b) { return a.order < b.order; });
  return out;
}

void feed_segments(gan::Analyzer& a, const std::vector<Seg>& segs, int64_t untimed_ts) {
  uint64_t frame = 0;
  for (const auto& s : segs) {
    gan::TcpSegment t;
    t.src = s.src; t.dst = s.dst; t.seq = s.seq; t.flags = s.flags;
    t.payload = reinterpret_cast<const uint8_t*>(s.payload.data());
    t.captured = t.length = uint32_t(s.payload.size());
    t.frame = ++frame;
    t.ts_ns = s.ts_ns ? s.ts_ns : untimed_ts;
    a.on_segment(t);
  }
}

void feed(gan::Analyzer& a, const std::vector<Seg>& segs) {
  feed_segments(a, segs);
  a.finish();
}

static void put16(std::string& o, uint16_t v) { o += char(v >> 8); o += char(v & 255); }
static void put32(std::string& o, uint32_t v) { put16(o, uint16_t(v >> 16)); put16(o, uint16_t(v)); }

static std::string ip_tcp(const Seg& s) {
  std::string tcp;
  put16(tcp, s.src.port); put16(tcp, s.dst.port); put32(tcp, s.seq); put32(tcp, 0);
  tcp += char(5 << 4); tcp += char(s.flags); put16(tcp, 65535); put16(tcp, 0); put16(tcp, 0);
  tcp += s.payload;
  std::string ip;
  if (!s.src.v6) {
    ip += char(0x45); ip += char(0); put16(ip, uint16_t(20 + tcp.size())); put16(ip, 1); put16(ip, 0x4000);
    ip += char(64); ip += char(6); put16(ip, 0);
    ip.append(reinterpret_cast<const char*>(s.src.addr), 4);
    ip.append(reinterpret_cast<const char*>(s.dst.addr), 4);
  } else {
    // With a destination-options extension header, to exercise the header chain.
    put32(ip, 0x60000000u); put16(ip, uint16_t(8 + tcp.size())); ip += char(60); ip += char(64);
    ip.append(reinterpret_cast<const char*>(s.src.addr), 16);
    ip.append(reinterpret_cast<const char*>(s.dst.addr), 16);
    ip += char(6); ip += char(0); ip.append(6, '\x01'); ip[ip.size() - 6] = 1; ip[ip.size() - 5] = 4;
    ip[ip.size() - 4] = 0; ip[ip.size() - 3] = 0; ip[ip.size() - 2] = 0; ip[ip.size() - 1] = 0;
  }
  return ip + tcp;
}

int dlt_of(Link link) {
  switch (link) {
    case Link::Ethernet: case Link::EthernetVlanQinQ: return 1;
    case Link::Sll: return 113;
    case Link::Sll2: return 276;
    case Link::Null: return 0;
    case Link::Raw: return 12;  // DLT_RAW; the file says LINKTYPE_RAW (101)
  }
  return 1;
}

std::string frame(const Seg& s, Link link) {
  std::string body = ip_tcp(s);
  uint16_t et = s.src.v6 ? 0x86dd : 0x0800;
  std::string h;
  switch (link) {
    case Link::Ethernet:
      h.append("\x02\0\0\0\0\x01\x02\0\0\0\0\x02", 12); put16(h, et); break;
    case Link::EthernetVlanQinQ:
      h.append("\x02\0\0\0\0\x01\x02\0\0\0\0\x02", 12);
      put16(h, 0x88a8); put16(h, 100); put16(h, 0x8100); put16(h, 200); put16(h, et); break;
    case Link::Sll:
      put16(h, 0); put16(h, 772); put16(h, 6); h.append(8, '\0'); put16(h, et); break;
    case Link::Sll2:
      put16(h, et); put16(h, 0); put32(h, 1); put16(h, 772); h += char(0); h += char(6); h.append(8, '\0'); break;
    case Link::Null: {
      uint32_t fam = s.src.v6 ? 30 : 2;
      h.append(reinterpret_cast<const char*>(&fam), 4); break;  // host byte order
    }
    case Link::Raw: break;
  }
  return h + body;
}

std::string eth(uint16_t type, const std::string& payload) {
  std::string h("\x02\0\0\0\0\x0a\x02\0\0\0\0\x0b", 12);
  put16(h, type);
  return h + payload;
}

std::string ipv4(uint8_t proto, const std::string& payload) {
  std::string ip;
  ip += char(0x45); ip += char(0); put16(ip, uint16_t(20 + payload.size())); put16(ip, 7); put16(ip, 0);
  ip += char(64); ip += char(proto); put16(ip, 0);
  put32(ip, 0xc0000201u); put32(ip, 0xc0000202u);
  return ip + payload;
}

std::string ipv6(uint8_t next, const std::string& payload) {
  std::string ip;
  put32(ip, 0x60000000u); put16(ip, uint16_t(payload.size())); ip += char(next); ip += char(64);
  for (int host : {1, 2}) { put32(ip, 0x20010db8u); put32(ip, 0); put32(ip, 0); put32(ip, uint32_t(host)); }
  return ip + payload;
}

std::string udp(uint16_t dport, const std::string& payload) {
  std::string u;
  put16(u, 49152); put16(u, dport); put16(u, uint16_t(8 + payload.size())); put16(u, 0);
  return u + payload;
}

std::string gre(uint16_t flags, uint16_t proto, const std::string& payload) {
  std::string g;
  put16(g, flags); put16(g, proto);
  if (flags & 0x8000) put32(g, 0);           // checksum, reserved
  if (flags & 0x2000) put32(g, 0x00abcdefu);  // key
  if (flags & 0x1000) put32(g, 42);          // sequence number
  return g + payload;
}

std::string mpls(const std::vector<uint32_t>& labels, const std::string& payload) {
  std::string m;
  for (size_t i = 0; i < labels.size(); ++i)
    put32(m, labels[i] << 12 | (i + 1 == labels.size() ? 0x100u : 0u) | 64u);  // label, S, TTL
  return m + payload;
}

std::vector<Tunnel> all_tunnels() {
  return {Tunnel::Vxlan, Tunnel::VxlanLinuxPort, Tunnel::VxlanGpe, Tunnel::Geneve, Tunnel::GreIp,
          Tunnel::GreAllFields, Tunnel::GreTap, Tunnel::GreOverIpv6, Tunnel::ErspanI, Tunnel::ErspanII,
          Tunnel::ErspanIII, Tunnel::MplsIp, Tunnel::MplsPwControlWord, Tunnel::MplsPwBare, Tunnel::IpInIp,
          Tunnel::Ipv6InIp, Tunnel::Pppoe, Tunnel::Pbb, Tunnel::VxlanInGre};
}

const char* tunnel_name(Tunnel t) {
  switch (t) {
    case Tunnel::Vxlan: return "VXLAN";
    case Tunnel::VxlanLinuxPort: return "VXLAN on port 8472";
    case Tunnel::VxlanGpe: return "VXLAN-GPE";
    case Tunnel::Geneve: return "Geneve with an option";
    case Tunnel::GreIp: return "GRE";
    case Tunnel::GreAllFields: return "GRE with checksum, key and sequence";
    case Tunnel::GreTap: return "GRE transparent Ethernet (gretap)";
    case Tunnel::GreOverIpv6: return "GRE over IPv6";
    case Tunnel::ErspanI: return "ERSPAN type I";
    case Tunnel::ErspanII: return "ERSPAN type II";
    case Tunnel::ErspanIII: return "ERSPAN type III with platform subheader";
    case Tunnel::MplsIp: return "MPLS, two labels";
    case Tunnel::MplsPwControlWord: return "MPLS Ethernet pseudowire with control word";
    case Tunnel::MplsPwBare: return "MPLS Ethernet pseudowire without control word";
    case Tunnel::IpInIp: return "IP in IP";
    case Tunnel::Ipv6InIp: return "IPv6 in IPv4";
    case Tunnel::Pppoe: return "PPPoE session";
    case Tunnel::Pbb: return "802.1ah backbone bridging";
    case Tunnel::VxlanInGre: return "VXLAN inside GRE";
  }
  return "?";
}

std::string tunnelled(const Seg& s, Tunnel t) {
  const std::string inner_eth = frame(s, Link::Ethernet), inner_ip = frame(s, Link::Raw);
  const uint16_t ip_type = s.src.v6 ? 0x86dd : 0x0800;
  std::string vxlan_hdr;
  put32(vxlan_hdr, 0x08000000u); put32(vxlan_hdr, 5001u << 8);
  switch (t) {
    case Tunnel::Vxlan: return eth(0x0800, ipv4(17, udp(4789, vxlan_hdr + inner_eth)));
    case Tunnel::VxlanLinuxPort: return eth(0x0800, ipv4(17, udp(8472, vxlan_hdr + inner_eth)));
    case Tunnel::VxlanGpe: {
      std::string h;
      put32(h, 0x0c000000u | (s.src.v6 ? 2u : 1u)); put32(h, 7u << 8);  // next protocol: IPv4 / IPv6
      return eth(0x0800, ipv4(17, udp(4790, h + inner_ip)));
    }
    case Tunnel::Geneve: {
      std::string h;
      h += char(2); h += char(0); put16(h, 0x6558); put32(h, 77u << 8);  // 2 words of options
      put16(h, 0x0102); h += char(0x80); h += char(1); put32(h, 0xdeadbeefu);
      return eth(0x0800, ipv4(17, udp(6081, h + inner_eth)));
    }
    case Tunnel::GreIp: return eth(0x0800, ipv4(47, gre(0, ip_type, inner_ip)));
    case Tunnel::GreAllFields: return eth(0x0800, ipv4(47, gre(0xb000, ip_type, inner_ip)));
    case Tunnel::GreTap: return eth(0x0800, ipv4(47, gre(0x2000, 0x6558, inner_eth)));
    case Tunnel::GreOverIpv6: return eth(0x86dd, ipv6(47, gre(0, ip_type, inner_ip)));
    case Tunnel::ErspanI: return eth(0x0800, ipv4(47, gre(0, 0x88be, inner_eth)));
    case Tunnel::ErspanII: {
      std::string h;
      put16(h, 0x1000 | 10); put16(h, 0x0800 | 3); put32(h, 0);  // ver 1, VLAN 10, session 3
      return eth(0x0800, ipv4(47, gre(0x1000, 0x88be, h + inner_eth)));
    }
    case Tunnel::ErspanIII: {
      std::string h;
      put16(h, 0x2000 | 10); put16(h, 3); put32(h, 123456);  // ver 2, VLAN 10, session 3, timestamp
      put16(h, 0); h += char(0); h += char(1);              // SGT; P, FT 0 (Ethernet), HW ID; O = 1
      put32(h, 0x2c000000u); put32(h, 0);                    // platform-specific subheader
      return eth(0x0800, ipv4(47, gre(0x1000, 0x22eb, h + inner_eth)));
    }
    case Tunnel::MplsIp: return eth(0x8847, mpls({1000, 2000}, inner_ip));
    case Tunnel::MplsPwControlWord: return eth(0x8847, mpls({3000}, std::string(4, '\0') + inner_eth));
    case Tunnel::MplsPwBare: return eth(0x8847, mpls({3000}, inner_eth));
    case Tunnel::IpInIp: return eth(0x0800, ipv4(s.src.v6 ? 41 : 4, inner_ip));
    case Tunnel::Ipv6InIp: return eth(0x0800, ipv4(41, s.src.v6 ? inner_ip : frame(to_ipv6({s})[0], Link::Raw)));
    case Tunnel::Pppoe: {
      std::string h;
      h += char(0x11); h += char(0); put16(h, 0x2a); put16(h, uint16_t(2 + inner_ip.size()));
      put16(h, s.src.v6 ? 0x0057 : 0x0021);
      return eth(0x8864, h + inner_ip);
    }
    case Tunnel::Pbb: {
      std::string itag;
      put32(itag, 0x00012345u);
      return eth(0x88e7, itag + inner_eth);
    }
    case Tunnel::VxlanInGre: return eth(0x0800, ipv4(47, gre(0, 0x0800, ipv4(17, udp(4789, vxlan_hdr + inner_eth)))));
  }
  return inner_eth;
}

void write_pcap(const std::string& path, const std::vector<Seg>& segs, Tunnel t) {
  pcap_t* dead = pcap_open_dead_with_tstamp_precision(1, 262144, PCAP_TSTAMP_PRECISION_NANO);
  pcap_dumper_t* d = pcap_dump_open(dead, path.c_str());
  if (!d) throw std::runtime_error("pcap_dump_open " + path);
  for (const auto& s : segs) {
    std::string f = tunnelled(s, t);
    struct pcap_pkthdr h{};
    h.ts.tv_sec = s.ts_ns / 1000000000;
    h.ts.tv_usec = s.ts_ns % 1000000000;
    h.len = h.caplen = uint32_t(f.size());
    pcap_dump(reinterpret_cast<u_char*>(d), &h, reinterpret_cast<const u_char*>(f.data()));
  }
  pcap_dump_close(d);
  pcap_close(dead);
}

std::vector<Seg> to_ipv6(std::vector<Seg> segs) {
  for (auto& s : segs) {
    for (gan::Endpoint* e : {&s.src, &s.dst}) {
      uint8_t v4[4];
      std::copy(e->addr, e->addr + 4, v4);
      std::fill(e->addr, e->addr + 16, 0);
      e->addr[0] = 0xfd;
      std::copy(v4, v4 + 4, e->addr + 12);
      e->v6 = true;
    }
  }
  return segs;
}

void write_pcap(const std::string& path, const std::vector<Seg>& segs, Link link, uint32_t snaplen) {
  pcap_t* dead = pcap_open_dead_with_tstamp_precision(dlt_of(link), snaplen ? int(snaplen) : 262144,
                                                      PCAP_TSTAMP_PRECISION_NANO);
  pcap_dumper_t* d = pcap_dump_open(dead, path.c_str());
  if (!d) throw std::runtime_error("pcap_dump_open " + path);
  for (const auto& s : segs) {
    std::string f = frame(s, link);
    struct pcap_pkthdr h{};
    h.ts.tv_sec = s.ts_ns / 1000000000;
    h.ts.tv_usec = s.ts_ns % 1000000000;
    h.len = uint32_t(f.size());
    h.caplen = snaplen && f.size() > snaplen ? snaplen : uint32_t(f.size());
    pcap_dump(reinterpret_cast<u_char*>(d), &h, reinterpret_cast<const u_char*>(f.data()));
  }
  pcap_dump_close(d);
  pcap_close(dead);
}

static void le32(std::string& o, uint32_t v) { for (int i = 0; i < 4; ++i) o += char((v >> (8 * i)) & 255); }
static void le16(std::string& o, uint16_t v) { o += char(v & 255); o += char(v >> 8); }

void write_pcapng(const std::string& path, const std::vector<Seg>& segs, Link link) {
  std::string o;
  // Section header block
  le32(o, 0x0A0D0D0A); le32(o, 28); le32(o, 0x1A2B3C4D); le16(o, 1); le16(o, 0);
  le32(o, 0xffffffff); le32(o, 0xffffffff); le32(o, 28);
  // Interface description block with if_tsresol = 9 (nanoseconds)
  le32(o, 1); le32(o, 32); le16(o, uint16_t(dlt_of(link))); le16(o, 0); le32(o, 0);
  le16(o, 9); le16(o, 1); o += char(9); o.append(3, '\0'); le16(o, 0); le16(o, 0);
  le32(o, 32);
  for (const auto& s : segs) {
    std::string f = frame(s, link);
    uint32_t pad = (4 - f.size() % 4) % 4;
    uint32_t len = 32 + uint32_t(f.size()) + pad;
    uint64_t ts = uint64_t(s.ts_ns);
    le32(o, 6); le32(o, len); le32(o, 0); le32(o, uint32_t(ts >> 32)); le32(o, uint32_t(ts));
    le32(o, uint32_t(f.size())); le32(o, uint32_t(f.size()));
    o += f; o.append(pad, '\0');
    le32(o, len);
  }
  FILE* fp = std::fopen(path.c_str(), "wb");
  if (!fp) throw std::runtime_error("open " + path);
  std::fwrite(o.data(), 1, o.size(), fp);
  std::fclose(fp);
}

std::string temp_path(const std::string& name) {
  return "/tmp/gearman-analyze-test-" + std::to_string(getpid()) + "-" + name;
}

}  // namespace synth
