// The analyzer over whole capture files, two ways, chosen by the input's first four bytes:
//   a pcap or pcapng magic number, or gzip's or zstd's: the input is a capture file, read through
//           gan::read_captures from a memfd, so reader.cpp's libpcap handling is in the loop
//           (the bundled captures are the seeds);
//   anything else: structure-aware: the input is a list of TCP segments on a few connections to
//           port 4730 (Ethernet/IPv4 frames built here), so mutations land in reassembly, the
//           stream decoder and the job tracker instead of in pcap and IP headers.
// Besides "no crash, no sanitizer report": every frame is counted, the report-side accessors
// (warnings, slowest jobs) work after finish(), and (structure-aware inputs) two threads report
// exactly what one thread reports.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "analyzer.h"
#include "reader.h"
#include "report.h"

namespace {

void finish_and_check(gan::Analyzer& a) {
  a.finish();
  auto w = a.warnings();
  auto top = a.slowest();
  if (top.size() > 10) abort();  // Options::top
  for (const auto& j : top)
    if (j.handle.size() > (64u << 20)) abort();
  (void)w;
}

void whole_file(const uint8_t* data, size_t size) {
  int fd = memfd_create("fuzz_analyzer", 0);
  if (fd < 0) abort();
  size_t done = 0;
  while (done < size) {
    ssize_t n = write(fd, data + done, size - done);
    if (n <= 0) abort();
    done += size_t(n);
  }
  char path[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  gan::Analyzer a;
  gan::read_captures({path}, a);
  finish_and_check(a);
  close(fd);
}

void put16(std::string& s, uint16_t v) { s += char(v >> 8); s += char(v & 0xff); }
void put32(std::string& s, uint32_t v) { put16(s, uint16_t(v >> 16)); put16(s, uint16_t(v)); }

// Record: [ctl][seq delta hi][seq delta lo][len][len bytes of payload]
//   ctl bits 0-1: connection (client 10.0.0.2+i:40000+i), bit 2: to the server,
//   bits 3-5: SYN/FIN/RST, bit 6: seq delta << 16 (big gaps), bit 7: seq delta negative.
// The same frames also go to an analyzer with the job stage on a second thread that splits the
// arguments itself (handoff.h): its report must be the single-threaded one, byte for byte.
void segments(const uint8_t* data, size_t size) {
  gan::Analyzer a;
  gan::Options two_threads;
  two_threads.threads = 2;
  two_threads.split_args = gan::Options::SplitArgs::Stage;
  gan::Analyzer b(two_threads);
  uint32_t seq[4][2] = {};
  bool started[4][2] = {};
  size_t i = 0;
  int64_t ts = 1'000'000'000;
  uint64_t frames = 0;
  std::string f;
  while (i + 4 <= size) {
    uint8_t ctl = data[i];
    uint32_t delta = uint32_t(data[i + 1]) << 8 | data[i + 2];
    size_t len = data[i + 3];
    i += 4;
    if (len > size - i) len = size - i;
    int conn = ctl & 3, dir = (ctl >> 2) & 1;
    if (ctl & 0x40) delta <<= 16;
    uint32_t& s = seq[conn][dir];
    if (!started[conn][dir]) { s = 1000u * uint32_t(conn + 1) + 77777u * uint32_t(dir); started[conn][dir] = true; }
    s = (ctl & 0x80) ? s - delta : s + delta;
    uint8_t flags = gan::kAck | gan::kPsh;
    if (ctl & 0x08) flags |= gan::kSyn;
    if (ctl & 0x10) flags |= gan::kFin;
    if (ctl & 0x20) flags |= gan::kRst;

    f.clear();
    f.append("\x00\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb\x08\x00", 14);
    uint8_t cli[4] = {10, 0, 0, uint8_t(2 + conn)}, srv[4] = {10, 0, 0, 1};
    uint16_t cport = uint16_t(40000 + conn), sport = 4730;
    f += char(0x45); f += char(0);
    put16(f, uint16_t(20 + 20 + len));
    put16(f, 0); put16(f, 0x4000);
    f += char(64); f += char(6); put16(f, 0);
    f.append(reinterpret_cast<const char*>(dir ? cli : srv), 4);
    f.append(reinterpret_cast<const char*>(dir ? srv : cli), 4);
    put16(f, dir ? cport : sport);
    put16(f, dir ? sport : cport);
    put32(f, s);
    put32(f, seq[conn][dir ^ 1]);
    f += char(0x50); f += char(flags);
    put16(f, 65535); put16(f, 0); put16(f, 0);
    f.append(reinterpret_cast<const char*>(data + i), len);
    i += len;
    if (!(flags & (gan::kSyn | gan::kFin | gan::kRst))) s += uint32_t(len);
    else s += uint32_t(len) + 1;
    ts += 1000 * (ctl & 0x0f);
    for (gan::Analyzer* x : {&a, &b})
      x->on_frame(1 /* DLT_EN10MB */, reinterpret_cast<const uint8_t*>(f.data()), uint32_t(f.size()),
                  uint32_t(f.size()), ts);
    ++frames;
  }
  if (a.totals().frames != frames) abort();
  finish_and_check(a);
  finish_and_check(b);
  const gan::ReportInfo info{{"fuzz"}, "fuzz"};
  if (gan::json_report(a, info) != gan::json_report(b, info)) abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const uint8_t magics[][4] = {{0xd4, 0xc3, 0xb2, 0xa1}, {0xa1, 0xb2, 0xc3, 0xd4},
                                      {0x4d, 0x3c, 0xb2, 0xa1}, {0xa1, 0xb2, 0x3c, 0x4d},
                                      {0x0a, 0x0d, 0x0d, 0x0a},
                                      // gzip (any flags byte) and zstd: input.cpp's decompression
                                      {0x1f, 0x8b, 0x08, 0x00}, {0x28, 0xb5, 0x2f, 0xfd}};
  for (const auto& m : magics)
    if (size >= 4 && std::memcmp(data, m, 4) == 0) {
      whole_file(data, size);
      return 0;
    }
  segments(data, size);
  return 0;
}
