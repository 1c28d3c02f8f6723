// Capture files read in place (reader.cpp's mapped path, pcap and pcapng) give exactly what
// libpcap's own reading gives (stdin, which is never mapped): the same report, the same warnings,
// also for files the in-place reader stops in and libpcap reads on (other sections, simple
// packet blocks, time offsets, interfaces libpcap refuses, cut files).
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

#include "pcap_streams.h"
#include "synth.h"

namespace {

// A pcapng file written block by block, in either byte order.
class Ng {
 public:
  explicit Ng(bool big_endian) : be_(big_endian) {}
  Ng& shb() {
    std::string b;
    u32(b, 0x1A2B3C4D);
    u16(b, 1);
    u16(b, 0);
    u32(b, 0xffffffff);
    u32(b, 0xffffffff);
    return block(0x0A0D0D0A, b);
  }
  // `tsresol` < 0: no if_tsresol option (microseconds). `tsoffset`: an if_tsoffset option.
  Ng& idb(int dlt, uint32_t snaplen, int tsresol, bool tsoffset = false) {
    std::string b;
    u16(b, uint16_t(dlt));
    u16(b, 0);
    u32(b, snaplen);
    if (tsresol >= 0) {
      u16(b, 9);
      u16(b, 1);
      b += char(tsresol);
      b.append(3, '\0');
    }
    if (tsoffset) {
      u16(b, 14);
      u16(b, 8);
      b.append(8, '\0');
    }
    u16(b, 0);
    u16(b, 0);
    return block(1, b);
  }
  Ng& epb(uint32_t iface, uint64_t t, const std::string& frame, uint32_t caplen_field = 0) {
    std::string b;
    u32(b, iface);
    u32(b, uint32_t(t >> 32));
    u32(b, uint32_t(t));
    u32(b, caplen_field ? caplen_field : uint32_t(frame.size()));
    u32(b, uint32_t(frame.size()));
    b += frame;
    b.append((4 - frame.size() % 4) % 4, '\0');
    return block(6, b);
  }
  Ng& spb(const std::string& frame) {
    std::string b;
    u32(b, uint32_t(frame.size()));
    b += frame;
    b.append((4 - frame.size() % 4) % 4, '\0');
    return block(3, b);
  }
  Ng& other(uint32_t type) { return block(type, std::string(8, 'x')); }  // e.g. NRB, ISB: skipped
  std::string bytes;

 private:
  Ng& block(uint32_t type, const std::string& body) {
    const uint32_t len = uint32_t(12 + body.size());
    u32(bytes, type);
    u32(bytes, len);
    bytes += body;
    u32(bytes, len);
    return *this;
  }
  void u32(std::string& o, uint32_t v) {
    for (int i = 0; i < 4; ++i) o += char((be_ ? v >> (24 - 8 * i) : v >> (8 * i)) & 255);
  }
  void u16(std::string& o, uint16_t v) {
    o += char((be_ ? v >> 8 : v) & 255);
    o += char((be_ ? v : v >> 8) & 255);
  }
  bool be_;
};

std::string path_for(const std::string& name) { return synth::temp_path("reader-" + name); }
void write(const std::string& path, const std::string& bytes) { std::ofstream(path, std::ios::binary) << bytes; }

std::string run(const std::string& args) {
  std::string out;
  FILE* p = popen((std::string(GEARMAN_ANALYZE_BIN) + " --no-progress --format json " + args + " 2>&1").c_str(), "r");
  std::array<char, 65536> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  pclose(p);
  return out;
}
// The report of `path` read in place and through stdin (libpcap), names of the input removed.
void expect_same_as_libpcap(const std::string& path, const std::string& what) {
  auto normal = [&path](std::string out) {
    nlohmann::json j = nlohmann::json::parse(out, nullptr, false);
    if (j.is_discarded()) return out;
    j["capture"].erase("files");
    std::string s = j.dump(1);
    for (size_t at; (at = s.find(path)) != std::string::npos;) s.replace(at, path.size(), "stdin");
    return s;
  };
  const std::string mapped = normal(run(path)), piped = normal(run("- < " + path));
  EXPECT_EQ(mapped, piped) << what;
  EXPECT_NE(mapped.find("\"jobs\""), std::string::npos) << what << ": " << mapped;
}

struct Frames {
  std::vector<std::string> frames;
  std::vector<int64_t> ts;
};
Frames frames_of(const std::string& capture) {
  Frames f;
  for (const auto& s : synth::from_capture(testsupport::capture_path(capture))) {
    f.frames.push_back(synth::frame(s, synth::Link::Ethernet));
    f.ts.push_back(s.ts_ns);
  }
  return f;
}

}  // namespace

TEST(AnalyzerReader, PcapngReadInPlaceEqualsLibpcap) {
  const Frames f = frames_of("libgearman-full.pcap");
  const size_t half = f.frames.size() / 2;
  // name, how the file is built (the frames go where `packets` is called)
  struct Variant {
    const char* name;
    bool big_endian;
    std::function<void(Ng&, const std::function<void(Ng&, size_t, size_t, uint32_t, int)>&)> build;
  };
  // packets(ng, from, to, iface, tsresol): EPBs for frames [from, to) with times in 10^-tsresol s.
  auto packets = [&f](Ng& ng, size_t from, size_t to, uint32_t iface, int tsresol) {
    for (size_t i = from; i < to; ++i) {
      const uint64_t ns = uint64_t(f.ts[i]);
      ng.epb(iface, tsresol == 9 ? ns : ns / 1000, f.frames[i]);
    }
  };
  const Variant variants[] = {
      {"microseconds", false, [](Ng& ng, auto p) { ng.shb().idb(1, 262144, -1); p(ng, 0, SIZE_MAX, 0, 6); }},
      {"nanoseconds-big-endian", true, [](Ng& ng, auto p) { ng.shb().idb(1, 262144, 9); p(ng, 0, SIZE_MAX, 0, 9); }},
      {"two-interfaces-and-other-blocks", false,
       [half](Ng& ng, auto p) {
         ng.shb().idb(1, 65535, 6).other(4);
         p(ng, 0, half, 0, 6);
         ng.idb(1, 65535, 9).other(5).other(0x40000BAD);
         p(ng, half, SIZE_MAX, 1, 9);
       }},
      // Stops where the in-place reader stops; libpcap reads on (or refuses, with a warning).
      {"second-section", false,
       [half](Ng& ng, auto p) {
         ng.shb().idb(1, 262144, 9);
         p(ng, 0, half, 0, 9);
         ng.shb().idb(1, 262144, -1);
         p(ng, half, SIZE_MAX, 0, 6);
       }},
      {"time-offset", false,
       [half](Ng& ng, auto p) {
         ng.shb().idb(1, 262144, 9);
         p(ng, 0, half, 0, 9);
         ng.idb(1, 262144, 9, true);
         p(ng, half, SIZE_MAX, 1, 9);
       }},
      {"other-snaplen", false,
       [half](Ng& ng, auto p) {
         ng.shb().idb(1, 262144, 9);
         p(ng, 0, half, 0, 9);
         ng.idb(1, 1000, 9);
         p(ng, half, SIZE_MAX, 0, 9);
       }},
      {"other-link-type", false,
       [half](Ng& ng, auto p) {
         ng.shb().idb(1, 262144, 9);
         p(ng, 0, half, 0, 9);
         ng.idb(113, 262144, 9);
         p(ng, half, SIZE_MAX, 0, 9);
       }},
      {"binary-resolution", false,
       [half](Ng& ng, auto p) {
         ng.shb().idb(1, 262144, 9);
         p(ng, 0, half, 0, 9);
         ng.idb(1, 262144, 0x80 | 20);  // 2^-20 s
         p(ng, half, SIZE_MAX, 0, 9);
       }},
  };
  for (const Variant& v : variants) {
    Ng ng(v.big_endian);
    v.build(ng, [&packets, &f](Ng& n, size_t from, size_t to, uint32_t iface, int res) {
      packets(n, from, std::min(to, f.frames.size()), iface, res);
    });
    const std::string path = path_for(std::string(v.name) + ".pcapng");
    write(path, ng.bytes);
    expect_same_as_libpcap(path, v.name);
    // The same cut short inside a block.
    write(path, ng.bytes.substr(0, ng.bytes.size() * 2 / 3 + 5));
    expect_same_as_libpcap(path, std::string(v.name) + ", cut");
    std::remove(path.c_str());
  }
  // A simple packet block after enhanced ones, and a record longer than the snapshot length.
  {
    Ng ng(false);
    ng.shb().idb(1, 262144, 9);
    packets(ng, 0, half, 0, 9);
    ng.spb(f.frames[half]);
    packets(ng, half + 1, f.frames.size(), 0, 9);
    const std::string path = path_for("spb.pcapng");
    write(path, ng.bytes);
    expect_same_as_libpcap(path, "simple packet block");
    std::remove(path.c_str());
  }
  {
    Ng ng(false);
    ng.shb().idb(1, 200, 9);
    packets(ng, 0, half, 0, 9);  // frames longer than 200 bytes: libpcap refuses the first
    const std::string path = path_for("over-snaplen.pcapng");
    write(path, ng.bytes);
    expect_same_as_libpcap(path, "caplen over the snapshot length");
    std::remove(path.c_str());
  }
}

// Classic pcap in both byte orders and both resolutions, whole and cut.
TEST(AnalyzerReader, PcapReadInPlaceEqualsLibpcap) {
  const std::string path = path_for("basic.pcap");
  synth::write_pcap(path, synth::from_capture(testsupport::capture_path("perl-coalesce.pcap")), synth::Link::Ethernet);
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  const std::string bytes = s.str();
  expect_same_as_libpcap(path, "pcap");
  write(path, bytes.substr(0, bytes.size() - 7));
  expect_same_as_libpcap(path, "pcap, cut");
  std::remove(path.c_str());
}
