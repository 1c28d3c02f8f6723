#include "gearproto/arguments.h"

#include <cstring>

namespace gearproto {

const char* arg_defect_name(ArgDefect d) {
  switch (d) {
    case kMissingArguments: return "missing arguments (too few NUL separators)";
    case kUnexpectedData: return "data on a packet type that takes none";
    case kHandleTooLong: return "job handle longer than 63 bytes";
    case kBadNumber: return "not a decimal number in range";
    case kEmptyRequired: return "empty function name or job handle";
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

static uint32_t check_argument(const ArgView& a, ArgChecks checks) {
  uint32_t d = 0;
  if (a.kind == Arg::Handle) {
    if (a.value.size() > kMaxHandleLength) d |= kHandleTooLong;
    if (a.value.empty()) d |= kEmptyRequired;
  } else if (a.kind == Arg::Function && a.value.empty()) {
    d |= kEmptyRequired;
  } else if ((a.kind == Arg::Numerator || a.kind == Arg::Denominator) && a.value.empty()) {
    // No progress known: Perl Gearman::Server's STATUS_RES for a job it does not know (gearmand
    // writes 0 and 0). Not a defect; the number is simply absent.
  } else if (checks == ArgChecks::All && arg_is_number(a.kind) && !parse_number_arg(a.kind, a.value)) {
    d |= kBadNumber;
  }
  return d;
}

Arguments split_arguments(const PacketInfo& info, Bytes data, ArgChecks checks) {
  Arguments out;
  out.info = &info;
  out.count = info.argc;
  if (info.argc == 0) {
    if (!data.empty()) out.defects |= kUnexpectedData;
    return out;
  }
  size_t pos = 0;
  bool ran_out = false;
  for (uint8_t i = 0; i < info.argc; ++i) {
    ArgView& a = out.args[i];
    a.kind = info.args[i];
    if (ran_out) continue;  // absent: the data ended inside an earlier argument
    a.offset = static_cast<uint32_t>(pos);
    a.present = true;
    ++out.present;
    if (i + 1 == info.argc) {
      a.value = data.substr(pos);  // the last argument runs to the end and may hold NULs
      break;
    }
    const void* nul = pos < data.size() ? std::memchr(data.data() + pos, '\0', data.size() - pos) : nullptr;
    if (!nul) {
      a.value = data.substr(pos);
      out.defects |= kMissingArguments;
      ran_out = true;
      continue;
    }
    const size_t end = static_cast<size_t>(static_cast<const char*>(nul) - data.data());
    a.value = data.substr(pos, end - pos);
    pos = end + 1;
  }
  for (uint8_t i = 0; i < info.argc; ++i) {
    ArgView& a = out.args[i];
    if (!a.present) continue;
    a.defects = check_argument(a, checks);
    out.defects |= a.defects;
  }
  return out;
}

}  // namespace gearproto
