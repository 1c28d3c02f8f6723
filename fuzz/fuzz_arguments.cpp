// The argument splitter and typed numbers on any data for any type.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "gearproto/arguments.h"

using namespace gearproto;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const PacketInfo* info = packet_info(data[0] % (kMaxKnownType + 2));
  if (!info) return 0;
  Bytes d = as_bytes(data + 1, size - 1);
  Arguments a = split_arguments(*info, d);
  if (a.present > a.count) abort();
  for (uint8_t i = 0; i < a.count; ++i) {
    const ArgView& v = a.args[i];
    if (!v.present) continue;
    if (v.value.data() < d.data() || v.value.data() + v.value.size() > d.data() + d.size()) abort();
    if (arg_is_number(v.kind)) (void)parse_number_arg(v.kind, v.value);
  }
  return 0;
}
