#include "pcap_streams.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <pcap/pcap.h>

#include <algorithm>
#include <memory>
#include <stdexcept>

#include "netstream/packet.h"
#include "netstream/tcp_direction.h"

namespace testsupport {
namespace {

std::string address(const netstream::Endpoint& e) {
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(e.v6 ? AF_INET6 : AF_INET, e.addr, buf, sizeof buf);
  return buf;
}

// Appends what the reassembler delivers; holes (there are none in the bundled captures) become
// NULs so that offsets stay honest.
struct Append final : netstream::StreamOut {
  std::string* out;
  explicit Append(std::string* o) : out(o) {}
  void bytes(const uint8_t* d, uint32_t cap, uint32_t len) override {
    out->append(reinterpret_cast<const char*>(d), cap);
    out->append(len - cap, '\0');
  }
  void gap(uint64_t len) override { out->append(len, '\0'); }
};

struct Half {
  netstream::TcpDirection tcp{size_t(1) << 30};
  Direction out;
};

struct ConnState {
  netstream::Endpoint ep[2];
  int syn_from = -1;
  Half half[2];  // half[i]: data sent by endpoint i
};

// One segment into its direction: reassembled by the analyzer's rules, and remembered with its
// frame and time at the stream offset where its new bytes start.
void add_segment(Half& h, const netstream::TcpSegment& s, double time) {
  if (!h.tcp.started()) h.tcp.start(s.seq - 1);  // no SYN seen: start at the first segment
  const int64_t off = h.tcp.offset_of(s.seq);
  const int64_t end = off + s.length;
  const int64_t from = std::max<int64_t>(off, int64_t(h.tcp.next()));
  if (end > from) h.out.segments.push_back({uint64_t(from), uint32_t(end - from), s.frame, time});
  Append sink(&h.out.bytes);
  netstream::ReassemblyCounts ignored;
  h.tcp.segment(s.seq, s.payload, s.captured, s.length, sink, ignored);
}

}  // namespace

std::vector<Connection> read_tcp_connections(const std::string& path, uint16_t server_port) {
  char err[PCAP_ERRBUF_SIZE];
  pcap_t* p = pcap_open_offline(path.c_str(), err);
  if (!p) throw std::runtime_error(path + ": " + err);
  const int dlt = pcap_datalink(p);
  std::vector<std::unique_ptr<ConnState>> conns;
  pcap_pkthdr* h;
  const u_char* data;
  uint64_t frame = 0;
  netstream::TcpSegment s;
  while (pcap_next_ex(p, &h, &data) == 1) {
    ++frame;
    if (netstream::parse_frame(dlt, data, h->caplen, h->len, s) != netstream::ParseResult::Tcp) continue;
    s.frame = frame;
    ConnState* c = nullptr;
    int side = 0;
    for (auto& k : conns) {  // a handful of connections per capture: a scan is enough
      if (k->ep[0] == s.src && k->ep[1] == s.dst) { c = k.get(); side = 0; break; }
      if (k->ep[0] == s.dst && k->ep[1] == s.src) { c = k.get(); side = 1; break; }
    }
    if (!c) {
      conns.push_back(std::make_unique<ConnState>());
      c = conns.back().get();
      c->ep[0] = s.src;
      c->ep[1] = s.dst;
    }
    Half& half = c->half[side];
    if (s.flags & netstream::kSyn) {
      if (!half.tcp.started()) half.tcp.start(s.seq);
      if (!(s.flags & netstream::kAck)) c->syn_from = side;
    }
    if (s.length > 0) add_segment(half, s, double(h->ts.tv_sec) + h->ts.tv_usec / 1e6);
  }
  pcap_close(p);
  std::vector<Connection> out;
  for (auto& cp : conns) {
    ConnState& c = *cp;
    int client = c.syn_from;
    if (client < 0) client = c.ep[1].port == server_port ? 0 : 1;
    Connection o;
    o.saw_syn = c.syn_from >= 0;
    o.client_addr = address(c.ep[client]);
    o.client_port = c.ep[client].port;
    o.server_addr = address(c.ep[1 - client]);
    o.server_port = c.ep[1 - client].port;
    for (int i = 0; i < 2; ++i) {
      Half& hf = c.half[i];
      Append sink(&hf.out.bytes);
      hf.tcp.flush(sink);
      std::sort(hf.out.segments.begin(), hf.out.segments.end(),
                [](const Segment& x, const Segment& y) { return x.stream_offset < y.stream_offset; });
    }
    o.to_server = std::move(c.half[client].out);
    o.to_client = std::move(c.half[1 - client].out);
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
