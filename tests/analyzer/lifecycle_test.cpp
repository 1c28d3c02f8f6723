// Each lifecycle rule on crafted streams, fed to the analyzer as TCP segments.
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


}  // namespace

TEST(AnalyzerLifecycle, SubmitCreatedAssignCompleteGivesQueueRunTotal) {
  synth::Script s;
  int cl = s.connect("10.0.0.2", 40000);
  int wk = s.connect("10.0.0.3", 40001);
  s.send(wk, true, make_request(CAN_DO, {"f"}), 1 * kMs);
  s.send(wk, true, make_request(SET_CLIENT_ID, {"w1"}), 1 * kMs);
  s.send(cl, true, make_request(SUBMIT_JOB, {"f", "u1", "payload"}), 10 * kMs);
  s.send(cl, false, make_response(JOB_CREATED, {"H:x:1"}), 11 * kMs);
  s.send(wk, false, make_response(JOB_ASSIGN_UNIQ, {"H:x:1", "f", "u1", "payload"}), 15 * kMs);
  s.send(wk, true, make_request(WORK_STATUS, {"H:x:1", "1", "2"}), 16 * kMs);
  s.send(cl, true, make_request(GET_STATUS, {"H:x:1"}), 17 * kMs);
  s.send(cl, false, make_response(STATUS_RES, {"H:x:1", "1", "1", "1", "2"}), 17 * kMs);
  s.send(wk, true, make_request(WORK_COMPLETE, {"H:x:1", "done"}), 25 * kMs);
  s.send(cl, false, make_response(WORK_COMPLETE, {"H:x:1", "done"}), 26 * kMs);
  Fed r(s);
  ASSERT_EQ(r.jobs.size(), 1u);
  const JobRecord& j = r.jobs[0];
  EXPECT_EQ(j.function, "f");
  EXPECT_EQ(j.unique, "u1");
  EXPECT_EQ(j.worker, "w1");
  EXPECT_EQ(j.outcome, gan::Outcome::Complete);
  EXPECT_EQ(j.queue_ns(), 4 * kMs);
  EXPECT_EQ(j.run_ns(), 10 * kMs);
  EXPECT_EQ(j.total_ns(), 16 * kMs);
  EXPECT_EQ(j.payload_bytes, 7u);
  EXPECT_EQ(j.status_polls, 1u);
  EXPECT_EQ(r.a.totals().status_queries, 1u);
  ASSERT_EQ(r.a.functions().size(), 1u);
  EXPECT_EQ(r.a.functions()[0].run.count(), 1u);
  ASSERT_EQ(r.a.workers().size(), 1u);
  EXPECT_EQ(r.a.workers()[0].busy_ns, 10 * kMs);
  EXPECT_EQ(r.a.workers()[0].functions, std::vector<std::string>{"f"});
}

TEST(AnalyzerLifecycle, SubmitsAreAnsweredInOrderAndErrorConsumesOne) {
  synth::Script s;
  int cl = s.connect("10.0.0.2", 40000);
  std::string pipelined = make_request(SUBMIT_JOB, {"a", "ua", ""}) + make_request(SUBMIT_JOB_BG, {"b", "ub", ""}) +
                          make_request(SUBMIT_JOB_LOW, {"c", "uc", ""});
  s.send(cl, true, pipelined, 1 * kMs);
  s.send(cl, false, make_response(JOB_CREATED, {"H:1"}) + make_response(ERROR, {"QUEUE_ERROR", "full"}) +
                        make_response(JOB_CREATED, {"H:3"}), 2 * kMs);
  Fed r(s);
  ASSERT_EQ(r.jobs.size(), 2u);
  EXPECT_EQ(r.job("H:1")->function, "a");
  EXPECT_EQ(r.job("H:3")->function, "c");
  EXPECT_STREQ(r.job("H:3")->priority, "low");
  EXPECT_EQ(r.a.totals().submit_errors, 1u);
  EXPECT_EQ(r.a.totals().incomplete, 2u);
}

TEST(AnalyzerLifecycle, CoalescedSubmitsAreOneJob) {
  synth::Script s;
  int c1 = s.connect("10.0.0.2", 40000), c2 = s.connect("10.0.0.4", 40000);
  int wk = s.connect("10.0.0.3", 40001);
  s.send(c1, true, make_request(SUBMIT_JOB, {"f", "same", "x"}), 1 * kMs);
  s.send(c1, false, make_response(JOB_CREATED, {"H:1"}), 2 * kMs);
  s.send(c2, true, make_request(SUBMIT_JOB, {"f", "same", "x"}), 3 * kMs);
  s.send(c2, false, make_response(JOB_CREATED, {"H:1"}), 4 * kMs);
  s.send(wk, false, make_response(JOB_ASSIGN, {"H:1", "f", "x"}), 5 * kMs);
  s.send(wk, true, make_request(WORK_COMPLETE, {"H:1", "r"}), 6 * kMs);
  s.send(c1, false, make_response(WORK_COMPLETE, {"H:1", "r"}), 7 * kMs);
  s.send(c2, false, make_response(WORK_COMPLETE, {"H:1", "r"}), 8 * kMs);
  Fed r(s);
  ASSERT_EQ(r.jobs.size(), 1u);
  EXPECT_EQ(r.jobs[0].submits, 2u);
  EXPECT_EQ(r.a.totals().coalesced_submits, 1u);
  EXPECT_EQ(r.jobs[0].total_ns(), 6 * kMs);  // first submit to the first client's result
  EXPECT_EQ(r.warning("orphan_result"), 0u);
}

TEST(AnalyzerLifecycle, FirstTerminalIsTheOutcomeAndLaterFailBelongsToNoJob) {
  synth::Script s;
  int cl = s.connect("10.0.0.2", 40000), wk = s.connect("10.0.0.3", 40001);
  s.send(cl, true, make_request(SUBMIT_JOB, {"f", "u", ""}), 1 * kMs);
  s.send(cl, false, make_response(JOB_CREATED, {"H:1"}), 2 * kMs);
  s.send(wk, false, make_response(JOB_ASSIGN, {"H:1", "f", ""}), 3 * kMs);
  s.send(wk, true, make_request(WORK_EXCEPTION, {"H:1", "boom"}), 4 * kMs);
  s.send(cl, false, make_response(WORK_EXCEPTION, {"H:1", "boom"}), 4 * kMs + 1);
  s.send(wk, true, make_request(WORK_FAIL, {"H:1"}), 5 * kMs);
  s.send(wk, false, make_response(ERROR, {"JOB_NOT_FOUND", "Job given in work result not found"}), 5 * kMs + 1);
  Fed r(s);
  ASSERT_EQ(r.jobs.size(), 1u);
  EXPECT_EQ(r.jobs[0].outcome, gan::Outcome::Exception);
  EXPECT_EQ(r.a.totals().fail, 0u);
  EXPECT_EQ(r.warning("late_terminal"), 1u);
}

// Perl Gearman::Server: no ERROR for the late WORK_FAIL, which it forwards to the client instead.
TEST(AnalyzerLifecycle, ForwardedLateFailIsALateResultNotAnOrphan) {
  synth::Script s;
  int cl = s.connect("10.0.0.2", 40000), wk = s.connect("10.0.0.3", 40001);
  s.send(cl, true, make_request(SUBMIT_JOB, {"f", "u", ""}), 1 * kMs);
  s.send(cl, false, make_response(JOB_CREATED, {"H:1"}), 2 * kMs);
  s.send(wk, false, make_response(JOB_ASSIGN, {"H:1", "f", ""}), 3 * kMs);
  s.send(wk, true, make_request(WORK_EXCEPTION, {"H:1", "boom"}), 4 * kMs);
  s.send(cl, false, make_response(WORK_EXCEPTION, {"H:1", "boom"}), 4 * kMs + 1);
  s.send(wk, true, make_request(WORK_FAIL, {"H:1"}), 5 * kMs);
  s.send(cl, false, make_response(WORK_FAIL, {"H:1"}), 5 * kMs + 1);
  Fed r(s);
  ASSERT_EQ(r.jobs.size(), 1u);
  EXPECT_EQ(r.jobs[0].outcome, gan::Outcome::Exception);
  EXPECT_EQ(r.warning("late_terminal"), 1u);
  EXPECT_EQ(r.warning("late_result"), 1u);
  EXPECT_EQ(r.warning("orphan_result"), 0u);
}

// Perl Gearman::Server's maxqueue evicts a queued job by sending WORK_FAIL to its client itself:
// never assigned, no worker's result, and the job failed.
TEST(AnalyzerLifecycle, JobEndedByTheServerTakesTheClientsResult) {
  synth::Script s;
  int cl = s.connect("10.0.0.2", 40000);
  s.send(cl, true, make_request(SUBMIT_JOB, {"f", "u", ""}), 1 * kMs);
  s.send(cl, false, make_response(JOB_CREATED, {"H:1"}), 2 * kMs);
  s.send(cl, false, make_response(WORK_FAIL, {"H:1"}), 9 * kMs);
  Fed r(s);
  ASSERT_EQ(r.jobs.size(), 1u);
  EXPECT_EQ(r.jobs[0].outcome, gan::Outcome::Fail);
  EXPECT_EQ(r.jobs[0].total_ns(), 8 * kMs);
  EXPECT_EQ(r.jobs[0].run_ns(), gan::kNoTime);
  EXPECT_TRUE(r.a.warnings().empty());
}

TEST(AnalyzerLifecycle, BackgroundJobEndsAtTheWorker) {
  synth::Script s;
  int cl = s.connect("10.0.0.2", 40000), wk = s.connect("10.0.0.3", 40001);
  s.send(cl, true, make_request(SUBMIT_JOB_HIGH_BG, {"f", "u", ""}), 1 * kMs);
  s.send(cl, false, make_response(JOB_CREATED, {"H:1"}), 2 * kMs);
  s.send(wk, false, make_response(JOB_ASSIGN, {"H:1", "f", ""}), 3 * kMs);
  s.send(wk, true, make_request(WORK_COMPLETE, {"H:1", ""}), 9 * kMs);
  Fed r(s);
  ASSERT_EQ(r.jobs.size(), 1u);
  EXPECT_TRUE(r.jobs[0].background);
  EXPECT_EQ(r.jobs[0].outcome, gan::Outcome::Complete);
  EXPECT_EQ(r.jobs[0].run_ns(), 6 * kMs);
  EXPECT_EQ(r.jobs[0].total_ns(), gan::kNoTime);
}

TEST(AnalyzerLifecycle, ReassignedAfterWorkerConnectionDies) {
  synth::Script s;
  int cl = s.connect("10.0.0.2", 40000), w1 = s.connect("10.0.0.3", 40001), w2 = s.connect("10.0.0.5", 40002);
  s.send(cl, true, make_request(SUBMIT_JOB, {"f", "u", ""}), 1 * kMs);
  s.send(cl, false, make_response(JOB_CREATED, {"H:1"}), 2 * kMs);
  s.send(w1, false, make_response(JOB_ASSIGN, {"H:1", "f", ""}), 3 * kMs);
  s.close(w1, 4 * kMs, true);
  s.send(w2, false, make_response(JOB_ASSIGN, {"H:1", "f", ""}), 10 * kMs);
  s.send(w2, true, make_request(WORK_COMPLETE, {"H:1", ""}), 12 * kMs);
  s.send(cl, false, make_response(WORK_COMPLETE, {"H:1", ""}), 13 * kMs);
  Fed r(s);
  ASSERT_EQ(r.jobs.size(), 1u);
  EXPECT_EQ(r.jobs[0].assignments, 2u);
  EXPECT_EQ(r.jobs[0].queue_ns(), 1 * kMs);
  EXPECT_EQ(r.jobs[0].run_ns(), 2 * kMs);  // the assignment that finished
  EXPECT_EQ(r.a.totals().reassigned, 1u);
  EXPECT_EQ(r.a.workers()[0].lost, 1u);
}

TEST(AnalyzerLifecycle, JobOpenAtTheEndIsIncompleteAndJobBeforeTheCaptureIsUnknownStart) {
  synth::Script s;
  int cl = s.connect("10.0.0.2", 40000, true), wk = s.connect("10.0.0.3", 40001, true);
  s.send(wk, true, make_request(WORK_COMPLETE, {"H:old", "r"}), 1 * kMs);
  s.send(cl, false, make_response(WORK_COMPLETE, {"H:old", "r"}), 2 * kMs);
  s.send(cl, true, make_request(SUBMIT_JOB, {"f", "u", ""}), 3 * kMs);
  s.send(cl, false, make_response(JOB_CREATED, {"H:new"}), 4 * kMs);
  Fed r(s);
  ASSERT_EQ(r.jobs.size(), 2u);
  EXPECT_TRUE(r.job("H:old")->unknown_start);
  EXPECT_EQ(r.job("H:old")->outcome, gan::Outcome::Complete);
  EXPECT_EQ(r.job("H:new")->outcome, gan::Outcome::Incomplete);
  EXPECT_EQ(r.a.totals().unknown_start, 1u);
}

TEST(AnalyzerLifecycle, ResultForAHandleTheServerNeverIssuedIsNoJob) {
  synth::Script s;
  int wk = s.connect("10.0.0.3", 40001);
  s.send(wk, true, make_request(WORK_FAIL, {"H:999"}), 1 * kMs);
  s.send(wk, false, make_response(ERROR, {"JOB_NOT_FOUND", "x"}), 2 * kMs);
  Fed r(s);
  EXPECT_EQ(r.jobs.size(), 0u);
  EXPECT_EQ(r.warning("unknown_handle"), 1u);
}

TEST(AnalyzerLifecycle, HandlesBelongToTheirServer) {
  synth::Script s;
  int c1 = s.connect("10.0.0.2", 40000);
  s.server = synth::ep("10.0.0.9", 4730);
  int c2 = s.connect("10.0.0.2", 40001);
  s.send(c1, true, make_request(SUBMIT_JOB, {"f", "u", ""}), 1 * kMs);
  s.send(c1, false, make_response(JOB_CREATED, {"H:1"}), 2 * kMs);
  s.send(c2, true, make_request(SUBMIT_JOB, {"g", "u", ""}), 3 * kMs);
  s.send(c2, false, make_response(JOB_CREATED, {"H:1"}), 4 * kMs);
  Fed r(s);
  EXPECT_EQ(r.jobs.size(), 2u);
  EXPECT_EQ(r.a.totals().coalesced_submits, 0u);
  EXPECT_EQ(r.a.servers().size(), 2u);
}

TEST(AnalyzerLifecycle, WorkerSleepsAndWakes) {
  synth::Script s;
  int wk = s.connect("10.0.0.3", 40001);
  s.send(wk, true, make_request(PRE_SLEEP), 1 * kMs);
  s.send(wk, false, make_response(NOOP), 2 * kMs);
  s.send(wk, true, make_request(GRAB_JOB), 3 * kMs);
  s.send(wk, false, make_response(NO_JOB), 3 * kMs);
  Fed r(s);
  ASSERT_EQ(r.a.workers().size(), 1u);
  EXPECT_EQ(r.a.workers()[0].sleeps, 1u);
  EXPECT_EQ(r.a.workers()[0].wakes, 1u);
}

TEST(AnalyzerLifecycle, AdminStatusGivesQueueDepthSamples) {
  synth::Script s;
  int ad = s.connect("10.0.0.7", 50000);
  std::string cmd;
  append_admin_line(cmd, "status");
  s.send(ad, true, cmd, 1 * kMs);
  s.send(ad, false, "f\t5\t1\t2\ng\t0\t0\t1\n.\n", 2 * kMs);
  Fed r(s);
  EXPECT_EQ(r.a.totals().admin_commands, 1u);
  bool found = false;
  for (const auto& f : r.a.functions())
    if (f.name == "f") { found = true; EXPECT_EQ(f.depth_max, 4u); EXPECT_EQ(f.depth_samples, 1u); }
  EXPECT_TRUE(found);
}

TEST(AnalyzerReassembly, LostBytesAreAGapAndDecodingResumes) {
  synth::Script s;
  int cl = s.connect("10.0.0.2", 40000);
  s.send(cl, true, make_request(SUBMIT_JOB, {"f", "u1", ""}), 1 * kMs);
  s.send(cl, false, make_response(JOB_CREATED, {"H:1"}), 2 * kMs);
  s.send(cl, true, make_request(SUBMIT_JOB, {"f", "u2", "lost"}), 3 * kMs);
  s.send(cl, true, make_request(SUBMIT_JOB, {"f", "u3", ""}), 4 * kMs);
  s.segs.erase(s.segs.end() - 2);  // the second submit is not in the capture
  Fed r(s);
  EXPECT_GE(r.warning("gap"), 1u);
  EXPECT_EQ(r.jobs.size(), 1u);
  EXPECT_EQ(r.a.totals().pdus, 3u);
}

TEST(AnalyzerReassembly, OutOfOrderAndRetransmittedSegments) {
  synth::Script s;
  int cl = s.connect("10.0.0.2", 40000);
  std::string all = make_request(SUBMIT_JOB, {"f", "u1", "abcdef"});
  s.send(cl, true, all.substr(0, 5), 1 * kMs);
  s.send(cl, true, all.substr(5, 10), 1 * kMs);
  s.send(cl, true, all.substr(15), 1 * kMs);
  s.send(cl, false, make_response(JOB_CREATED, {"H:1"}), 2 * kMs);
  std::swap(s.segs[3], s.segs[4]);     // 2nd before 1st
  s.segs.insert(s.segs.begin() + 5, s.segs[3]);  // and again
  Fed r(s);
  ASSERT_EQ(r.jobs.size(), 1u);
  EXPECT_EQ(r.jobs[0].unique, "u1");
  EXPECT_EQ(r.a.warnings().size(), 0u);
  EXPECT_GE(r.a.totals().retransmissions, 1u);
}

TEST(AnalyzerReassembly, PortReuseStartsANewConnection) {
  synth::Script s;
  int a = s.connect("10.0.0.2", 40000);
  s.send(a, true, make_request(SUBMIT_JOB, {"f", "u1", ""}), 1 * kMs);
  s.send(a, false, make_response(JOB_CREATED, {"H:1"}), 2 * kMs);
  s.close(a, 3 * kMs);
  int b = s.connect("10.0.0.2", 40000);  // same ports, new ISNs
  s.send(b, true, make_request(SUBMIT_JOB, {"g", "u2", ""}), 4 * kMs);
  s.send(b, false, make_response(JOB_CREATED, {"H:2"}), 5 * kMs);
  Fed r(s);
  ASSERT_EQ(r.jobs.size(), 2u);
  EXPECT_EQ(r.job("H:2")->function, "g");
  EXPECT_EQ(r.a.totals().connections, 2u);
}

TEST(AnalyzerReassembly, HeuristicFindsGearmanOnAnyPort) {
  synth::Script s;
  s.server = synth::ep("10.0.0.1", 9999);
  int cl = s.connect("10.0.0.2", 40000);
  s.send(cl, true, make_request(SUBMIT_JOB, {"f", "u1", ""}), 1 * kMs);
  s.send(cl, false, make_response(JOB_CREATED, {"H:1"}), 2 * kMs);
  int other = s.connect("10.0.0.2", 40001);
  s.send(other, true, "GET / HTTP/1.1\r\n\r\n", 3 * kMs);
  Fed r(s);
  EXPECT_EQ(r.jobs.size(), 1u);
  EXPECT_EQ(r.a.totals().connections, 1u);
}

TEST(AnalyzerLifecycle, JobCreatedSeenAfterTheAssignIsTheSameJob) {
  synth::Script s;
  int cl = s.connect("10.0.0.2", 40000), wk = s.connect("10.0.0.3", 40001);
  s.send(cl, true, make_request(SUBMIT_JOB, {"f", "u", ""}), 1 * kMs);
  s.send(wk, false, make_response(JOB_ASSIGN, {"H:1", "f", ""}), 3 * kMs);
  s.send(cl, false, make_response(JOB_CREATED, {"H:1"}), 3 * kMs + 1);
  s.send(wk, true, make_request(WORK_COMPLETE, {"H:1", ""}), 5 * kMs);
  s.send(cl, false, make_response(WORK_COMPLETE, {"H:1", ""}), 6 * kMs);
  Fed r(s);
  ASSERT_EQ(r.jobs.size(), 1u);
  EXPECT_FALSE(r.jobs[0].unknown_start);
  EXPECT_EQ(r.jobs[0].submits, 1u);
  EXPECT_EQ(r.a.totals().coalesced_submits, 0u);
  EXPECT_EQ(r.jobs[0].total_ns(), 5 * kMs);
}

// A first segment with only the magic and type of a header (8 bytes) on a port that is not
// Gearman's: the analyzer waits for more bytes instead of taking the connection for something else.
TEST(AnalyzerReassembly, HeuristicWaitsForMoreThanAPartialHeader) {
  for (size_t cut : {size_t(1), size_t(4), size_t(8), size_t(11)}) {
    synth::Script s;
    s.server = synth::ep("10.0.0.1", 9999);
    int cl = s.connect("10.0.0.2", 40000);
    std::string submit = make_request(SUBMIT_JOB, {"f", "u1", "x"});
    s.send(cl, true, submit.substr(0, cut), 1 * kMs);
    s.send(cl, true, submit.substr(cut), 2 * kMs);
    s.send(cl, false, make_response(JOB_CREATED, {"H:1"}), 3 * kMs);
    Fed r(s);
    ASSERT_EQ(r.jobs.size(), 1u) << "cut at " << cut;
    EXPECT_EQ(r.jobs[0].function, "f");
    EXPECT_EQ(r.jobs[0].f_submit, 4u) << "the submit completes in the second data segment (frame 4 after the handshake)";
    EXPECT_EQ(r.a.totals().pdus, 2u);
    EXPECT_TRUE(r.a.warnings().empty()) << r.a.warnings()[0].kind;
  }
}

TEST(AnalyzerReassembly, HeuristicWaitsForTheRestOfAnAdminLine) {
  synth::Script s;
  s.server = synth::ep("10.0.0.1", 9999);
  int ad = s.connect("10.0.0.7", 50000);
  s.send(ad, true, "sta", 1 * kMs);
  s.send(ad, true, "tus\n", 2 * kMs);
  s.send(ad, false, "f\t5\t1\t2\n.\n", 3 * kMs);
  Fed r(s);
  EXPECT_EQ(r.a.totals().admin_commands, 1u);
  EXPECT_EQ(r.a.totals().admin_reply_lines, 2u);
}

TEST(AnalyzerReassembly, NoGearmanAtAllIsAWarning) {
  synth::Script s;
  s.server = synth::ep("10.0.0.1", 8080);
  int cl = s.connect("10.0.0.2", 40000);
  s.send(cl, true, "GET / HTTP/1.1\r\n\r\n", 1 * kMs);
  s.send(cl, false, "HTTP/1.1 200 OK\r\n\r\n", 2 * kMs);
  Fed r(s);
  EXPECT_EQ(r.warning("no_gearman"), 1u);
}

TEST(AnalyzerReassembly, TooFewBytesToTellAtTheEndIsAWarning) {
  synth::Script s;
  s.server = synth::ep("10.0.0.1", 9999);
  int cl = s.connect("10.0.0.2", 40000);
  s.send(cl, true, std::string("\0RE", 3), 1 * kMs);
  Fed r(s);
  EXPECT_EQ(r.warning("undecided_connections"), 1u);
}
