#include <gtest/gtest.h>

#include "gearproto/encoder.h"
#include "gearproto/resync.h"
#include "test_bytes.h"

using namespace gearproto;

TEST(Resync, FindsHeaderAfterGarbage) {
  std::string buf = "garbage\0\0RE";
  const size_t at = buf.size();
  buf += make_request(CAN_DO, {"reverse"});
  EXPECT_EQ(find_plausible_header(buf, 0, Limits{}), at);
}

TEST(Resync, IgnoresImplausibleHeaders) {
  std::string buf;
  append_raw(buf, B("\0REQ"), 99, 0);                     // unknown type
  append_raw(buf, B("\0REQ"), JOB_CREATED, 4, "H:11");    // REQ on a RES-only type
  append_raw(buf, B("\0RES"), NOOP, 0x7FFFFFFF);           // oversize
  const size_t at = buf.size();
  buf += make_response(NOOP);
  EXPECT_EQ(find_plausible_header(buf, 0, Limits{}), at);
  EXPECT_EQ(find_plausible_header(buf, at + 1, Limits{}), Bytes::npos);
}

TEST(Resync, HeaderInsidePayloadIsFound) {
  // A payload that carries a header-like sequence: resync may stop there. That is what it is
  // for: from an unknown offset, the first plausible header is the best guess.
  std::string inner = make_request(GRAB_JOB);
  std::string pdu = make_request(SUBMIT_JOB, {"f", "", inner});
  EXPECT_EQ(find_plausible_header(Bytes(pdu).substr(3), 0, Limits{}), pdu.size() - 3 - inner.size());
}

TEST(Resync, CutHeaderIsNotFound) {
  std::string pdu = make_response(NOOP);
  EXPECT_EQ(find_plausible_header(Bytes(pdu).substr(0, 11), 0, Limits{}), Bytes::npos);
}

TEST(Resync, ClassifiesStreamStarts) {
  EXPECT_EQ(classify_stream_start(make_request(CAN_DO, {"x"}), Limits{}), Plausibility::Binary);
  EXPECT_EQ(classify_stream_start("status\r\n", Limits{}), Plausibility::AdminText);
  EXPECT_EQ(classify_stream_start("GET / HTTP/1.1\r\n", Limits{}), Plausibility::No);
  EXPECT_EQ(classify_stream_start(B("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\x00"), Limits{}), Plausibility::No);
  EXPECT_EQ(classify_stream_start("stats\r\n", Limits{}), Plausibility::No);  // memcached
  // Commands memcached shares are not enough on their own.
  EXPECT_EQ(classify_stream_start("version\r\n", Limits{}), Plausibility::No);
  EXPECT_EQ(classify_stream_start("verbose 1\r\n", Limits{}), Plausibility::No);
  EXPECT_EQ(classify_stream_start("shutdown\r\n", Limits{}), Plausibility::No);
  EXPECT_EQ(classify_stream_start("getpid\r\n", Limits{}), Plausibility::No);
  EXPECT_EQ(classify_stream_start("workers\n", Limits{}), Plausibility::AdminText);
  EXPECT_EQ(classify_stream_start("show unique jobs\n", Limits{}), Plausibility::AdminText);
  EXPECT_EQ(classify_stream_start("", Limits{}), Plausibility::No);
}

TEST(Resync, StreamStartDecidesOnEightBytes) {
  const std::string pdu = make_request(SUBMIT_JOB, {"reverse", "u", "data"});
  // Every prefix shorter than magic + type agrees so far: wait. Eight bytes decide.
  for (size_t n = 1; n < kBinaryDecisionBytes; ++n) {
    StreamStart s = classify_stream_prefix(Bytes(pdu).substr(0, n), Limits{});
    EXPECT_EQ(s.verdict, StreamStart::NeedMore) << n;
    EXPECT_EQ(s.need, kBinaryDecisionBytes) << n;
  }
  for (size_t n = kBinaryDecisionBytes; n <= pdu.size(); ++n)
    EXPECT_EQ(classify_stream_prefix(Bytes(pdu).substr(0, n), Limits{}).verdict, StreamStart::Binary) << n;
  EXPECT_EQ(classify_stream_start(Bytes(pdu).substr(0, 8), Limits{}), Plausibility::Binary);
  EXPECT_EQ(classify_stream_start(Bytes(pdu).substr(0, 7), Limits{}), Plausibility::No);
  EXPECT_EQ(classify_stream_prefix("", Limits{}).verdict, StreamStart::NeedMore);
}

TEST(Resync, StreamStartRejectsEarly) {
  EXPECT_EQ(classify_stream_prefix(B("\0X"), Limits{}).verdict, StreamStart::No);
  EXPECT_EQ(classify_stream_prefix(B("\0REX"), Limits{}).verdict, StreamStart::No);
  EXPECT_EQ(classify_stream_prefix(B("\0REQ\0\0\0\x63"), Limits{}).verdict, StreamStart::No);  // type 99
  EXPECT_EQ(classify_stream_prefix(B("\0REQ\0\0\0\x08"), Limits{}).verdict, StreamStart::No);  // JOB_CREATED with REQ
  EXPECT_EQ(classify_stream_prefix(B("\0RES\0\0\0\x08"), Limits{}).verdict, StreamStart::Binary);
  EXPECT_EQ(classify_stream_prefix(B("\0RES\0\0\0\x06\x7f\xff\xff\xff"), Limits{}).verdict, StreamStart::No);  // oversize
}

TEST(Resync, StreamStartWaitsForAnAdminLine) {
  EXPECT_EQ(classify_stream_prefix("stat", Limits{}).verdict, StreamStart::NeedMore);
  EXPECT_EQ(classify_stream_prefix("STATUS", Limits{}).verdict, StreamStart::NeedMore);
  EXPECT_EQ(classify_stream_prefix("show uni", Limits{}).verdict, StreamStart::NeedMore);
  EXPECT_EQ(classify_stream_prefix("maxqueue fn 1", Limits{}).verdict, StreamStart::NeedMore);
  EXPECT_EQ(classify_stream_prefix("s", Limits{}).verdict, StreamStart::NeedMore);
  EXPECT_EQ(classify_stream_prefix("stats", Limits{}).verdict, StreamStart::No);     // memcached
  EXPECT_EQ(classify_stream_prefix("GET / HT", Limits{}).verdict, StreamStart::No);  // HTTP
  EXPECT_EQ(classify_stream_prefix("vers", Limits{}).verdict, StreamStart::No);      // shared with memcached
  EXPECT_EQ(classify_stream_prefix("status\r\n", Limits{}).verdict, StreamStart::AdminText);
  EXPECT_EQ(classify_stream_prefix(B("\x16\x03"), Limits{}).verdict, StreamStart::No);  // TLS
}
