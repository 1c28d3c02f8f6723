// The job engine's order tolerance, fed through the analyzer on crafted streams: a job's packets
// join one job whatever order the capture shows them in, times are never negative, and waits for
// packets that may never come are bounded. (The plugin runs the same engine; tests/compare checks
// that both front ends agree job for job.)
#include <gtest/gtest.h>

#include "analyzer.h"
#include "gearproto/encoder.h"
#include "synth.h"

using namespace gearproto;
using gan::Analyzer;
using gan::JobRecord;
using synth::Fed;

namespace {

constexpr int64_t kMs = 1000000;

// Client `cl` submits a job that gets `handle` (1 ms, 2 ms), assigned to worker `wk` (3 ms).
void submitted_and_assigned(synth::Script& s, int cl, int wk, const std::string& handle) {
  s.send(cl, true, make_request(SUBMIT_JOB, {"f", "u", ""}), 1 * kMs);
  s.send(cl, false, make_response(JOB_CREATED, {handle}), 2 * kMs);
  s.send(wk, false, make_response(JOB_ASSIGN, {handle, "f", ""}), 3 * kMs);
}

// WORK_COMPLETE as Perl Gearman::Worker sends an empty result: the handle alone, no NUL.
std::string bare_work_complete(const char* magic, const std::string& handle) {
  std::string out;
  append_raw(out, Bytes(magic, 4), WORK_COMPLETE, uint32_t(handle.size()), handle);
  return out;
}

}  // namespace

// gearmand with several threads: the worker gets the job and even finishes it before the
// client's JOB_CREATED is on the wire. One job, not one "began before the capture" and another.
TEST(EngineOrdering, BackgroundJobEndedBeforeItsJobCreated) {
  synth::Script s;
  int cl = s.connect("10.0.0.2", 40000), wk = s.connect("10.0.0.3", 40001);
  s.send(cl, true, make_request(SUBMIT_JOB_BG, {"f", "u", "x"}), 1 * kMs);
  s.send(wk, false, make_response(JOB_ASSIGN_UNIQ, {"H:1", "f", "u", "x"}), 2 * kMs);
  s.send(wk, true, make_request(WORK_COMPLETE, {"H:1", ""}), 3 * kMs);
  s.send(cl, false, make_response(JOB_CREATED, {"H:1"}), 4 * kMs);
  Fed r(s);
  ASSERT_EQ(r.jobs.size(), 1u);
  const JobRecord& j = r.jobs[0];
  EXPECT_FALSE(j.unknown_start);
  EXPECT_TRUE(j.background);
  EXPECT_EQ(j.outcome, gan::Outcome::Complete);
  EXPECT_EQ(j.queue_ns(), 0) << "assigned before the server acknowledged it: no time in the queue after that";
  EXPECT_EQ(j.run_ns(), 1 * kMs);
  EXPECT_TRUE(j.reordered & gearjobs::kAssignedBeforeCreated);
  EXPECT_EQ(r.a.totals().incomplete, 0u);
  EXPECT_EQ(r.a.totals().reordered, 1u);
}

TEST(EngineOrdering, ForegroundJobEndedBeforeItsJobCreated) {
  synth::Script s;
  int cl = s.connect("10.0.0.2", 40000), wk = s.connect("10.0.0.3", 40001);
  s.send(cl, true, make_request(SUBMIT_JOB, {"f", "u", "x"}), 1 * kMs);
  s.send(wk, false, make_response(JOB_ASSIGN, {"H:1", "f", "x"}), 2 * kMs);
  s.send(wk, true, make_request(WORK_FAIL, {"H:1"}), 3 * kMs);
  s.send(cl, false, make_response(JOB_CREATED, {"H:1"}), 4 * kMs);
  s.send(cl, false, make_response(WORK_FAIL, {"H:1"}), 5 * kMs);
  Fed r(s);
  ASSERT_EQ(r.jobs.size(), 1u);
  const JobRecord& j = r.jobs[0];
  EXPECT_FALSE(j.unknown_start);
  EXPECT_EQ(j.outcome, gan::Outcome::Fail);
  EXPECT_EQ(j.f_created, 8u);      // frames 1-4: the two handshakes
  EXPECT_EQ(j.f_worker_done, 7u);
  EXPECT_EQ(j.total_ns(), 4 * kMs);
  EXPECT_EQ(r.a.totals().fail, 1u);
  EXPECT_EQ(r.a.totals().complete, 0u);
}

// Pipelined submits: several jobs are assigned and done before any JOB_CREATED; each JOB_CREATED
// still answers the oldest submit, and names its job.
TEST(EngineOrdering, PipelinedSubmitsAllReordered) {
  synth::Script s;
  int cl = s.connect("10.0.0.2", 40000), wk = s.connect("10.0.0.3", 40001);
  s.send(cl, true, make_request(SUBMIT_JOB, {"a", "ua", ""}) + make_request(SUBMIT_JOB_BG, {"b", "ub", ""}) +
                       make_request(SUBMIT_JOB_LOW, {"c", "uc", ""}), 1 * kMs);
  for (int i = 1; i <= 3; ++i) {
    std::string h = "H:" + std::to_string(i), fn(1, char('a' + i - 1));
    s.send(wk, false, make_response(JOB_ASSIGN, {h, fn, ""}), (1 + i) * kMs);
    s.send(wk, true, make_request(WORK_COMPLETE, {h, "r"}), (1 + i) * kMs + 100);
  }
  s.send(cl, false, make_response(JOB_CREATED, {"H:1"}) + make_response(JOB_CREATED, {"H:2"}) +
                        make_response(JOB_CREATED, {"H:3"}), 10 * kMs);
  s.send(cl, false, make_response(WORK_COMPLETE, {"H:1", "r"}) + make_response(WORK_COMPLETE, {"H:3", "r"}), 11 * kMs);
  Fed r(s);
  ASSERT_EQ(r.jobs.size(), 3u);
  for (const auto& j : r.jobs) {
    EXPECT_FALSE(j.unknown_start) << j.handle;
    EXPECT_EQ(j.outcome, gan::Outcome::Complete) << j.handle;
    EXPECT_EQ(j.queue_ns(), 0) << j.handle;
  }
  EXPECT_TRUE(r.job("H:2")->background);
  EXPECT_STREQ(r.job("H:3")->priority, "low");
  EXPECT_EQ(r.job("H:3")->total_ns(), 10 * kMs);
}

// A capture merged from two interfaces: the client's copy of the result is on the wire before
// the worker's terminal packet. Still one job, ended by its worker.
TEST(EngineOrdering, ClientResultBeforeTheWorkersTerminal) {
  synth::Script s;
  int cl = s.connect("10.0.0.2", 40000), wk = s.connect("10.0.0.3", 40001);
  s.send(cl, true, make_request(SUBMIT_JOB, {"f", "u", ""}), 1 * kMs);
  s.send(cl, false, make_response(JOB_CREATED, {"H:1"}), 2 * kMs);
  s.send(wk, false, make_response(JOB_ASSIGN, {"H:1", "f", ""}), 3 * kMs);
  s.send(cl, false, make_response(WORK_EXCEPTION, {"H:1", "boom"}), 8 * kMs);
  s.send(wk, true, make_request(WORK_EXCEPTION, {"H:1", "boom"}), 8 * kMs + 300);
  Fed r(s);
  ASSERT_EQ(r.jobs.size(), 1u);
  const JobRecord& j = r.jobs[0];
  EXPECT_EQ(j.function, "f");
  EXPECT_EQ(j.outcome, gan::Outcome::Exception);
  EXPECT_FALSE(j.ended_by_server);
  EXPECT_EQ(j.run_ns(), 5 * kMs + 300);
  EXPECT_EQ(j.total_ns(), 7 * kMs);
  EXPECT_TRUE(j.reordered & gearjobs::kResultBeforeEnd);
  EXPECT_EQ(r.warning("orphan_result"), 0u);
  EXPECT_EQ(r.warning("unknown_handle"), 0u);
}

// Directions of one connection from two capture points: the worker's terminal packet before the
// JOB_ASSIGN it answers. The run time would be negative: it is 0, and the job is flagged.
TEST(EngineOrdering, TerminalBeforeItsAssignIsNeverANegativeRun) {
  synth::Script s;
  int cl = s.connect("10.0.0.2", 40000), wk = s.connect("10.0.0.3", 40001);
  s.send(cl, true, make_request(SUBMIT_JOB_BG, {"f", "u", ""}), 1 * kMs);
  s.send(cl, false, make_response(JOB_CREATED, {"H:1"}), 2 * kMs);
  s.send(wk, true, make_request(WORK_COMPLETE, {"H:1", ""}), 3 * kMs);
  s.send(wk, false, make_response(JOB_ASSIGN, {"H:1", "f", ""}), 3 * kMs + 200);
  Fed r(s);
  ASSERT_EQ(r.jobs.size(), 1u);
  EXPECT_EQ(r.jobs[0].run_ns(), 0);
  EXPECT_EQ(r.jobs[0].queue_ns(), 1 * kMs + 200);
  EXPECT_TRUE(r.jobs[0].reordered & gearjobs::kEndedBeforeAssigned);
  EXPECT_EQ(r.jobs[0].function, "f");
}

// A coalesced client's JOB_CREATED on the wire after the job ended: the same job (same unique ID),
// and that client's result is the job's, not an orphan.
TEST(EngineOrdering, LateCoalescedJobCreatedJoinsTheEndedJob) {
  synth::Script s;
  int c1 = s.connect("10.0.0.2", 40000), c2 = s.connect("10.0.0.4", 40000), wk = s.connect("10.0.0.3", 40001);
  s.send(c1, true, make_request(SUBMIT_JOB, {"f", "same", ""}), 1 * kMs);
  s.send(c2, true, make_request(SUBMIT_JOB, {"f", "same", ""}), 1 * kMs + 100);
  s.send(c1, false, make_response(JOB_CREATED, {"H:1"}), 2 * kMs);
  s.send(wk, false, make_response(JOB_ASSIGN, {"H:1", "f", ""}), 3 * kMs);
  s.send(wk, true, make_request(WORK_COMPLETE, {"H:1", "r"}), 4 * kMs);
  s.send(c1, false, make_response(WORK_COMPLETE, {"H:1", "r"}), 5 * kMs);
  s.send(c2, false, make_response(JOB_CREATED, {"H:1"}), 6 * kMs);
  s.send(c2, false, make_response(WORK_COMPLETE, {"H:1", "r"}), 7 * kMs);
  Fed r(s);
  ASSERT_EQ(r.jobs.size(), 1u);
  EXPECT_EQ(r.jobs[0].submits, 2u);
  EXPECT_EQ(r.jobs[0].total_ns(), 4 * kMs);
  EXPECT_EQ(r.a.totals().coalesced_submits, 1u);
  EXPECT_EQ(r.warning("orphan_result"), 0u);
  EXPECT_EQ(r.warning("late_result"), 0u);
}

// A server that restarted gives out a handle again: a JOB_CREATED for an ended job with another
// unique ID is a new job, not a coalesced submit.
TEST(EngineOrdering, HandleReusedWithAnotherUniqueIsANewJob) {
  synth::Script s;
  int cl = s.connect("10.0.0.2", 40000), wk = s.connect("10.0.0.3", 40001);
  s.send(cl, true, make_request(SUBMIT_JOB_BG, {"f", "u1", ""}), 1 * kMs);
  s.send(cl, false, make_response(JOB_CREATED, {"H:1"}), 2 * kMs);
  s.send(wk, false, make_response(JOB_ASSIGN, {"H:1", "f", ""}), 3 * kMs);
  s.send(wk, true, make_request(WORK_COMPLETE, {"H:1", ""}), 4 * kMs);
  s.send(cl, true, make_request(SUBMIT_JOB_BG, {"g", "u2", ""}), 5 * kMs);
  s.send(cl, false, make_response(JOB_CREATED, {"H:1"}), 6 * kMs);
  Fed r(s);
  ASSERT_EQ(r.jobs.size(), 2u);
  EXPECT_EQ(r.jobs[0].function, "f");
  EXPECT_EQ(r.jobs[0].outcome, gan::Outcome::Complete);
  EXPECT_EQ(r.jobs[1].function, "g");
  EXPECT_EQ(r.jobs[1].outcome, gan::Outcome::Incomplete);
}

// A job first seen at its worker while no submit of that server is unanswered cannot get a
// JOB_CREATED any more: it began before the capture, and is closed without waiting.
TEST(EngineOrdering, NoUnansweredSubmitMeansBeganBeforeTheCapture) {
  synth::Script s;
  int wk = s.connect("10.0.0.3", 40001, true);
  s.send(wk, false, make_response(JOB_ASSIGN, {"H:old", "f", ""}), 1 * kMs);
  s.send(wk, true, make_request(WORK_COMPLETE, {"H:old", ""}), 2 * kMs);
  Fed r(s);
  ASSERT_EQ(r.jobs.size(), 1u);
  EXPECT_TRUE(r.jobs[0].unknown_start);
  EXPECT_EQ(r.jobs[0].outcome, gan::Outcome::Complete);
  EXPECT_EQ(r.jobs[0].run_ns(), 1 * kMs);
}

// The worker's result came, the client's copy never does (the capture lost it): the job is
// closed after the engine's wait, with a warning, instead of staying open for ever.
TEST(EngineOrdering, AClientCopyThatNeverComesIsWaitedForABoundedTime) {
  synth::Script s;
  int cl = s.connect("10.0.0.2", 40000), wk = s.connect("10.0.0.3", 40001);
  s.send(cl, true, make_request(SUBMIT_JOB, {"f", "u", ""}), 1 * kMs);
  s.send(cl, false, make_response(JOB_CREATED, {"H:1"}), 2 * kMs);
  s.send(wk, false, make_response(JOB_ASSIGN, {"H:1", "f", ""}), 3 * kMs);
  s.send(wk, true, make_request(WORK_COMPLETE, {"H:1", ""}), 4 * kMs);
  s.send(wk, true, make_request(PRE_SLEEP), 60000 * kMs);  // a minute later: the wait is over,
  s.send(wk, true, make_request(PRE_SLEEP), 62000 * kMs);  // and so is the linger after it
  std::vector<JobRecord> closed_before_the_end;
  Analyzer a;
  a.set_job_sink([&](const JobRecord& r) { closed_before_the_end.push_back(r); });
  for (const auto& seg : s.segs) {
    gan::TcpSegment t;
    t.src = seg.src; t.dst = seg.dst; t.seq = seg.seq; t.flags = seg.flags;
    t.payload = reinterpret_cast<const uint8_t*>(seg.payload.data());
    t.captured = t.length = uint32_t(seg.payload.size());
    t.ts_ns = seg.ts_ns;
    a.on_segment(t);
  }
  ASSERT_EQ(closed_before_the_end.size(), 1u) << "closed by the wait, not by the end of the capture";
  EXPECT_EQ(closed_before_the_end[0].outcome, gan::Outcome::Complete);
  EXPECT_EQ(closed_before_the_end[0].total_ns(), gan::kNoTime);
  a.finish();
  bool warned = false;
  for (const auto& w : a.warnings()) warned |= w.kind == "gave_up_waiting";
  EXPECT_TRUE(warned);
}

// Perl Gearman::Worker's WORK_COMPLETE without the NUL before an empty result: gearmand drops the
// connection and gives the job to the worker again, which completes it properly.
TEST(EngineOrdering, RefusedTerminalEndsNoJob) {
  synth::Script s;
  int cl = s.connect("10.0.0.2", 40000), w1 = s.connect("10.0.0.3", 40001), w2 = s.connect("10.0.0.3", 40002);
  submitted_and_assigned(s, cl, w1, "H:1");
  s.send(w1, true, bare_work_complete("\0REQ", "H:1"), 4 * kMs);
  s.close(w1, 5 * kMs);
  s.send(w2, false, make_response(JOB_ASSIGN, {"H:1", "f", ""}), 6 * kMs);
  s.send(w2, true, make_request(WORK_COMPLETE, {"H:1", "fine"}), 7 * kMs);
  s.send(cl, false, make_response(WORK_COMPLETE, {"H:1", "fine"}), 8 * kMs);
  Fed r(s);
  ASSERT_EQ(r.jobs.size(), 1u);
  EXPECT_EQ(r.jobs[0].outcome, gan::Outcome::Complete);
  EXPECT_EQ(r.jobs[0].assignments, 2u);
  EXPECT_EQ(r.jobs[0].f_worker_done, 14u);
  EXPECT_EQ(r.jobs[0].run_ns(), 1 * kMs);
  EXPECT_EQ(r.warning("refused_terminal"), 1u);
}

// The abraxas server takes that packet and relays it to the client as the result (with or
// without the NUL): the job ended at the worker's packet, in either wire order.
TEST(EngineOrdering, BareTerminalTheServerRelayedEndsTheJob) {
  for (bool result_first : {false, true}) {
    SCOPED_TRACE(result_first ? "the client's copy first" : "the worker's packet first");
    synth::Script s;
    int cl = s.connect("10.0.0.2", 40000), w1 = s.connect("10.0.0.3", 40001);
    submitted_and_assigned(s, cl, w1, "job:1");
    const std::string bare = bare_work_complete("\0REQ", "job:1"), copy = bare_work_complete("\0RES", "job:1");
    if (result_first) {
      s.send(cl, false, copy, 4 * kMs);
      s.send(w1, true, bare, 5 * kMs);
    } else {
      s.send(w1, true, bare, 4 * kMs);
      s.send(cl, false, copy, 5 * kMs);
    }
    s.close(w1, 9 * kMs);
    Fed r(s);
    ASSERT_EQ(r.jobs.size(), 1u);
    EXPECT_EQ(r.jobs[0].outcome, gan::Outcome::Complete);
    EXPECT_FALSE(r.jobs[0].ended_by_server);
    EXPECT_EQ(r.jobs[0].run_ns(), (result_first ? 2 : 1) * kMs);
    EXPECT_EQ(r.jobs[0].total_ns(), (result_first ? 3 : 4) * kMs);
    EXPECT_EQ(r.warning("accepted_bare_terminal"), 1u);
    EXPECT_EQ(r.warning("refused_terminal"), 0u);
    EXPECT_EQ(r.a.workers().at(0).jobs, 1u);
    EXPECT_EQ(r.a.workers().at(0).lost, 0u);
  }
}

// The abraxas server writes a NUL after its copy of a separator-less result: one byte that is not
// Gearman between two messages. It cannot have held a request or an answer, so the submits
// waiting on that connection keep their pairing; twelve such bytes (a whole header's worth)
// could have, and the pairing restarts.
TEST(EngineOrdering, AStrayByteKeepsThePairingAWholeHeaderOfGarbageDoesNot) {
  for (size_t garbage : {size_t(1), size_t(12)}) {
    SCOPED_TRACE(garbage);
    synth::Script s;
    int cl = s.connect("10.0.0.2", 40000);
    s.send(cl, true, make_request(SUBMIT_JOB, {"f", "u1", ""}) + make_request(SUBMIT_JOB, {"f", "u2", ""}), 1 * kMs);
    s.send(cl, false, make_response(JOB_CREATED, {"job:1"}) + std::string(garbage, '\0') + make_response(JOB_CREATED, {"job:2"}),
           2 * kMs);
    s.send(cl, false, make_response(WORK_FAIL, {"job:1"}) + make_response(WORK_FAIL, {"job:2"}), 3 * kMs);
    Fed r(s);
    ASSERT_EQ(r.jobs.size(), 2u);
    EXPECT_EQ(r.warning("resync"), 1u);
    const gan::JobRecord* second = r.job("job:2");
    ASSERT_NE(second, nullptr);
    EXPECT_EQ(second->unknown_start, garbage >= 12) << "job:2's submit is paired only after a stray byte";
    EXPECT_EQ(r.warning("submit_pairing_reset"), garbage >= 12 ? 1u : 0u);
  }
}

// Gearman::Server refuses it (ERROR), the worker dies, and the server fails the job to its client:
// the client's WORK_FAIL is no copy of the worker's WORK_COMPLETE, which stays refused.
TEST(EngineOrdering, BareTerminalRefusedThenFailedStaysRefused) {
  synth::Script s;
  int cl = s.connect("10.0.0.2", 40000), w1 = s.connect("10.0.0.3", 40001);
  submitted_and_assigned(s, cl, w1, "H:1");
  s.send(w1, true, bare_work_complete("\0REQ", "H:1"), 4 * kMs);
  s.send(w1, false, make_response(ERROR, {"not_worker", ""}), 5 * kMs);
  s.send(cl, false, make_response(WORK_FAIL, {"H:1"}), 6 * kMs);
  s.close(w1, 7 * kMs);
  Fed r(s);
  ASSERT_EQ(r.jobs.size(), 1u);
  EXPECT_EQ(r.jobs[0].outcome, gan::Outcome::Fail);
  EXPECT_EQ(r.jobs[0].run_ns(), gan::kNoTime);
  EXPECT_EQ(r.warning("refused_terminal"), 1u);
  EXPECT_EQ(r.warning("accepted_bare_terminal"), 0u);
}
