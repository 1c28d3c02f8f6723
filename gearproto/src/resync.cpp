#include "gearproto/resync.h"

#include <cstring>

#include "gearproto/admin.h"

namespace gearproto {

bool plausible_header(Bytes b, const Limits& limits) {
  if (b.size() < kHeaderSize) return false;
  Header h;
  return parse_header(b.substr(0, kHeaderSize), limits, h) == FrameError::None;
}

size_t find_plausible_header(Bytes buf, size_t from, const Limits& limits) {
  while (from + kHeaderSize <= buf.size()) {
    const void* nul = std::memchr(buf.data() + from, '\0', buf.size() - from);
    if (!nul) return Bytes::npos;
    const size_t at = static_cast<size_t>(static_cast<const char*>(nul) - buf.data());
    if (plausible_header(buf.substr(at), limits)) return at;
    from = at + 1;
  }
  return Bytes::npos;
}

Plausibility classify_stream_start(Bytes payload, const Limits& limits) {
  if (plausible_header(payload, limits)) return Plausibility::Binary;
  if (payload.empty() || payload[0] == '\0') return Plausibility::No;
  Frame f = frame_text(payload, limits);
  if (f.status != Frame::Complete) return Plausibility::No;
  AdminRequest r = parse_admin_command(f.line);
  return admin_command_is_distinctive(r.command) && r.defects == 0 ? Plausibility::AdminText : Plausibility::No;
}

}  // namespace gearproto
