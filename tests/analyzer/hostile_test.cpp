// Hostile input for the analyzer (docs/robustness.md, "Hostile input with tests"): each case feeds
// something an attacker or a broken capture could contain and checks that the analyzer keeps going,
// that its memory stays bounded, and that an honest warning says when a limit was hit.
//
// Memory is measured as the growth of the process's peak RSS (VmHWM, reset through
// /proc/self/clear_refs before each case); where that reset is not allowed, the growth of VmRSS
// after the case is used instead. Under ASan (build-san) allocations cost more and freed memory
// sits in quarantine, so the sizes are scaled down there and the bounds loosened.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "analyzer.h"
#include "gearproto/encoder.h"
#include "reader.h"
#include "synth.h"

using namespace gearproto;
using gan::Analyzer;

namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
#else
constexpr bool kSanitized = false;
#endif

// Full size in a normal build, 1/scale under ASan.
uint64_t sized(uint64_t n, uint64_t scale = 10) { return kSanitized ? n / scale : n; }
constexpr uint64_t kMiB = 1024 * 1024;

long status_kb(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  size_t n = std::strlen(field);
  while (std::getline(in, line))
    if (line.compare(0, n, field) == 0 && line.size() > n && line[n] == ':') return std::stol(line.substr(n + 1));
  return -1;
}

// Growth of memory over a scope: peak RSS if it can be reset, else resident RSS at the end.
struct MemWatch {
  long base_kb;
  bool peak;
  MemWatch() {
    FILE* f = std::fopen("/proc/self/clear_refs", "w");
    peak = f && std::fputs("5", f) >= 0;
    if (f && std::fclose(f) != 0) peak = false;
    base_kb = status_kb("VmRSS");
  }
  uint64_t grown_bytes() const {
    long now = status_kb(peak ? "VmHWM" : "VmRSS");
    return now > base_kb ? uint64_t(now - base_kb) * 1024 : 0;
  }
};

const gan::Warning* find_warning(const Analyzer& a, const std::string& kind, std::vector<gan::Warning>& store) {
  store = a.warnings();
  for (const auto& w : store)
    if (w.kind == kind) return &w;
  return nullptr;
}

std::string warning_list(const Analyzer& a) {
  std::string s;
  for (const auto& w : a.warnings())
    s += w.kind + "(" + std::to_string(w.count) + (w.bytes ? ", " + std::to_string(w.bytes) + " B" : std::string()) + ") ";
  return s.empty() ? "none" : s;
}

// One TCP connection client -> 10.0.0.1:4730 fed straight into the analyzer as segments.
class Wire {
 public:
  Wire(Analyzer& a, const std::string& client, uint16_t port, uint64_t* frame)
      : a_(a), frame_(frame), cli_(synth::ep(client, port)), srv_(synth::ep("10.0.0.1", 4730)) {
    seq_[0] = 1000;
    seq_[1] = 900000;
    segment(true, gan::kSyn, nullptr, 0);
    segment(false, gan::kSyn | gan::kAck, nullptr, 0);
    seq_[0]++;
    seq_[1]++;
  }
  // Bytes in segments of at most `mss`.
  void send(bool to_server, const std::string& bytes, size_t mss = 65000) {
    for (size_t off = 0; off < bytes.size(); off += mss) {
      size_t n = std::min(mss, bytes.size() - off);
      segment(to_server, gan::kAck | gan::kPsh, bytes.data() + off, n);
      seq_[to_server ? 0 : 1] += uint32_t(n);
    }
  }
  void skip(bool to_server, uint32_t bytes) { seq_[to_server ? 0 : 1] += bytes; }
  void close() {
    segment(true, gan::kFin | gan::kAck, nullptr, 0);
    segment(false, gan::kFin | gan::kAck, nullptr, 0);
  }
  int64_t ts = 1'000'000'000;

 private:
  void segment(bool to_server, uint8_t flags, const char* p, size_t n) {
    gan::TcpSegment t;
    t.src = to_server ? cli_ : srv_;
    t.dst = to_server ? srv_ : cli_;
    t.seq = seq_[to_server ? 0 : 1];
    t.ack = seq_[to_server ? 1 : 0];
    t.flags = flags;
    t.payload = reinterpret_cast<const uint8_t*>(p);
    t.captured = t.length = uint32_t(n);
    t.frame = ++*frame_;
    t.ts_ns = ts += 1000;
    a_.on_segment(t);
  }
  Analyzer& a_;
  uint64_t* frame_;
  gan::Endpoint cli_, srv_;
  uint32_t seq_[2];
};

// A normal job on its own connection, to show the analyzer still works after the hostile part.
void one_good_job(Analyzer& a, uint64_t* frame, const std::string& handle) {
  Wire w(a, "10.0.0.9", 45000, frame);
  w.send(true, make_request(SUBMIT_JOB, {"good", "u-good", "x"}));
  w.send(false, make_response(JOB_CREATED, {handle}));
  w.send(false, make_response(WORK_COMPLETE, {handle, "done"}));
  w.close();
}

struct Collected {
  ~Collected() {
    std::printf("  pdus %llu, out_of_order %llu, retransmissions %llu, warnings: %s\n", (unsigned long long)a.totals().pdus,
                (unsigned long long)a.totals().out_of_order, (unsigned long long)a.totals().retransmissions,
                warning_list(a).c_str());
  }
  Analyzer a;
  std::vector<gan::JobRecord> jobs;
  uint64_t frame = 0;
  Collected() { a.set_job_sink([this](const gan::JobRecord& r) { if (r.function == "good") jobs.push_back(r); }); }
  bool good_job_complete() const {
    for (const auto& j : jobs) if (j.outcome == gan::Outcome::Complete) return true;
    return false;
  }
};

}  // namespace

// A binary header whose length is 0xFFFFFFFF: refused as oversize (limit 64 MiB), nothing
// allocated, the following PDUs are decoded.
TEST(AnalyzerHostile, MaximumLengthHeaderIsSkippedNotAwaited) {
  MemWatch mem;
  Collected c;
  {
    Wire w(c.a, "10.0.0.2", 40000, &c.frame);
    std::string bad("\0REQ\0\0\0\x07\xff\xff\xff\xff", 12);
    w.send(true, bad + std::string(1000, 'z') + make_request(CAN_DO, {"f"}) + make_request(GRAB_JOB));
    w.send(false, make_response(NO_JOB));
    w.close();
  }
  one_good_job(c.a, &c.frame, "H:good:1");
  c.a.finish();
  std::vector<gan::Warning> ws;
  const gan::Warning* r = find_warning(c.a, "resync", ws);
  ASSERT_NE(r, nullptr) << warning_list(c.a);
  EXPECT_GE(r->bytes, 12u);
  EXPECT_NE(find_warning(c.a, "oversize_message", ws), nullptr) << "the reason is named, not only the skip";
  EXPECT_GE(c.a.totals().pdus, 3u + 3u);  // CAN_DO, GRAB_JOB, NO_JOB + the good job's three
  EXPECT_TRUE(c.good_job_complete());
  EXPECT_LT(mem.grown_bytes(), 32 * kMiB);
}

// 2M GRAB_JOB / NO_JOB pairs on one worker connection: all counted, memory flat.
TEST(AnalyzerHostile, MillionsOfTinyPdusInOneStream) {
  const uint64_t pairs = sized(2'000'000);
  MemWatch mem;
  Collected c;
  auto t0 = std::chrono::steady_clock::now();
  {
    Wire w(c.a, "10.0.0.2", 40000, &c.frame);
    w.send(true, make_request(CAN_DO, {"f"}));
    const std::string grab = make_request(GRAB_JOB), nojob = make_response(NO_JOB);
    const uint64_t per_batch = 5000;  // 60 kB segments
    std::string up, down;
    for (size_t i = 0; i < per_batch; ++i) { up += grab; down += nojob; }
    for (uint64_t done = 0; done < pairs; done += per_batch) {
      w.send(true, up);
      w.send(false, down);
    }
    w.close();
  }
  one_good_job(c.a, &c.frame, "H:good:1");
  c.a.finish();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(c.a.totals().pdus, 2 * pairs + 1 + 3);
  EXPECT_TRUE(c.good_job_complete());
  EXPECT_LT(mem.grown_bytes(), 64 * kMiB);
  std::printf("  %.2f s (reported, not asserted: timing belongs to bench/)\n", secs);
  EXPECT_TRUE(c.a.warnings().empty()) << warning_list(c.a);
}

// A JOB_CREATED whose handle is 10 MB (a legal length: under the 64 MiB data limit).
TEST(AnalyzerHostile, TenMegabyteJobHandle) {
  const size_t handle_len = sized(10 * kMiB, 4);
  MemWatch mem;
  Collected c;
  {
    Wire w(c.a, "10.0.0.2", 40000, &c.frame);
    std::string handle = "H:big:" + std::string(handle_len, 'h');
    w.send(true, make_request(SUBMIT_JOB, {"f", "u1", "x"}));
    w.send(false, make_response(JOB_CREATED, {handle}));
    w.send(false, make_response(WORK_COMPLETE, {handle, "r"}));
    w.close();
  }
  one_good_job(c.a, &c.frame, "H:good:1");
  c.a.finish();
  EXPECT_TRUE(c.good_job_complete());
  // The whole PDU is buffered by the decoder (it is under the 64 MiB data limit); the handle is
  // not kept: it names no job.
  uint64_t grown = mem.grown_bytes();
  EXPECT_LT(grown, 4 * handle_len + 32 * kMiB) << "peak growth " << grown;
  std::printf("  %zu-byte handle: peak memory grew by %llu MiB\n", handle_len, (unsigned long long)(grown / kMiB));
  std::vector<gan::Warning> ws;
  const gan::Warning* w = find_warning(c.a, "handle_too_long", ws);
  ASSERT_NE(w, nullptr) << warning_list(c.a);
  EXPECT_EQ(w->count, 2u) << "the JOB_CREATED and the WORK_COMPLETE";
  EXPECT_EQ(c.a.totals().jobs, 1u) << "only the good job: the long handle is no job";
  EXPECT_EQ(c.a.totals().submit_errors, 0u);
}

// The same 10 MB handle with the message limit lowered to 1 MiB (--max-message-size): the PDUs
// are not buffered at all, the limit's warning says so, and the next job is fine.
TEST(AnalyzerHostile, MessageLimitKeepsALongPduOutOfMemory) {
  const size_t handle_len = sized(10 * kMiB, 4);
  gan::Options opt;
  opt.limits.max_data_length = 1 << 20;
  Analyzer a(opt);
  bool good = false;
  a.set_job_sink([&](const gan::JobRecord& j) { good |= j.function == "good" && j.outcome == gan::Outcome::Complete; });
  uint64_t frame = 0;
  std::string handle = "H:big:" + std::string(handle_len, 'h');
  const std::string created = make_response(JOB_CREATED, {handle}), complete = make_response(WORK_COMPLETE, {handle, "r"});
  handle.clear();
  handle.shrink_to_fit();
  MemWatch mem;
  {
    Wire w(a, "10.0.0.2", 40000, &frame);
    w.send(true, make_request(SUBMIT_JOB, {"f", "u1", "x"}));
    w.send(false, created);
    w.send(false, complete);
    w.close();
  }
  const uint64_t grown = mem.grown_bytes();
  one_good_job(a, &frame, "H:good:1");
  a.finish();
  EXPECT_TRUE(good);
  EXPECT_LT(grown, 8 * kMiB) << "peak growth " << grown / kMiB << " MiB";
  std::vector<gan::Warning> ws;
  const gan::Warning* w = find_warning(a, "oversize_message", ws);
  ASSERT_NE(w, nullptr) << warning_list(a);
  EXPECT_GE(w->count, 1u) << "one per skipped region: the WORK_COMPLETE's oversize header is skipped with the handle's bytes";
  EXPECT_EQ(find_warning(a, "handle_too_long", ws), nullptr) << "never decoded, so never looked at";
}

// A text line with no newline for 100 MB, in 64 kB segments: the decoder's 64 KiB line limit
// skips it as line_too_long; the buffer stays small.
TEST(AnalyzerHostile, HundredMegabyteLineWithoutNewline) {
  const uint64_t total = sized(100 * kMiB);
  MemWatch mem;
  Collected c;
  auto t0 = std::chrono::steady_clock::now();
  {
    Wire w(c.a, "10.0.0.2", 40000, &c.frame);
    std::string chunk(64 * 1024, 'a');
    chunk.replace(0, 7, "status ");
    w.send(true, chunk);
    chunk.assign(64 * 1024, 'a');
    for (uint64_t sent = chunk.size(); sent < total; sent += chunk.size()) w.send(true, chunk);
    w.send(true, "\nstatus\n");
    w.send(false, ".\n");
    w.close();
  }
  one_good_job(c.a, &c.frame, "H:good:1");
  c.a.finish();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::vector<gan::Warning> ws;
  const gan::Warning* w = find_warning(c.a, "line_too_long", ws);
  ASSERT_NE(w, nullptr) << warning_list(c.a);
  EXPECT_GE(w->bytes, total - 64 * 1024);
  EXPECT_TRUE(c.good_job_complete());
  EXPECT_GE(c.a.totals().admin_commands, 1u);
  EXPECT_LT(mem.grown_bytes(), 32 * kMiB);
  std::printf("  %.2f s (reported, not asserted: timing belongs to bench/)\n", secs);
}

// 1M distinct handles created (SUBMIT_JOB_BG / JOB_CREATED) and never assigned or finished. Each is
// an open job until the capture ends (or until the open-jobs cap, 1M by default, pushes the oldest
// out): memory is linear in open jobs, under 512 bytes each (measured: ~360).
namespace {
struct OpenJobsRun {
  uint64_t incomplete = 0, grown = 0;
  double secs = 0;
  bool good = false;
  std::string warnings;
  const gan::Warning* cap = nullptr;
  std::vector<gan::Warning> store;
};
OpenJobsRun never_completed(uint64_t jobs, size_t cap) {
  OpenJobsRun r;
  MemWatch mem;
  gan::Options opt;
  opt.max_open_jobs = cap;
  Analyzer a(opt);
  bool good = false;
  a.set_job_sink([&](const gan::JobRecord& j) {
    if (j.outcome == gan::Outcome::Incomplete) ++r.incomplete;
    if (j.function == "good" && j.outcome == gan::Outcome::Complete) good = true;
  });
  uint64_t frame = 0;
  auto t0 = std::chrono::steady_clock::now();
  {
    Wire w(a, "10.0.0.2", 40000, &frame);
    const uint64_t per_batch = 1000;
    std::string up, down;
    char h[48];
    for (uint64_t i = 0; i < jobs; ++i) {
      std::snprintf(h, sizeof h, "H:host:%llu", (unsigned long long)i);
      up += make_request(SUBMIT_JOB_BG, {"f", "", "p"});
      down += make_response(JOB_CREATED, {h});
      if ((i + 1) % per_batch == 0 || i + 1 == jobs) {
        w.send(true, up);
        w.send(false, down);
        up.clear();
        down.clear();
      }
    }
    r.grown = mem.grown_bytes();
    w.close();
  }
  one_good_job(a, &frame, "H:good:1");
  a.finish();
  r.secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.good = good;
  r.warnings = warning_list(a);
  r.cap = find_warning(a, "open_jobs_cap", r.store);
  return r;
}
}  // namespace

TEST(AnalyzerHostile, MillionHandlesNeverCompleted) {
  const uint64_t jobs = sized(1'000'000);
  OpenJobsRun r = never_completed(jobs, gan::Options{}.max_open_jobs);
  EXPECT_TRUE(r.good);
  EXPECT_EQ(r.incomplete, jobs) << "every open job reported as incomplete";
  // ASan adds redzones to every allocation: ~890 bytes per open job there.
  const uint64_t bound = (kSanitized ? 2048 : 512) * jobs + 32 * kMiB;
  EXPECT_LT(r.grown, bound) << "memory with " << jobs << " open jobs: " << r.grown / kMiB << " MiB";
  std::printf("  %llu open jobs: memory grew by %llu MiB (%llu bytes/job), %.2f s, warnings: %s\n",
              (unsigned long long)jobs, (unsigned long long)(r.grown / kMiB),
              (unsigned long long)(r.grown / jobs), r.secs, r.warnings.c_str());
}

// With the cap lowered to 10,000, 1M jobs that never finish keep the memory of 10,000: the oldest
// are reported as incomplete early, with a warning that counts them.
TEST(AnalyzerHostile, OpenJobsCapBoundsMemory) {
  const uint64_t jobs = sized(1'000'000), cap = 10'000;
  OpenJobsRun r = never_completed(jobs, cap);
  EXPECT_TRUE(r.good);
  EXPECT_EQ(r.incomplete, jobs) << "evicted or not, every job is reported";
  ASSERT_NE(r.cap, nullptr) << r.warnings;
  EXPECT_EQ(r.cap->count, jobs - cap + 1) << "the good job's arrival pushes out one more";
  EXPECT_LT(r.grown, 48 * kMiB) << "peak growth " << r.grown / kMiB << " MiB";
  std::printf("  %llu jobs, cap %llu: memory grew by %llu MiB, %.2f s\n", (unsigned long long)jobs,
              (unsigned long long)cap, (unsigned long long)(r.grown / kMiB), r.secs);
}

// A SYN flood: 1M connections opened to port 4730 from distinct addresses and ports, never used.
// Each is tracked until --max-connections (here 10,000) pushes the least recently active out.
namespace {
struct FloodRun {
  uint64_t grown = 0, dropped = 0;
  bool good = false;
  std::string warnings;
};
FloodRun syn_flood(uint64_t conns, size_t cap) {
  FloodRun r;
  MemWatch mem;
  gan::Options opt;
  opt.max_connections = cap;
  Analyzer a(opt);
  a.set_job_sink([&](const gan::JobRecord& j) { r.good |= j.function == "good" && j.outcome == gan::Outcome::Complete; });
  gan::TcpSegment t;
  t.dst = synth::ep("10.0.0.1", 4730);
  t.flags = gan::kSyn;
  uint64_t frame = 0;
  for (uint64_t i = 0; i < conns; ++i) {
    t.src = synth::ep("10." + std::to_string(1 + (i >> 16) % 250) + "." + std::to_string((i >> 8) & 255) + "." +
                          std::to_string(i & 255),
                      uint16_t(1024 + i % 60000));
    t.seq = uint32_t(i * 2654435761u);
    t.frame = ++frame;
    t.ts_ns = int64_t(1'000'000'000 + i * 1000);
    a.on_segment(t);
  }
  r.grown = mem.grown_bytes();
  one_good_job(a, &frame, "H:good:1");
  a.finish();
  std::vector<gan::Warning> ws;
  if (const gan::Warning* w = find_warning(a, "connections_cap", ws)) r.dropped = w->count;
  r.warnings = warning_list(a);
  return r;
}
}  // namespace

TEST(AnalyzerHostile, SynFloodIsBoundedByTheConnectionCap) {
  const uint64_t conns = sized(1'000'000), cap = 10'000;
  FloodRun r = syn_flood(conns, cap);
  EXPECT_TRUE(r.good);
  EXPECT_EQ(r.dropped, conns - cap + 1) << r.warnings << " (the good job's connection pushes out one more)";
  // Under ASan every dropped connection's memory sits in the allocator's quarantine (256 MiB by
  // default) instead of being reused, so the growth there is bounded by that, not by the cap.
  const uint64_t bound = kSanitized ? 384 * kMiB : 64 * kMiB;
  EXPECT_LT(r.grown, bound) << "peak growth " << r.grown / kMiB << " MiB";
  std::printf("  %llu SYNs, cap %llu: memory grew by %llu MiB\n", (unsigned long long)conns,
              (unsigned long long)cap, (unsigned long long)(r.grown / kMiB));
}

// The cap drops the connection whose latest segment is the oldest, not the oldest opened: A, B,
// C open, A sends again, D opens past a cap of 3: B goes. A segment on a dropped connection starts
// a new one from the middle of its stream (mid_stream_start), so which one went shows.
TEST(AnalyzerHostile, ConnectionCapDropsTheLeastRecentlyUsed) {
  gan::Options opt;
  opt.max_connections = 3;
  Analyzer a(opt);
  uint64_t frame = 0;
  const std::string echo = make_request(ECHO_REQ, {"x"});
  auto mid_stream_starts = [&a] {
    std::vector<gan::Warning> ws;
    const gan::Warning* w = find_warning(a, "mid_stream_start", ws);
    return w ? w->count : 0;
  };
  Wire wa(a, "10.0.0.11", 40001, &frame);
  Wire wb(a, "10.0.0.12", 40002, &frame);
  Wire wc(a, "10.0.0.13", 40003, &frame);
  wa.send(true, echo);
  wb.send(true, echo);
  wc.send(true, echo);
  wa.send(true, echo);  // A is now the most recently used; B the least
  Wire wd(a, "10.0.0.14", 40004, &frame);
  std::vector<gan::Warning> ws;
  const gan::Warning* cap = find_warning(a, "connections_cap", ws);
  ASSERT_NE(cap, nullptr) << warning_list(a);
  EXPECT_EQ(cap->count, 1u);
  wa.send(true, echo);
  wc.send(true, echo);
  EXPECT_EQ(mid_stream_starts(), 0u) << "A and C were kept: " << warning_list(a);
  wb.send(true, echo);
  EXPECT_EQ(mid_stream_starts(), 1u) << "B was dropped: " << warning_list(a);
  a.finish();
}

// The same flood under the default cap, to see what one tracked connection costs.
TEST(AnalyzerHostile, ConnectionCostUnderTheDefaultCap) {
  const uint64_t conns = sized(50'000);
  FloodRun r = syn_flood(conns, gan::Options{}.max_connections);
  EXPECT_TRUE(r.good);
  EXPECT_EQ(r.dropped, 0u) << r.warnings;
  const uint64_t per = r.grown / conns;
  EXPECT_LT(per, kSanitized ? 8192u : 4096u) << "bytes per tracked connection";
  std::printf("  %llu connections: memory grew by %llu MiB (%llu bytes each)\n", (unsigned long long)conns,
              (unsigned long long)(r.grown / kMiB), (unsigned long long)per);
}

// One sequence jump of `jump` bytes in the middle of a stream, then `pairs` GRAB_JOB / NO_JOB in
// 12 kB segments. The segments after the jump wait out of order (at most 4 MiB per direction)
// until the hole is declared lost as one gap of `jump` bytes; everything after it is decoded.
namespace {
struct GapRun {
  uint64_t pdus = 0, expected = 0, grown = 0, retransmissions = 0, gap_count = 0, gap_bytes = 0;
  std::string warnings;
};
GapRun single_gap(uint32_t jump) {
  const uint64_t pairs = sized(200'000);
  GapRun r;
  MemWatch mem;
  Collected c;
  const std::string grab = make_request(GRAB_JOB), nojob = make_response(NO_JOB);
  {
    Wire w(c.a, "10.0.0.2", 40000, &c.frame);
    w.send(true, make_request(CAN_DO, {"f"}));
    w.skip(true, jump);
    std::string up, down;
    for (int i = 0; i < 1000; ++i) { up += grab; down += nojob; }
    for (uint64_t done = 0; done < pairs; done += 1000) { w.send(true, up); w.send(false, down); }
    w.close();
  }
  one_good_job(c.a, &c.frame, "H:good:1");
  c.a.finish();
  EXPECT_TRUE(c.good_job_complete());
  r.pdus = c.a.totals().pdus;
  r.expected = 1 + 2 * pairs + 3;
  r.grown = mem.grown_bytes();
  r.retransmissions = c.a.totals().retransmissions;
  for (const auto& w : c.a.warnings())
    if (w.kind == "gap") { r.gap_count = w.count; r.gap_bytes = w.bytes; }
  r.warnings = warning_list(c.a);
  return r;
}
}  // namespace

TEST(AnalyzerHostile, HugeSequenceGapIsReportedAndDecodingGoesOn) {
  GapRun r = single_gap(1u << 30);
  EXPECT_EQ(r.pdus, r.expected);
  EXPECT_LT(r.grown, 64 * kMiB);
  EXPECT_EQ(r.gap_count, 1u) << r.warnings;
  EXPECT_EQ(r.gap_bytes, 1u << 30) << r.warnings;
}

// The same with a jump of 2^31 - 1, the largest TCP arithmetic still reads as "ahead". It is
// further than any TCP window (2^30), so the hole is declared lost at once, not waited for.
TEST(AnalyzerHostile, SequenceGapOfTwoToThe31MinusOne) {
  GapRun r = single_gap(0x7fffffffu);
  EXPECT_EQ(r.pdus, r.expected) << r.warnings;
  EXPECT_EQ(r.retransmissions, 0u);
  EXPECT_LT(r.grown, 64 * kMiB);
  EXPECT_EQ(r.gap_count, 1u) << r.warnings;
  EXPECT_EQ(r.gap_bytes, 0x7fffffffu) << r.warnings;
  EXPECT_NE(r.warnings.find("sequence_jump(1)"), std::string::npos) << r.warnings;
}

// Sequence numbers jumping again and again by 2^31 - 1 and 2^31 between segments (2^31 is -2^31
// to plain 32-bit arithmetic: only the window rule reads it as ahead). The analyzer must neither
// buffer nor wait for the "missing" gigabytes: every jump is one gap, every segment is decoded.
TEST(AnalyzerHostile, RepeatedSequenceJumpsOfTwoToThe31) {
  const uint64_t rounds = sized(2000, 4);
  MemWatch mem;
  Collected c;
  const std::string pdu = make_request(CAN_DO, {"f"}) + make_request(GRAB_JOB);
  uint64_t jumped = 0;
  {
    Wire w(c.a, "10.0.0.2", 40000, &c.frame);
    w.send(true, pdu);
    for (uint64_t i = 0; i < rounds; ++i) {
      const uint32_t jump = (i & 1) ? 0x80000000u : 0x7fffffffu;
      jumped += jump;
      w.skip(true, jump);
      w.send(true, pdu);
      w.send(false, make_response(NO_JOB));
    }
    w.close();
  }
  one_good_job(c.a, &c.frame, "H:good:1");
  c.a.finish();
  EXPECT_TRUE(c.good_job_complete());
  EXPECT_LT(mem.grown_bytes(), 64 * kMiB);
  EXPECT_EQ(c.a.totals().pdus, 2 + 2 * rounds + rounds + 3);
  EXPECT_EQ(c.a.totals().retransmissions, 0u);
  std::vector<gan::Warning> ws;
  const gan::Warning* gap = find_warning(c.a, "gap", ws);
  ASSERT_NE(gap, nullptr) << warning_list(c.a);
  EXPECT_EQ(gap->count, rounds);
  EXPECT_EQ(gap->bytes, jumped);
}

// A pcap whose last record claims more bytes than the file has: the frames before it are read,
// the file ends with a capture_read_error warning, the analyzer finishes normally.
TEST(AnalyzerHostile, PcapRecordLengthBeyondFile) {
  synth::Script s;
  int cl = s.connect("10.0.0.2", 40000);
  s.send(cl, true, make_request(SUBMIT_JOB, {"good", "u1", "x"}), 1000);
  s.send(cl, false, make_response(JOB_CREATED, {"H:good:1"}), 2000);
  s.send(cl, false, make_response(WORK_COMPLETE, {"H:good:1", "r"}), 3000);
  s.send(cl, true, make_request(GRAB_JOB), 4000);
  std::string path = synth::temp_path("hostile-record-beyond-file.pcap");
  synth::write_pcap(path, s.segs, synth::Link::Ethernet);
  std::string bytes;
  {
    std::ifstream in(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  // Walk to the last record and make its incl_len / orig_len 60000 (under the snap length, far
  // beyond the end of the file).
  size_t off = 24, last = 0;
  while (off + 16 <= bytes.size()) {
    uint32_t incl;
    std::memcpy(&incl, bytes.data() + off + 8, 4);
    last = off;
    off += 16 + incl;
  }
  ASSERT_EQ(off, bytes.size());
  uint32_t huge = 60000;
  std::memcpy(&bytes[last + 8], &huge, 4);
  std::memcpy(&bytes[last + 12], &huge, 4);
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), std::streamsize(bytes.size()));
  }
  MemWatch mem;
  Analyzer a;
  std::vector<gan::JobRecord> jobs;
  a.set_job_sink([&](const gan::JobRecord& r) { jobs.push_back(r); });
  auto r = gan::read_captures({path}, a);
  a.finish();
  EXPECT_TRUE(r.ok) << r.error;
  EXPECT_EQ(a.totals().frames, s.segs.size() - 1);
  std::vector<gan::Warning> ws;
  EXPECT_NE(find_warning(a, "capture_read_error", ws), nullptr) << warning_list(a);
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].outcome, gan::Outcome::Complete);
  EXPECT_LT(mem.grown_bytes(), 16 * kMiB);
  std::remove(path.c_str());
}
