// What the engine's tests share: PDUs fed as a front end feeds them, and a sink that keeps the
// closed jobs.
#pragma once

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <vector>

#include "gearjobs/engine.h"
#include "gearproto/arguments.h"
#include "gearproto/encoder.h"
#include "gearproto/framer.h"

namespace gearjobs::test {

constexpr Time kSecond = 1'000'000'000;
constexpr Time kMs = 1'000'000;
constexpr Time kT0 = 1'700'000'000 * kSecond;

struct Sink : JobSink {
  std::vector<Job> closed;
  void on_job_closed(const Job& j) override { closed.push_back(j); }
};

// Feeds PDUs as a front end does: encoded, framed, split, then handed to the engine.
class Feed {
 public:
  explicit Feed(Engine& e) : eng_(e) {}
  Effect pdu(ConnRef c, bool to_server, Time t, uint32_t type, std::initializer_list<gearproto::Bytes> args) {
    const std::string bytes = to_server ? gearproto::make_request(type, args) : gearproto::make_response(type, args);
    const gearproto::Frame f = gearproto::frame_message(bytes, gearproto::Limits{});
    EXPECT_EQ(f.status, gearproto::Frame::Complete);
    const gearproto::Bytes data = gearproto::Bytes(bytes).substr(gearproto::kHeaderSize);
    const gearproto::ArgSpans a = gearproto::spans_of(gearproto::split_arguments(*f.header.info, data), data);
    PduIn in;
    in.to_server = to_server;
    in.frame = ++frame_;
    in.t = t;
    in.tag = frame_;
    in.header = &f.header;
    in.args = &a;
    return eng_.on_binary(c, in);
  }

 private:
  Engine& eng_;
  uint64_t frame_ = 0;
};

}  // namespace gearjobs::test
