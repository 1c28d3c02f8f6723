#include "gearproto/arguments.h"

#include <charconv>
#include <cstring>

#include "gearproto/argument_split.h"

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

Arguments split_arguments(const PacketInfo& info, Bytes data, ArgChecks checks) {
  Arguments out;
  split_arguments(info, data, checks, out);
  return out;
}

void split_arguments(const PacketInfo& info, Bytes data, ArgChecks checks, Arguments& out) {
  for (uint8_t k = info.argc; k < out.count; ++k) out.args[k] = ArgView{};  // the earlier PDU's
  out.info = &info;
  out.count = info.argc;
  const SplitSummary s = split_each(info, data, checks, [&](uint8_t i, size_t offset, size_t size, uint32_t defects) {
    out.args[i] = ArgView{info.args[i], slice(data, offset, size), uint32_t(offset), true, defects};
  });
  out.present = s.present;
  out.defects = s.defects;
  // Absent arguments (the data ended inside an earlier one) keep only their kind.
  for (uint8_t k = s.present; k < info.argc; ++k) out.args[k] = ArgView{info.args[k], Bytes(), 0, false, 0};
}

}  // namespace gearproto
