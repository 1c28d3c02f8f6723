// Writes small crafted captures for the plugin tests: make_pcaps OUTDIR
// Each capture is a handful of TCP connections (no handshakes; tshark does not need them) whose
// payloads come from gearproto's encoder, plus a manifest with the expected packet counts.
#include <cstdio>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <map>
#include <string>
#include <vector>

#include "gearproto/encoder.h"
#include "gearproto/framer.h"
#include "gearproto/packet_table.h"

using namespace gearproto;

namespace {

struct Endpoint { uint32_t ip; uint16_t port; };

struct Conn {
  Endpoint a, b;  // a = client/worker, b = server
  uint32_t seq_a = 1000, seq_b = 5000;
};

class Pcap {
 public:
  explicit Pcap(const std::string& path) : f_(std::fopen(path.c_str(), "wb")) {
    const uint32_t magic = 0xa1b2c3d4;
    const uint16_t vmaj = 2, vmin = 4;
    const int32_t zone = 0;
    const uint32_t sig = 0, snap = 262144, link = 1;
    std::fwrite(&magic, 4, 1, f_); std::fwrite(&vmaj, 2, 1, f_); std::fwrite(&vmin, 2, 1, f_);
    std::fwrite(&zone, 4, 1, f_); std::fwrite(&sig, 4, 1, f_); std::fwrite(&snap, 4, 1, f_);
    std::fwrite(&link, 4, 1, f_);
  }
  ~Pcap() { if (f_) std::fclose(f_); }

  // Sends `payload` in one segment from a (to_server) or b.
  void send(Conn& c, bool to_server, const std::string& payload, uint32_t advance_us = 1000) {
    uint32_t& seq = to_server ? c.seq_a : c.seq_b;
    write_segment(c, to_server, payload, seq, advance_us);
    seq += static_cast<uint32_t>(payload.size());
  }

  // Sends `payload` again as a retransmission of the segment that started `back` bytes ago.
  void retransmit(Conn& c, bool to_server, const std::string& payload, uint32_t back, uint32_t advance_us = 200000) {
    const uint32_t seq = (to_server ? c.seq_a : c.seq_b) - back;
    write_segment(c, to_server, payload, seq, advance_us);
  }

  // A Windows TCP keep-alive probe: one byte (0x00, whatever the byte sent there was) at the next
  // sequence number - 1, i.e. data the peer has already acknowledged; the peer answers with a bare
  // ACK. Linux probes carry no byte; Windows' carry this one.
  void keep_alive(Conn& c, bool to_server, uint32_t advance_us = 45000000) {
    const uint32_t seq = (to_server ? c.seq_a : c.seq_b) - 1;
    write_segment(c, to_server, std::string(1, '\0'), seq, advance_us);
    write_segment(c, !to_server, std::string(), to_server ? c.seq_b : c.seq_a, 100);
  }

 private:
  void write_segment(Conn& c, bool to_server, const std::string& payload, uint32_t seq, uint32_t advance_us) {
    usec_ += advance_us;
    const Endpoint& s = to_server ? c.a : c.b;
    const Endpoint& d = to_server ? c.b : c.a;
    const uint32_t ack = to_server ? c.seq_b : c.seq_a;
    std::string pkt;
    // Ethernet
    pkt.append("\x00\x00\x00\x00\x00\x02\x00\x00\x00\x00\x00\x01\x08\x00", 14);
    // IPv4
    const uint16_t total = static_cast<uint16_t>(20 + 20 + payload.size());
    unsigned char ip[20] = {0x45, 0, static_cast<unsigned char>(total >> 8), static_cast<unsigned char>(total & 0xff),
                            0, 0, 0x40, 0, 64, 6, 0, 0};
    put32(ip + 12, s.ip); put32(ip + 16, d.ip);
    uint32_t sum = 0;
    for (int i = 0; i < 20; i += 2) sum += (ip[i] << 8) | ip[i + 1];
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    const uint16_t cs = static_cast<uint16_t>(~sum);
    ip[10] = static_cast<unsigned char>(cs >> 8); ip[11] = static_cast<unsigned char>(cs & 0xff);
    pkt.append(reinterpret_cast<char*>(ip), 20);
    // TCP (checksum 0: tshark does not verify by default)
    unsigned char tcp[20] = {};
    tcp[0] = static_cast<unsigned char>(s.port >> 8); tcp[1] = static_cast<unsigned char>(s.port & 0xff);
    tcp[2] = static_cast<unsigned char>(d.port >> 8); tcp[3] = static_cast<unsigned char>(d.port & 0xff);
    put32(tcp + 4, seq); put32(tcp + 8, ack);
    tcp[12] = 0x50; tcp[13] = 0x18; tcp[14] = 0xff; tcp[15] = 0xff;
    pkt.append(reinterpret_cast<char*>(tcp), 20);
    pkt += payload;
    const uint32_t sec = 1700000000 + usec_ / 1000000, us = usec_ % 1000000;
    const uint32_t len = static_cast<uint32_t>(pkt.size());
    std::fwrite(&sec, 4, 1, f_); std::fwrite(&us, 4, 1, f_);
    std::fwrite(&len, 4, 1, f_); std::fwrite(&len, 4, 1, f_);
    std::fwrite(pkt.data(), 1, pkt.size(), f_);
  }

  static void put32(unsigned char* p, uint32_t v) {
    p[0] = static_cast<unsigned char>(v >> 24); p[1] = static_cast<unsigned char>(v >> 16);
    p[2] = static_cast<unsigned char>(v >> 8); p[3] = static_cast<unsigned char>(v);
  }
  std::FILE* f_;
  uint64_t usec_ = 0;
};

uint32_t ip(int a, int b, int c, int d) { return (uint32_t(a) << 24) | (uint32_t(b) << 16) | (uint32_t(c) << 8) | uint32_t(d); }

// Counts packets by type name for the manifest.
struct Counter {
  std::map<std::string, int> by_type, by_type_magic;
  int binary_total = 0;
  void add(const std::string& bytes) {
    size_t off = 0;
    while (off + kHeaderSize <= bytes.size()) {
      Header h;
      parse_header(Bytes(bytes.data() + off, kHeaderSize), Limits{}, h);
      by_type[packet_name(h.type)]++;
      by_type_magic[std::string(packet_name(h.type)) + "/" + magic_name(h.magic)]++;
      binary_total++;
      off += kHeaderSize + h.length;
    }
  }
  void write(const std::string& path, const std::string& capture, uint16_t port, int jobs_total, int complete,
             int fail, int exception, int incomplete) {
    std::FILE* f = std::fopen(path.c_str(), "w");
    std::fprintf(f, "{\"capture\": \"%s\", \"server\": {\"address\": \"10.0.0.2\", \"port\": %u},\n", capture.c_str(), port);
    std::fprintf(f, " \"packets\": {\"binary_total\": %d, \"by_type\": {", binary_total);
    bool first = true;
    for (auto& [k, v] : by_type) { std::fprintf(f, "%s\"%s\": %d", first ? "" : ", ", k.c_str(), v); first = false; }
    std::fprintf(f, "}, \"by_type_magic\": {");
    first = true;
    for (auto& [k, v] : by_type_magic) { std::fprintf(f, "%s\"%s\": %d", first ? "" : ", ", k.c_str(), v); first = false; }
    if (jobs_total < 0) {  // no job truth for this capture
      std::fprintf(f, "}}}\n");
    } else {
      std::fprintf(f, "}},\n \"jobs\": {\"total\": %d, \"complete\": %d, \"fail\": %d, \"exception\": %d, \"incomplete\": %d}}\n",
                   jobs_total, complete, fail, exception, incomplete);
    }
    std::fclose(f);
  }
};

// A normal session: worker + client + admin, several PDUs per segment, one PDU split in two.
void basic(const std::string& dir, uint16_t port, const char* name) {
  Pcap p(dir + "/" + name + ".pcap");
  Counter n;
  Conn worker{{ip(10, 0, 0, 3), 40001}, {ip(10, 0, 0, 2), port}};
  Conn client{{ip(10, 0, 0, 1), 40000}, {ip(10, 0, 0, 2), port}};
  auto send = [&](Conn& c, bool up, const std::string& s, uint32_t us = 1000) { n.add(s); p.send(c, up, s, us); };

  send(worker, true, make_request(CAN_DO, {"reverse"}) + make_request(CAN_DO, {"fail"}));
  send(worker, true, make_request(SET_CLIENT_ID, {"worker-1"}));
  send(worker, true, make_request(PRE_SLEEP));
  send(client, true, make_request(OPTION_REQ, {"exceptions"}));
  send(client, false, make_response(OPTION_RES, {"exceptions"}));
  send(client, true, make_request(ECHO_REQ, {std::string("ping\0pong", 9)}));
  send(client, false, make_response(ECHO_RES, {std::string("ping\0pong", 9)}));
  send(client, true, make_request(SUBMIT_JOB, {"reverse", "u-1", "hello world"}));
  send(client, false, make_response(JOB_CREATED, {"H:gm:1"}), 2000);
  send(worker, false, make_response(NOOP));
  send(worker, true, make_request(GRAB_JOB_UNIQ));
  send(worker, false, make_response(JOB_ASSIGN_UNIQ, {"H:gm:1", "reverse", "u-1", "hello world"}), 5000);
  send(worker, true, make_request(WORK_STATUS, {"H:gm:1", "1", "2"}), 3000);
  send(worker, true, make_request(WORK_COMPLETE, {"H:gm:1", "dlrow olleh"}), 7000);
  // Both forwarded packets in one segment to the client.
  send(client, false, make_response(WORK_STATUS, {"H:gm:1", "1", "2"}) + make_response(WORK_COMPLETE, {"H:gm:1", "dlrow olleh"}));
  // A second job that fails, submitted with a payload split over two segments.
  std::string big = make_request(SUBMIT_JOB_HIGH, {"fail", "u-2", std::string(3000, 'x')});
  n.add(big);
  p.send(client, true, big.substr(0, 1400));
  p.send(client, true, big.substr(1400));
  send(client, true, make_request(SUBMIT_JOB_BG, {"reverse", "u-3", "bg"}));
  send(client, false, make_response(JOB_CREATED, {"H:gm:2"}) + make_response(JOB_CREATED, {"H:gm:3"}));
  send(worker, true, make_request(GRAB_JOB));
  send(worker, false, make_response(JOB_ASSIGN, {"H:gm:2", "fail", std::string(3000, 'x')}));
  send(worker, true, make_request(WORK_FAIL, {"H:gm:2"}));
  send(client, false, make_response(WORK_FAIL, {"H:gm:2"}));
  send(client, true, make_request(GET_STATUS, {"H:gm:3"}));
  send(client, false, make_response(STATUS_RES, {"H:gm:3", "1", "0", "0", "0"}));
  send(worker, true, make_request(GRAB_JOB));
  send(worker, false, make_response(JOB_ASSIGN, {"H:gm:3", "reverse", "bg"}));
  send(worker, true, make_request(WORK_EXCEPTION, {"H:gm:3", "boom"}));
  send(worker, true, make_request(GRAB_JOB));
  send(worker, false, make_response(NO_JOB));
  send(client, true, make_request(SUBMIT_JOB, {"nosuch", "u-4", "x"}));
  send(client, false, make_response(ERROR, {"JOB_QUEUE_FULL", "queue is full"}));
  // The rarer types, after the frames the link tests name by number (33 on).
  send(worker, true, make_request(CAN_DO_TIMEOUT, {"slow", "30"}) + make_request(CANT_DO, {"fail"}));
  send(worker, true, make_request(ALL_YOURS));
  send(client, true, make_request(SUBMIT_JOB_SCHED, {"slow", "u-5", "30", "2", "1", "12", "0", "cron"}));
  send(client, true, make_request(SUBMIT_JOB_EPOCH, {"slow", "u-6", "1700000999", "later"}));
  send(client, true, make_request(SUBMIT_REDUCE_JOB, {"mapper", "u-7", "reducer", "", "list"}));
  send(client, false, make_response(JOB_CREATED, {"H:gm:5"}) + make_response(JOB_CREATED, {"H:gm:6"}) +
                          make_response(JOB_CREATED, {"H:gm:7"}));
  send(client, true, make_request(GET_STATUS_UNIQUE, {"u-7"}));
  send(client, false, make_response(STATUS_RES_UNIQUE, {"u-7", "1", "1", "3", "10", "1"}));
  send(worker, true, make_request(GRAB_JOB_ALL));
  send(worker, false, make_response(JOB_ASSIGN_ALL, {"H:gm:7", "mapper", "u-7", "reducer", "list"}));
  send(worker, true, make_request(WORK_DATA, {"H:gm:7", std::string("part\0ial", 8)}));
  send(worker, true, make_request(RESET_ABILITIES));
  n.write(dir + "/" + name + ".manifest.json", std::string(name) + ".pcap", port, 6, 1, 1, 1, 3);
}

void admin(const std::string& dir) {
  Pcap p(dir + "/admin.pcap");
  Conn c{{ip(10, 0, 0, 5), 40005}, {ip(10, 0, 0, 2), 4730}};
  std::string s;
  auto line = [&](const char* l) { std::string o; append_admin_line(o, l, false); return o; };
  p.send(c, true, line("status"));
  p.send(c, false, line("reverse\t2\t1\t3") + line("fail\t0\t0\t1") + line("."));
  p.send(c, true, line("workers"));
  p.send(c, false, line("33 10.0.0.3 worker-1 : reverse fail") + line("34 10.0.0.1 - :") + line("."));
  p.send(c, true, line("version"));
  p.send(c, false, line("OK 1.1.19"));
  p.send(c, true, line("bogus command"));
  p.send(c, false, line("ERR UNKNOWN_COMMAND Unknown+server+command"));
  // A command split over two segments, then binary and text in one segment.
  p.send(c, true, "priority");
  p.send(c, true, "status\n");
  p.send(c, false, line("reverse\t1\t2\t3\t4") + line("."));
  p.send(c, true, make_request(ECHO_REQ, {"hi"}) + line("show jobs"));
  p.send(c, false, make_response(ECHO_RES, {"hi"}) + line("H:gm:9\t0\t0\t1") + line("."));
}

void broken(const std::string& dir) {
  Pcap p(dir + "/broken.pcap");
  Conn c{{ip(10, 0, 0, 7), 40007}, {ip(10, 0, 0, 2), 4730}};
  std::string s;
  // Garbage that starts with NUL, then a valid packet in the same segment.
  s = std::string("\0XYZ\0\0\0\1garbage!", 16) + make_request(CAN_DO, {"ok"});
  p.send(c, true, s);
  s.clear(); append_raw(s, Bytes("\0REQ", 4), 99, 0);  // unknown type
  p.send(c, true, s);
  s.clear(); append_raw(s, Bytes("\0REQ", 4), JOB_CREATED, 6, "H:gm:5");  // magic not allowed
  p.send(c, true, s);
  s.clear(); append_raw(s, Bytes("\0REQ", 4), SUBMIT_JOB, 7, "reverse");  // missing arguments
  p.send(c, true, s);
  p.send(c, false, make_response(JOB_CREATED, {std::string(80, 'h')}));  // handle too long, no request
  p.send(c, true, make_request(WORK_STATUS, {"H:gm:1", "x", "2"}));  // unusual number (gearmand: atoi)
  p.send(c, true, make_request(CAN_DO_TIMEOUT, {"fn\x01\n", "99999999999999999999999"}));  // gearmand refuses; control bytes
  s.clear(); append_raw(s, Bytes("\0REQ", 4), ECHO_REQ, 0x7fffffff);  // oversize
  p.send(c, true, s);
  p.send(c, true, make_request(WORK_WARNING, {"H:gm:1", "careful"}));
}

// The Node.js abraxas server's copy of a separator-less WORK_COMPLETE: it declares the handle's
// length and writes a NUL after it (captures/nodejs-abraxas-server.pcap). One stray byte before
// the next message: in the same segment, and at a segment's end with the message in the next.
void stray_byte(const std::string& dir) {
  Pcap p(dir + "/stray-byte.pcap");
  Conn c{{ip(10, 0, 0, 8), 40008}, {ip(10, 0, 0, 2), 4730}};
  p.send(c, true, make_request(SUBMIT_JOB, {"f", "u1", "x"}));
  p.send(c, false, make_response(JOB_CREATED, {"job:1"}));
  p.send(c, true, make_request(SUBMIT_JOB, {"f", "u2", "x"}));
  p.send(c, false, make_response(JOB_CREATED, {"job:2"}));
  std::string s;
  append_raw(s, Bytes("\0RES", 4), WORK_COMPLETE, 5, "job:1");
  s.push_back('\0');
  s += make_response(WORK_COMPLETE, {"job:2", "ok"});
  p.send(c, false, s);
  p.send(c, true, make_request(SUBMIT_JOB, {"f", "u3", "x"}));
  p.send(c, false, make_response(JOB_CREATED, {"job:3"}));
  s.clear();
  append_raw(s, Bytes("\0RES", 4), WORK_COMPLETE, 5, "job:3");
  s.push_back('\0');
  p.send(c, false, s);
  p.send(c, true, make_request(ECHO_REQ, {"e"}));
  p.send(c, false, make_response(ECHO_RES, {"e"}));
}

// Both directions end inside a message: the server's with the abraxas stray NUL after its last
// message, the client's with a SUBMIT_JOB whose last 3 bytes never came (the capture was stopped).
void stream_ends(const std::string& dir) {
  Pcap p(dir + "/stream-ends.pcap");
  Conn c{{ip(10, 0, 0, 9), 40009}, {ip(10, 0, 0, 2), 4730}};
  p.send(c, true, make_request(SUBMIT_JOB, {"f", "u1", "x"}));
  std::string s = make_response(JOB_CREATED, {"job:1"});
  s.push_back('\0');
  p.send(c, false, s);
  s = make_request(SUBMIT_JOB, {"f", "u2", "xyz"});
  s.resize(s.size() - 3);
  p.send(c, true, s);
}

// Not Gearman, on the port the heuristic capture uses: must not be claimed.
void not_gearman(const std::string& dir) {
  Pcap p(dir + "/not-gearman.pcap");
  Conn http{{ip(10, 0, 0, 8), 40008}, {ip(10, 0, 0, 9), 7003}};
  p.send(http, true, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  p.send(http, false, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
  Conn mc{{ip(10, 0, 0, 8), 40009}, {ip(10, 0, 0, 9), 7004}};
  p.send(mc, true, "version\r\n");
  p.send(mc, false, "VERSION 1.6.9\r\n");
  p.send(mc, true, "get foo\r\n");
  Conn tls{{ip(10, 0, 0, 8), 40010}, {ip(10, 0, 0, 9), 7005}};
  p.send(tls, true, std::string("\x16\x03\x01\x00\x05\x01\x00\x00\x01\x00", 10));
  Conn mcb{{ip(10, 0, 0, 8), 40011}, {ip(10, 0, 0, 9), 7006}};  // memcached binary GET
  p.send(mcb, true, std::string("\x80\x00\x00\x03\x00\x00\x00\x00\x00\x00\x00\x03\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" "foo", 27));
}

// The exact bytes real software sends where it strays from the spec; each is accepted (or, for the
// separator-less WORK_COMPLETE, at least read) by a real server. See docs/decoder.md.
void real_bytes(const std::string& dir) {
  Pcap p(dir + "/real-bytes.pcap");
  Counter n;
  Conn worker{{ip(10, 0, 0, 3), 40021}, {ip(10, 0, 0, 2), 4730}};
  Conn client{{ip(10, 0, 0, 1), 40020}, {ip(10, 0, 0, 2), 4730}};
  auto send = [&](Conn& c, bool up, const std::string& s) { n.add(s); p.send(c, up, s); };
  send(client, true, make_request(SUBMIT_JOB, {"progress", "", "x"}));
  send(client, false, make_response(JOB_CREATED, {"H:vm:1"}));
  send(worker, true, make_request(GRAB_JOB));
  send(worker, false, make_response(JOB_ASSIGN, {"H:vm:1", "progress", "x"}));
  // A Node.js worker (npm gearman: sendWorkStatus(handle, String(100 / 3), "100")); gearmand
  // forwards the text unchanged.
  send(worker, true, make_request(WORK_STATUS, {"H:vm:1", "33.33333333333333", "100"}));
  send(client, false, make_response(WORK_STATUS, {"H:vm:1", "33.33333333333333", "100"}));
  // Perl Gearman::Job::set_status(100 / 3, 100): Perl's own float text.
  send(worker, true, make_request(WORK_STATUS, {"H:vm:1", "33.3333333333333", "100"}));
  send(client, false, make_response(WORK_STATUS, {"H:vm:1", "33.3333333333333", "100"}));
  // Perl Gearman::Server answers GET_STATUS with the worker's text, or empty numbers when it
  // knows no progress.
  send(client, true, make_request(GET_STATUS, {"H:vm:1"}));
  send(client, false, make_response(STATUS_RES, {"H:vm:1", "1", "1", "33.3333333333333", "100"}));
  send(client, true, make_request(GET_STATUS, {"H:vm:9"}));
  send(client, false, make_response(STATUS_RES, {"H:vm:9", "0", "0", "", ""}));
  // Perl Gearman::Worker: WORK_COMPLETE for an empty result is the handle alone, no NUL.
  std::string wc;
  append_raw(wc, Bytes("\0REQ", 4), WORK_COMPLETE, 6, "H:vm:1");
  send(worker, true, wc);
  // No job truth: what a job engine makes of a WORK_COMPLETE the servers refuse is not settled here.
  n.write(dir + "/real-bytes.manifest.json", "real-bytes.pcap", 4730, -1, 0, 0, 0, 0);
}

// Messages cut into 1- and 2-byte segments, whose last segment is sent twice (a retransmission):
// an admin reply (text) and binary PDUs. Stock Wireshark shows no reassembly error on these.
void tiny_segments(const std::string& dir) {
  Pcap p(dir + "/tiny-segments.pcap");
  Conn admin{{ip(10, 0, 0, 5), 40030}, {ip(10, 0, 0, 2), 4730}};
  std::string cmd, reply;
  append_admin_line(cmd, "status", false);
  append_admin_line(reply, "reverse\t1\t2\t3", false);
  append_admin_line(reply, ".", false);
  p.send(admin, true, cmd);
  for (size_t i = 0; i < reply.size();) {
    const size_t k = (i % 3 == 0) ? 1 : 2;
    const std::string seg = reply.substr(i, k);
    p.send(admin, false, seg);
    i += seg.size();
    if (i >= reply.size()) p.retransmit(admin, false, seg, static_cast<uint32_t>(seg.size()));
  }
  Conn bin{{ip(10, 0, 0, 6), 40031}, {ip(10, 0, 0, 2), 4730}};
  const std::string pdus = make_request(SUBMIT_JOB, {"reverse", "u-1", "hello"}) + make_request(ECHO_REQ, {"ping"});
  for (size_t i = 0; i < pdus.size(); ++i) {
    const std::string seg = pdus.substr(i, 1);
    p.send(bin, true, seg);
    if (i + 1 == pdus.size()) p.retransmit(bin, true, seg, 1);
  }
  p.send(bin, false, make_response(JOB_CREATED, {"H:gm:1"}) + make_response(ECHO_RES, {"ping"}));
}

// Windows-style keep-alive probes on idle connections, in both directions: each after a message
// that spanned several segments and ended with the last one, and after one that came in a single
// segment; binary and admin text. Every probe is followed by more traffic, which must decode.
void keep_alives(const std::string& dir) {
  Pcap p(dir + "/keep-alive.pcap");
  Counter n;
  Conn bin{{ip(10, 0, 0, 6), 40050}, {ip(10, 0, 0, 2), 4730}};
  auto split = [&](Conn& c, bool up, const std::string& s, std::initializer_list<size_t> cuts) {
    size_t at = 0;
    for (size_t cut : cuts) { p.send(c, up, s.substr(at, cut - at)); at = cut; }
    p.send(c, up, s.substr(at));
  };
  const std::string submit = make_request(SUBMIT_JOB, {"reverse", "u-1", "hello world"});
  n.add(submit);
  split(bin, true, submit, {5, 17});                 // three segments, the message ends with the last
  p.keep_alive(bin, true);
  const std::string created = make_response(JOB_CREATED, {"H:gm:1"});
  n.add(created);
  p.send(bin, false, created);                       // one segment
  p.keep_alive(bin, false);
  const std::string echo = make_request(ECHO_REQ, {"ping"});
  n.add(echo);
  p.send(bin, true, echo);                           // one segment
  p.keep_alive(bin, true);
  const std::string echo_res = make_response(ECHO_RES, {"ping"});
  n.add(echo_res);
  split(bin, false, echo_res, {3});                  // a header cut after 3 bytes
  p.keep_alive(bin, false);
  const std::string two = make_request(GET_STATUS, {"H:gm:1"}) + make_request(ECHO_REQ, {"pong"});
  n.add(two);
  split(bin, true, two, {20});                       // the second message starts inside the first segment
  p.keep_alive(bin, true);
  const std::string status = make_response(STATUS_RES, {"H:gm:1", "1", "0", "0", "0"}) + make_response(ECHO_RES, {"pong"});
  n.add(status);
  p.send(bin, false, status);

  Conn text{{ip(10, 0, 0, 7), 40051}, {ip(10, 0, 0, 2), 4730}};
  std::string cmd, reply;
  append_admin_line(cmd, "status", false);
  append_admin_line(reply, "reverse\t1\t2\t3", false);
  append_admin_line(reply, "fail\t0\t0\t1", false);
  append_admin_line(reply, ".", false);
  split(text, true, cmd, {3});                       // "sta" "tus\n"
  p.keep_alive(text, true);
  split(text, false, reply, {6, 20});                // rows cut mid-line; ends with the last segment
  p.keep_alive(text, false);
  std::string workers, wreply;
  append_admin_line(workers, "workers", false);
  append_admin_line(wreply, "33 10.0.0.3 worker-1 : reverse", false);
  append_admin_line(wreply, ".", false);
  p.send(text, true, workers);                       // one segment
  p.keep_alive(text, true);
  p.send(text, false, wreply);
  p.keep_alive(text, false);
  n.write(dir + "/keep-alive.manifest.json", "keep-alive.pcap", 4730, -1, 0, 0, 0, 0);
}

// On ports that are not Gearman's, connections whose first segment is too short to decide on
// (8 bytes of a header are enough; 6 are not; an admin command without its newline).
void heuristic_short_start(const std::string& dir) {
  Pcap p(dir + "/heuristic-short-start.pcap");
  Counter n;
  Conn c{{ip(10, 0, 0, 1), 40040}, {ip(10, 0, 0, 2), 7010}};
  const std::string first = make_request(SUBMIT_JOB, {"reverse", "u-1", "hello"});
  n.add(first);
  p.send(c, true, first.substr(0, 8));
  p.send(c, true, first.substr(8));
  const std::string rest = make_response(JOB_CREATED, {"H:gm:1"});
  n.add(rest);
  p.send(c, false, rest);
  Conn text{{ip(10, 0, 0, 1), 40041}, {ip(10, 0, 0, 2), 7011}};
  p.send(text, true, "stat");  // an admin command whose newline comes in the next segment
  p.send(text, true, "us\n");
  p.send(text, false, "reverse\t1\t2\t3\n.\n");
  // 6 bytes: too few to decide (the heuristic has TCP gather 8); the next segment ends that message
  // and holds another whole one; then a Windows keep-alive probe.
  Conn six{{ip(10, 0, 0, 1), 40042}, {ip(10, 0, 0, 2), 7012}};
  const std::string sleep_echo = make_request(PRE_SLEEP) + make_request(ECHO_REQ, {"hi"});
  n.add(sleep_echo);
  p.send(six, true, sleep_echo.substr(0, 6));
  p.send(six, true, sleep_echo.substr(6));
  p.keep_alive(six, true);
  const std::string noop_echo = make_response(NOOP) + make_response(ECHO_RES, {"hi"});
  n.add(noop_echo);
  p.send(six, false, noop_echo);
  n.write(dir + "/heuristic-short-start.manifest.json", "heuristic-short-start.pcap", 7010, 1, 0, 0, 0, 1);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) { std::fprintf(stderr, "usage: make_pcaps OUTDIR\n"); return 2; }
  std::string dir = argv[1];
  basic(dir, 4730, "basic");
  basic(dir, 7003, "heuristic-7003");
  admin(dir);
  broken(dir);
  stray_byte(dir);
  stream_ends(dir);
  not_gearman(dir);
  real_bytes(dir);
  tiny_segments(dir);
  keep_alives(dir);
  heuristic_short_start(dir);
  return 0;
}
