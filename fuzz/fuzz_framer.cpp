// Frames every message in the input, as a dissector walking a reassembled buffer would.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "gearproto/arguments.h"
#include "gearproto/framer.h"

using namespace gearproto;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Limits limits;
  limits.max_data_length = 1 << 20;
  limits.max_line_length = 4096;
  Bytes buf = as_bytes(data, size);
  while (!buf.empty()) {
    Frame f = frame_message(buf, limits);
    if (f.status != Frame::Complete) break;
    if (f.size == 0 || f.size > buf.size()) abort();  // progress, and never past the input
    if (f.kind == MessageKind::Binary && f.header.info) {
      Arguments a = split_arguments(*f.header.info, buf.substr(kHeaderSize, f.size - kHeaderSize));
      for (uint8_t i = 0; i < a.count; ++i)
        if (a.args[i].present && a.args[i].offset + a.args[i].value.size() > f.size - kHeaderSize) abort();
    }
    buf.remove_prefix(f.size);
  }
  return 0;
}
