// Splits a PDU's data into the arguments its packet table row names, and reads typed values.
#pragma once

#include <cstdint>
#include <optional>

#include "gearproto/bytes.h"
#include "gearproto/packet_table.h"

namespace gearproto {

// Defects found while splitting or reading arguments; a bit set, several may hold at once.
enum ArgDefect : uint32_t {
  kDefectNone = 0,
  kMissingArguments = 1u << 0,   // fewer NUL separators than the layout needs
  kUnexpectedData = 1u << 1,     // data on a type that takes no arguments
  kHandleTooLong = 1u << 2,      // job handle over 63 bytes (64 with its NUL)
  kBadNumber = 1u << 3,          // a numeric argument that is not a decimal number in range
  kEmptyRequired = 1u << 4,      // an empty function name or job handle
};
// Short English for one defect bit.
const char* arg_defect_name(ArgDefect d);

struct ArgView {
  Arg kind = Arg::Payload;
  Bytes value;          // may be empty; the last argument may contain NULs
  uint32_t offset = 0;  // from the start of the data (after the 12-byte header)
  bool present = false; // false when the data ended before this argument
  uint32_t defects = 0; // defects of this argument alone
};

struct Arguments {
  const PacketInfo* info = nullptr;
  uint8_t count = 0;     // arguments the layout names (== info->argc)
  uint8_t present = 0;   // arguments actually found
  ArgView args[kMaxArgs];
  uint32_t defects = 0;  // union of all defects

  // The argument of this kind, if the layout has it and it was present.
  std::optional<Bytes> get(Arg kind) const {
    for (uint8_t i = 0; i < count; ++i)
      if (args[i].kind == kind && args[i].present) return args[i].value;
    return std::nullopt;
  }
  const ArgView* find(Arg kind) const {
    for (uint8_t i = 0; i < count; ++i)
      if (args[i].kind == kind) return &args[i];
    return nullptr;
  }
};

// How much split_arguments checks. Structure: separators, empty function or handle, handle length
// (what a lifecycle tracker needs, at about half the cost); All: also every numeric argument.
enum class ArgChecks : uint8_t { All, Structure };

// Splits `data` (the bytes after the header) per `info`. Never allocates, never throws.
Arguments split_arguments(const PacketInfo& info, Bytes data, ArgChecks checks = ArgChecks::All);

// Decimal unsigned number, no sign, no spaces, at most `max`. Empty is not a number.
std::optional<uint64_t> parse_decimal(Bytes text, uint64_t max = UINT64_MAX);
// Signed decimal (for admin maxqueue sizes, which may be negative).
std::optional<int64_t> parse_signed_decimal(Bytes text);

// A numeric argument read and range-checked for its kind (Known 0/1, Minute 0-59, ...).
std::optional<uint64_t> parse_number_arg(Arg kind, Bytes text);

}  // namespace gearproto
