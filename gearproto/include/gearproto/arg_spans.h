// A PDU's arguments as spans of its data, for a reader that asks for a few of them by kind (the
// job engine and gearman-analyze's statistics).
//
// An Arguments (arguments.h) is 344 bytes: per argument its kind, a view, its offset, whether it
// is present and its own defects, what a dissector shows. The engine reads two or three
// arguments per PDU and only the defects' union; gearman-analyze's job stage rebuilt a whole
// Arguments per PDU from its hand-over record, 11 % of the stage's instructions. This is 8 bytes
// an argument, filled from a record or an Arguments in a few stores, and read by kind without a
// search (kArgPositions).
#pragma once

#include <cstdint>

#include "gearproto/argument_split.h"
#include "gearproto/arguments.h"
#include "gearproto/bytes.h"
#include "gearproto/packet_table.h"

namespace gearproto {

struct ArgSpan {
  uint32_t offset = 0;  // in the data (after the 12-byte header)
  uint32_t size = 0;
};

struct ArgSpans {
  const char* data = nullptr;        // the PDU's data; each span is inside it
  const ArgPositions* positions = nullptr;  // arg_positions(the PDU's type)
  uint8_t present = 0;               // arguments found: the first `present` of the layout's
  uint32_t defects = 0;              // union of all defects (Arguments::defects)
  ArgSpan at[kMaxArgs];

  // The argument of this kind; empty when the layout has none or the data ended before it.
  Bytes get(Arg kind) const {
    const int i = positions->of[static_cast<size_t>(kind)];
    if (i < 0 || i >= present) return Bytes();
    return Bytes(data + at[i].offset, at[i].size);
  }
};

// The spans of `a`, split from `data` (split_arguments(info, data, ...)).
inline ArgSpans spans_of(const Arguments& a, Bytes data) {
  ArgSpans s;
  s.data = data.data();
  s.positions = arg_positions(a.info ? a.info->type : 0);
  s.present = a.present;
  s.defects = a.defects;
  for (uint8_t i = 0; i < a.present && i < kMaxArgs; ++i) s.at[i] = ArgSpan{a.args[i].offset, uint32_t(a.args[i].value.size())};
  return s;
}

// The spans of `data` split per `info`, straight into `s` (split_arguments' rule, without an
// Arguments to fill and read back): what spans_of(split_arguments(info, data, checks), data)
// gives. Spans past `present` are left as they were.
inline void split_spans(const PacketInfo& info, Bytes data, ArgChecks checks, ArgSpans& s) {
  s.data = data.data();
  s.positions = arg_positions(info.type);
  const SplitSummary sum = split_each(info, data, checks, [&s](uint8_t i, size_t offset, size_t size, uint32_t) {
    s.at[i] = ArgSpan{uint32_t(offset), uint32_t(size)};
  });
  s.present = sum.present;
  s.defects = sum.defects;
}

}  // namespace gearproto
