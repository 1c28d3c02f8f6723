// The per-direction stream decoder fed in arbitrary chunks, with gaps: every byte is accounted
// for exactly once (as a message or a skip), in order, and the buffer stays within its limits.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "gearproto/stream_decoder.h"

using namespace gearproto;

namespace {

struct Checker : MessageSink {
  uint64_t next = 0;  // stream offset every report must start at
  void on_message(const Message& m) override {
    if (m.offset != next || m.raw.empty()) abort();
    if (m.kind == MessageKind::Binary && m.raw.size() != kHeaderSize + m.header.length) abort();
    next += m.raw.size();
  }
  void on_skip(uint64_t offset, uint64_t length, SkipReason, FrameError) override {
    if (offset != next || length == 0) abort();
    next += length;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  Limits limits;
  limits.max_data_length = 4096;
  limits.max_line_length = 256;
  // The first byte shapes the run: chunk size seed, mid-stream start, gaps.
  const uint8_t shape = data[0];
  const bool from_start = shape & 1;
  StreamDecoder d(limits, from_start);
  Checker c;
  size_t pos = 1;
  size_t step = (shape >> 1) % 17 + 1;
  while (pos < size) {
    size_t n = step < size - pos ? step : size - pos;
    d.feed(as_bytes(data + pos, n), c);
    pos += n;
    if (d.buffered() > limits.max_data_length + kHeaderSize + limits.max_line_length + 64) abort();
    step = (step * 7 + data[pos - 1]) % 23 + 1;
    if ((shape & 0x80) && pos < size && data[pos - 1] == 0x42) {
      d.gap(3, c);
    }
  }
  d.finish(c);
  if (c.next != d.offset()) abort();
  return 0;
}
