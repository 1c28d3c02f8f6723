// The report's sections against what the software did: ERROR codes against the manifests' own
// count, exception texts against what the scenarios sent, clients and workers by who asked for
// work, and what "not measured" looks like in text, JSON and CSV.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>

#include "analyzer.h"
#include "manifest.h"
#include "reader.h"
#include "report.h"
#include "synth.h"

namespace {

std::unique_ptr<gan::Analyzer> analyze(const testsupport::BundledCapture& c) {
  gan::Options o;
  const uint16_t port = c.manifest["server"]["port"].get<uint16_t>();
  if (port != 4730) o.ports.push_back(port);
  auto a = std::make_unique<gan::Analyzer>(o);
  auto rr = gan::read_captures({c.pcap_path}, *a);
  EXPECT_TRUE(rr.ok) << rr.error;
  a->finish();
  return a;
}

const testsupport::BundledCapture& bundled(const std::string& name) {
  static std::vector<testsupport::BundledCapture> all = testsupport::bundled_captures();
  for (const auto& c : all) if (c.name == name + ".pcap") return c;
  ADD_FAILURE() << "no bundled capture " << name;
  return all.front();
}

std::string text_of(const gan::Analyzer& a) {
  char* buf = nullptr;
  size_t len = 0;
  FILE* f = open_memstream(&buf, &len);
  gan::write_text(f, a, gan::ReportInfo{{"x.pcap"}, "test"});
  std::fclose(f);
  std::string s(buf, len);
  std::free(buf);
  return s;
}

std::string csv_of(const gan::Analyzer& a) {
  char* buf = nullptr;
  size_t len = 0;
  FILE* f = open_memstream(&buf, &len);
  gan::write_csv(f, a);
  std::fclose(f);
  std::string s(buf, len);
  std::free(buf);
  return s;
}

}  // namespace

// The manifests count the ERROR packets with their own parser: the report's breakdown by code
// must say the same, for every capture.
TEST(AnalyzerReport, ErrorCodesEqualTheManifests) {
  for (const auto& c : testsupport::bundled_captures()) {
    auto a = analyze(c);
    std::map<std::string, uint64_t> want, got;
    for (const auto& e : c.manifest.value("error_packets", nlohmann::json::array()))
      ++want[e.at(0).get<std::string>()];
    auto j = nlohmann::json::parse(gan::json_report(*a, {{c.name}, "test"}));
    for (const auto& e : j["errors"]) got[e["code"].get<std::string>()] = e["count"].get<uint64_t>();
    EXPECT_EQ(got, want) << c.name;
  }
}

// libgearman-full's worker raises with gearman_job_send_exception(job, "lg-exception", 12).
TEST(AnalyzerReport, ExceptionTextsPerFunction) {
  auto a = analyze(bundled("libgearman-full"));
  auto j = nlohmann::json::parse(gan::json_report(*a, {{"x"}, "test"}));
  bool found = false;
  for (const auto& f : j["functions"]) {
    if (f["name"] != "lg_exc") {
      EXPECT_TRUE(f["exceptions"].empty()) << f["name"];
      continue;
    }
    found = true;
    ASSERT_EQ(f["exceptions"].size(), 1u);
    EXPECT_EQ(f["exceptions"][0]["text"], "lg-exception");
    EXPECT_EQ(f["exceptions"][0]["count"], 1);
    EXPECT_EQ(f["fail_percent"], 100.0);
  }
  EXPECT_TRUE(found);
  EXPECT_NE(text_of(*a).find("exception 1x: \"lg-exception\""), std::string::npos);
}

// Workers are connections that asked for work; clients are the ones that submitted, named by
// client ID, else by IP address. perl-coalesce: one Perl worker (SET_CLIENT_ID perl-worker-1),
// the clients on 127.0.0.1.
TEST(AnalyzerReport, WorkersAskedForWorkAndClientsSubmitted) {
  const auto& c = bundled("perl-coalesce");
  auto a = analyze(c);
  auto j = nlohmann::json::parse(gan::json_report(*a, {{"x"}, "test"}));
  ASSERT_EQ(j["workers"].size(), 1u);
  EXPECT_EQ(j["workers"][0]["name"], "perl-worker-1");
  ASSERT_EQ(j["clients"].size(), 1u);
  EXPECT_EQ(j["clients"][0]["name"], "127.0.0.1");
  const uint64_t jobs = c.manifest["jobs"]["total"].get<uint64_t>();
  const uint64_t coalesced = c.manifest["jobs"]["coalesced_submits"].get<uint64_t>();
  EXPECT_EQ(j["clients"][0]["submits"].get<uint64_t>(), jobs + coalesced);
  EXPECT_EQ(j["clients"][0]["jobs"].get<uint64_t>(), jobs);
  EXPECT_GT(j["clients"][0]["total_ms"]["count"].get<uint64_t>(), 0u);
  for (const auto& r : j["slowest"]) {
    EXPECT_EQ(r["worker"], "perl-worker-1");
    EXPECT_EQ(r["client"], "127.0.0.1");
  }
}

// Nothing measured is not a time of 0: null in JSON, empty cells in CSV, '-' in text.
// perl-server's ps_nobody jobs were never assigned (no worker can do ps_nobody).
TEST(AnalyzerReport, NotMeasuredIsNullEmptyOrDash) {
  auto a = analyze(bundled("perl-server"));
  auto j = nlohmann::json::parse(gan::json_report(*a, {{"x"}, "test"}));
  bool found = false;
  for (const auto& f : j["functions"]) {
    if (f["name"] != "ps_nobody") continue;
    found = true;
    EXPECT_EQ(f["queue_ms"]["count"], 0);
    EXPECT_TRUE(f["queue_ms"]["p50"].is_null());
    EXPECT_TRUE(f["run_ms"]["max"].is_null());
  }
  EXPECT_TRUE(found);
  const std::string csv = csv_of(*a);
  const size_t at = csv.find("\nps_nobody,");
  ASSERT_NE(at, std::string::npos);
  const std::string row = csv.substr(at + 1, csv.find('\n', at + 1) - at - 1);
  EXPECT_NE(row.find(",0,,,,,,,"), std::string::npos) << row;
  const std::string text = text_of(*a);
  EXPECT_NE(text.find("result=-"), std::string::npos) << "a background job's client frame";
}

TEST(AnalyzerReport, TextSaysWhenAndWhichTime) {
  auto a = analyze(bundled("perl-coalesce"));
  const std::string text = text_of(*a);
  EXPECT_NE(text.find("capture: 1 file(s), 182 frames, 2026-"), std::string::npos) << text.substr(0, 200);
  EXPECT_NE(text.find(" UTC to "), std::string::npos);
  EXPECT_NE(text.find("    total time:\n"), std::string::npos) << "the bars say which time they show";
  EXPECT_NE(text.find("      1s-2s "), std::string::npos) << "pl_slow's 1.5 s jobs, in 1-2-5 buckets";
  // A worker named by its address is not written twice.
  auto b = analyze(bundled("basic-cli"));
  const std::string t2 = text_of(*b);
  const size_t w = t2.find("\nworkers\n");
  ASSERT_NE(w, std::string::npos);
  const std::string line = t2.substr(w + 9, t2.find('\n', w + 9) - w - 9);
  const std::string name = line.substr(2, line.find(':', line.find(':') + 1) - 2);  // "127.0.0.1:46888"
  EXPECT_EQ(line.find(name, 3), std::string::npos) << line;
}

// Generated: gearman-gen knows every worker connection's jobs, outcomes and lost jobs, and that all
// its clients are on 127.0.0.1.
TEST(AnalyzerReport, WorkersAndClientsOfAGeneratedCapture) {
  const std::string pcap = synth::temp_path("report-gen.pcap"), truth = synth::temp_path("report-gen.json");
  const std::string cmd = std::string(GEARMAN_GEN_BIN) + " -q --jobs 800 --workers 4 --clients 3 --seed 5"
                          " --worker-deaths 2 --out " + pcap + " --truth " + truth;
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  std::ifstream in(truth);
  const auto t = nlohmann::json::parse(in);
  gan::Analyzer a;
  ASSERT_TRUE(gan::read_captures({pcap}, a).ok);
  a.finish();
  const auto j = nlohmann::json::parse(gan::json_report(a, {{"x"}, "test"}));
  std::map<std::string, nlohmann::json> mine;
  for (const auto& w : j["workers"]) mine[w["name"].get<std::string>()] = w;
  ASSERT_EQ(mine.size(), t["workers"].size());
  for (const auto& w : t["workers"]) {
    const std::string name = w["address"].get<std::string>();
    ASSERT_TRUE(mine.count(name)) << name;
    for (const char* k : {"jobs", "complete", "fail", "exception", "lost"})
      EXPECT_EQ(mine[name][k], w[k]) << name << " " << k;
  }
  ASSERT_EQ(j["clients"].size(), 1u);
  EXPECT_EQ(j["clients"][0]["name"], "127.0.0.1");
  EXPECT_EQ(j["clients"][0]["submits"], t["jobs"]["submits"]);
  EXPECT_EQ(j["clients"][0]["jobs"], t["jobs"]["total"]);
}
