// SPDX-License-Identifier: GPL-2.0-or-later
#include "reader.h"

#include <fcntl.h>
#include <pcap/pcap.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "input.h"
#include "stop_signal.h"

namespace gan {

namespace {
// One input opened for libpcap; `src` tells whether it is decompressed on the way.
struct Opened {
  pcap_t* p = nullptr;
  Source src;
};

bool open_one(const std::string& f, Opened& o, std::string& err) {
  std::string name = f == "-" ? std::string("stdin") : f;
  if (!open_source(f, o.src, err)) return false;
  char eb[PCAP_ERRBUF_SIZE] = "";
  if (o.src.fp) {
    o.p = pcap_fopen_offline_with_tstamp_precision(o.src.fp, PCAP_TSTAMP_PRECISION_NANO, eb);
    if (!o.p) {
      std::fclose(o.src.fp);  // libpcap leaves it open when it fails
      std::string why = o.src.error().empty() ? std::string(eb) : o.src.error();
      if (*o.src.compression && o.src.error().empty())
        why += std::string(" (in the ") + o.src.compression + "-compressed data)";
      err = name + ": " + why;
      return false;
    }
    return true;
  }
  o.p = pcap_open_offline_with_tstamp_precision(f.c_str(), PCAP_TSTAMP_PRECISION_NANO, eb);
  if (!o.p) {
    std::string why = eb;
    // libpcap names the file itself in some messages ("x.pcap: No such file or directory").
    if (why.compare(0, name.size() + 2, name + ": ") == 0) why = why.substr(name.size() + 2);
    err = name + ": " + why;
    return false;
  }
  return true;
}
// Fast path for classic pcap files (version 2.4, either byte order, µs or ns): the file is
// mapped and its records are handed to the analyzer in place, without libpcap's fread copy into
// its buffer. It stops at the first record it is not sure libpcap would read the same way
// (truncated, caplen over the snapshot length, end of file in a header) and returns how many
// records it delivered; the caller then lets libpcap read on from there, so warnings and error
// messages stay libpcap's. Returns -1 when the file is not for this path at all.
int64_t read_mapped(const std::string& f, pcap_t* p, Analyzer& a, uint64_t before, uint64_t total,
                    const std::function<void(uint64_t, uint64_t)>& progress, bool& done) {
  done = false;
  if (f == "-") return -1;
  int dlt = pcap_datalink(p);
  switch (dlt) {  // the link types parse_frame reads; libpcap fixes up some others' headers
    case 0: case 1: case 12: case 14: case 101: case 108: case 113: case 228: case 229: case 276: break;
    default: return -1;
  }
  if (pcap_major_version(p) != 2 || pcap_minor_version(p) != 4) return -1;
  int fd = ::open(f.c_str(), O_RDONLY);
  if (fd < 0) return -1;
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 24) { ::close(fd); return -1; }
  size_t size = size_t(st.st_size);
  void* m = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (m == MAP_FAILED) return -1;
  madvise(m, size, MADV_SEQUENTIAL);
  const uint8_t* b = static_cast<const uint8_t*>(m);
  uint32_t magic;
  std::memcpy(&magic, b, 4);
  bool swapped, nano;
  if (magic == 0xa1b2c3d4) { swapped = false; nano = false; }
  else if (magic == 0xa1b23c4d) { swapped = false; nano = true; }
  else if (magic == 0xd4c3b2a1) { swapped = true; nano = false; }
  else if (magic == 0x4d3cb2a1) { swapped = true; nano = true; }
  else { munmap(m, size); return -1; }
  if (swapped != bool(pcap_is_swapped(p))) { munmap(m, size); return -1; }
  int snap = pcap_snapshot(p);
  uint32_t snapshot = snap > 0 ? uint32_t(snap) : 0;
  const int64_t scale = nano ? 1 : 1000;
  auto rd = [swapped](const uint8_t* q) {
    uint32_t v;
    std::memcpy(&v, q, 4);
    return swapped ? __builtin_bswap32(v) : v;
  };
  size_t off = 24, dropped = 0;
  constexpr size_t kDropStep = size_t(1) << 20;  // a multiple of the page size
  int64_t n = 0;
  for (;;) {
    if (off == size) { done = true; break; }
    if (size - off < 16) break;
    const uint8_t* h = b + off;
    uint32_t sec = rd(h), frac = rd(h + 4), caplen = rd(h + 8), len = rd(h + 12);
    if (caplen > snapshot || caplen > size - off - 16) break;
    int64_t ts = int64_t(sec) * 1000000000 + int64_t(frac) * scale;
    a.on_frame(dlt, h + 16, caplen, len, ts);
    off += 16 + size_t(caplen);
    ++n;
    if (off - dropped >= kDropStep) {
      // Read pages are dropped from the mapping (they stay in the page cache): otherwise every
      // page of the file counts in the process's RSS and peak memory grows with the capture.
      size_t upto = off & ~(kDropStep - 1);
      madvise(const_cast<uint8_t*>(b) + dropped, upto - dropped, MADV_DONTNEED);
      dropped = upto;
    }
    if (progress && (n & 0xffff) == 0) progress(before + off, total);
  }
  munmap(m, size);
  return n;
}

}  // namespace

ReadResult check_inputs(const std::vector<std::string>& files) {
  ReadResult r;
  for (const auto& f : files) {
    if (f == "-") continue;
    std::string err;
    Opened o;
    if (!open_one(f, o, err)) { r.ok = false; r.error = err; return r; }
    pcap_close(o.p);
  }
  return r;
}

ReadResult read_captures(const std::vector<std::string>& files, Analyzer& a,
                         const std::function<void(uint64_t, uint64_t)>& progress) {
  ReadResult r;
  uint64_t total = 0, before = 0;
  for (const auto& f : files) {
    struct stat st;
    if (f != "-" && stat(f.c_str(), &st) == 0) total += uint64_t(st.st_size);
  }
  for (const auto& f : files) {
    std::string err;
    Opened o;
    if (!open_one(f, o, err)) {
      if (f == "-" && stop_requested()) break;  // stopped before stdin gave a capture header
      r.ok = false;
      r.error = err;
      return r;
    }
    pcap_t* p = o.p;
    int dlt = pcap_datalink(p);
    // Where reading is in the input, for the progress bar: compressed bytes consumed, or libpcap's
    // file position.
    FILE* fp = o.src.fp ? nullptr : pcap_file(p);
    auto position = [&]() -> uint64_t {
      if (o.src.fp) return o.src.consumed();
      long at = fp ? ftell(fp) : -1;
      return at > 0 ? uint64_t(at) : 0;
    };
    struct pcap_pkthdr* h;
    const u_char* data;
    int rc;
    uint64_t n = 0;
    bool mapped_all = false;
    int64_t mapped = o.src.fp ? -1 : read_mapped(f, p, a, before, total, progress, mapped_all);
    if (mapped >= 0 && !mapped_all) {
      // The mapped reader stopped early: libpcap reads on from that record (skipping the ones
      // already delivered), with its own checks and messages.
      pcap_close(p);
      o = Opened{};
      if (!open_one(f, o, err)) { r.ok = false; r.error = err; return r; }
      p = o.p;
      fp = pcap_file(p);
      for (int64_t i = 0; i < mapped; ++i) {
        if (pcap_next_ex(p, &h, &data) != 1) break;
      }
    }
    rc = mapped_all ? PCAP_ERROR_BREAK : 0;
    while (rc == 0 && !stop_requested() && (rc = pcap_next_ex(p, &h, &data)) == 1) {
      rc = 0;
      int64_t ts = int64_t(h->ts.tv_sec) * 1000000000 + int64_t(h->ts.tv_usec);  // tv_usec holds ns
      a.on_frame(dlt, data, h->caplen, h->len, ts);
      if (progress && (++n & 0xffff) == 0) progress(before + position(), total);
    }
    // Stopped (SIGINT while reading stdin): a record cut off by the stop is not an error.
    if (rc == -1 && !stop_requested()) {
      std::string why = o.src.error().empty() ? std::string(pcap_geterr(p)) : o.src.error();
      a.warn("capture_read_error", (f == "-" ? std::string("stdin") : f) + ": " + why +
                                       " (the report covers what was read before)", a.frame());
    }
    if (f != "-") {
      struct stat st;
      if (stat(f.c_str(), &st) == 0) before += uint64_t(st.st_size);
    }
    pcap_close(p);
    if (stop_requested()) break;
  }
  if (progress) progress(total, total);
  return r;
}

}  // namespace gan
