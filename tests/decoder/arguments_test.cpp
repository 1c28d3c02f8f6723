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
  Arguments a = split(JOB_ASSIGN_ALL, B("H:1\0fn"));
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
  // Not a number, but gearmand reads it with atoi and forwards it unchanged: unusual, not rejected.
  a = split(WORK_STATUS, B("H:x:1\0x\0" "10"));
  EXPECT_EQ(a.defects, uint32_t(kUnusualNumber));
  EXPECT_TRUE(a.find(Arg::Numerator)->defects & kUnusualNumber);
  EXPECT_EQ(a.find(Arg::Denominator)->defects, 0u);
  // Perl Gearman::Server's answer about a job it does not know: no progress, empty numbers
  // (captures/perl-server.pcap, frame 188). Absent, not malformed; other empty numbers still are.
  a = split(STATUS_RES, B("H:gearcap:9\0" "0\0" "0\0" "\0"));
  EXPECT_EQ(a.defects, 0u);
  EXPECT_EQ(*a.get(Arg::Numerator), "");
  a = split(CAN_DO_TIMEOUT, B("fn\0"));
  EXPECT_EQ(a.defects, uint32_t(kUnusualNumber));  // gearmand: strtol("") = 0, taken
  a = split(STATUS_RES, B("H:x:1\0" "2\0" "1\0" "0\0" "0"));
  EXPECT_EQ(a.defects, uint32_t(kUnusualNumber));  // known is 0 or 1; clients read it with atoi
  a = split(STATUS_RES_UNIQUE, B("u1\0" "1\0" "1\0" "5\0" "10\0" "2"));
  EXPECT_EQ(a.defects, 0u);
  EXPECT_EQ(*parse_number_arg(Arg::ClientCount, *a.get(Arg::ClientCount)), 2u);
  a = split(CAN_DO_TIMEOUT, B("fn\0" "4294967296"));
  EXPECT_EQ(a.defects, uint32_t(kUnusualNumber));  // over 32 bits, but a long: gearmand takes it
  a = split(CAN_DO_TIMEOUT, B("fn\0" "9223372036854775808"));
  EXPECT_EQ(a.defects, uint32_t(kBadNumber));  // strtol: ERANGE, gearmand refuses it
  a = split(CAN_DO_TIMEOUT, B("fn\0" "000000000000000000030"));
  EXPECT_EQ(a.defects, uint32_t(kBadNumber));  // over 20 bytes: gearmand refuses it
  a = split(SUBMIT_JOB_EPOCH, B("f\0u\0" "99999999999999999999\0x"));
  EXPECT_EQ(a.defects, uint32_t(kBadNumber));  // strtoll: ERANGE
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

// Splitting into a reused Arguments (what a front end does per PDU) gives exactly a fresh split,
// whatever the earlier PDU left in it: more or fewer arguments, absent ones, defects, the missing
// last separator, the same PDU split twice.
TEST(Arguments, ReusedEqualsFresh) {
  const std::pair<uint32_t, std::string> pdus[] = {
      {SUBMIT_JOB_SCHED, std::string("fn\0u\0" "1\0" "2\0" "3\0" "4\0" "5\0data", 20)},
      {WORK_COMPLETE, std::string("H:x:1", 5)},               // missing last separator
      {JOB_ASSIGN_ALL, std::string("H:1\0fn", 6)},             // missing arguments: two absent
      {SUBMIT_JOB, std::string("\0\0", 2)},                    // empty function
      {NOOP, std::string()},
      {JOB_ASSIGN_UNIQ, std::string("H:gearcap:1234567\0echo\0" "0d6f\0pay\0load", 37)},
      {WORK_FAIL, std::string("H:x:1", 5)},
      {WORK_FAIL, std::string("H:x:1", 5)},
      {ECHO_REQ, std::string("x", 1)},
      {JOB_CREATED, std::string(70, 'h')},                     // handle too long
      {SUBMIT_JOB_SCHED, std::string("fn\0u", 4)},
      {CAN_DO_TIMEOUT, std::string("fn\0" "12x", 6)},
  };
  for (ArgChecks checks : {ArgChecks::All, ArgChecks::Structure}) {
    Arguments reused;
    for (const auto& [type, data] : pdus) {
      const Arguments fresh = split_arguments(*packet_info(type), data, checks);
      split_arguments(*packet_info(type), data, checks, reused);
      const std::string what = std::string(packet_info(type)->name);
      EXPECT_EQ(reused.info, fresh.info) << what;
      EXPECT_EQ(reused.count, fresh.count) << what;
      EXPECT_EQ(reused.present, fresh.present) << what;
      EXPECT_EQ(reused.defects, fresh.defects) << what;
      for (size_t i = 0; i < kMaxArgs; ++i) {
        EXPECT_EQ(reused.args[i].kind, fresh.args[i].kind) << what << " " << i;
        EXPECT_EQ(reused.args[i].value, fresh.args[i].value) << what << " " << i;
        EXPECT_EQ(reused.args[i].value.data() == nullptr, fresh.args[i].value.data() == nullptr) << what << " " << i;
        if (!fresh.args[i].value.empty()) {
          EXPECT_EQ(reused.args[i].value.data(), fresh.args[i].value.data()) << what;
        }
        EXPECT_EQ(reused.args[i].offset, fresh.args[i].offset) << what << " " << i;
        EXPECT_EQ(reused.args[i].present, fresh.args[i].present) << what << " " << i;
        EXPECT_EQ(reused.args[i].defects, fresh.args[i].defects) << what << " " << i;
      }
    }
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

// Real bytes from real software: what gearmand and Perl Gearman::Server accept and forward.

TEST(RealBytes, JavaScriptPercentageAsNumerator) {
  // A Node.js worker (npm `gearman` sendWorkStatus(handle, String(done / total * 100), "100")):
  // gearmand forwards the text unchanged to the client.
  Arguments a = split(WORK_STATUS, B("H:vm:1\0" "33.33333333333333\0" "100"));
  EXPECT_EQ(a.defects, 0u);
  EXPECT_DOUBLE_EQ(*parse_progress(*a.get(Arg::Numerator)), 33.33333333333333);
  EXPECT_DOUBLE_EQ(*progress_percent(*a.get(Arg::Numerator), *a.get(Arg::Denominator)), 33.33333333333333);
  EXPECT_FALSE(parse_number_arg(Arg::Numerator, *a.get(Arg::Numerator)));  // not an integer
}

TEST(RealBytes, PerlWorkerStatusAndGearmandForward) {
  // Perl Gearman::Job::set_status(100 / 3, 100) to gearmand 1.1.20, and gearmand's copy to the
  // client: both bytes for bytes as captured on loopback.
  const Bytes req = B("\0REQ\0\0\0\x0c\0\0\0\x1b" "H:vm:1\0" "33.3333333333333\0" "100");
  const Bytes res = B("\0RES\0\0\0\x0c\0\0\0\x1b" "H:vm:1\0" "33.3333333333333\0" "100");
  for (Bytes pdu : {req, res}) {
    Frame f = frame_message(pdu, Limits{});
    ASSERT_EQ(f.status, Frame::Complete);
    EXPECT_EQ(f.error, FrameError::None);
    Arguments a = split_arguments(*f.header.info, pdu.substr(kHeaderSize));
    EXPECT_EQ(a.defects, 0u);
    EXPECT_NEAR(*progress_percent(*a.get(Arg::Numerator), *a.get(Arg::Denominator)), 33.3333333333333, 1e-12);
  }
}

TEST(RealBytes, PerlServerEmptyProgress) {
  // Perl Gearman::Server's STATUS_RES for a job it does not know (captures/perl-server.pcap).
  Arguments a = split(STATUS_RES, B("H:gearcap:9\0" "0\0" "0\0" "\0"));
  EXPECT_EQ(a.defects, 0u);
  EXPECT_EQ(*a.get(Arg::Numerator), "");
  EXPECT_EQ(*a.get(Arg::Denominator), "");
  EXPECT_FALSE(parse_progress(*a.get(Arg::Numerator)));
  EXPECT_FALSE(progress_percent(*a.get(Arg::Numerator), *a.get(Arg::Denominator)));
  // Gearman::Server keeps a worker's status as text and answers GET_STATUS with it.
  a = split(STATUS_RES, B("H:gearcap:9\0" "1\0" "1\0" "33.3333333333333\0" "100"));
  EXPECT_EQ(a.defects, 0u);
}

TEST(RealBytes, PerlWorkerCompleteWithoutSeparator) {
  // Perl Gearman::Worker's _job_request sends `$v ? join("\0", $handle, $v) : $handle`: for an
  // empty or "0" result WORK_COMPLETE is the handle alone (captured against gearmand 1.1.20).
  const Bytes pdu = B("\0REQ\0\0\0\x0d\0\0\0\x06" "H:vm:1");
  Frame f = frame_message(pdu, Limits{});
  ASSERT_EQ(f.status, Frame::Complete);
  Arguments a = split_arguments(*f.header.info, pdu.substr(kHeaderSize));
  EXPECT_EQ(a.defects, uint32_t(kMissingLastSeparator));  // not kMissingArguments
  EXPECT_FALSE(a.defects & kRejectedDefects);
  EXPECT_EQ(a.present, 2);
  EXPECT_EQ(*a.get(Arg::Handle), "H:vm:1");
  EXPECT_EQ(*a.get(Arg::Payload), "");
  EXPECT_EQ(a.find(Arg::Payload)->offset, 6u);
  EXPECT_EQ(a.find(Arg::Payload)->defects, uint32_t(kMissingLastSeparator));
  // The empty argument is a view at the end of the data, like any other (fuzz_arguments checks
  // that every value lies inside the data; a null view did not).
  const Bytes data = pdu.substr(kHeaderSize);
  EXPECT_EQ(a.get(Arg::Payload)->data(), data.data() + data.size());
  // Perl Gearman::Worker::send_work_status passes only the numerator on ("handle\0num"): the
  // denominator is the missing last argument.
  a = split(WORK_STATUS, B("H:vm:1\0" "5"));
  EXPECT_EQ(a.defects, uint32_t(kMissingLastSeparator));
  EXPECT_EQ(*a.get(Arg::Denominator), "");
  // Two separators missing is still too few arguments.
  a = split(WORK_STATUS, B("H:vm:1"));
  EXPECT_TRUE(a.defects & kMissingArguments);
}

TEST(Progress, WhatSoftwarePrintsForAFloat) {
  EXPECT_EQ(*parse_progress("0"), 0.0);
  EXPECT_EQ(*parse_progress("100"), 100.0);
  EXPECT_EQ(*parse_progress("0.5"), 0.5);
  EXPECT_EQ(*parse_progress("5."), 5.0);          // Perl/PHP never, but C's %g-less printf may
  EXPECT_EQ(*parse_progress("1e-7"), 1e-7);        // JavaScript's String(1e-7)
  EXPECT_EQ(*parse_progress("2.5E+21"), 2.5e21);   // PHP
  EXPECT_EQ(*parse_progress("18446744073709551616"), 18446744073709551616.0);
  for (const char* no : {"", "-1", "+1", " 1", "1 ", ".5", "1e", "1e+", "0x10", "inf", "nan", "1,5", "1.2.3"})
    EXPECT_FALSE(parse_progress(no)) << no;
  EXPECT_FALSE(parse_progress("1e999"));  // out of a double's range
  EXPECT_FALSE(progress_percent("1", "0"));
  EXPECT_EQ(*progress_percent("1", "4"), 25.0);
}
