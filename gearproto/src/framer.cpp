#include "gearproto/framer.h"

#include <cstring>

namespace gearproto {

const char* frame_error_name(FrameError e) {
  switch (e) {
    case FrameError::None: return "none";
    case FrameError::BadMagic: return "bad magic";
    case FrameError::Oversize: return "length over limit";
    case FrameError::UnknownType: return "unknown packet type";
    case FrameError::MagicNotAllowed: return "magic not allowed for this type";
    case FrameError::LineTooLong: return "text line too long";
  }
  return "?";
}

namespace {
// The magics as 4-byte words (compared as one load each: this runs for every PDU).
uint32_t word(const char* p) {
  uint32_t w;
  std::memcpy(&w, p, 4);
  return w;
}
const uint32_t kReqWord = word("\0REQ");
const uint32_t kResWord = word("\0RES");
}  // namespace

FrameError parse_header(Bytes b, const Limits& limits, Header& out) {
  out = Header{};
  if (b.size() < kHeaderSize) return FrameError::BadMagic;
  const uint32_t magic = word(b.data());
  if (magic == kReqWord) {
    out.magic = Magic::Req;
  } else if (magic == kResWord) {
    out.magic = Magic::Res;
  } else {
    return FrameError::BadMagic;
  }
  out.type = read_be32(b.data() + 4);
  out.length = read_be32(b.data() + 8);
  out.info = packet_info(out.type);
  if (out.length > limits.max_data_length) return FrameError::Oversize;
  if (!out.info) return FrameError::UnknownType;
  if (!out.info->allows(out.magic)) return FrameError::MagicNotAllowed;
  return FrameError::None;
}

Frame frame_binary(Bytes buf, const Limits& limits) {
  Frame f;
  f.kind = MessageKind::Binary;
  // Reject a wrong magic as soon as its bytes are there rather than waiting for 12.
  const size_t seen = buf.size() < 4 ? buf.size() : 4;
  const bool magic_ok = seen == 4 ? word(buf.data()) == kReqWord || word(buf.data()) == kResWord
                                  : std::memcmp(buf.data(), "\0REQ", seen) == 0 || std::memcmp(buf.data(), "\0RES", seen) == 0;
  if (!magic_ok) {
    f.status = Frame::Invalid;
    f.error = FrameError::BadMagic;
    return f;
  }
  if (buf.size() < kHeaderSize) {
    f.status = Frame::NeedMore;  // size stays 0: not known until the header is whole
    return f;
  }
  f.error = parse_header(slice(buf, 0, kHeaderSize), limits, f.header);
  if (!header_frames(f.error)) {
    f.status = Frame::Invalid;
    return f;
  }
  const size_t total = kHeaderSize + size_t(f.header.length);
  f.size = total;
  f.status = buf.size() >= total ? Frame::Complete : Frame::NeedMore;
  return f;
}

Frame frame_text(Bytes buf, const Limits& limits) {
  Frame f;
  f.kind = MessageKind::Text;
  const size_t window = buf.size() < limits.max_line_length + 2 ? buf.size() : limits.max_line_length + 2;
  const void* nl = std::memchr(buf.data(), '\n', window);
  if (!nl) {
    if (buf.size() > limits.max_line_length + 1) {
      f.status = Frame::Invalid;
      f.error = FrameError::LineTooLong;
    } else {
      f.status = Frame::NeedMore;  // the size of a line is not known until its newline arrives
    }
    return f;
  }
  const size_t end = static_cast<const char*>(nl) - buf.data();
  size_t line_len = end;
  if (line_len > 0 && buf[line_len - 1] == '\r') {
    --line_len;
    f.crlf = true;
  }
  if (line_len > limits.max_line_length) {
    f.status = Frame::Invalid;
    f.error = FrameError::LineTooLong;
    return f;
  }
  f.status = Frame::Complete;
  f.size = end + 1;
  f.line = buf.substr(0, line_len);
  return f;
}

Frame frame_message(Bytes buf, const Limits& limits) {
  if (buf.empty()) {
    Frame f;
    f.status = Frame::NeedMore;
    return f;
  }
  return buf[0] == '\0' ? frame_binary(buf, limits) : frame_text(buf, limits);
}

}  // namespace gearproto
