// The argument splitter and typed numbers on any data for any type.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "gearproto/arg_spans.h"
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
  // What the job engine reads: every kind as Arguments gives it, the same bytes.
  // And split directly (the analyzer's way), into spans left from another PDU.
  ArgSpans direct;
  for (ArgSpan& g : direct.at) g = ArgSpan{uint32_t(size), 1};
  split_spans(*info, d, ArgChecks::All, direct);
  for (const ArgSpans& s : {spans_of(a, d), direct}) {
    if (s.present != a.present || s.defects != a.defects) abort();
    for (size_t k = 0; k < kArgKindCount; ++k) {
      const Bytes want = a.get(Arg(k)).value_or(Bytes());
      const Bytes got = s.get(Arg(k));
      if (got.size() != want.size() || (!want.empty() && got.data() != want.data())) abort();
    }
  }
  return 0;
}
