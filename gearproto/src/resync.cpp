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

StreamStart classify_stream_prefix(Bytes payload, const Limits& limits) {
  StreamStart out;
  if (payload.empty()) {
    out.verdict = StreamStart::NeedMore;
    return out;
  }
  if (payload[0] == '\0') {
    const size_t seen = payload.size() < 4 ? payload.size() : 4;
    if (std::memcmp(payload.data(), "\0REQ", seen) != 0 && std::memcmp(payload.data(), "\0RES", seen) != 0)
      return out;
    if (payload.size() < kBinaryDecisionBytes) {
      out.verdict = StreamStart::NeedMore;
      out.need = kBinaryDecisionBytes;
      return out;
    }
    const Magic magic = payload[3] == 'Q' ? Magic::Req : Magic::Res;
    const PacketInfo* info = packet_info(read_be32(payload.data() + 4));
    if (!info || !info->allows(magic)) return out;
    if (payload.size() >= kHeaderSize && read_be32(payload.data() + 8) > limits.max_data_length) return out;
    out.verdict = StreamStart::Binary;
    return out;
  }
  Frame f = frame_text(payload, limits);
  if (f.status == Frame::NeedMore) {
    if (admin_line_may_become_distinctive(payload)) out.verdict = StreamStart::NeedMore;
    return out;
  }
  if (f.status != Frame::Complete) return out;
  AdminRequest r = parse_admin_command(f.line);
  if (admin_command_is_distinctive(r.command) && r.defects == 0) out.verdict = StreamStart::AdminText;
  return out;
}

Plausibility classify_stream_start(Bytes payload, const Limits& limits) {
  switch (classify_stream_prefix(payload, limits).verdict) {
    case StreamStart::Binary: return Plausibility::Binary;
    case StreamStart::AdminText: return Plausibility::AdminText;
    default: return Plausibility::No;
  }
}

}  // namespace gearproto
