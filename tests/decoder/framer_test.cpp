#include <gtest/gtest.h>

#include "test_bytes.h"

#include "gearproto/encoder.h"
#include "gearproto/framer.h"

using namespace gearproto;

// The spec's own example, byte for byte.
static const char kSpecSubmit[] =
    "\0REQ\0\0\0\x07\0\0\0\x0d"
    "reverse\0\0test";

TEST(Framer, SpecExampleSubmitJob) {
  Bytes b(kSpecSubmit, sizeof kSpecSubmit - 1);
  Frame f = frame_message(b, Limits{});
  ASSERT_EQ(f.status, Frame::Complete);
  EXPECT_EQ(f.kind, MessageKind::Binary);
  EXPECT_EQ(f.size, 25u);
  EXPECT_EQ(f.header.magic, Magic::Req);
  EXPECT_EQ(f.header.type, SUBMIT_JOB);
  EXPECT_EQ(f.header.length, 13u);
  EXPECT_EQ(f.error, FrameError::None);
  EXPECT_EQ(make_request(SUBMIT_JOB, {"reverse", "", "test"}), std::string(b));
}

TEST(Framer, HeaderSplitAtEveryOffset) {
  std::string pdu = make_response(JOB_ASSIGN, {"H:lap:1", "reverse", "test"});
  for (size_t cut = 0; cut < pdu.size(); ++cut) {
    Frame f = frame_message(Bytes(pdu).substr(0, cut), Limits{});
    ASSERT_EQ(f.status, Frame::NeedMore) << cut;
    // The size is the message's once the header is whole, and unknown (0) before.
    EXPECT_EQ(f.size, cut >= kHeaderSize ? pdu.size() : 0u) << cut;
  }
  EXPECT_EQ(frame_message(pdu, Limits{}).status, Frame::Complete);
}

TEST(Framer, ZeroLengthData) {
  std::string pdu = make_request(GRAB_JOB);
  ASSERT_EQ(pdu.size(), 12u);
  Frame f = frame_message(pdu, Limits{});
  EXPECT_EQ(f.status, Frame::Complete);
  EXPECT_EQ(f.size, 12u);
}

TEST(Framer, MaximumLengthIsRefusedNotAwaited) {
  std::string pdu;
  append_raw(pdu, B("\0REQ"), SUBMIT_JOB, 0xFFFFFFFFu, "abc");
  Frame f = frame_message(pdu, Limits{});
  EXPECT_EQ(f.status, Frame::Invalid);
  EXPECT_EQ(f.error, FrameError::Oversize);
  Limits big;
  big.max_data_length = 0xFFFFFFFFu;
  f = frame_message(pdu, big);
  EXPECT_EQ(f.status, Frame::NeedMore);  // allowed by the limit: waits, never allocates
  EXPECT_EQ(f.size, 12ull + 0xFFFFFFFFull);
}

TEST(Framer, BadMagicIsDetectedEarly) {
  Frame f = frame_message(B("\0RXQ"), Limits{});
  EXPECT_EQ(f.status, Frame::Invalid);
  EXPECT_EQ(f.error, FrameError::BadMagic);
  f = frame_message(B("\0RE"), Limits{});
  EXPECT_EQ(f.status, Frame::NeedMore);
}

TEST(Framer, UnknownTypeIsSkippableByLength) {
  for (uint32_t t : {0u, 5u, 43u, 1000u}) {
    std::string pdu;
    append_raw(pdu, B("\0REQ"), t, 3, "xyz");
    Frame f = frame_message(pdu, Limits{});
    EXPECT_EQ(f.status, Frame::Complete) << t;
    EXPECT_EQ(f.error, FrameError::UnknownType) << t;
    EXPECT_EQ(f.size, 15u);
    EXPECT_TRUE(frame_error_is_skippable(f.error));
  }
}

TEST(Framer, ReqMagicOnResOnlyType) {
  std::string pdu = make_packet(Magic::Req, JOB_CREATED, {"H:x:1"});
  Frame f = frame_message(pdu, Limits{});
  EXPECT_EQ(f.status, Frame::Complete);
  EXPECT_EQ(f.error, FrameError::MagicNotAllowed);
  pdu = make_packet(Magic::Res, SUBMIT_JOB, {"f", "", ""});
  EXPECT_EQ(frame_message(pdu, Limits{}).error, FrameError::MagicNotAllowed);
}

TEST(Framer, TextLinesLfAndCrlf) {
  Frame f = frame_message("status\r\nworkers\n", Limits{});
  ASSERT_EQ(f.status, Frame::Complete);
  EXPECT_EQ(f.kind, MessageKind::Text);
  EXPECT_EQ(f.line, "status");
  EXPECT_TRUE(f.crlf);
  EXPECT_EQ(f.size, 8u);
  f = frame_message("workers\n", Limits{});
  EXPECT_EQ(f.line, "workers");
  EXPECT_FALSE(f.crlf);
  f = frame_message("\n", Limits{});
  EXPECT_EQ(f.status, Frame::Complete);
  EXPECT_EQ(f.line, "");
  EXPECT_EQ(frame_message("stat", Limits{}).status, Frame::NeedMore);
}

TEST(Framer, TextLineOverLimit) {
  Limits l;
  l.max_line_length = 16;
  std::string line(17, 'a');
  EXPECT_EQ(frame_message(line, l).status, Frame::NeedMore);
  line += "aa";
  Frame f = frame_message(line, l);
  EXPECT_EQ(f.status, Frame::Invalid);
  EXPECT_EQ(f.error, FrameError::LineTooLong);
  EXPECT_EQ(frame_message(std::string(16, 'a') + "\r\n", l).status, Frame::Complete);
  EXPECT_EQ(frame_message(std::string(17, 'a') + "\n", l).error, FrameError::LineTooLong);
}

TEST(Framer, EmptyBufferNeedsMoreOfUnknownSize) {
  Frame f = frame_message(Bytes(), Limits{});
  EXPECT_EQ(f.status, Frame::NeedMore);
  EXPECT_EQ(f.size, 0u);
}
