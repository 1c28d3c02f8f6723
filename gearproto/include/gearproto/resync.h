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

// Does the start of a TCP payload look like Gearman? Binary: a plausible header. Text: the first
// line (when complete) is an admin command only Gearman has, with valid arguments (not `version`,
// `verbose`, `shutdown` or `getpid`, which other protocols share). Used for heuristics on ports other than 4730.
enum class Plausibility : uint8_t { No, Binary, AdminText };
Plausibility classify_stream_start(Bytes payload, const Limits& limits);

}  // namespace gearproto
