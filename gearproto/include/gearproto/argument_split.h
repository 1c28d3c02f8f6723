// Where a PDU's arguments begin and end, and the defects of each: the one rule, written once
// and kept in a template on where each argument goes. split_arguments (arguments.h) fills an
// Arguments with it; gearman-analyze's reading thread writes the arguments straight into its
// hand-over record with it (an Arguments is 344 bytes to fill and then read back per PDU).
#pragma once

#include <cstdint>
#include <cstring>

#include "gearproto/arguments.h"

namespace gearproto {
namespace split_detail {

// The first NUL in [p, p + n), or nullptr. The arguments before the last are short (function
// names, handles, unique IDs): eight bytes at a time beats a call to memchr for those.
inline const char* find_nul(const char* p, size_t n) {
  static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "find_nul reads the first byte as the lowest");
  const char* const end = p + n;
  for (int words = 0; end - p >= 8; ++words) {
    if (words == 8) return static_cast<const char*>(std::memchr(p, '\0', size_t(end - p)));  // a long one
    uint64_t w;
    std::memcpy(&w, p, 8);
    // The lowest byte that is zero sets its top bit here (bits above it may be set falsely).
    const uint64_t zero = (w - 0x0101010101010101ull) & ~w & 0x8080808080808080ull;
    if (zero) return p + (__builtin_ctzll(zero) >> 3);
    p += 8;
  }
  for (; p < end; ++p)
    if (*p == '\0') return p;
  return nullptr;
}

inline uint32_t check_argument(Arg kind, Bytes value, ArgChecks checks) {
  if (kind == Arg::Handle) {
    uint32_t d = 0;
    if (value.size() > kMaxHandleLength) d |= kHandleTooLong;
    if (value.empty()) d |= kEmptyRequired;
    return d;
  }
  if (kind == Arg::Function) return value.empty() ? uint32_t(kEmptyRequired) : 0u;
  if (checks == ArgChecks::All && arg_is_number(kind)) return check_number(kind, value);
  return 0;
}

}  // namespace split_detail

struct SplitSummary {
  uint8_t present = 0;   // arguments found (the first `present` of the layout's)
  uint32_t defects = 0;  // union of all defects (ArgDefect bits)
};

// Splits `data` (the bytes after the header) per `info`: calls
// `arg(index, offset, size, defects)` for each argument found, in order (`size` bytes at
// `offset` in `data`; the last argument runs to the end and may hold NULs). The arguments after
// the found ones are absent: the data ended inside an earlier one.
template <class ArgFn>
inline SplitSummary split_each(const PacketInfo& info, Bytes data, ArgChecks checks, ArgFn&& arg) {
  using split_detail::check_argument;
  SplitSummary s;
  if (info.argc == 0) {
    if (!data.empty()) s.defects |= kUnexpectedData;
    return s;
  }
  const size_t n = data.size();
  size_t pos = 0;
  for (uint8_t i = 0;; ++i) {
    const Arg kind = info.args[i];
    if (i + 1 == info.argc) {
      const uint32_t d = check_argument(kind, slice_from(data, pos), checks);
      arg(i, pos, n - pos, d);
      s.defects |= d;
      s.present = uint8_t(i + 1);
      return s;
    }
    const char* nul = pos < n ? split_detail::find_nul(data.data() + pos, n - pos) : nullptr;
    if (!nul) {
      const uint32_t d = check_argument(kind, slice_from(data, pos), checks);
      arg(i, pos, n - pos, d);
      s.defects |= d;
      if (i + 2 == info.argc) {
        // Only the separator before the last argument is missing: that argument is empty.
        const uint32_t last = kMissingLastSeparator | check_argument(info.args[i + 1], slice_from(data, n), checks);
        arg(uint8_t(i + 1), n, 0, last);
        s.defects |= last;
        s.present = uint8_t(i + 2);
        return s;
      }
      s.defects |= kMissingArguments;
      s.present = uint8_t(i + 1);
      return s;
    }
    const size_t end = size_t(nul - data.data());
    const uint32_t d = check_argument(kind, slice(data, pos, end - pos), checks);
    arg(i, pos, end - pos, d);
    s.defects |= d;
    pos = end + 1;
  }
}

}  // namespace gearproto
