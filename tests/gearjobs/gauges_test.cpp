// The engine's per-function gauges of open jobs (Options::gauges): queued until a worker has the
// job, running until the worker ends it; kept only when asked for.
#include <gtest/gtest.h>

#include "engine_feed.h"
#include "gearjobs/engine.h"

namespace {

using namespace gearjobs;
using namespace gearjobs::test;

// Job "H:1" of function "f" is submitted and created; then assigned; then its worker completes it.
struct Steps {
  explicit Steps(const Options& o) : eng(o), feed(eng) {
    eng.set_sink(&sink);
    client = eng.open_conn(0, 1);
    worker = eng.open_conn(0, 2);
  }
  void queue() {
    feed.pdu(client, true, kT0, gearproto::SUBMIT_JOB, {"f", "u", "data"});
    feed.pdu(client, false, kT0 + 1000, gearproto::JOB_CREATED, {"H:1"});
  }
  void assign() { feed.pdu(worker, false, kT0 + 2000, gearproto::JOB_ASSIGN, {"H:1", "f", "data"}); }
  void complete() { feed.pdu(worker, true, kT0 + 3000, gearproto::WORK_COMPLETE, {"H:1", "r"}); }
  FunctionGauge gauge() {
    const FunctionId f = eng.functions().intern("f");
    return f < eng.gauges().size() ? eng.gauges()[f] : FunctionGauge{};
  }
  Engine eng;
  Feed feed;
  Sink sink;
  ConnRef client, worker;
};

TEST(GearjobsGauges, FollowAJobFromQueuedToRunningToEnded) {
  Steps s{Options{}};
  s.queue();
  EXPECT_EQ(s.gauge().queued, 1u);
  EXPECT_EQ(s.gauge().running, 0u);
  s.assign();
  EXPECT_EQ(s.gauge().queued, 0u);
  EXPECT_EQ(s.gauge().running, 1u);
  s.complete();
  EXPECT_EQ(s.gauge().queued, 0u);
  EXPECT_EQ(s.gauge().running, 0u);
}

TEST(GearjobsGauges, AreNotCountedWhenNotAskedFor) {
  Options o;
  o.gauges = false;
  Steps s(o);
  s.queue();
  const Job* j = s.eng.find(0, "H:1");
  ASSERT_NE(j, nullptr);
  EXPECT_TRUE(j->queued());  // the job's own phase is kept
  s.assign();
  EXPECT_TRUE(j->running());
  EXPECT_TRUE(s.eng.gauges().empty());
  s.complete();
  EXPECT_FALSE(j->running());
  EXPECT_TRUE(s.eng.gauges().empty());
}

}  // namespace
