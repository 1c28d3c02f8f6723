#include <gtest/gtest.h>

#include <cstring>
#include <set>

#include "gearproto/packet_table.h"

using namespace gearproto;

TEST(PacketTable, KnowsTypes1To42ExceptFive) {
  for (uint32_t t = 0; t <= 50; ++t) {
    const bool known = t >= 1 && t <= 42 && t != 5;
    EXPECT_EQ(packet_info(t) != nullptr, known) << t;
    if (known) {
      EXPECT_EQ(packet_info(t)->type, t);
    }
  }
  EXPECT_EQ(packet_info(0xFFFFFFFFu), nullptr);
  EXPECT_STREQ(packet_name(5), "UNKNOWN");
  EXPECT_STREQ(packet_name(43), "UNKNOWN");
}

TEST(PacketTable, NamesRoundTrip) {
  std::set<std::string> names;
  for (const PacketInfo* p = packet_table_begin(); p != packet_table_end(); ++p) {
    EXPECT_EQ(packet_type_by_name(p->name, std::strlen(p->name)), p->type);
    EXPECT_TRUE(names.insert(p->name).second) << p->name;
    EXPECT_LE(p->argc, kMaxArgs);
    EXPECT_NE(p->magics, 0);
  }
  EXPECT_EQ(names.size(), 41u);
}

TEST(PacketTable, MagicMatchesTheSpecTable) {
  EXPECT_TRUE(packet_info(JOB_CREATED)->allows(Magic::Res));
  EXPECT_FALSE(packet_info(JOB_CREATED)->allows(Magic::Req));
  EXPECT_TRUE(packet_info(SUBMIT_JOB)->allows(Magic::Req));
  EXPECT_FALSE(packet_info(SUBMIT_JOB)->allows(Magic::Res));
  for (uint32_t t : {WORK_STATUS, WORK_COMPLETE, WORK_FAIL, WORK_EXCEPTION, WORK_DATA, WORK_WARNING}) {
    EXPECT_TRUE(packet_info(t)->allows(Magic::Req)) << t;
    EXPECT_TRUE(packet_info(t)->allows(Magic::Res)) << t;
  }
}

TEST(PacketTable, LayoutsFollowRealSoftware) {
  // libgearman: FUNC, UNIQ, REDUCER, empty AGGREGATE, DATA.
  const PacketInfo* reduce = packet_info(SUBMIT_REDUCE_JOB);
  ASSERT_EQ(reduce->argc, 5);
  EXPECT_EQ(reduce->args[3], Arg::Aggregate);
  EXPECT_EQ(packet_info(SUBMIT_REDUCE_JOB_BACKGROUND)->argc, 5);
  EXPECT_TRUE(packet_info(SUBMIT_REDUCE_JOB_BACKGROUND)->background);
  // gearmand: UNIQUE, KNOWN, RUNNING, NUM, DENOM, CLIENT_COUNT.
  const PacketInfo* sru = packet_info(STATUS_RES_UNIQUE);
  ASSERT_EQ(sru->argc, 6);
  EXPECT_EQ(sru->args[0], Arg::Unique);
  EXPECT_EQ(sru->args[5], Arg::ClientCount);
  EXPECT_EQ(packet_info(SUBMIT_JOB_SCHED)->argc, 8);
  EXPECT_EQ(packet_info(JOB_ASSIGN_ALL)->index_of(Arg::Reducer), 3);
}

TEST(PacketTable, JobRolesAndPriorities) {
  EXPECT_EQ(packet_info(SUBMIT_JOB_HIGH_BG)->priority, Priority::High);
  EXPECT_TRUE(packet_info(SUBMIT_JOB_HIGH_BG)->background);
  EXPECT_EQ(packet_info(SUBMIT_JOB_LOW)->priority, Priority::Low);
  EXPECT_FALSE(packet_info(SUBMIT_JOB_LOW)->background);
  EXPECT_EQ(packet_info(WORK_EXCEPTION)->job_role, JobRole::Terminal);
  EXPECT_EQ(packet_info(JOB_ASSIGN_UNIQ)->job_role, JobRole::Assign);
  EXPECT_EQ(packet_info(WORK_DATA)->job_role, JobRole::Update);
  EXPECT_EQ(packet_info(ECHO_REQ)->job_role, JobRole::None);
  int submits = 0;
  for (const PacketInfo* p = packet_table_begin(); p != packet_table_end(); ++p)
    if (p->job_role == JobRole::Submit) {
      ++submits;
      EXPECT_NE(p->priority, Priority::None) << p->name;
      EXPECT_EQ(p->args[0], Arg::Function) << p->name;
      EXPECT_EQ(p->args[1], Arg::Unique) << p->name;
      EXPECT_EQ(p->args[p->argc - 1], Arg::Payload) << p->name;
    }
  EXPECT_EQ(submits, 10);  // SUBMIT_JOB{,_BG,_HIGH,_HIGH_BG,_LOW,_LOW_BG,_SCHED,_EPOCH}, SUBMIT_REDUCE_JOB{,_BACKGROUND}
}
