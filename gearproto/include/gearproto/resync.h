// Finding the next plausible PDU header after lost or garbled bytes, or at a capture that starts
// mid-stream. Also the plausibility test the heuristic dissectors use.
#pragma once

#include <cstddef>
#include <string_view>

#include "gearproto/bytes.h"
#include "gearproto/framer.h"

namespace gearproto {

// True when `b` starts with a header a real peer could have sent: "\0REQ"/"\0RES", a known type
// that magic may carry, and a length within limits. Needs 12 bytes; fewer gives false.
bool plausible_header(Bytes b, const Limits& limits);

// Offset of the first plausible header in `buf` at or after `from`, or npos. A header cut off by
// the end of `buf` is not found; callers keep the last kHeaderSize-1 bytes and look again.
size_t find_plausible_header(Bytes buf, size_t from, const Limits& limits);

// Does the start of a connection's bytes look like Gearman? For heuristics on ports other than 4730.
//   Binary:    decided on 8 bytes: "\0REQ" or "\0RES", then a known type that magic may carry (and,
//              once 12 bytes are there, a length within limits).
//   AdminText: a complete first line that is an admin command only Gearman has, with valid
//              arguments (not `version`, `verbose`, `shutdown` or `getpid`, which memcached and
//              others share).
//   NeedMore:  too few bytes to decide, and those there agree so far: fewer than 8 bytes of a
//              binary header that start with a magic (or a prefix of one), or a line without its
//              newline yet that may still become a distinctive command. `need` is the total byte
//              count that decides a binary start (8), or 0 for a text line (its newline decides).
//   No:        not Gearman.
struct StreamStart {
  enum Verdict : uint8_t { No, Binary, AdminText, NeedMore } verdict = No;
  size_t need = 0;
};
StreamStart classify_stream_prefix(Bytes payload, const Limits& limits);
constexpr size_t kBinaryDecisionBytes = 8;  // magic + type

// The same verdict for callers that cannot wait: NeedMore reads as No.
enum class Plausibility : uint8_t { No, Binary, AdminText };
Plausibility classify_stream_start(Bytes payload, const Limits& limits);

}  // namespace gearproto
