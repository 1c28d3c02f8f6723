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
