// End to end on every bundled capture: job counts, outcomes and functions equal the manifest;
// job timestamps equal the capture's, found here by a separate, naive walk over the streams.
#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "analyzer.h"
#include "manifest.h"
#include "synth.h"
#include "pcap_streams.h"
#include "reader.h"

namespace {

struct Result {
  std::unique_ptr<gan::Analyzer> a;
  std::vector<gan::JobRecord> jobs;
};

Result analyze(const std::string& path, uint16_t port) {
  Result r;
  gan::Options o;
  if (port != 4730) o.ports.push_back(port);
  r.a = std::make_unique<gan::Analyzer>(o);
  auto* jobs = &r.jobs;
  r.a->set_job_sink([jobs](const gan::JobRecord& j) { jobs->push_back(j); });
  auto rr = gan::read_captures({path}, *r.a);
  EXPECT_TRUE(rr.ok) << rr.error;
  r.a->finish();
  return r;
}

void expect_manifest_counts(const gan::Analyzer& a, const nlohmann::json& m, const std::string& what) {
  const auto& t = a.totals();
  EXPECT_EQ(t.jobs, m["total"].get<uint64_t>()) << what;
  EXPECT_EQ(t.complete, m["complete"].get<uint64_t>()) << what;
  EXPECT_EQ(t.fail, m["fail"].get<uint64_t>()) << what;
  EXPECT_EQ(t.exception, m["exception"].get<uint64_t>()) << what;
  EXPECT_EQ(t.incomplete, m["incomplete"].get<uint64_t>()) << what;
  EXPECT_EQ(t.background, m["background"].get<uint64_t>()) << what;
  if (m.contains("coalesced_submits")) {
    EXPECT_EQ(t.coalesced_submits, m["coalesced_submits"].get<uint64_t>()) << what;
  }
  std::map<std::string, const gan::FunctionStats*> mine;
  for (const auto& f : a.functions()) if (f.jobs) mine[f.name] = &f;
  EXPECT_EQ(mine.size(), m["by_function"].size()) << what;
  for (const auto& [name, v] : m["by_function"].items()) {
    auto it = mine.find(name);
    ASSERT_NE(it, mine.end()) << what << ": function " << name;
    const auto* f = it->second;
    EXPECT_EQ(f->jobs, v["jobs"].get<uint64_t>()) << what << " " << name;
    EXPECT_EQ(f->complete, v["complete"].get<uint64_t>()) << what << " " << name;
    EXPECT_EQ(f->fail, v["fail"].get<uint64_t>()) << what << " " << name;
    EXPECT_EQ(f->exception, v["exception"].get<uint64_t>()) << what << " " << name;
    EXPECT_EQ(f->incomplete, v["incomplete"].get<uint64_t>()) << what << " " << name;
    EXPECT_EQ(f->background, v["background"].get<uint64_t>()) << what << " " << name;
  }
}

// First time a PDU of one of `types` naming `handle` first is completed in a direction.
struct Seen { double t = -1; };
using Times = std::map<std::pair<uint32_t, std::string>, double>;  // (type, handle) → first time

void scan(const testsupport::Direction& d, Times& out) {
  const std::string& b = d.bytes;
  size_t off = 0;
  size_t seg = 0;
  while (off + 12 <= b.size()) {
    if (b[off] != '\0') {  // admin text: skip the line
      size_t nl = b.find('\n', off);
      if (nl == std::string::npos) break;
      off = nl + 1;
      continue;
    }
    auto be = [&](size_t p) {
      return uint32_t(uint8_t(b[p])) << 24 | uint32_t(uint8_t(b[p + 1])) << 16 |
             uint32_t(uint8_t(b[p + 2])) << 8 | uint32_t(uint8_t(b[p + 3]));
    };
    uint32_t type = be(off + 4), len = be(off + 8);
    size_t end = off + 12 + len;
    if (end > b.size()) break;
    std::string data = b.substr(off + 12, len);
    std::string handle = data.substr(0, data.find('\0'));
    // WORK_COMPLETE / WORK_EXCEPTION without the NUL before their result: both servers refuse
    // it (Perl Gearman::Worker's empty result, captures/README.md), so it ends no job.
    const bool refused = (type == 13 || type == 25) && data.find('\0') == std::string::npos;
    while (seg < d.segments.size() && d.segments[seg].stream_offset + d.segments[seg].length < end) ++seg;
    if (seg < d.segments.size() && !refused) {
      auto key = std::make_pair(type, handle);
      auto it = out.find(key);
      if (it == out.end() || d.segments[seg].time < it->second) out[key] = d.segments[seg].time;
    }
    off = end;
  }
}

}  // namespace

TEST(AnalyzerCaptures, EveryManifestMatches) {
  auto caps = testsupport::bundled_captures();
  ASSERT_FALSE(caps.empty());
  for (const auto& c : caps) {
    uint16_t port = c.manifest["server"]["port"].get<uint16_t>();
    Result r = analyze(c.pcap_path, port);
    expect_manifest_counts(*r.a, c.manifest["jobs"], c.name);
    if (c.manifest["packets"].contains("binary_total")) {
      EXPECT_EQ(r.a->totals().pdus, c.manifest["packets"]["binary_total"].get<uint64_t>()) << c.name;
    }
    if (c.manifest["packets"].contains("admin_commands")) {
      EXPECT_EQ(r.a->totals().admin_commands, c.manifest["packets"]["admin_commands"].get<uint64_t>()) << c.name;
    }
    for (const auto& w : r.a->warnings())
      EXPECT_TRUE(synth::expected_in_clean_capture(w.kind, c.manifest)) << c.name << ": " << w.kind;
  }
}

TEST(AnalyzerCaptures, JobTimesAreTheCaptureTimes) {
  using namespace gearproto;
  size_t checked = 0;
  for (const auto& c : testsupport::bundled_captures()) {
    uint16_t port = c.manifest["server"]["port"].get<uint16_t>();
    Result r = analyze(c.pcap_path, port);
    Times to_server, to_client;
    for (const auto& conn : testsupport::read_tcp_connections(c.pcap_path, port)) {
      scan(conn.to_server, to_server);
      scan(conn.to_client, to_client);
    }
    auto first = [](const Times& t, std::initializer_list<uint32_t> types, const std::string& h) {
      double best = -1;
      for (uint32_t ty : types) {
        auto it = t.find({ty, h});
        if (it != t.end() && (best < 0 || it->second < best)) best = it->second;
      }
      return best;
    };
    auto near = [](int64_t ns, double s) { return std::fabs(double(ns) / 1e9 - s) < 2e-6; };
    for (const auto& j : r.jobs) {
      if (j.unknown_start || j.assignments > 1) continue;
      double created = first(to_client, {JOB_CREATED}, j.handle);
      double assign = first(to_client, {JOB_ASSIGN, JOB_ASSIGN_UNIQ, JOB_ASSIGN_ALL}, j.handle);
      double done = first(to_server, {WORK_COMPLETE, WORK_FAIL, WORK_EXCEPTION}, j.handle);
      double client = first(to_client, {WORK_COMPLETE, WORK_FAIL, WORK_EXCEPTION}, j.handle);
      if (created >= 0) { EXPECT_TRUE(near(j.t_created, created)) << c.name << " " << j.handle; }
      if (assign >= 0) { EXPECT_TRUE(near(j.t_assign_first, assign)) << c.name << " " << j.handle; }
      if (done >= 0) { EXPECT_TRUE(near(j.t_worker_done, done)) << c.name << " " << j.handle; }
      // Total time ends at the result on the FIRST submitter's connection; with coalesced
      // submits another client may have had its copy first.
      if (client >= 0 && !j.background && j.submits == 1) { EXPECT_TRUE(near(j.t_client_done, client)) << c.name << " " << j.handle; }
      if (client >= 0 && !j.background && j.submits > 1) { EXPECT_GE(double(j.t_client_done) / 1e9, client - 2e-6) << c.name << " " << j.handle; }
      if (created >= 0 && assign >= 0 && done >= 0) ++checked;
    }
  }
  EXPECT_GE(checked, 5u);
}
