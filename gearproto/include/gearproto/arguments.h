// Splits a PDU's data into the arguments its packet table row names, and reads typed values.
#pragma once

#include <cstdint>
#include <optional>

#include "gearproto/bytes.h"
#include "gearproto/packet_table.h"

namespace gearproto {

// Defects found while splitting or reading arguments; a bit set, several may hold at once.
// The rule (docs/decoder.md): what gearmand and Perl Gearman::Server accept and forward is valid;
// kRejectedDefects are what a server rejects or cannot parse; the others are unusual but taken.
enum ArgDefect : uint32_t {
  kDefectNone = 0,
  kMissingArguments = 1u << 0,   // two or more NUL separators missing (gearmand reads past the packet)
  kUnexpectedData = 1u << 1,     // data on a type that takes no arguments (servers ignore it)
  kHandleTooLong = 1u << 2,      // job handle over 63 bytes (64 with its NUL)
  kBadNumber = 1u << 3,          // a numeric argument gearmand rejects (see check_number)
  kEmptyRequired = 1u << 4,      // an empty function name or job handle
  // Only the NUL before the last argument is missing: the last argument is empty. Perl
  // Gearman::Worker sends WORK_COMPLETE so for an empty (or "0") result. gearmand and
  // Gearman::Server refuse it (gearmand reads the next packet's first byte as that NUL and closes
  // the connection, Gearman::Server answers ERROR not_worker); the abraxas server takes it.
  // Readable; whether it was accepted, only the server's next packets tell.
  kMissingLastSeparator = 1u << 5,
  // A numeric argument that is no plain decimal integer in range (e.g. "x", "-1", "", "7e3" where
  // an integer is expected) but that the servers take (atoi/strtol) and forward unchanged.
  kUnusualNumber = 1u << 6,
};
// What a server rejects or cannot parse: a front end shows these as Malformed.
constexpr uint32_t kRejectedDefects = kMissingArguments | kBadNumber;
// Short English for one defect bit.
const char* arg_defect_name(ArgDefect d);

struct ArgView {
  Arg kind = Arg::Payload;
  Bytes value;          // may be empty; the last argument may contain NULs; a view of the data when present
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
// The same into `out`, a default Arguments or one this function filled before (what is left of
// the earlier PDU is reset): for a caller that splits every PDU, a fresh Arguments is 344 bytes to
// clear each time.
void split_arguments(const PacketInfo& info, Bytes data, ArgChecks checks, Arguments& out);

// Decimal unsigned number, no sign, no spaces, at most `max`. Empty is not a number.
std::optional<uint64_t> parse_decimal(Bytes text, uint64_t max = UINT64_MAX);
// Signed decimal (for admin maxqueue sizes, which may be negative).
std::optional<int64_t> parse_signed_decimal(Bytes text);

// A numeric argument read and range-checked for its kind (Known 0/1, Minute 0-59, ...) as a plain
// decimal integer. A fraction ("33.5") or an empty number gives nullopt: see parse_progress.
std::optional<uint64_t> parse_number_arg(Arg kind, Bytes text);

// A progress number (WORK_STATUS, STATUS_RES(_UNIQUE) numerator and denominator) as real software
// writes it: a decimal integer, or a decimal fraction as JavaScript, Perl, Python or PHP print a
// float ("33.33333333333333", "0.5", "1e-7", "2.5E+21"). No sign, no spaces. Empty gives nullopt
// (no progress known: Perl Gearman::Server's STATUS_RES for a job it does not know).
std::optional<double> parse_progress(Bytes text);
// 100 * numerator / denominator, when both are progress numbers and the denominator is not 0.
std::optional<double> progress_percent(Bytes numerator, Bytes denominator);

// The defect bits (kBadNumber, kUnusualNumber or none) of one numeric argument of kind `kind`.
uint32_t check_number(Arg kind, Bytes text);

}  // namespace gearproto
