// Reproductions of what fuzz_engine (fuzz/fuzz_engine.cpp) found in the job engine, each reduced
// to the few PDUs that show it; all five are fixed. Each test has a neighbour with the same packets
// in an order where the rule held before the fix too, so each can be seen to pass and to fail.
#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <vector>

#include "engine_feed.h"
#include "gearjobs/engine.h"

namespace gearjobs {
// Private sizes the public API does not show (Engine names this class its friend for tests).
class EngineTestPeer {
 public:
  static size_t expect_timers(const Engine& e) { return e.expecting_.size(); }
};
// GoogleTest prints events by name.
void PrintTo(Event e, std::ostream* os) { *os << event_name(e); }
}  // namespace gearjobs

namespace {

using namespace gearjobs;
using namespace gearjobs::test;

// Clients submit one job with the same unique ID, each gets the same handle (coalesced); the
// last of them disconnects before the result; the worker completes and the others get the result.
// Nothing is missing from this capture: the job is Done and closes after linger_ns (1 s), with no
// gave_up_waiting warning.
void coalesced_client_leaves(int clients, Sink& sink, Engine& eng) {
  eng.set_sink(&sink);
  Feed feed(eng);
  std::vector<ConnRef> c;
  for (int i = 0; i < clients; ++i) c.push_back(eng.open_conn(0, 1 + i));
  const ConnRef worker = eng.open_conn(0, 100);
  Time t = kT0;
  for (int i = 0; i < clients; ++i) feed.pdu(c[i], true, t += 1000, gearproto::SUBMIT_JOB, {"f", "u1", "data"});
  for (int i = 0; i < clients; ++i) {
    const Effect e = feed.pdu(c[i], false, t += 1000, gearproto::JOB_CREATED, {"H:1"});
    ASSERT_EQ(e.event, i == 0 ? Event::Created : Event::Coalesced);
  }
  eng.close_conn(c.back(), t += 1000);  // the last client leaves before its result
  feed.pdu(worker, true, t += 1000, gearproto::GRAB_JOB, {});
  feed.pdu(worker, false, t += 1000, gearproto::JOB_ASSIGN, {"H:1", "f", "data"});
  feed.pdu(worker, true, t += 1000, gearproto::WORK_COMPLETE, {"H:1", "result"});
  for (int i = 0; i + 1 < clients; ++i) {
    const Effect e = feed.pdu(c[i], false, t += 1000, gearproto::WORK_COMPLETE, {"H:1", "result"});
    ASSERT_EQ(e.event, Event::Result);
  }
  // Every client that is still connected has its result: Done, so closed once linger_ns passed.
  eng.advance(t + 2 * kSecond);
  EXPECT_EQ(sink.closed.size(), 1u) << "the job should have closed after linger_ns";
  EXPECT_EQ(eng.jobs_in_table(), 0u);
  eng.advance(t + 20 * kSecond);
  eng.finish();
  ASSERT_EQ(sink.closed.size(), 1u);
  EXPECT_EQ(sink.closed[0].outcome, Outcome::Complete);
  EXPECT_EQ(eng.warnings()[WarningKind::GaveUpWaiting].count, 0u) << "nothing was missing from the capture";
}

TEST(GearjobsRepro, SecondCoalescedClientThatLeavesWaitsForNothing) {
  Engine eng;
  Sink sink;
  coalesced_client_leaves(2, sink, eng);
}

// Found by fuzz_engine, fixed (invariant: a job's waiting clients are the connected clients given it
// that got no result yet). A third coalesced client is counted in Job::waiting_more, and
// Engine::close_conn clears only the two named in Job::waiting_conns: the closed client stays
// counted, the job stays Open until expect_ns (10 s) passes, then closes with a spurious
// gave_up_waiting warning ("the capture lost it").
TEST(GearjobsRepro, ThirdCoalescedClientThatLeavesWaitsForNothing) {
  Engine eng;
  Sink sink;
  coalesced_client_leaves(3, sink, eng);
}

// Jobs that end at the worker while their client waits for the result each get an expect timer
// (Engine::expecting_). `jobs` of them, all at one capture time (a capture whose clock does not
// move, or many jobs within expect_ns), with the open-jobs cap at 8.
size_t expect_timers_after(int jobs) {
  Options o;
  o.max_open_jobs = 8;
  Engine eng(o);
  Sink sink;
  eng.set_sink(&sink);
  Feed feed(eng);
  const ConnRef client = eng.open_conn(0, 1);
  const ConnRef worker = eng.open_conn(0, 2);
  for (int i = 0; i < jobs; ++i) {
    const std::string h = "H:" + std::to_string(i);
    feed.pdu(client, true, kT0, gearproto::SUBMIT_JOB, {"f", "", "data"});
    feed.pdu(client, false, kT0, gearproto::JOB_CREATED, {h});
    feed.pdu(worker, false, kT0, gearproto::JOB_ASSIGN, {h, "f", "data"});
    feed.pdu(worker, true, kT0, gearproto::WORK_COMPLETE, {h, "result"});  // the client's copy never comes
  }
  EXPECT_LE(eng.jobs_in_table(), 8u);
  EXPECT_EQ(eng.warnings()[WarningKind::OpenJobsCap].count, uint64_t(jobs > 8 ? jobs - 8 : 0));
  return EngineTestPeer::expect_timers(eng);
}

TEST(GearjobsRepro, ExpectTimersWithinTheCap) { EXPECT_LE(expect_timers_after(8), 8u); }

// Found by fuzz_engine, fixed (invariant: the engine's memory is bounded by its options). A timer stays
// in expecting_ after its job closed (closed early by the cap, or by lingering) until capture time
// passes expect_ns; when the clock stands still it never goes. With the cap at 8 open jobs,
// 100,000 such jobs leave 100,000 timers (32 bytes each): memory grows with the capture, not with
// max_open_jobs.
TEST(GearjobsRepro, ExpectTimersStayWithinTheOpenJobsCap) {
  // Stale timers go once they outnumber the jobs in the table (2 x the table + 1024): bounded by
  // the cap, whatever the number of jobs.
  EXPECT_LE(expect_timers_after(100'000), 2u * 8 + 1024 + 1);
}

// A worker's terminal packet for a handle the engine has not seen is tentative: gearmand answers
// it with ERROR JOB_NOT_FOUND when the handle named no job, and the engine then voids it. Here a
// JOB_CREATED gives that handle to a client's submit between the two (a threaded gearmand shows
// the worker's side first, which the engine otherwise accepts: kAssignedBeforeCreated).
void created_between_terminal_and_not_found(bool created, Sink& sink, Engine& eng) {
  eng.set_sink(&sink);
  Feed feed(eng);
  const ConnRef client = eng.open_conn(0, 1);
  const ConnRef worker = eng.open_conn(0, 2);
  Time t = kT0;
  feed.pdu(client, true, t += 1000, gearproto::SUBMIT_JOB, {"f", "", "data"});
  EXPECT_EQ(feed.pdu(worker, true, t += 1000, gearproto::WORK_COMPLETE, {"H:4", "result"}).event, Event::WorkerEnded);
  if (created) {
    const Effect e = feed.pdu(client, false, t += 1000, gearproto::JOB_CREATED, {"H:4"});
    EXPECT_EQ(e.event, Event::JoinedCreated);
    EXPECT_TRUE(e.answers);
  }
  feed.pdu(worker, false, t += 1000, gearproto::ERROR, {"JOB_NOT_FOUND", "Job given in work result not found"});
  if (!created) feed.pdu(client, false, t += 1000, gearproto::JOB_CREATED, {"H:4"});
  // The client's copy of the result: the job the client submitted.
  EXPECT_EQ(feed.pdu(client, false, t += 1000, gearproto::WORK_COMPLETE, {"H:4", "result"}).event, Event::Result);
  eng.finish();
  // The submit answered by JOB_CREATED H:4 is a job and reaches the sink, with its submit.
  ASSERT_EQ(sink.closed.size(), 1u);
  EXPECT_EQ(sink.closed[0].handle, "H:4");
  EXPECT_NE(sink.closed[0].f_submit, 0u);
}

TEST(GearjobsRepro, JobCreatedAfterNotFoundIsAJob) {
  Engine eng;
  Sink sink;
  created_between_terminal_and_not_found(false, sink, eng);
}

// Found by fuzz_engine, fixed (invariant: a job that a JOB_CREATED gave to a client reaches the sink).
// EngineRules::on_created joins the JOB_CREATED to the tentative job (JoinedCreated) and leaves it
// tentative; the JOB_NOT_FOUND then voids it (on_error -> void_job): the client's submit never
// reaches the sink and its result counts as an orphan_result.
TEST(GearjobsRepro, JobCreatedBeforeNotFoundIsAJob) {
  Engine eng;
  Sink sink;
  created_between_terminal_and_not_found(true, sink, eng);
}

// Two open jobs with the same unique ID (gearmand keeps unique IDs per function: "f" and "g" may
// both have "u1"). GET_STATUS_UNIQUE u1 is asked once before the later job ends and closes, and
// once after: the second query is about the job that is still open.
void status_unique_after_twin_closes(bool twin_closes, Engine& eng) {
  Sink sink;
  eng.set_sink(&sink);
  Feed feed(eng);
  const ConnRef client = eng.open_conn(0, 1);
  const ConnRef worker = eng.open_conn(0, 2);
  Time t = kT0;
  feed.pdu(client, true, t += 1000, gearproto::SUBMIT_JOB, {"f", "u1", "data"});
  feed.pdu(client, false, t += 1000, gearproto::JOB_CREATED, {"H:1"});
  feed.pdu(client, true, t += 1000, gearproto::SUBMIT_JOB, {"g", "u1", "data"});
  feed.pdu(client, false, t += 1000, gearproto::JOB_CREATED, {"H:2"});
  Effect q = feed.pdu(client, true, t += 1000, gearproto::GET_STATUS_UNIQUE, {"u1"});
  ASSERT_NE(q.job, nullptr);
  if (twin_closes) {
    feed.pdu(worker, false, t += 1000, gearproto::JOB_ASSIGN, {"H:2", "g", "data"});
    feed.pdu(worker, true, t += 1000, gearproto::WORK_COMPLETE, {"H:2", "result"});
    feed.pdu(client, false, t += 1000, gearproto::WORK_COMPLETE, {"H:2", "result"});
    eng.advance(t += 2 * kSecond);  // past linger_ns: H:2 closes
    ASSERT_EQ(sink.closed.size(), 1u);
    ASSERT_EQ(sink.closed[0].handle, "H:2");
  }
  q = feed.pdu(client, true, t += 1000, gearproto::GET_STATUS_UNIQUE, {"u1"});
  EXPECT_EQ(q.event, Event::StatusQuery);
  ASSERT_NE(q.job, nullptr) << "H:1 is open with unique ID u1";
  EXPECT_EQ(q.job->unique, "u1");
  EXPECT_EQ(q.job->state, JobState::Open);
}

TEST(GearjobsRepro, StatusUniqueFindsAnOpenJob) {
  Engine eng;
  status_unique_after_twin_closes(false, eng);
}

// Found by fuzz_engine, fixed (invariant: once unique IDs are indexed, every job of the table is found by
// its unique ID). Engine::index_unique lets the later job replace the earlier one's entry, and
// unindex_unique at its close erases the entry: H:1 is still open with "u1" but no longer found,
// so GET_STATUS_UNIQUE u1 and its STATUS_RES_UNIQUE are about no job (and status_polls misses it).
TEST(GearjobsRepro, StatusUniqueFindsTheOpenTwinAfterTheOtherCloses) {
  Engine eng;
  status_unique_after_twin_closes(true, eng);
}

}  // namespace

// Found by fuzz_engine, fixed (invariant: JOB_NOT_FOUND voids only a job the server never named:
// no JOB_CREATED, no JOB_ASSIGN). A worker's result for a handle the capture had not seen makes
// a tentative job until the server's next packet to that worker; when the server assigns that
// handle to another worker meanwhile, the job is real, and a JOB_NOT_FOUND to the first worker
// afterwards must not void it (its neighbour: with no JOB_ASSIGN, it does).
std::vector<Job> not_found_after(bool assigned_elsewhere) {
  Engine eng;
  Sink sink;
  eng.set_sink(&sink);
  Feed feed(eng);
  const ConnRef a = eng.open_conn(0, 1), b = eng.open_conn(0, 2);
  Time t = kT0;
  feed.pdu(a, true, t += 1000, gearproto::WORK_COMPLETE, {"H:1", "result"});  // began before the capture?
  if (assigned_elsewhere) {
    feed.pdu(b, true, t += 1000, gearproto::GRAB_JOB, {});
    EXPECT_EQ(feed.pdu(b, false, t += 1000, gearproto::JOB_ASSIGN, {"H:1", "f", "data"}).event, Event::Assigned);
  }
  const Effect e = feed.pdu(a, false, t += 1000, gearproto::ERROR, {"JOB_NOT_FOUND", "Job given in work result not found"});
  EXPECT_EQ(e.event, assigned_elsewhere ? Event::None : Event::UnknownHandle);
  eng.finish();
  return sink.closed;
}

TEST(GearjobsRepro, NotFoundVoidsAJobNoServerPacketNamed) { EXPECT_TRUE(not_found_after(false).empty()); }

TEST(GearjobsRepro, NotFoundKeepsAJobTheServerAssigned) {
  const std::vector<Job> closed = not_found_after(true);
  ASSERT_EQ(closed.size(), 1u);
  EXPECT_EQ(closed[0].handle, "H:1");
  EXPECT_EQ(closed[0].assignments, 1u);
}
