#include <gtest/gtest.h>

#include <vector>

#include "gearproto/encoder.h"
#include "gearproto/stream_decoder.h"
#include "test_bytes.h"

using namespace gearproto;

namespace {

struct Recorder : MessageSink {
  struct Item { MessageKind kind; uint64_t offset; uint32_t type; std::string text; FrameError error; };
  struct Skip { uint64_t offset, length; SkipReason reason; };
  std::vector<Item> items;
  std::vector<Skip> skips;
  void on_message(const Message& m) override {
    items.push_back({m.kind, m.offset, m.header.type,
                     m.kind == MessageKind::Text ? std::string(m.line) : std::string(m.data), m.error});
  }
  void on_skip(uint64_t offset, uint64_t length, SkipReason reason, FrameError) override {
    skips.push_back({offset, length, reason});
  }
};

std::string mixed_stream() {
  std::string s;
  s += make_request(CAN_DO, {"reverse"});
  append_admin_line(s, "status");
  s += make_request(SUBMIT_JOB, {"reverse", "", std::string("a\0b", 3)});
  append_admin_line(s, "workers", false);
  s += make_request(GRAB_JOB);
  s += make_request(WORK_COMPLETE, {"H:x:1", ""});
  return s;
}

}  // namespace

TEST(StreamDecoder, MixedTextAndBinaryInOneChunk) {
  Recorder r;
  StreamDecoder d;
  d.feed(mixed_stream(), r);
  d.finish(r);
  ASSERT_EQ(r.items.size(), 6u);
  EXPECT_EQ(r.items[0].type, CAN_DO);
  EXPECT_EQ(r.items[1].kind, MessageKind::Text);
  EXPECT_EQ(r.items[1].text, "status");
  EXPECT_EQ(r.items[2].text, std::string("reverse\0\0a\0b", 12));
  EXPECT_EQ(r.items[3].text, "workers");
  EXPECT_EQ(r.items[5].type, WORK_COMPLETE);
  EXPECT_TRUE(r.skips.empty());
  EXPECT_EQ(d.buffered(), 0u);
}

TEST(StreamDecoder, SameResultForEveryChunking) {
  const std::string s = mixed_stream();
  Recorder whole;
  {
    StreamDecoder d;
    d.feed(s, whole);
    d.finish(whole);
  }
  // One byte at a time, and every split into two chunks.
  Recorder bytes;
  StreamDecoder d1;
  for (char c : s) d1.feed(Bytes(&c, 1), bytes);
  d1.finish(bytes);
  ASSERT_EQ(bytes.items.size(), whole.items.size());
  for (size_t i = 0; i < whole.items.size(); ++i) {
    EXPECT_EQ(bytes.items[i].text, whole.items[i].text);
    EXPECT_EQ(bytes.items[i].offset, whole.items[i].offset);
  }
  for (size_t cut = 1; cut < s.size(); ++cut) {
    Recorder r;
    StreamDecoder d;
    d.feed(Bytes(s).substr(0, cut), r);
    d.feed(Bytes(s).substr(cut), r);
    d.finish(r);
    ASSERT_EQ(r.items.size(), whole.items.size()) << cut;
    EXPECT_TRUE(r.skips.empty()) << cut;
  }
}

TEST(StreamDecoder, GarbageBeforeAHeaderIsSkippedAndReported) {
  std::string s(B("\0\x01garbage"));
  s += make_response(NOOP);
  Recorder r;
  StreamDecoder d;
  d.feed(s, r);
  d.finish(r);
  ASSERT_EQ(r.items.size(), 1u);
  EXPECT_EQ(r.items[0].type, NOOP);
  EXPECT_EQ(r.items[0].offset, 9u);
  ASSERT_EQ(r.skips.size(), 1u);
  EXPECT_EQ(r.skips[0].length, 9u);
  EXPECT_EQ(r.skips[0].reason, SkipReason::Garbage);
}

TEST(StreamDecoder, UnknownTypeIsDeliveredAndSkippedByLength) {
  std::string s;
  append_raw(s, B("\0REQ"), 77, 4, "abcd");
  s += make_request(GRAB_JOB);
  Recorder r;
  StreamDecoder d;
  d.feed(s, r);
  ASSERT_EQ(r.items.size(), 2u);
  EXPECT_EQ(r.items[0].error, FrameError::UnknownType);
  EXPECT_EQ(r.items[1].type, GRAB_JOB);
}

TEST(StreamDecoder, OversizeLengthNeverAllocatesAndResyncs) {
  std::string s;
  append_raw(s, B("\0REQ"), SUBMIT_JOB, 0xFFFFFFFFu, "xx");
  s += make_request(GRAB_JOB);
  Recorder r;
  StreamDecoder d;
  d.feed(s, r);
  ASSERT_EQ(r.items.size(), 1u);
  EXPECT_EQ(r.items[0].type, GRAB_JOB);
  EXPECT_LT(d.buffered(), 16u);
  ASSERT_EQ(r.skips.size(), 1u);
  EXPECT_EQ(r.skips[0].length, 14u);
}

TEST(StreamDecoder, MidStreamStartFindsTheFirstHeader) {
  std::string s = make_request(SUBMIT_JOB, {"f", "", "payload"});
  s += make_response(JOB_CREATED, {"H:1"});
  Recorder r;
  StreamDecoder d(Limits{}, /*from_start=*/false);
  d.feed(Bytes(s).substr(5), r);
  ASSERT_EQ(r.items.size(), 1u);
  EXPECT_EQ(r.items[0].type, JOB_CREATED);
  ASSERT_EQ(r.skips.size(), 1u);
  EXPECT_EQ(r.skips[0].reason, SkipReason::MidStream);
}

TEST(StreamDecoder, GapDropsThePartialMessageAndResyncs) {
  std::string a = make_request(SUBMIT_JOB, {"f", "", std::string(100, 'x')});
  std::string b = make_request(GRAB_JOB);
  Recorder r;
  StreamDecoder d;
  d.feed(Bytes(a).substr(0, 50), r);
  d.gap(a.size() - 60, r);
  d.feed(Bytes(a).substr(a.size() - 10), r);
  d.feed(b, r);
  d.finish(r);
  ASSERT_EQ(r.items.size(), 1u);
  EXPECT_EQ(r.items[0].type, GRAB_JOB);
  EXPECT_EQ(r.items[0].offset, a.size());
  ASSERT_GE(r.skips.size(), 2u);
  EXPECT_EQ(r.skips[0].reason, SkipReason::Truncated);
  EXPECT_EQ(r.skips[0].length, 50u);
  EXPECT_EQ(r.skips[1].reason, SkipReason::Gap);
}

TEST(StreamDecoder, TextStreamResyncsOnNewline) {
  Recorder r;
  StreamDecoder d;
  d.feed("status\r\n", r);
  d.gap(3, r);
  d.feed("kers\r\nversion\r\n", r);
  ASSERT_EQ(r.items.size(), 2u);
  EXPECT_EQ(r.items[1].text, "version");
}

TEST(StreamDecoder, EndlessLineIsBounded) {
  Limits l;
  l.max_line_length = 1024;
  Recorder r;
  StreamDecoder d(l);
  std::string chunk(4096, 'a');
  for (int i = 0; i < 1000; ++i) d.feed(chunk, r);  // 4 MB without a newline
  EXPECT_LE(d.buffered(), 2048u);
  d.feed("\nversion\n", r);
  d.finish(r);
  ASSERT_EQ(r.items.size(), 1u);
  EXPECT_EQ(r.items[0].text, "version");
  ASSERT_EQ(r.skips.size(), 1u);
  EXPECT_EQ(r.skips[0].reason, SkipReason::LineTooLong);
  EXPECT_EQ(r.skips[0].length, 4096u * 1000 + 1);
}

TEST(StreamDecoder, TruncatedAtEnd) {
  std::string a = make_request(CAN_DO, {"reverse"});
  Recorder r;
  StreamDecoder d;
  d.feed(Bytes(a).substr(0, a.size() - 1), r);
  d.finish(r);
  EXPECT_TRUE(r.items.empty());
  ASSERT_EQ(r.skips.size(), 1u);
  EXPECT_EQ(r.skips[0].reason, SkipReason::Truncated);
}

TEST(StreamDecoder, ManyTinyPdusStayLinear) {
  std::string s;
  for (int i = 0; i < 100000; ++i) s += make_request(GRAB_JOB);
  Recorder r;
  StreamDecoder d;
  for (size_t i = 0; i < s.size(); i += 1000) d.feed(Bytes(s).substr(i, 1000), r);
  EXPECT_EQ(r.items.size(), 100000u);
}
