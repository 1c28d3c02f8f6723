#include "gearproto/arguments.h"

#include <charconv>
#include <cstring>

namespace gearproto {

const char* arg_defect_name(ArgDefect d) {
  switch (d) {
    case kMissingArguments: return "missing arguments (too few NUL separators)";
    case kUnexpectedData: return "data on a packet type that takes none";
    case kHandleTooLong: return "job handle longer than 63 bytes";
    case kBadNumber: return "not a decimal number in range";
    case kEmptyRequired: return "empty function name or job handle";
    case kMissingLastSeparator: return "NUL separator before an empty last argument missing";
    case kUnusualNumber: return "not a plain decimal number, but servers take it";
    case kDefectNone: break;
  }
  return "none";
}

std::optional<uint64_t> parse_decimal(Bytes t, uint64_t max) {
  if (t.empty() || t.size() > 20) return std::nullopt;
  uint64_t v = 0;
  for (char c : t) {
    if (c < '0' || c > '9') return std::nullopt;
    const uint64_t d = uint64_t(c - '0');
    if (v > (UINT64_MAX - d) / 10) return std::nullopt;
    v = v * 10 + d;
  }
  if (v > max) return std::nullopt;
  return v;
}

std::optional<int64_t> parse_signed_decimal(Bytes t) {
  bool neg = false;
  if (!t.empty() && (t[0] == '-' || t[0] == '+')) {
    neg = t[0] == '-';
    t.remove_prefix(1);
  }
  auto v = parse_decimal(t, uint64_t(INT64_MAX));
  if (!v) return std::nullopt;
  return neg ? -int64_t(*v) : int64_t(*v);
}

std::optional<uint64_t> parse_number_arg(Arg kind, Bytes text) {
  switch (kind) {
    case Arg::Known:
    case Arg::Running: return parse_decimal(text, 1);
    case Arg::Minute: return parse_decimal(text, 59);
    case Arg::Hour: return parse_decimal(text, 23);
    case Arg::DayOfMonth: {
      auto v = parse_decimal(text, 31);
      return v && *v >= 1 ? v : std::nullopt;
    }
    case Arg::Month: {
      auto v = parse_decimal(text, 12);
      return v && *v >= 1 ? v : std::nullopt;
    }
    case Arg::DayOfWeek: return parse_decimal(text, 6);
    case Arg::Numerator:
    case Arg::Denominator:
    case Arg::Timeout:
    case Arg::ClientCount: return parse_decimal(text, UINT32_MAX);
    case Arg::Epoch: return parse_decimal(text);
    default: return std::nullopt;
  }
}

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Would C's strtol/strtoll (as gearmand reads CAN_DO_TIMEOUT and SUBMIT_JOB_EPOCH) fail with
// ERANGE on this text? It skips leading white space and a sign, then reads digits.
bool strtoll_overflows(Bytes t) {
  size_t i = 0;
  while (i < t.size() && (t[i] == ' ' || (t[i] >= '\t' && t[i] <= '\r'))) ++i;
  if (i < t.size() && (t[i] == '+' || t[i] == '-')) ++i;
  uint64_t v = 0;
  for (; i < t.size() && is_digit(t[i]); ++i) {
    v = v * 10 + uint64_t(t[i] - '0');
    if (v > uint64_t(INT64_MAX) + 1) return true;
  }
  return v > uint64_t(INT64_MAX);  // -2^63 is in range, but gearmand refuses LONG_MIN too
}

}  // namespace

std::optional<double> parse_progress(Bytes t) {
  // digits [. digits] [e|E [+|-] digits]: what Number.prototype.toString, Perl, Python's str and
  // PHP print for a float. At least one digit before any '.' or exponent.
  if (t.empty() || t.size() > 64) return std::nullopt;
  size_t i = 0, n = t.size();
  while (i < n && is_digit(t[i])) ++i;
  if (i == 0) return std::nullopt;
  if (i < n && t[i] == '.') {
    ++i;
    while (i < n && is_digit(t[i])) ++i;
  }
  if (i < n && (t[i] == 'e' || t[i] == 'E')) {
    ++i;
    if (i < n && (t[i] == '+' || t[i] == '-')) ++i;
    const size_t digits = i;
    while (i < n && is_digit(t[i])) ++i;
    if (i == digits) return std::nullopt;
  }
  if (i != n) return std::nullopt;
  double v = 0;
  // from_chars: locale-independent (a dissector runs under the user's LC_NUMERIC), no NUL needed.
  auto r = std::from_chars(t.data(), t.data() + n, v, std::chars_format::general);
  if (r.ec != std::errc() || r.ptr != t.data() + n) return std::nullopt;  // e.g. 1e999
  return v;
}

std::optional<double> progress_percent(Bytes numerator, Bytes denominator) {
  auto n = parse_progress(numerator), d = parse_progress(denominator);
  if (!n || !d || *d == 0) return std::nullopt;
  return 100.0 * *n / *d;
}

uint32_t check_number(Arg kind, Bytes text) {
  switch (kind) {
    case Arg::Numerator:
    case Arg::Denominator:
      // Empty: no progress known (Perl Gearman::Server's STATUS_RES for a job it does not know;
      // gearmand writes 0 and 0). Fractions: JavaScript workers' percentages. gearmand reads
      // either with atoi and forwards the text unchanged; Gearman::Server forwards it as it is.
      if (text.empty() || parse_progress(text)) return 0;
      return kUnusualNumber;
    case Arg::Known:
    case Arg::Running:
    case Arg::ClientCount:
      // Written by the server; clients read them with atoi.
      return parse_number_arg(kind, text) ? 0u : uint32_t(kUnusualNumber);
    case Arg::Timeout:
      // gearmand refuses a timeout over 20 bytes or outside a long; reads anything else with strtol.
      if (text.size() > 20 || strtoll_overflows(text)) return kBadNumber;
      return parse_number_arg(kind, text) ? 0u : uint32_t(kUnusualNumber);
    case Arg::Epoch:
      // gearmand refuses an epoch strtoll cannot hold (ERANGE); reads anything else with strtoll.
      if (strtoll_overflows(text)) return kBadNumber;
      return parse_decimal(text, uint64_t(INT64_MAX)) ? 0u : uint32_t(kUnusualNumber);
    case Arg::Minute:
    case Arg::Hour:
    case Arg::DayOfMonth:
    case Arg::Month:
    case Arg::DayOfWeek:
      // gearmand refuses SUBMIT_JOB_SCHED altogether ("Command not expected"); the spec's ranges.
      return parse_number_arg(kind, text) ? 0u : uint32_t(kBadNumber);
    default:
      return 0;
  }
}

static inline uint32_t check_argument(const ArgView& a, ArgChecks checks) {
  uint32_t d = 0;
  if (a.kind == Arg::Handle) {
    if (a.value.size() > kMaxHandleLength) d |= kHandleTooLong;
    if (a.value.empty()) d |= kEmptyRequired;
  } else if (a.kind == Arg::Function && a.value.empty()) {
    d |= kEmptyRequired;
  } else if (checks == ArgChecks::All && arg_is_number(a.kind)) {
    d |= check_number(a.kind, a.value);
  }
  return d;
}

namespace {

// The first NUL in [p, p + n), or nullptr. The arguments before the last are short (function
// names, handles, unique IDs): eight bytes at a time beats a call to memchr for those.
const char* find_nul(const char* p, size_t n) {
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
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "find_nul reads the first byte as the lowest");

}  // namespace

Arguments split_arguments(const PacketInfo& info, Bytes data, ArgChecks checks) {
  Arguments out;
  split_arguments(info, data, checks, out);
  return out;
}

void split_arguments(const PacketInfo& info, Bytes data, ArgChecks checks, Arguments& out) {
  for (uint8_t k = info.argc; k < out.count; ++k) out.args[k] = ArgView{};  // the earlier PDU's
  out.info = &info;
  out.count = info.argc;
  out.present = 0;
  out.defects = 0;
  if (info.argc == 0) {
    if (!data.empty()) out.defects |= kUnexpectedData;
    return;
  }
  size_t pos = 0;
  uint8_t i = 0;
  for (;; ++i) {
    ArgView& a = out.args[i];
    a.kind = info.args[i];
    a.offset = static_cast<uint32_t>(pos);
    a.present = true;
    a.defects = 0;
    if (i + 1 == info.argc) {
      a.value = data.substr(pos);  // the last argument runs to the end and may hold NULs
      break;
    }
    const char* nul = pos < data.size() ? find_nul(data.data() + pos, data.size() - pos) : nullptr;
    if (!nul) {
      a.value = data.substr(pos);
      if (i + 2 == info.argc) {
        // Only the separator before the last argument is missing: that argument is empty.
        a.defects |= check_argument(a, checks);
        out.defects |= a.defects;
        ++i;
        ArgView& last = out.args[i];
        last.kind = info.args[i];
        last.value = data.substr(data.size());  // empty, at the end: a present value views the data
        last.offset = static_cast<uint32_t>(data.size());
        last.value = data.substr(data.size());  // empty, at the end of the data (not a null view)
        last.present = true;
        last.defects = kMissingLastSeparator;
        out.defects |= kMissingLastSeparator;
        break;
      }
      out.defects |= kMissingArguments;
      break;
    }
    const size_t end = static_cast<size_t>(nul - data.data());
    a.value = data.substr(pos, end - pos);
    pos = end + 1;
    a.defects |= check_argument(a, checks);
    out.defects |= a.defects;
  }
  // out.args[i] is the last present argument (the loop above checked those before it).
  ArgView& a = out.args[i];
  a.defects |= check_argument(a, checks);
  out.defects |= a.defects;
  out.present = uint8_t(i + 1);
  // Absent arguments (the data ended inside an earlier one) keep only their kind.
  for (uint8_t k = uint8_t(i + 1); k < info.argc; ++k) out.args[k] = ArgView{info.args[k], Bytes(), 0, false, 0};
}

}  // namespace gearproto
