// The generator's promises: same seed, same bytes; every PDU decodes; the ground truth (counts and
// exact latency percentiles) is what an independent reading of the capture finds.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "geargen/generator.h"
#include "gearproto/admin.h"
#include "gearproto/arguments.h"
#include "gearproto/stream_decoder.h"
#include "pcap_streams.h"

namespace {

std::vector<std::string>& temp_files() {
  static std::vector<std::string> v;
  return v;
}
struct RemoveTempFiles : ::testing::Environment {
  void TearDown() override {
    for (const auto& p : temp_files()) std::remove(p.c_str());
  }
};
const auto* const kCleanup = ::testing::AddGlobalTestEnvironment(new RemoveTempFiles);

std::string temp_path(const std::string& name) {
  std::string p = ::testing::TempDir() + "gearman-gen-" + std::to_string(::getpid()) + "-" + name;
  temp_files().push_back(p);
  return p;
}
std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Generated {
  std::string pcap, truth_path;
  nlohmann::json truth;
};
Generated run(const geargen::Config& cfg, const std::string& tag) {
  Generated g{temp_path(tag + ".pcap"), temp_path(tag + ".json"), {}};
  geargen::generate(cfg, g.pcap, g.truth_path);
  g.truth = nlohmann::json::parse(slurp(g.truth_path));
  return g;
}

geargen::Config small(uint64_t seed = 7) {
  geargen::Config c;
  c.seed = seed;
  c.jobs = 3000;
  c.clients = 6;
  c.workers = 10;
  c.coalesce = 0.05;
  c.batch = 0.2;
  c.status = 0.1;
  c.data = 0.1;
  c.split = 0.1;
  return c;
}

// One decoded PDU with the time and frame of the segment that holds its last byte.
struct Pdu {
  uint32_t type;
  gearproto::Magic magic;
  std::string handle, function;
  double time;
  uint64_t frame = 0;
};

struct Collect : gearproto::MessageSink {
  std::vector<gearproto::Message> msgs;
  std::vector<std::string> raw;  // owned copies: views die with the chunk
  uint64_t skipped = 0;
  void on_message(const gearproto::Message& m) override { msgs.push_back(m); raw.emplace_back(m.raw); }
  void on_skip(uint64_t, uint64_t len, gearproto::SkipReason, gearproto::FrameError) override { skipped += len; }
};

const testsupport::Segment* segment_at(const testsupport::Direction& d, uint64_t offset) {
  auto it = std::upper_bound(d.segments.begin(), d.segments.end(), offset,
                             [](uint64_t o, const testsupport::Segment& s) { return o < s.stream_offset; });
  return it == d.segments.begin() ? nullptr : &*std::prev(it);
}
double time_at(const testsupport::Direction& d, uint64_t offset) {
  const testsupport::Segment* s = segment_at(d, offset);
  return s ? s->time : 0;
}
uint64_t frame_at(const testsupport::Direction& d, uint64_t offset) {
  const testsupport::Segment* s = segment_at(d, offset);
  return s ? s->frame : 0;
}

// Decodes one direction; fails the test on any skipped byte or frame error.
std::vector<Pdu> decode(const testsupport::Direction& d, std::vector<std::string>* text = nullptr) {
  Collect sink;
  gearproto::StreamDecoder dec;
  dec.feed(d.bytes, sink);
  dec.finish(sink);
  EXPECT_EQ(sink.skipped, 0u);
  std::vector<Pdu> out;
  for (size_t i = 0; i < sink.msgs.size(); ++i) {
    const auto& m = sink.msgs[i];
    if (text && m.kind == gearproto::MessageKind::Text) {
      std::string raw = sink.raw[i];
      while (!raw.empty() && (raw.back() == '\n' || raw.back() == '\r')) raw.pop_back();
      text->push_back(raw);
      continue;
    }
    EXPECT_EQ(m.kind, gearproto::MessageKind::Binary);
    EXPECT_EQ(m.error, gearproto::FrameError::None);
    const uint64_t last = m.offset + m.raw.size() - 1;
    Pdu p{m.header.type, m.header.magic, {}, {}, time_at(d, last), frame_at(d, last)};
    // Arguments by hand from the owned copy: the first NUL-separated fields.
    std::string data = sink.raw[i].substr(12);
    const auto* info = m.header.info;
    if (info) {
      int hi = info->index_of(gearproto::Arg::Handle), fi = info->index_of(gearproto::Arg::Function);
      size_t start = 0;
      for (int a = 0; a < info->argc; ++a) {
        size_t end = a + 1 == info->argc ? data.size() : data.find('\0', start);
        if (end == std::string::npos) end = data.size();
        if (a == hi) p.handle = data.substr(start, end - start);
        if (a == fi) p.function = data.substr(start, end - start);
        start = end + 1;
        if (start > data.size()) break;
      }
    }
    out.push_back(p);
  }
  return out;
}

struct Decoded {
  std::map<std::string, uint64_t> count;  // "REQ SUBMIT_JOB" -> n
  std::vector<std::pair<std::vector<Pdu>, std::vector<Pdu>>> conns;  // (to_server, to_client)
  std::vector<uint16_t> ports;  // each connection's client-side port
  uint64_t frames_with_payload = 0;
};
Decoded decode_all(const std::string& pcap, bool allow_text = false) {
  Decoded out;
  for (const auto& c : testsupport::read_tcp_connections(pcap, 4730)) {
    EXPECT_TRUE(c.saw_syn);
    EXPECT_EQ(c.server_port, 4730);
    std::vector<std::string> text;
    auto up = decode(c.to_server, allow_text ? &text : nullptr), down = decode(c.to_client, allow_text ? &text : nullptr);
    for (auto* v : {&up, &down})
      for (const Pdu& p : *v)
        out.count[std::string(gearproto::magic_name(p.magic)) + " " + gearproto::packet_name(p.type)]++;
    out.conns.push_back({std::move(up), std::move(down)});
    out.ports.push_back(c.client_port);
  }
  return out;
}

TEST(Generator, SameSeedSameBytes) {
  geargen::Config c = small();
  c.loss = 0.01;
  c.reorder = 0.01;
  auto a = run(c, "a"), b = run(c, "b");
  EXPECT_EQ(slurp(a.pcap), slurp(b.pcap));
  EXPECT_EQ(slurp(a.truth_path), slurp(b.truth_path));
  c.seed = 8;
  auto d = run(c, "d");
  EXPECT_NE(slurp(a.pcap), slurp(d.pcap));
}

TEST(Generator, TcpShapingLeavesTheJobTimelineAlone) {
  geargen::Config c = small();
  auto plain = run(c, "plain");
  c.loss = 0.05;
  c.reorder = 0.05;
  c.split = 0.3;
  c.mss = 200;
  auto shaped = run(c, "shaped");
  EXPECT_EQ(plain.truth, shaped.truth);
  EXPECT_NE(slurp(plain.pcap), slurp(shaped.pcap));
}

void expect_counts_match(const Generated& g, const Decoded& d) {
  const auto& j = g.truth["jobs"];
  uint64_t total = j["total"], complete = j["complete"], fail = j["fail"], exception = j["exception"];
  uint64_t bg = j["background"], submits = j["submits"], coalesced = j["coalesced_submits"];
  EXPECT_EQ(total, complete + fail + exception + uint64_t(j["incomplete"]));
  auto n = [&](const char* k) { auto it = d.count.find(k); return it == d.count.end() ? 0 : it->second; };
  uint64_t sub = 0, sub_bg = 0;
  for (const char* t : {"SUBMIT_JOB", "SUBMIT_JOB_HIGH", "SUBMIT_JOB_LOW"}) sub += n((std::string("REQ ") + t).c_str());
  for (const char* t : {"SUBMIT_JOB_BG", "SUBMIT_JOB_HIGH_BG", "SUBMIT_JOB_LOW_BG"}) sub_bg += n((std::string("REQ ") + t).c_str());
  EXPECT_EQ(sub + sub_bg, submits);
  EXPECT_EQ(sub_bg, bg);
  EXPECT_EQ(submits, total + coalesced);
  EXPECT_EQ(n("RES JOB_CREATED"), submits);
  // Every job is assigned; a job whose worker died is assigned again.
  EXPECT_EQ(n("RES JOB_ASSIGN") + n("RES JOB_ASSIGN_UNIQ"), total + j.value("reassigned", uint64_t(0)));
  EXPECT_EQ(n("REQ WORK_COMPLETE"), complete);
  EXPECT_EQ(n("REQ WORK_EXCEPTION"), exception);
  EXPECT_EQ(n("REQ WORK_FAIL"), fail);
  // Forwarded results: one per foreground submit (coalesced submitters get the result too).
  EXPECT_EQ(n("RES WORK_COMPLETE") + n("RES WORK_FAIL") + n("RES WORK_EXCEPTION"), submits - bg);
  EXPECT_GT(n("RES NO_JOB"), 0u);
  EXPECT_GT(n("REQ PRE_SLEEP"), 0u);
  EXPECT_GT(n("RES NOOP"), 0u);
  EXPECT_GT(n("REQ WORK_STATUS"), 0u);
  EXPECT_GT(n("REQ WORK_DATA"), 0u);
  EXPECT_GT(coalesced, 0u);
}

TEST(Generator, EveryPduDecodesAndCountsMatchTheTruth) {
  geargen::Config c = small();
  c.loss = 0.02;
  c.reorder = 0.02;
  c.mss = 300;  // large results cross segments
  auto g = run(c, "counts");
  Decoded d = decode_all(g.pcap);
  EXPECT_EQ(d.conns.size(), size_t(c.clients + c.workers));
  expect_counts_match(g, d);
}

TEST(Generator, NullLinkTypeDecodesToo) {
  geargen::Config c = small(3);
  c.null_link = true;
  c.jobs = 500;
  auto g = run(c, "null");
  std::string bytes = slurp(g.pcap);
  ASSERT_GE(bytes.size(), 24u);
  EXPECT_EQ(uint8_t(bytes[20]), 0);  // DLT_NULL
  expect_counts_match(g, decode_all(g.pcap));
}

// Nearest-rank percentile in milliseconds of microsecond samples.
double rank_ms(std::vector<int64_t>& v, double p) {
  std::sort(v.begin(), v.end());
  size_t k = size_t(std::ceil(p / 100.0 * double(v.size())));
  return v[std::max<size_t>(k, 1) - 1] / 1000.0;
}

TEST(Generator, LatencyTruthIsWhatTheCaptureShows) {
  geargen::Config c = small(11);
  c.stuck = 1;
  c.coalesce = 0.2;
  auto g = run(c, "latency");
  Decoded d = decode_all(g.pcap);
  struct J { std::string fn; double submit = -1, created = -1, assign = -1, end = -1, delivered = -1; bool bg = false; int owner = -1; };
  std::map<std::string, J> jobs;
  // Client connections: pair submits with JOB_CREATED in order; the first submit of a handle owns it.
  for (size_t ci = 0; ci < d.conns.size(); ++ci) {
    auto& [up, down] = d.conns[ci];
    std::vector<const Pdu*> subs, created;
    for (auto& p : up) if (p.function.size() && gearproto::packet_info(p.type)->job_role == gearproto::JobRole::Submit) subs.push_back(&p);
    for (auto& p : down) if (p.type == gearproto::JOB_CREATED) created.push_back(&p);
    ASSERT_EQ(subs.size(), created.size());
    for (size_t i = 0; i < subs.size(); ++i) {
      J& j = jobs[created[i]->handle];
      if (j.owner < 0 || subs[i]->time < j.submit) {
        j.fn = subs[i]->function;
        j.submit = subs[i]->time;
        j.created = created[i]->time;
        j.bg = gearproto::packet_info(subs[i]->type)->background;
        j.owner = int(ci);
      }
    }
  }
  for (size_t ci = 0; ci < d.conns.size(); ++ci) {
    auto& [up, down] = d.conns[ci];
    for (auto& p : down)
      if (p.type == gearproto::JOB_ASSIGN || p.type == gearproto::JOB_ASSIGN_UNIQ) jobs[p.handle].assign = p.time;
    for (auto& p : up)
      if (p.magic == gearproto::Magic::Req && gearproto::packet_info(p.type)->job_role == gearproto::JobRole::Terminal &&
          jobs[p.handle].end < 0)
        jobs[p.handle].end = p.time;
  }
  for (size_t ci = 0; ci < d.conns.size(); ++ci)
    for (auto& p : d.conns[ci].second)
      if (gearproto::packet_info(p.type)->job_role == gearproto::JobRole::Terminal && jobs[p.handle].owner == int(ci) &&
          jobs[p.handle].delivered < 0)
        jobs[p.handle].delivered = p.time;
  // The creating client gets the result no later than any coalesced submitter.
  std::map<std::string, double> first_any;
  for (size_t ci = 0; ci < d.conns.size(); ++ci)
    for (auto& p : d.conns[ci].second)
      if (gearproto::packet_info(p.type)->job_role == gearproto::JobRole::Terminal &&
          (!first_any.count(p.handle) || p.time < first_any[p.handle]))
        first_any[p.handle] = p.time;
  for (auto& [h, tm] : first_any) EXPECT_EQ(tm, jobs[h].delivered) << h;

  std::map<std::string, std::vector<int64_t>> q, r, t;
  std::map<std::string, uint64_t> incomplete;
  auto us = [](double a, double b) { return int64_t(std::llround((b - a) * 1e6)); };
  for (auto& [h, j] : jobs) {
    ASSERT_GE(j.owner, 0) << h;
    q[j.fn].push_back(us(j.created, j.assign));
    if (j.end < 0) { incomplete[j.fn]++; continue; }
    r[j.fn].push_back(us(j.assign, j.end));
    if (!j.bg) t[j.fn].push_back(us(j.submit, j.delivered));
  }
  EXPECT_GT(uint64_t(g.truth["jobs"]["incomplete"]), 0u);
  ASSERT_EQ(g.truth["functions"].size(), q.size());
  for (const auto& f : g.truth["functions"]) {
    std::string name = f["name"];
    SCOPED_TRACE(name);
    EXPECT_EQ(uint64_t(f["incomplete"]), incomplete[name]);
    for (auto [key, v] : {std::pair{"queue_ms", &q[name]}, {"run_ms", &r[name]}, {"total_ms", &t[name]}}) {
      SCOPED_TRACE(key);
      ASSERT_EQ(uint64_t(f[key]["count"]), v->size());
      EXPECT_NEAR(double(f[key]["p50"]), rank_ms(*v, 50), 1e-9);
      EXPECT_NEAR(double(f[key]["p90"]), rank_ms(*v, 90), 1e-9);
      EXPECT_NEAR(double(f[key]["p99"]), rank_ms(*v, 99), 1e-9);
      EXPECT_NEAR(double(f[key]["min"]), rank_ms(*v, 0), 1e-9);
      EXPECT_NEAR(double(f[key]["max"]), rank_ms(*v, 100), 1e-9);
    }
  }
}

TEST(Generator, AdminConnectionsSpeakTheTextProtocol) {
  geargen::Config c = small(5);
  c.jobs = 1000;
  c.admin_every_ms = 100;
  auto g = run(c, "admin");
  uint64_t polls = g.truth["generator"]["admin_connections"];
  EXPECT_GT(polls, 4u);
  uint64_t admin_conns = 0, rows = 0;
  for (const auto& conn : testsupport::read_tcp_connections(g.pcap, 4730)) {
    std::vector<std::string> cmds, replies;
    auto up = decode(conn.to_server, &cmds);
    auto down = decode(conn.to_client, &replies);
    if (cmds.empty()) {
      EXPECT_TRUE(replies.empty());
      continue;
    }
    ++admin_conns;
    EXPECT_TRUE(up.empty());
    EXPECT_TRUE(down.empty());
    ASSERT_EQ(cmds.size(), 1u);
    auto req = gearproto::parse_admin_command(cmds[0]);
    EXPECT_TRUE(req.command == gearproto::AdminCommand::Status || req.command == gearproto::AdminCommand::Workers);
    ASSERT_FALSE(replies.empty());
    EXPECT_EQ(replies.back(), ".");
    for (size_t i = 0; i + 1 < replies.size(); ++i) {
      auto line = gearproto::parse_admin_reply_line(req.command, replies[i]);
      EXPECT_EQ(line.kind, req.command == gearproto::AdminCommand::Status ? gearproto::ReplyLineKind::StatusRow
                                                                           : gearproto::ReplyLineKind::WorkerRow)
          << replies[i];
      ++rows;
    }
  }
  EXPECT_EQ(admin_conns, polls);
  EXPECT_GT(rows, 0u);
  // The job traffic is still all there.
  expect_counts_match(g, decode_all(g.pcap, true));
}

TEST(Generator, JobsCsvAgreesWithTheTruth) {
  geargen::Config c = small(9);
  c.stuck = 1;
  c.jobs_csv = temp_path("jobs.csv");
  auto g = run(c, "csv");
  std::ifstream in(c.jobs_csv);
  std::string line;
  ASSERT_TRUE(std::getline(in, line));
  EXPECT_EQ(line.rfind("handle,function,", 0), 0u);
  std::map<std::string, std::map<std::string, uint64_t>> outcomes;
  std::map<std::string, std::vector<int64_t>> q, t;
  uint64_t rows = 0;
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    std::stringstream ss(line);
    for (std::string x; std::getline(ss, x, ',');) f.push_back(x);
    if (!line.empty() && line.back() == ',') f.push_back("");
    ASSERT_EQ(f.size(), 17u) << line;
    ++rows;
    outcomes[f[1]][f[5]]++;
    q[f[1]].push_back(std::stoll(f[14]));
    if (!f[16].empty()) t[f[1]].push_back(std::stoll(f[16]));
  }
  EXPECT_EQ(rows, uint64_t(g.truth["jobs"]["total"]));
  for (const auto& f : g.truth["functions"]) {
    std::string name = f["name"];
    for (const char* k : {"complete", "fail", "exception", "incomplete"}) EXPECT_EQ(outcomes[name][k], uint64_t(f[k])) << name << k;
    EXPECT_NEAR(double(f["queue_ms"]["p90"]), rank_ms(q[name], 90), 1e-9);
    EXPECT_NEAR(double(f["total_ms"]["p50"]), rank_ms(t[name], 50), 1e-9);
  }
}

TEST(Generator, FunctionSpecParses) {
  auto f = geargen::parse_functions("a:w=2:q=1/0.5:r=3:fail=0.1:exc=0.2:bg=0.3:payload=10:result=20;b");
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f[0].name, "a");
  EXPECT_DOUBLE_EQ(f[0].weight, 2);
  EXPECT_DOUBLE_EQ(f[0].queue.median_ms, 1);
  EXPECT_DOUBLE_EQ(f[0].queue.sigma, 0.5);
  EXPECT_DOUBLE_EQ(f[0].run.median_ms, 3);
  EXPECT_DOUBLE_EQ(f[0].run.sigma, 0);
  EXPECT_EQ(f[0].result, 20u);
  EXPECT_EQ(f[1].name, "b");
  EXPECT_THROW(geargen::parse_functions("a:zzz=1"), std::invalid_argument);
  EXPECT_THROW(geargen::parse_functions("a:fail=0.8:exc=0.8"), std::invalid_argument);
  EXPECT_THROW(geargen::parse_functions(""), std::invalid_argument);
}


// ---------------------------------------------------------------------------------------------
// Wire orders of threaded servers and merged captures, and worker deaths (docs/generator.md).

// When a packet of a job is in the capture.
struct At {
  uint64_t frame = 0;  // 0: not in the capture
  double time = 0;
};
// A job as the capture shows it, read without the generator's help: the project's decoder frames
// the PDUs, this reader decides what each means.
struct WireJob {
  std::string fn;
  bool bg = false;
  int creator = -1;            // the client connection whose submit came first
  At submit, created, result;  // the creator's submit, JOB_CREATED and first result
  std::vector<std::pair<At, size_t>> assigns;  // every JOB_ASSIGN*, in frame order, with its connection
  At end;                      // the worker's first terminal packet
  size_t end_conn = 0;
  std::vector<At> relays;      // the server's WORK_* copies on the creator's connection
};
bool before(const At& a, const At& b) { return a.frame && b.frame && a.frame < b.frame; }

std::map<std::string, WireJob> wire_jobs(const Decoded& d) {
  std::map<std::string, WireJob> jobs;
  for (size_t ci = 0; ci < d.conns.size(); ++ci) {
    auto& [up, down] = d.conns[ci];
    std::vector<const Pdu*> subs, created;
    for (auto& p : up) if (p.function.size() && gearproto::packet_info(p.type)->job_role == gearproto::JobRole::Submit) subs.push_back(&p);
    for (auto& p : down) if (p.type == gearproto::JOB_CREATED) created.push_back(&p);
    EXPECT_EQ(subs.size(), created.size());  // answers in submit order, one each
    for (size_t i = 0; i < std::min(subs.size(), created.size()); ++i) {
      WireJob& j = jobs[created[i]->handle];
      if (j.creator < 0 || subs[i]->frame < j.submit.frame) {
        j.fn = subs[i]->function;
        j.bg = gearproto::packet_info(subs[i]->type)->background;
        j.creator = int(ci);
        j.submit = {subs[i]->frame, subs[i]->time};
        j.created = {created[i]->frame, created[i]->time};
      }
    }
  }
  for (size_t ci = 0; ci < d.conns.size(); ++ci) {
    auto& [up, down] = d.conns[ci];
    for (auto& p : down)
      if (p.type == gearproto::JOB_ASSIGN || p.type == gearproto::JOB_ASSIGN_UNIQ) jobs[p.handle].assigns.push_back({{p.frame, p.time}, ci});
    for (auto& p : up) {
      if (p.magic != gearproto::Magic::Req || gearproto::packet_info(p.type)->job_role != gearproto::JobRole::Terminal) continue;
      WireJob& j = jobs[p.handle];
      if (!j.end.frame || p.frame < j.end.frame) { j.end = {p.frame, p.time}; j.end_conn = ci; }
    }
  }
  for (auto& [h, j] : jobs) {
    std::sort(j.assigns.begin(), j.assigns.end(), [](auto& a, auto& b) { return a.first.frame < b.first.frame; });
    if (j.creator < 0) continue;
    for (auto& p : d.conns[size_t(j.creator)].second) {
      if (p.handle != h) continue;
      auto role = gearproto::packet_info(p.type)->job_role;
      if (role == gearproto::JobRole::Update || role == gearproto::JobRole::Terminal) j.relays.push_back({p.frame, p.time});
      if (role == gearproto::JobRole::Terminal && !j.result.frame) j.result = {p.frame, p.time};
    }
  }
  return jobs;
}

int64_t us(double from, double to) { return int64_t(std::llround((to - from) * 1e6)); }
int64_t clamped_us(const At& from, const At& to) { return std::max<int64_t>(0, us(from.time, to.time)); }

// Recomputes every function's latencies from the capture (queue from the JOB_CREATED to the first
// JOB_ASSIGN, run from the last JOB_ASSIGN to the worker's terminal, total from the creator's
// submit to its result; an interval the order makes negative counts 0) and compares them with
// the truth, exactly; and the per-function reassigned and reordered counts.
void expect_latencies_from_capture(const Generated& g, const std::map<std::string, WireJob>& jobs) {
  std::map<std::string, std::vector<int64_t>> q, r, t;
  std::map<std::string, uint64_t> reassigned, reordered;
  for (auto& [h, j] : jobs) {
    SCOPED_TRACE(h);
    ASSERT_GE(j.creator, 0);
    ASSERT_FALSE(j.assigns.empty());
    const At& first = j.assigns.front().first;
    const At& last = j.assigns.back().first;
    q[j.fn].push_back(clamped_us(j.created, first));
    if (j.assigns.size() > 1) reassigned[j.fn]++;
    if (before(first, j.created) || before(j.end, last) || before(j.result, j.end)) reordered[j.fn]++;
    if (!j.end.frame) continue;
    r[j.fn].push_back(clamped_us(last, j.end));
    if (!j.bg) t[j.fn].push_back(clamped_us(j.submit, j.result));
  }
  ASSERT_EQ(g.truth["functions"].size(), q.size());
  for (const auto& f : g.truth["functions"]) {
    std::string name = f["name"];
    SCOPED_TRACE(name);
    EXPECT_EQ(uint64_t(f["reassigned"]), reassigned[name]);
    EXPECT_EQ(uint64_t(f["reordered"]), reordered[name]);
    for (auto [key, v] : {std::pair{"queue_ms", &q[name]}, {"run_ms", &r[name]}, {"total_ms", &t[name]}}) {
      SCOPED_TRACE(key);
      ASSERT_EQ(uint64_t(f[key]["count"]), v->size());
      if (v->empty()) continue;
      EXPECT_NEAR(double(f[key]["min"]), rank_ms(*v, 0), 1e-9);
      EXPECT_NEAR(double(f[key]["p50"]), rank_ms(*v, 50), 1e-9);
      EXPECT_NEAR(double(f[key]["p90"]), rank_ms(*v, 90), 1e-9);
      EXPECT_NEAR(double(f[key]["p99"]), rank_ms(*v, 99), 1e-9);
      EXPECT_NEAR(double(f[key]["max"]), rank_ms(*v, 100), 1e-9);
      int64_t sum = 0;
      for (int64_t x : *v) sum += x;
      EXPECT_NEAR(double(f[key]["mean"]), double(sum) / double(v->size()) / 1000.0, 1e-6);
    }
  }
}

// A TCP segment's flags as the capture has them (classic pcap, Ethernet, IPv4: what the generator
// writes), read here without the project's parsers.
struct TcpFlags {
  uint64_t frame;
  uint16_t client_port;  // the side that is not 4730
  bool from_client;
  uint8_t flags;
};
std::vector<TcpFlags> tcp_flags(const std::string& pcap) {
  std::string b = slurp(pcap);
  std::vector<TcpFlags> out;
  EXPECT_GE(b.size(), 24u);
  EXPECT_EQ(uint8_t(b[20]), 1);  // DLT_EN10MB
  auto u16 = [&](size_t o) { return uint16_t((uint8_t(b[o]) << 8) | uint8_t(b[o + 1])); };
  uint64_t frame = 0;
  for (size_t off = 24; off + 16 <= b.size();) {
    uint32_t caplen;
    std::memcpy(&caplen, b.data() + off + 8, 4);
    size_t pkt = off + 16;
    off = pkt + caplen;
    ++frame;
    size_t ip = pkt + 14, tcp = ip + 4 * (uint8_t(b[ip]) & 0x0f);
    if (tcp + 14 > b.size() || uint8_t(b[ip + 9]) != 6) continue;
    uint16_t sport = u16(tcp), dport = u16(tcp + 2);
    bool from_client = dport == 4730;
    out.push_back({frame, from_client ? sport : dport, from_client, uint8_t(b[tcp + 13])});
  }
  return out;
}

geargen::Config orderings_config(uint64_t seed) {
  geargen::Config c = small(seed);
  c.split = 0.02;
  return c;
}

TEST(GeneratorOrderings, OffByDefaultAndTheTruthSaysNothingOfThem) {
  auto g = run(small(), "plain");
  EXPECT_FALSE(g.truth.contains("reordering"));
  EXPECT_FALSE(g.truth.contains("workers"));
  EXPECT_FALSE(g.truth["jobs"].contains("reassigned"));
  geargen::Config c = small();
  c.worker_deaths = 1;
  auto o = run(c, "one-death");
  EXPECT_TRUE(o.truth.contains("reordering"));
  EXPECT_EQ(uint64_t(o.truth["jobs"]["reassigned"]), 1u);
}

TEST(GeneratorOrderings, ThreadedServerAssignsBeforeTheJobCreatedIsOut) {
  geargen::Config c = orderings_config(21);
  c.assign_before_created = 0.1;
  c.end_before_created = 0.05;
  auto g = run(c, "threaded");
  Decoded d = decode_all(g.pcap);
  expect_counts_match(g, d);
  auto jobs = wire_jobs(d);
  uint64_t assign_first = 0, end_first = 0;
  for (auto& [h, j] : jobs) {
    SCOPED_TRACE(h);
    if (before(j.assigns.front().first, j.created)) {
      ++assign_first;
      // The server hands the job over at once: the JOB_CREATED is late by a millisecond at most.
      EXPECT_LT(j.created.time - j.assigns.front().first.time, 1e-3);
    }
    if (before(j.end, j.created)) ++end_first;
    // On the client's own connection the server's copies never come before its JOB_CREATED.
    for (const At& a : j.relays) EXPECT_LT(j.created.frame, a.frame);
  }
  const auto& ro = g.truth["reordering"];
  EXPECT_EQ(uint64_t(ro["assign_before_created"]), assign_first);
  EXPECT_EQ(uint64_t(ro["end_before_created"]), end_first);
  // About the shares asked for (the order needs a sleeping worker, which is mostly there).
  EXPECT_GT(assign_first, c.jobs * 10 / 100);
  EXPECT_GT(end_first, c.jobs * 3 / 100);
  EXPECT_LE(end_first, assign_first);
  EXPECT_EQ(uint64_t(g.truth["jobs"]["reordered"]), assign_first);
  expect_latencies_from_capture(g, jobs);
}

TEST(GeneratorOrderings, MergedCaptureShowsResultBeforeEndAndEndBeforeAssign) {
  geargen::Config c = orderings_config(22);
  c.result_before_end = 0.1;
  c.end_before_assign = 0.1;
  auto g = run(c, "merged");
  Decoded d = decode_all(g.pcap);
  expect_counts_match(g, d);
  auto jobs = wire_jobs(d);
  uint64_t result_first = 0, end_first = 0;
  for (auto& [h, j] : jobs) {
    SCOPED_TRACE(h);
    const At& assign = j.assigns.back().first;
    if (before(j.result, j.end)) {
      ++result_first;
      EXPECT_LE(j.end.time - j.result.time, 300e-6 + 1e-9);  // two clocks a few hundred us apart
    }
    if (before(j.end, assign)) {
      ++end_first;
      EXPECT_LE(assign.time - j.end.time, 300e-6 + 1e-9);
      EXPECT_EQ(j.end_conn, j.assigns.back().second);  // the same worker's connection
    }
  }
  const auto& ro = g.truth["reordering"];
  EXPECT_EQ(uint64_t(ro["result_before_end"]), result_first);
  EXPECT_EQ(uint64_t(ro["end_before_assign"]), end_first);
  EXPECT_GT(result_first, c.jobs * 4 / 100);  // 10 % of the foreground jobs
  EXPECT_GT(end_first, c.jobs * 7 / 100);
  EXPECT_EQ(uint64_t(ro["assign_before_created"]), 0u);
  expect_latencies_from_capture(g, jobs);
}

TEST(GeneratorOrderings, DeadWorkersJobIsAssignedAgainAndCountedOnce) {
  geargen::Config c = orderings_config(23);
  c.worker_deaths = 6;
  auto g = run(c, "deaths");
  Decoded d = decode_all(g.pcap);
  EXPECT_EQ(d.conns.size(), size_t(c.clients + c.workers + 6));  // each dead worker came back
  expect_counts_match(g, d);
  auto jobs = wire_jobs(d);
  auto flags = tcp_flags(g.pcap);
  std::map<uint16_t, uint64_t> lost;
  std::map<uint16_t, std::string> death;
  uint64_t reassigned = 0;
  for (auto& [h, j] : jobs) {
    SCOPED_TRACE(h);
    ASSERT_LE(j.assigns.size(), 2u);
    if (j.assigns.size() < 2) continue;
    ++reassigned;
    auto [a1, c1] = j.assigns[0];
    auto [a2, c2] = j.assigns[1];
    EXPECT_NE(c1, c2);
    EXPECT_EQ(j.end_conn, c2);  // the second worker ran it
    uint16_t port = d.ports[c1];
    // The first worker's connection ends (FIN or RST from the worker) after it got the job and
    // before the server gives the job to the next one, with no WORK_* for it in between.
    uint64_t close_frame = 0;
    for (const auto& f : flags)
      if (f.client_port == port && f.from_client && (f.flags & 0x05) && !close_frame) {
        close_frame = f.frame;
        death[port] = (f.flags & 0x04) ? "rst" : "fin";
      }
    EXPECT_LT(a1.frame, close_frame);
    EXPECT_LT(close_frame, a2.frame);
    for (auto& p : d.conns[c1].first) EXPECT_NE(p.handle, h);
    lost[port]++;
  }
  EXPECT_EQ(reassigned, 6u);
  EXPECT_EQ(uint64_t(g.truth["jobs"]["reassigned"]), reassigned);
  uint64_t listed = 0;
  for (const auto& w : g.truth["workers"]) {
    uint16_t port = w["port"];
    SCOPED_TRACE(port);
    EXPECT_EQ(uint64_t(w["lost"]), lost[port]);
    EXPECT_EQ(w.value("death", std::string()), death.count(port) ? death[port] : std::string());
    ++listed;
  }
  EXPECT_EQ(listed, uint64_t(c.workers + 6));
  expect_latencies_from_capture(g, jobs);
}

TEST(GeneratorOrderings, AllTogetherTruthIsWhatTheCaptureShows) {
  geargen::Config c = orderings_config(24);  // (stuck workers and WORK_FAIL after WORK_EXCEPTION
  c.coalesce = 0.2;                          // too: in tests/analyzer/generator_truth_test.cpp)
  c.assign_before_created = 0.1;
  c.end_before_created = 0.05;
  c.result_before_end = 0.1;
  c.end_before_assign = 0.1;
  c.worker_deaths = 5;
  auto g = run(c, "together");
  Decoded d = decode_all(g.pcap);
  expect_counts_match(g, d);
  auto jobs = wire_jobs(d);
  uint64_t n[4] = {0, 0, 0, 0};
  for (auto& [h, j] : jobs) {
    n[0] += before(j.assigns.front().first, j.created);
    n[1] += before(j.end, j.created);
    n[2] += before(j.result, j.end);
    n[3] += before(j.end, j.assigns.back().first);
  }
  const auto& ro = g.truth["reordering"];
  EXPECT_EQ(uint64_t(ro["assign_before_created"]), n[0]);
  EXPECT_EQ(uint64_t(ro["end_before_created"]), n[1]);
  EXPECT_EQ(uint64_t(ro["result_before_end"]), n[2]);
  EXPECT_EQ(uint64_t(ro["end_before_assign"]), n[3]);
  for (uint64_t k : n) EXPECT_GT(k, 0u);
  EXPECT_EQ(uint64_t(g.truth["jobs"]["reassigned"]), 5u);
  expect_latencies_from_capture(g, jobs);

  // TCP shaping still leaves the job timeline alone, and a seed still means the same bytes.
  geargen::Config shaped = c;
  shaped.split = 0.3;
  shaped.reorder = 0.05;
  shaped.loss = 0.05;
  shaped.mss = 200;
  EXPECT_EQ(run(shaped, "together-shaped").truth, g.truth);
  EXPECT_EQ(slurp(run(c, "together-again").pcap), slurp(g.pcap));
}

TEST(GeneratorOrderings, JobsCsvCarriesAssignmentsAndOrders) {
  geargen::Config c = orderings_config(25);
  c.assign_before_created = 0.1;
  c.end_before_assign = 0.1;
  c.worker_deaths = 3;
  c.jobs_csv = temp_path("orderings.csv");
  auto g = run(c, "orderings-csv");
  std::ifstream in(c.jobs_csv);
  std::string line;
  ASSERT_TRUE(std::getline(in, line));
  EXPECT_NE(line.find(",assignments,first_assign_us,lost_worker_port,order"), std::string::npos);
  std::map<std::string, uint64_t> orders;
  uint64_t reassigned = 0, rows = 0;
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    std::stringstream ss(line);
    for (std::string x; std::getline(ss, x, ',');) f.push_back(x);
    if (!line.empty() && line.back() == ',') f.push_back("");
    ASSERT_EQ(f.size(), 21u) << line;
    ++rows;
    int64_t created = std::stoll(f[10]), assign = std::stoll(f[11]), first_assign = std::stoll(f[18]);
    EXPECT_EQ(std::stoll(f[14]), std::max<int64_t>(0, first_assign - created)) << line;  // queue to the first
    if (!f[12].empty()) {  // run from the last assignment
      EXPECT_EQ(std::stoll(f[15]), std::max<int64_t>(0, std::stoll(f[12]) - assign)) << line;
    }
    if (f[17] != "1") {
      ++reassigned;
      EXPECT_EQ(f[17], "2");
      EXPECT_FALSE(f[19].empty());
      EXPECT_NE(f[19], f[8]);  // lost by one worker connection, run by another
    }
    if (!f[20].empty()) orders[f[20]]++;
  }
  EXPECT_EQ(rows, uint64_t(g.truth["jobs"]["total"]));
  EXPECT_EQ(reassigned, 3u);
  EXPECT_EQ(orders["assign_before_created"], uint64_t(g.truth["reordering"]["assign_before_created"]));
  EXPECT_EQ(orders["end_before_assign"], uint64_t(g.truth["reordering"]["end_before_assign"]));
}

}  // namespace
