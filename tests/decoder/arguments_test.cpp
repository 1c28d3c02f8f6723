#include <gtest/gtest.h>

#include "test_bytes.h"

#include "gearproto/arguments.h"
#include "gearproto/encoder.h"
#include "gearproto/framer.h"

using namespace gearproto;

static Arguments split(uint32_t type, Bytes data) { return split_arguments(*packet_info(type), data); }

TEST(Arguments, SubmitJob) {
  Arguments a = split(SUBMIT_JOB, B("reverse\0\0test"));
  EXPECT_EQ(a.defects, 0u);
  EXPECT_EQ(a.present, 3);
  EXPECT_EQ(*a.get(Arg::Function), "reverse");
  EXPECT_EQ(*a.get(Arg::Unique), "");
  EXPECT_EQ(*a.get(Arg::Payload), "test");
  EXPECT_EQ(a.args[2].offset, 9u);
}

TEST(Arguments, LastArgumentKeepsNulsAndMayBeEmpty) {
  Arguments a = split(WORK_COMPLETE, B("H:x:1\0a\0b\0"));
  EXPECT_EQ(a.defects, 0u);
  EXPECT_EQ(*a.get(Arg::Payload), B("a\0b\0"));
  a = split(WORK_COMPLETE, B("H:x:1\0"));
  EXPECT_EQ(a.defects, 0u);
  EXPECT_EQ(*a.get(Arg::Payload), "");
}

TEST(Arguments, MissingSeparatorIsADefectNotACrash) {
  Arguments a = split(WORK_COMPLETE, "H:x:1");  // the built-in dissector calls this Malformed
  EXPECT_TRUE(a.defects & kMissingArguments);
  EXPECT_EQ(a.present, 1);
  EXPECT_EQ(*a.get(Arg::Handle), "H:x:1");
  EXPECT_FALSE(a.get(Arg::Payload));
  a = split(JOB_ASSIGN_ALL, B("H:1\0fn"));
  EXPECT_TRUE(a.defects & kMissingArguments);
  EXPECT_EQ(a.present, 2);
  EXPECT_EQ(*a.get(Arg::Function), "fn");
  EXPECT_FALSE(a.get(Arg::Unique));
}

TEST(Arguments, ZeroLengthData) {
  Arguments a = split(SUBMIT_JOB, "");
  EXPECT_TRUE(a.defects & kMissingArguments);
  EXPECT_TRUE(a.defects & kEmptyRequired);
  a = split(NOOP, "");
  EXPECT_EQ(a.defects, 0u);
  a = split(NOOP, "x");
  EXPECT_TRUE(a.defects & kUnexpectedData);
  a = split(ECHO_REQ, "");
  EXPECT_EQ(a.defects, 0u);
}

TEST(Arguments, ErrorPacket) {
  Arguments a = split(ERROR, B("JOB_NOT_FOUND\0Job given in work result not found"));
  EXPECT_EQ(a.defects, 0u);
  EXPECT_EQ(*a.get(Arg::ErrorCode), "JOB_NOT_FOUND");
  EXPECT_EQ(*a.get(Arg::ErrorText), "Job given in work result not found");
}

TEST(Arguments, NumbersAreParsedAndChecked) {
  Arguments a = split(WORK_STATUS, B("H:x:1\0" "3\0" "10"));
  EXPECT_EQ(a.defects, 0u);
  EXPECT_EQ(*parse_number_arg(Arg::Numerator, *a.get(Arg::Numerator)), 3u);
  EXPECT_EQ(*parse_number_arg(Arg::Denominator, *a.get(Arg::Denominator)), 10u);
  a = split(WORK_STATUS, B("H:x:1\0x\0" "10"));
  EXPECT_TRUE(a.defects & kBadNumber);
  EXPECT_TRUE(a.find(Arg::Numerator)->defects & kBadNumber);
  EXPECT_EQ(a.find(Arg::Denominator)->defects, 0u);
  // Perl Gearman::Server's answer about a job it does not know: no progress, empty numbers
  // (captures/perl-server.pcap, frame 188). Absent, not malformed; other empty numbers still are.
  a = split(STATUS_RES, B("H:gearcap:9\0" "0\0" "0\0" "\0"));
  EXPECT_EQ(a.defects, 0u);
  EXPECT_EQ(*a.get(Arg::Numerator), "");
  a = split(CAN_DO_TIMEOUT, B("fn\0"));
  EXPECT_TRUE(a.defects & kBadNumber);
  a = split(STATUS_RES, B("H:x:1\0" "2\0" "1\0" "0\0" "0"));
  EXPECT_TRUE(a.defects & kBadNumber);  // known must be 0 or 1
  a = split(STATUS_RES_UNIQUE, B("u1\0" "1\0" "1\0" "5\0" "10\0" "2"));
  EXPECT_EQ(a.defects, 0u);
  EXPECT_EQ(*parse_number_arg(Arg::ClientCount, *a.get(Arg::ClientCount)), 2u);
  a = split(CAN_DO_TIMEOUT, B("fn\0" "4294967296"));
  EXPECT_TRUE(a.defects & kBadNumber);  // over 32 bits
  a = split(SUBMIT_JOB_SCHED, B("f\0u\0" "59\0" "23\0" "31\0" "12\0" "6\0data"));
  EXPECT_EQ(a.defects, 0u);
  a = split(SUBMIT_JOB_SCHED, B("f\0u\0" "60\0" "23\0" "0\0" "13\0" "7\0data"));
  EXPECT_TRUE(a.find(Arg::Minute)->defects & kBadNumber);
  EXPECT_TRUE(a.find(Arg::DayOfMonth)->defects & kBadNumber);
  EXPECT_TRUE(a.find(Arg::Month)->defects & kBadNumber);
  EXPECT_TRUE(a.find(Arg::DayOfWeek)->defects & kBadNumber);
  EXPECT_EQ(a.find(Arg::Hour)->defects, 0u);
}

TEST(Arguments, HandleLengthLimit) {
  std::string h63(63, 'h'), h64(64, 'h');
  EXPECT_EQ(split(JOB_CREATED, h63).defects, 0u);
  EXPECT_TRUE(split(JOB_CREATED, h64).defects & kHandleTooLong);
  EXPECT_TRUE(split(JOB_CREATED, "").defects & kEmptyRequired);
}

TEST(Arguments, ReduceJobAsLibgearmanSendsIt) {
  std::string pdu = make_request(SUBMIT_REDUCE_JOB, {"map", "u1", "reduce", "", "a b c"});
  Frame f = frame_message(pdu, Limits{});
  Arguments a = split_arguments(*f.header.info, Bytes(pdu).substr(12));
  EXPECT_EQ(a.defects, 0u);
  EXPECT_EQ(*a.get(Arg::Reducer), "reduce");
  EXPECT_EQ(*a.get(Arg::Aggregate), "");
  EXPECT_EQ(*a.get(Arg::Payload), "a b c");
}

TEST(Arguments, EveryTypeRoundTripsThroughTheEncoder) {
  for (const PacketInfo* p = packet_table_begin(); p != packet_table_end(); ++p) {
    std::string values[kMaxArgs];
    for (int i = 0; i < p->argc; ++i) values[i] = arg_is_number(p->args[i]) ? "1" : std::string("v") + std::to_string(i);
    std::string data;
    for (int i = 0; i < p->argc; ++i) {
      if (i) data.push_back('\0');
      data += values[i];
    }
    Arguments a = split_arguments(*p, data);
    EXPECT_EQ(a.defects, 0u) << p->name;
    EXPECT_EQ(a.present, p->argc) << p->name;
    for (int i = 0; i < p->argc; ++i) EXPECT_EQ(a.args[i].value, values[i]) << p->name << " " << i;
  }
}

TEST(Arguments, DecimalParsing) {
  EXPECT_EQ(*parse_decimal("0"), 0u);
  EXPECT_EQ(*parse_decimal("18446744073709551615"), UINT64_MAX);
  EXPECT_FALSE(parse_decimal("18446744073709551616"));
  EXPECT_FALSE(parse_decimal(""));
  EXPECT_FALSE(parse_decimal("-1"));
  EXPECT_FALSE(parse_decimal(" 1"));
  EXPECT_EQ(*parse_signed_decimal("-1"), -1);
  EXPECT_EQ(*parse_signed_decimal("+5"), 5);
  EXPECT_FALSE(parse_signed_decimal("-"));
}
