// Variants of the bundled captures made here: the same conversations re-segmented, reordered,
// retransmitted, on other link types, in pcapng, split over files, cut short.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "analyzer.h"
#include "manifest.h"
#include "reader.h"
#include "synth.h"

namespace {

struct Counts {
  uint64_t jobs, complete, fail, exception, incomplete, background;
};
Counts counts(const gan::Analyzer& a) {
  const auto& t = a.totals();
  return {t.jobs, t.complete, t.fail, t.exception, t.incomplete, t.background};
}
Counts counts(const nlohmann::json& m) {
  return {m["total"].get<uint64_t>(), m["complete"].get<uint64_t>(), m["fail"].get<uint64_t>(),
          m["exception"].get<uint64_t>(), m["incomplete"].get<uint64_t>(), m["background"].get<uint64_t>()};
}
void expect_eq(const Counts& a, const Counts& b, const std::string& what) {
  EXPECT_EQ(a.jobs, b.jobs) << what;
  EXPECT_EQ(a.complete, b.complete) << what;
  EXPECT_EQ(a.fail, b.fail) << what;
  EXPECT_EQ(a.exception, b.exception) << what;
  EXPECT_EQ(a.incomplete, b.incomplete) << what;
  EXPECT_EQ(a.background, b.background) << what;
}
uint64_t warning(const gan::Analyzer& a, const std::string& kind) {
  for (const auto& w : a.warnings()) if (w.kind == kind) return w.count;
  return 0;
}

gan::Options options_for(const testsupport::BundledCapture& c) {
  gan::Options o;
  uint16_t port = c.manifest["server"]["port"].get<uint16_t>();
  if (port != 4730) o.ports.push_back(port);
  return o;
}
uint16_t port_of(const testsupport::BundledCapture& c) { return c.manifest["server"]["port"].get<uint16_t>(); }

void read_files(gan::Analyzer& a, const std::vector<std::string>& files) {
  auto r = gan::read_captures(files, a);
  ASSERT_TRUE(r.ok) << r.error;
  a.finish();
}

}  // namespace

TEST(AnalyzerVariants, OneByteSegments) {
  for (const auto& c : testsupport::bundled_captures()) {
    gan::Analyzer a(options_for(c));
    synth::feed(a, synth::from_capture(c.pcap_path, 1, port_of(c)));
    expect_eq(counts(a), counts(c.manifest["jobs"]), c.name + " 1-byte");
    for (const auto& w : a.warnings())
      EXPECT_TRUE(synth::expected_in_clean_capture(w.kind, c.manifest)) << c.name << " " << w.kind;
  }
}

TEST(AnalyzerVariants, ReorderedAndRetransmittedSegments) {
  for (const auto& c : testsupport::bundled_captures()) {
    auto segs = synth::from_capture(c.pcap_path, 7, port_of(c));
    std::vector<synth::Seg> out;
    for (size_t i = 0; i < segs.size(); ++i) {
      if (i + 1 < segs.size() && i % 3 == 0 && !segs[i].payload.empty() && !segs[i + 1].payload.empty() &&
          segs[i].src == segs[i + 1].src && segs[i].dst == segs[i + 1].dst) {
        out.push_back(segs[i + 1]);
        out.push_back(segs[i]);
        out.push_back(segs[i + 1]);  // and retransmitted
        ++i;
        continue;
      }
      out.push_back(segs[i]);
      if (i % 5 == 0 && !segs[i].payload.empty()) {  // a retransmission overlapping the next bytes
        synth::Seg dup = segs[i];
        out.push_back(dup);
      }
    }
    gan::Analyzer a(options_for(c));
    synth::feed(a, out);
    expect_eq(counts(a), counts(c.manifest["jobs"]), c.name + " reordered");
    EXPECT_GT(a.totals().retransmissions, 0u) << c.name;
    EXPECT_EQ(warning(a, "gap"), 0u) << c.name;
  }
}

TEST(AnalyzerVariants, LinkTypesIpv6AndPcapng) {
  struct V { const char* name; synth::Link link; bool v6; bool ng; };
  const V variants[] = {
      {"sll2", synth::Link::Sll2, false, false},
      {"ipv6-qinq", synth::Link::EthernetVlanQinQ, true, false},
      {"sll-ipv6", synth::Link::Sll, true, false},
      {"null", synth::Link::Null, false, false},
      {"raw", synth::Link::Raw, true, false},
      {"pcapng", synth::Link::Ethernet, false, true},
  };
  for (const auto& c : testsupport::bundled_captures()) {
    auto segs = synth::from_capture(c.pcap_path, 0, port_of(c));
    for (const V& v : variants) {
      std::string path = synth::temp_path(std::string(v.name) + (v.ng ? ".pcapng" : ".pcap"));
      auto s = v.v6 ? synth::to_ipv6(segs) : segs;
      if (v.ng) synth::write_pcapng(path, s, v.link);
      else synth::write_pcap(path, s, v.link);
      gan::Analyzer a(options_for(c));
      read_files(a, {path});
      expect_eq(counts(a), counts(c.manifest["jobs"]), c.name + " " + v.name);
      unlink(path.c_str());
    }
  }
}

TEST(AnalyzerVariants, RingBufferFilesAreOneCapture) {
  for (const auto& c : testsupport::bundled_captures()) {
    auto segs = synth::from_capture(c.pcap_path, 0, port_of(c));
    size_t half = segs.size() / 2;
    std::string p1 = synth::temp_path("ring1.pcap"), p2 = synth::temp_path("ring2.pcap");
    synth::write_pcap(p1, {segs.begin(), segs.begin() + long(half)}, synth::Link::Ethernet);
    synth::write_pcap(p2, {segs.begin() + long(half), segs.end()}, synth::Link::Ethernet);
    gan::Analyzer a(options_for(c));
    read_files(a, {p1, p2});
    expect_eq(counts(a), counts(c.manifest["jobs"]), c.name + " split in two files");
    unlink(p1.c_str());
    unlink(p2.c_str());
  }
}

TEST(AnalyzerVariants, NoSynSeenStillDecodesFromTheFirstHeader) {
  for (const auto& c : testsupport::bundled_captures()) {
    std::vector<synth::Seg> nosyn;
    for (auto& s : synth::from_capture(c.pcap_path, 0, port_of(c)))
      if (!(s.flags & gan::kSyn)) nosyn.push_back(s);
    gan::Analyzer a(options_for(c));
    synth::feed(a, nosyn);
    expect_eq(counts(a), counts(c.manifest["jobs"]), c.name + " without SYNs");
    EXPECT_GT(warning(a, "mid_stream_start"), 0u) << c.name;
  }
}

TEST(AnalyzerVariants, MidStreamStartIsHonest) {
  for (const auto& c : testsupport::bundled_captures()) {
    auto segs = synth::from_capture(c.pcap_path, 0, port_of(c));
    std::vector<synth::Seg> late;
    for (size_t i = segs.size() / 3; i < segs.size(); ++i)
      if (!(segs[i].flags & gan::kSyn)) late.push_back(segs[i]);
    gan::Analyzer a(options_for(c));
    synth::feed(a, late);
    auto m = counts(c.manifest["jobs"]);
    // Jobs whose start was cut off are still counted, as "began before the capture".
    EXPECT_LE(a.totals().jobs - a.totals().unknown_start, m.jobs) << c.name;
    EXPECT_GT(warning(a, "mid_stream_start"), 0u) << c.name;
  }
}

TEST(AnalyzerVariants, FileCutMidRecordGivesReportAndWarning) {
  for (const auto& c : testsupport::bundled_captures()) {
    auto segs = synth::from_capture(c.pcap_path, 0, port_of(c));
    std::string path = synth::temp_path("cut.pcap");
    synth::write_pcap(path, segs, synth::Link::Ethernet);
    struct stat st;
    ASSERT_EQ(stat(path.c_str(), &st), 0);
    ASSERT_EQ(truncate(path.c_str(), st.st_size * 6 / 10 + 3), 0);
    gan::Analyzer a(options_for(c));
    read_files(a, {path});
    EXPECT_EQ(warning(a, "capture_read_error"), 1u) << c.name;
    EXPECT_LE(a.totals().jobs - a.totals().unknown_start, counts(c.manifest["jobs"]).jobs) << c.name;
    EXPECT_GT(a.totals().frames, 0u);
    unlink(path.c_str());
  }
}

TEST(AnalyzerVariants, Snaplen128CountsWhatIsThereAndWarns) {
  for (const auto& c : testsupport::bundled_captures()) {
    auto segs = synth::from_capture(c.pcap_path, 0, port_of(c));
    bool cut = false;
    for (const auto& s : segs) cut |= 14 + 20 + 20 + s.payload.size() > 128;
    std::string path = synth::temp_path("snap.pcap");
    synth::write_pcap(path, segs, synth::Link::Ethernet, 128);
    gan::Analyzer a(options_for(c));
    read_files(a, {path});
    if (!cut) {
      expect_eq(counts(a), counts(c.manifest["jobs"]), c.name + " snaplen 128");
    } else {
      EXPECT_GT(warning(a, "snaplen_truncated"), 0u) << c.name;
      EXPECT_LE(a.totals().jobs - a.totals().unknown_start, counts(c.manifest["jobs"]).jobs) << c.name;
    }
    unlink(path.c_str());
  }
}
