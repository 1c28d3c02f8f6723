// SPDX-License-Identifier: GPL-2.0-or-later
#include "reader.h"

#include <fcntl.h>
#include <pcap/pcap.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <vector>

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
// The capture file mapped for reading in place: records are handed to the analyzer without
// libpcap's fread copy into its buffer. Read pages are dropped from the mapping as the reader
// passes them (they stay in the page cache): otherwise every page of the file counts in the
// process's RSS and peak memory grows with the capture.
class Mapped {
 public:
  bool open(const std::string& f) {
    int fd = ::open(f.c_str(), O_RDONLY);
    if (fd < 0) return false;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 24) { ::close(fd); return false; }
    size_ = size_t(st.st_size);
    void* m = mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
    ::close(fd);
    if (m == MAP_FAILED) return false;
    madvise(m, size_, MADV_SEQUENTIAL);
    b_ = static_cast<const uint8_t*>(m);
    return true;
  }
  ~Mapped() { if (b_) munmap(const_cast<uint8_t*>(b_), size_); }
  const uint8_t* bytes() const { return b_; }
  size_t size() const { return size_; }
  // Everything before `off` has been read.
  void passed(size_t off) {
    if (off - dropped_ < kDropStep) return;
    const size_t upto = off & ~(kDropStep - 1);
    madvise(const_cast<uint8_t*>(b_) + dropped_, upto - dropped_, MADV_DONTNEED);
    dropped_ = upto;
  }

 private:
  static constexpr size_t kDropStep = size_t(1) << 20;  // a multiple of the page size
  const uint8_t* b_ = nullptr;
  size_t size_ = 0, dropped_ = 0;
};

uint32_t load32(const uint8_t* q, bool swapped) {
  uint32_t v;
  std::memcpy(&v, q, 4);
  return swapped ? __builtin_bswap32(v) : v;
}
uint16_t load16(const uint8_t* q, bool swapped) {
  uint16_t v;
  std::memcpy(&v, q, 2);
  return swapped ? __builtin_bswap16(v) : v;
}

// Where the in-place readers below deliver records, and report progress.
struct MappedRead {
  Analyzer& a;
  int dlt;
  uint32_t snapshot;  // libpcap's (adjusted) snapshot length: a longer record is libpcap's to refuse
  bool swapped;
  uint64_t before, total;
  const std::function<void(uint64_t, uint64_t)>& progress;
  int64_t n = 0;
  void deliver(const uint8_t* data, uint32_t caplen, uint32_t len, int64_t ts, size_t end, Mapped& m) {
    a.on_frame(dlt, data, caplen, len, ts);
    ++n;
    m.passed(end);
    if (progress && (n & 0xffff) == 0) progress(before + end, total);
  }
};

// Classic pcap (version 2.4, either byte order, µs or ns). Returns true at the end of the file,
// false at the first record it is not sure libpcap would read the same way (truncated, caplen
// over the snapshot length, end of file in a header).
bool walk_pcap(Mapped& m, MappedRead& r, bool nano) {
  const uint8_t* b = m.bytes();
  const size_t size = m.size();
  const int64_t scale = nano ? 1 : 1000;
  for (size_t off = 24;;) {
    if (off == size) return true;
    if (size - off < 16) return false;
    const uint8_t* h = b + off;
    const uint32_t sec = load32(h, r.swapped), frac = load32(h + 4, r.swapped), caplen = load32(h + 8, r.swapped),
                   len = load32(h + 12, r.swapped);
    if (caplen > r.snapshot || caplen > size - off - 16) return false;
    off += 16 + size_t(caplen);
    r.deliver(h + 16, caplen, len, int64_t(sec) * 1000000000 + int64_t(frac) * scale, off, m);
  }
}

// An enhanced packet block's time in ns, as libpcap gives it: seconds and the fraction in the
// requested unit (ns), as tv_sec and tv_usec. The unit a constant: its divisions are
// multiplications (a 64-bit division takes tens of cycles, twice per frame).
template <uint64_t PerSecond>
int64_t pcapng_ns(uint64_t t) {
  return int64_t(t / PerSecond) * 1000000000 + int64_t(int((t % PerSecond) * (1000000000 / PerSecond)));
}

// pcapng: one section, whose interfaces all have the first one's link type and snapshot length
// and a time resolution of microseconds or nanoseconds without offset; enhanced packet blocks;
// other blocks (name resolution, statistics, custom...) skipped, as libpcap does. Anything else
// (a second section, simple or obsolete packet blocks, other resolutions, a block that does not
// add up) stops it, as walk_pcap stops, and libpcap reads on.
bool walk_pcapng(Mapped& m, MappedRead& r) {
  const uint8_t* b = m.bytes();
  const size_t size = m.size();
  const bool sw = r.swapped;
  struct Iface { uint64_t per_second; };  // time stamp units per second
  std::vector<Iface> ifaces;
  uint32_t first_snaplen = 0;
  // After the section header block (libpcap checked it when it opened the file).
  size_t off = load32(b + 4, sw);
  if (off < 28 || off % 4 != 0 || off > size) return false;
  for (;;) {
    if (off == size) return true;
    if (size - off < 12) return false;
    const uint8_t* blk = b + off;
    const uint32_t type = load32(blk, sw), len = load32(blk + 4, sw);
    if (len < 12 || len % 4 != 0 || len > size - off || load32(blk + len - 4, sw) != len) return false;
    switch (type) {
      case 1: {  // interface description
        if (len < 20) return false;
        const uint16_t linktype = load16(blk + 8, sw);
        const uint32_t snaplen = load32(blk + 12, sw);
        if (linktype != uint32_t(r.dlt)) return false;
        if (ifaces.empty()) first_snaplen = snaplen;
        else if (snaplen != first_snaplen) return false;
        Iface i{1000000};
        bool resol = false;
        for (size_t o = 16; o < len - 4;) {  // options
          if (len - 4 - o < 4) return false;
          const uint16_t code = load16(blk + o, sw), olen = load16(blk + o + 2, sw);
          if (code == 0) break;
          const size_t padded = (size_t(olen) + 3) & ~size_t(3);
          if (padded > len - 4 - o - 4) return false;
          const uint8_t* v = blk + o + 4;
          if (code == 9) {  // if_tsresol: 10^-6 or 10^-9 only
            if (resol || olen != 1 || (v[0] != 6 && v[0] != 9)) return false;
            resol = true;
            i.per_second = v[0] == 6 ? 1000000 : 1000000000;
          } else if (code == 14) {  // if_tsoffset: none
            return false;
          }
          o += 4 + padded;
        }
        ifaces.push_back(i);
        break;
      }
      case 6: {  // enhanced packet
        if (len < 32) return false;
        const uint32_t iface = load32(blk + 8, sw);
        const uint64_t t = uint64_t(load32(blk + 12, sw)) << 32 | load32(blk + 16, sw);
        const uint32_t caplen = load32(blk + 20, sw), wirelen = load32(blk + 24, sw);
        if (iface >= ifaces.size() || caplen > len - 32 || caplen > r.snapshot) return false;
        const int64_t ts = ifaces[iface].per_second == 1000000 ? pcapng_ns<1000000>(t) : pcapng_ns<1000000000>(t);
        r.deliver(blk + 28, caplen, wirelen, ts, off + len, m);
        break;
      }
      case 2: case 3: case 0x0A0D0D0A:  // obsolete and simple packets, another section: libpcap's
        return false;
      default:
        break;
    }
    off += len;
  }
}

// The fast path: a file (not stdin) of a link type parse_frame reads as libpcap hands it over,
// read in place. Returns how many records it delivered; `done` when it reached the end of the
// file. Otherwise the caller lets libpcap read on from the next record, so that warnings and
// error messages stay libpcap's. Returns -1 when the file is not for this path at all.
int64_t read_mapped(const std::string& f, pcap_t* p, Analyzer& a, uint64_t before, uint64_t total,
                    const std::function<void(uint64_t, uint64_t)>& progress, bool& done) {
  done = false;
  if (f == "-") return -1;
  const int dlt = pcap_datalink(p);
  switch (dlt) {  // the link types parse_frame reads; libpcap fixes up some others' headers
    case 0: case 1: case 12: case 14: case 101: case 108: case 113: case 228: case 229: case 276: break;
    default: return -1;
  }
  Mapped m;
  if (!m.open(f)) return -1;
  uint32_t magic;
  std::memcpy(&magic, m.bytes(), 4);
  const int snap = pcap_snapshot(p);
  MappedRead r{a, dlt, snap > 0 ? uint32_t(snap) : 0, bool(pcap_is_swapped(p)), before, total, progress};
  if (magic == 0x0A0D0D0A) {  // pcapng: the byte-order magic says how its numbers are written
    uint32_t bom;
    std::memcpy(&bom, m.bytes() + 8, 4);
    if ((bom != 0x1A2B3C4D && bom != 0x4D3C2B1A) || (bom == 0x4D3C2B1A) != r.swapped) return -1;
    done = walk_pcapng(m, r);
    return r.n;
  }
  if (pcap_major_version(p) != 2 || pcap_minor_version(p) != 4) return -1;
  bool swapped, nano;
  if (magic == 0xa1b2c3d4) { swapped = false; nano = false; }
  else if (magic == 0xa1b23c4d) { swapped = false; nano = true; }
  else if (magic == 0xd4c3b2a1) { swapped = true; nano = false; }
  else if (magic == 0x4d3cb2a1) { swapped = true; nano = true; }
  else return -1;
  if (swapped != r.swapped) return -1;
  done = walk_pcap(m, r, nano);
  return r.n;
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
