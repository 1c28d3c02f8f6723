// Incremental decoding of one direction of one TCP connection: feed bytes as they arrive, get
// whole messages (binary PDUs and text lines) and reports of bytes that had to be skipped.
//
// Messages wholly inside one chunk are handed out as views of that chunk (no copy). Only a message
// that spans chunks is gathered in a buffer, which grows with the bytes that actually arrive and
// never beyond Limits (a length field from the wire is never used to allocate).
#pragma once

#include <cstdint>
#include <string>

#include "gearproto/bytes.h"
#include "gearproto/framer.h"

namespace gearproto {

struct Message {
  MessageKind kind = MessageKind::Binary;
  uint64_t offset = 0;   // stream offset of the first byte
  Bytes raw;             // the whole message as it was on the wire
  // Binary
  Header header;
  Bytes data;            // after the 12-byte header
  FrameError error = FrameError::None;  // UnknownType / MagicNotAllowed: header known, data not decoded
  // Text
  Bytes line;            // without line ending
  bool crlf = false;
};

enum class SkipReason : uint8_t {
  Garbage,      // bytes that are not a message (bad magic, oversize length): resynchronised after them
  Gap,          // bytes missing from the capture (told by the caller)
  Truncated,    // a message cut off by a gap or by the end of the stream
  LineTooLong,  // a text line over the limit, skipped to its newline
  MidStream,    // bytes before the first plausible header of a stream seen from its middle
};
const char* skip_reason_name(SkipReason r);

// Whether bytes skipped as not Gearman may have held requests or answers, so that pairing in
// order restarts after them. Not when they are fewer than a header and start with NUL: no binary
// message fits, and no admin line starts with NUL (a stray byte between two messages; the abraxas
// server writes a NUL after the declared length of its copy of a separator-less WORK_COMPLETE).
inline bool garbage_may_hold_messages(bool starts_with_nul, uint64_t length) {
  return !(starts_with_nul && length < kHeaderSize);
}

class MessageSink {
 public:
  virtual ~MessageSink() = default;
  virtual void on_message(const Message& m) = 0;
  // `first_error` tells why skipping began (BadMagic, Oversize, LineTooLong) when there was a frame.
  virtual void on_skip(uint64_t offset, uint64_t length, SkipReason reason, FrameError first_error) = 0;
};

class StreamDecoder {
 public:
  // `from_start`: false when the capture joined the stream in its middle (no SYN seen); the
  // decoder then looks for a plausible header before decoding anything.
  explicit StreamDecoder(const Limits& limits = Limits{}, bool from_start = true);

  void feed(Bytes chunk, MessageSink& sink);
  // `lost` bytes are missing before the next chunk: drop what was partial and resynchronise.
  void gap(uint64_t lost, MessageSink& sink);
  // The stream ended: a partial message left in the buffer is reported as Truncated.
  void finish(MessageSink& sink);

  uint64_t offset() const { return base_ + buffer_.size(); }  // bytes of the stream seen so far
  size_t buffered() const { return buffer_.size(); }
  uint64_t messages() const { return messages_; }
  bool in_sync() const { return mode_ == Mode::Synced; }

 private:
  enum class Mode : uint8_t { Synced, Resync, SkipLine };

  size_t process(Bytes view, MessageSink& sink);  // returns bytes consumed from view
  void skip(uint64_t offset, uint64_t length, SkipReason reason, FrameError err, MessageSink& sink);
  void flush_skip(MessageSink& sink) {  // inline: asked before every message, mostly with nothing to say
    if (skip_length_) say_skip(sink);
  }
  void say_skip(MessageSink& sink);

  Limits limits_;
  Mode mode_;
  SkipReason resync_reason_;
  std::string buffer_;  // unconsumed bytes; buffer_[0] is at stream offset base_
  uint64_t base_ = 0;
  size_t need_ = 0;     // do not re-frame until the buffer holds this many bytes
  bool last_was_text_ = false;
  uint64_t messages_ = 0;
  // Consecutive skipped bytes are reported once.
  uint64_t skip_offset_ = 0, skip_length_ = 0;
  SkipReason skip_reason_ = SkipReason::Garbage;
  FrameError skip_error_ = FrameError::None;
};

}  // namespace gearproto
