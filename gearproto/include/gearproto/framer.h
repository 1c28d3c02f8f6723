// Framing: where does the next message on one direction of a connection end?
// The first byte chooses: NUL starts a 12-byte binary header, anything else a text line.
#pragma once

#include <cstddef>
#include <cstdint>

#include "gearproto/bytes.h"
#include "gearproto/packet_table.h"

namespace gearproto {

constexpr size_t kHeaderSize = 12;

struct Limits {
  // Data longer than this is treated as a broken header, not waited for. gearmand itself accepts
  // any size, but real payloads of more than 64 MiB on a job queue are far rarer than corruption.
  uint32_t max_data_length = 64u * 1024 * 1024;
  // A text line longer than this (without its newline) is an error; admin lines are short.
  size_t max_line_length = 64 * 1024;
};

// Why a header or a line cannot be used as it is.
enum class FrameError : uint8_t {
  None,
  BadMagic,          // starts with NUL but is not "\0REQ" / "\0RES": the length cannot be trusted
  Oversize,          // length above Limits::max_data_length: the length cannot be trusted
  UnknownType,       // type 0, 5 or > 42: the PDU can be skipped by its length
  MagicNotAllowed,   // e.g. JOB_CREATED with "\0REQ": the PDU can be skipped by its length
  LineTooLong,       // no newline within Limits::max_line_length
};
const char* frame_error_name(FrameError e);
// True when the error leaves the message's size known, so the stream can go on after it.
inline bool frame_error_is_skippable(FrameError e) {
  return e == FrameError::UnknownType || e == FrameError::MagicNotAllowed;
}

struct Header {
  Magic magic = Magic::Req;
  uint32_t type = 0;
  uint32_t length = 0;
  const PacketInfo* info = nullptr;  // nullptr for unknown types
};

enum class MessageKind : uint8_t { Binary, Text };

struct Frame {
  enum Status : uint8_t { Complete, NeedMore, Invalid } status = NeedMore;
  MessageKind kind = MessageKind::Binary;
  FrameError error = FrameError::None;  // set with Invalid, and with Complete for skippable errors
  // Complete: bytes of the whole message. NeedMore: the whole message's size once its header was
  // read, else 0 (a split header or a text line: the size is not known yet, so a caller such as a
  // TCP reassembler must ask for more bytes rather than for a size).
  size_t size = 0;
  Header header;    // Binary, once 12 bytes were seen
  // Text only: the line without "\n" or "\r\n".
  Bytes line;
  bool crlf = false;
};

// Reads a binary header (needs >= 12 bytes). Returns the error, if any, and fills `out`.
FrameError parse_header(Bytes twelve, const Limits& limits, Header& out);
// Whether a header with this error still frames its message (its length can be believed): not
// after a bad magic or a length over the limit. frame_binary's rule, also the stream decoder's
// shortcut for whole headers.
inline bool header_frames(FrameError e) { return e != FrameError::BadMagic && e != FrameError::Oversize; }

// Frames the next message at the start of `buf`. Never reads past `buf`, never allocates.
Frame frame_message(Bytes buf, const Limits& limits);

// Frames only binary (for callers that know the stream is binary).
Frame frame_binary(Bytes buf, const Limits& limits);

// Frames only a text line.
Frame frame_text(Bytes buf, const Limits& limits);

}  // namespace gearproto
