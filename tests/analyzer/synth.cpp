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

void feed(gan::Analyzer& a, const std::vector<Seg>& segs) {
  uint64_t frame = 0;
  for (const auto& s : segs) {
    gan::TcpSegment t;
    t.src = s.src; t.dst = s.dst; t.seq = s.seq; t.flags = s.flags;
    t.payload = reinterpret_cast<const uint8_t*>(s.payload.data());
    t.captured = t.length = uint32_t(s.payload.size());
    t.frame = ++frame;
    t.ts_ns = s.ts_ns;
    a.on_segment(t);
  }
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
