#include "gearproto/stream_decoder.h"

#include <cstring>

#include "gearproto/resync.h"

namespace gearproto {

const char* skip_reason_name(SkipReason r) {
  switch (r) {
    case SkipReason::Garbage: return "garbage";
    case SkipReason::Gap: return "gap";
    case SkipReason::Truncated: return "truncated message";
    case SkipReason::LineTooLong: return "line too long";
    case SkipReason::MidStream: return "mid-stream start";
  }
  return "?";
}

StreamDecoder::StreamDecoder(const Limits& limits, bool from_start)
    : limits_(limits),
      mode_(from_start ? Mode::Synced : Mode::Resync),
      resync_reason_(from_start ? SkipReason::Garbage : SkipReason::MidStream) {}

void StreamDecoder::skip(uint64_t offset, uint64_t length, SkipReason reason, FrameError err, MessageSink& sink) {
  if (length == 0) return;
  if (skip_length_ && skip_offset_ + skip_length_ == offset && skip_reason_ == reason) {
    skip_length_ += length;
    return;
  }
  flush_skip(sink);
  skip_offset_ = offset;
  skip_length_ = length;
  skip_reason_ = reason;
  skip_error_ = err;
}

void StreamDecoder::say_skip(MessageSink& sink) {
  sink.on_skip(skip_offset_, skip_length_, skip_reason_, skip_error_);
  skip_length_ = 0;
  skip_error_ = FrameError::None;
}

size_t StreamDecoder::process(Bytes view, MessageSink& sink) {
  size_t pos = 0;
  need_ = 0;
  // One Message per thread, every field set per message: a fresh one (per message, or per call,
  // which is per TCP segment) is cleared with `rep stos` (GCC -O2 for its 104 bytes), slow to
  // start: 7 % of the analyzer's reading thread. Nothing keeps a Message past on_message, so a
  // sink that fed another decoder from on_message would not disturb this one either.
  static thread_local Message m;
  while (pos < view.size()) {
    Bytes rest = slice_from(view, pos);
    const uint64_t at = base_ + pos;
    if (mode_ == Mode::SkipLine) {
      const void* nl = std::memchr(rest.data(), '\n', rest.size());
      const size_t n = nl ? size_t(static_cast<const char*>(nl) - rest.data()) + 1 : rest.size();
      skip(at, n, SkipReason::LineTooLong, FrameError::LineTooLong, sink);
      pos += n;
      if (nl) mode_ = Mode::Synced;
      continue;
    }
    if (mode_ == Mode::Resync) {
      size_t k = Bytes::npos;
      if (last_was_text_) {
        // A text stream resumes after the next newline.
        const void* nl = std::memchr(rest.data(), '\n', rest.size());
        if (nl) k = size_t(static_cast<const char*>(nl) - rest.data()) + 1;
      }
      const size_t h = find_plausible_header(rest, 0, limits_);
      if (h != Bytes::npos && (k == Bytes::npos || h < k)) k = h;
      if (k == Bytes::npos) {
        // Keep a tail that may be the start of a header cut by the end of the view.
        const size_t keep = rest.size() < kHeaderSize - 1 ? rest.size() : kHeaderSize - 1;
        skip(at, rest.size() - keep, resync_reason_, FrameError::None, sink);
        pos += rest.size() - keep;
        break;
      }
      skip(at, k, resync_reason_, FrameError::None, sink);
      pos += k;
      mode_ = Mode::Synced;
      continue;
    }
    // A whole binary header: read straight into the message (frame_binary's way without its
    // Frame: this is every PDU). Anything else, and an invalid header, goes the general way.
    if (rest.size() >= kHeaderSize && rest[0] == '\0') {
      const FrameError err = parse_header(slice(rest, 0, kHeaderSize), limits_, m.header);
      if (header_frames(err)) {
        const size_t total = kHeaderSize + size_t(m.header.length);
        if (rest.size() < total) {
          need_ = total;
          break;
        }
        flush_skip(sink);
        m.kind = MessageKind::Binary;
        m.offset = at;
        m.raw = slice(rest, 0, total);
        m.data = slice_from(m.raw, kHeaderSize);
        m.error = err;
        m.line = Bytes();
        m.crlf = false;
        last_was_text_ = false;
        ++messages_;
        sink.on_message(m);
        pos += total;
        continue;
      }
    }
    Frame f = frame_message(rest, limits_);
    if (f.status == Frame::NeedMore) {
      need_ = f.size;
      break;
    }
    if (f.status == Frame::Invalid) {
      if (f.error == FrameError::LineTooLong) {
        mode_ = Mode::SkipLine;
        continue;
      }
      // The header cannot be trusted: skip a byte and look for the next plausible one.
      skip(at, 1, SkipReason::Garbage, f.error, sink);
      pos += 1;
      mode_ = Mode::Resync;
      resync_reason_ = SkipReason::Garbage;
      continue;
    }
    // Complete here is a text line: a binary message is complete only with its whole header,
    // taken above.
    flush_skip(sink);
    m.kind = MessageKind::Text;
    m.offset = at;
    m.raw = slice(rest, 0, f.size);
    m.header = Header();
    m.data = Bytes();
    m.error = FrameError::None;
    m.line = f.line;
    m.crlf = f.crlf;
    last_was_text_ = true;
    ++messages_;
    sink.on_message(m);
    pos += f.size;
  }
  return pos;
}

void StreamDecoder::feed(Bytes chunk, MessageSink& sink) {
  if (chunk.empty()) return;
  if (buffer_.empty()) {
    const size_t used = process(chunk, sink);
    base_ += used;
    // The common case, a chunk of whole messages, leaves nothing to keep.
    if (used < chunk.size()) buffer_.assign(chunk.data() + used, chunk.size() - used);
    return;
  }
  buffer_.append(chunk.data(), chunk.size());
  // A partial binary PDU whose size is known: wait for all of it before framing again.
  if (need_ && buffer_.size() < need_) return;
  const size_t used = process(buffer_, sink);
  base_ += used;
  buffer_.erase(0, used);
}

void StreamDecoder::gap(uint64_t lost, MessageSink& sink) {
  if (!buffer_.empty()) {
    skip(base_, buffer_.size(), mode_ == Mode::Synced ? SkipReason::Truncated : resync_reason_, FrameError::None, sink);
    base_ += buffer_.size();
    buffer_.clear();
  }
  skip(base_, lost, SkipReason::Gap, FrameError::None, sink);
  flush_skip(sink);
  base_ += lost;
  need_ = 0;
  if (mode_ != Mode::SkipLine) {
    mode_ = Mode::Resync;
    resync_reason_ = SkipReason::Garbage;
  }
}

void StreamDecoder::finish(MessageSink& sink) {
  if (!buffer_.empty()) {
    skip(base_, buffer_.size(), mode_ == Mode::Synced ? SkipReason::Truncated : resync_reason_, FrameError::None, sink);
    base_ += buffer_.size();
    buffer_.clear();
  }
  flush_skip(sink);
  need_ = 0;
}

}  // namespace gearproto
