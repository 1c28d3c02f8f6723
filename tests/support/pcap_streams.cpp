#include "pcap_streams.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <pcap/pcap.h>

#include <algorithm>
#include <map>
#include <stdexcept>
#include <tuple>

namespace testsupport {
namespace {

uint16_t be16(const unsigned char* p) { return uint16_t((p[0] << 8) | p[1]); }
uint32_t be32(const unsigned char* p) { return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | p[3]; }

struct Key {
  std::string a, b;
  uint16_t pa, pb;
  bool operator<(const Key& o) const { return std::tie(a, pa, b, pb) < std::tie(o.a, o.pa, o.b, o.pb); }
};

struct RawSeg {
  uint32_t seq;
  std::string payload;
  uint64_t frame;
  double time;
};

struct HalfState {
  bool have_isn = false;
  uint32_t isn = 0;  // sequence number of the first payload byte
  std::vector<RawSeg> segs;
};

struct ConnState {
  std::string addr[2];
  uint16_t port[2];
  int syn_from = -1;
  HalfState half[2];  // half[i]: data sent by endpoint i
};

void assemble(HalfState& h, Direction& d) {
  if (h.segs.empty()) return;
  uint32_t base = h.have_isn ? h.isn : h.segs.front().seq;
  uint64_t next = 0;
  std::stable_sort(h.segs.begin(), h.segs.end(), [&](const RawSeg& x, const RawSeg& y) {
    return uint32_t(x.seq - base) < uint32_t(y.seq - base);
  });
  for (RawSeg& s : h.segs) {
    uint64_t off = uint32_t(s.seq - base);
    if (off + s.payload.size() <= next) continue;  // retransmission
    size_t trim = off < next ? size_t(next - off) : 0;
    if (off > next) {  // a hole: the test captures have none, keep offsets honest anyway
      d.bytes.append(size_t(off - next), '\0');
      next = off;
    }
    d.bytes.append(s.payload, trim, std::string::npos);
    d.segments.push_back({next, uint32_t(s.payload.size() - trim), s.frame, s.time});
    next += s.payload.size() - trim;
  }
}

}  // namespace

std::vector<Connection> read_tcp_connections(const std::string& path, uint16_t server_port) {
  char err[PCAP_ERRBUF_SIZE];
  pcap_t* p = pcap_open_offline(path.c_str(), err);
  if (!p) throw std::runtime_error(path + ": " + err);
  const int dlt = pcap_datalink(p);
  std::map<Key, size_t> index;
  std::vector<ConnState> conns;
  pcap_pkthdr* h;
  const u_char* data;
  uint64_t frame = 0;
  int rc;
  while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
    ++frame;
    const unsigned char* d = data;
    size_t n = h->caplen;
    int ethertype = 0;
    if (dlt == DLT_EN10MB) {
      if (n < 14) continue;
      ethertype = be16(d + 12);
      d += 14; n -= 14;
      while ((ethertype == 0x8100 || ethertype == 0x88a8) && n >= 4) {
        ethertype = be16(d + 2);
        d += 4; n -= 4;
      }
    } else if (dlt == DLT_LINUX_SLL) {
      if (n < 16) continue;
      ethertype = be16(d + 14);
      d += 16; n -= 16;
    } else if (dlt == DLT_NULL || dlt == DLT_LOOP) {
      if (n < 4) continue;
      uint32_t fam = dlt == DLT_NULL ? (d[0] | (d[1] << 8) | (d[2] << 16) | (uint32_t(d[3]) << 24)) : be32(d);
      ethertype = fam == 2 ? 0x0800 : 0x86dd;
      d += 4; n -= 4;
    } else if (dlt == DLT_RAW || dlt == 12 /* DLT_RAW on some systems */) {
      if (n < 1) continue;
      ethertype = (d[0] >> 4) == 4 ? 0x0800 : 0x86dd;
    } else {
      pcap_close(p);
      throw std::runtime_error(path + ": link type not handled by the test helper");
    }
    std::string src, dst;
    char buf[INET6_ADDRSTRLEN];
    const unsigned char* tcp;
    size_t tcplen;
    if (ethertype == 0x0800) {
      if (n < 20) continue;
      size_t ihl = (d[0] & 0x0f) * 4u;
      size_t total = be16(d + 2);
      if (d[9] != 6 || n < ihl || total < ihl) continue;
      inet_ntop(AF_INET, d + 12, buf, sizeof buf); src = buf;
      inet_ntop(AF_INET, d + 16, buf, sizeof buf); dst = buf;
      tcp = d + ihl;
      tcplen = std::min(n, total) - ihl;
    } else if (ethertype == 0x86dd) {
      if (n < 40 || d[6] != 6) continue;  // no extension headers in the bundled captures
      inet_ntop(AF_INET6, d + 8, buf, sizeof buf); src = buf;
      inet_ntop(AF_INET6, d + 24, buf, sizeof buf); dst = buf;
      tcp = d + 40;
      tcplen = std::min<size_t>(n - 40, be16(d + 4));
    } else {
      continue;
    }
    if (tcplen < 20) continue;
    uint16_t sport = be16(tcp), dport = be16(tcp + 2);
    uint32_t seq = be32(tcp + 4);
    size_t off = (tcp[12] >> 4) * 4u;
    uint8_t flags = tcp[13];
    if (off > tcplen) continue;
    Key k{src, dst, sport, dport};
    Key rk{dst, src, dport, sport};
    int side;
    size_t ci;
    if (auto it = index.find(k); it != index.end()) {
      ci = it->second; side = 0;
    } else if (auto rit = index.find(rk); rit != index.end()) {
      ci = rit->second; side = 1;
    } else {
      ci = conns.size();
      index[k] = ci;
      ConnState c;
      c.addr[0] = src; c.addr[1] = dst; c.port[0] = sport; c.port[1] = dport;
      conns.push_back(c);
      side = 0;
    }
    ConnState& c = conns[ci];
    HalfState& half = c.half[side];
    const bool syn = flags & 0x02, ack = flags & 0x10;
    if (syn) {
      half.have_isn = true;
      half.isn = seq + 1;
      if (!ack) c.syn_from = side;
    }
    if (tcplen > off) {
      half.segs.push_back({seq, std::string(reinterpret_cast<const char*>(tcp + off), tcplen - off), frame,
                           h->ts.tv_sec + h->ts.tv_usec / 1e6});
    }
  }
  pcap_close(p);
  std::vector<Connection> out;
  for (ConnState& c : conns) {
    int client = c.syn_from;
    if (client < 0) client = c.port[1] == server_port ? 0 : 1;
    Connection o;
    o.saw_syn = c.syn_from >= 0;
    o.client_addr = c.addr[client]; o.client_port = c.port[client];
    o.server_addr = c.addr[1 - client]; o.server_port = c.port[1 - client];
    assemble(c.half[client], o.to_server);
    assemble(c.half[1 - client], o.to_client);
    out.push_back(std::move(o));
  }
  return out;
}

std::string capture_path(const std::string& name) { return std::string(GEARWIRE_CAPTURES_DIR) + "/" + name; }

std::vector<std::string> manifest_paths() {
  std::vector<std::string> names;
  DIR* dir = opendir(GEARWIRE_CAPTURES_DIR);
  if (!dir) return names;
  const std::string suffix = ".manifest.json";
  while (dirent* e = readdir(dir)) {
    std::string f = e->d_name;
    if (f.size() > suffix.size() && f.compare(f.size() - suffix.size(), suffix.size(), suffix) == 0)
      names.push_back(capture_path(f));
  }
  closedir(dir);
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace testsupport
