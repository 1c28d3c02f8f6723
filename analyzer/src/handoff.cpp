#include "handoff.h"

#include <cstring>
#include <type_traits>

namespace gan {

namespace {

enum class Kind : uint8_t { Open, Pdu, Line, Lost, Close, Forget };

// Every record starts with its size (a multiple of 8) and kind.
struct Head {
  uint32_t size;
  Kind kind;
  bool to_server;
  uint8_t count;    // Pdu: arguments the layout names
  uint8_t present;  // Pdu: arguments found
  Slot slot;
  uint32_t length;  // Pdu: data bytes; Line: line bytes
  uint64_t frame;
  int64_t t;
};
struct OpenRec {
  Head h;
  uint64_t serial;
  uint32_t server;
  bool new_server;
  netstream::Endpoint server_end, peer_end;
};
// Then `count` ArgRecs, then the data.
struct PduRec {
  Head h;
  gearproto::Header header;
  uint32_t defects;
};
struct ArgRec {
  uint32_t offset, size;
  uint32_t defects;
  gearproto::Arg kind;
  bool present;
};
static_assert(std::is_trivially_copyable<OpenRec>::value && std::is_trivially_copyable<PduRec>::value &&
                  std::is_trivially_copyable<ArgRec>::value,
              "records are copied as bytes");

constexpr size_t round8(size_t n) { return (n + 7) & ~size_t(7); }
// Data beyond this is not copied into a batch (see handoff.h).
constexpr size_t kMaxCopied = Handoff::kBatchBytes / 4;

Head head(Kind k, size_t size, Slot s) {
  Head h{};
  h.size = uint32_t(size);
  h.kind = k;
  h.slot = s;
  return h;
}

}  // namespace

Handoff::Handoff(JobStage& stage, unsigned threads) : stage_(stage) {
  if (threads < 2) return;
  for (Batch& b : ring_) b.bytes.reset(new uint8_t[kBatchBytes]);
  current_ = &ring_[0];
  thread_ = std::thread([this] { run(); });
}

Handoff::~Handoff() { stop(); }

// ---------------------------------------------------------------------------------------------
// The reading thread

uint8_t* Handoff::reserve(size_t n) {
  if (current_->used + n > kBatchBytes) publish();
  uint8_t* p = current_->bytes.get() + current_->used;
  current_->used += n;
  return p;
}

void Handoff::publish() {
  std::unique_lock<std::mutex> lk(mu_);
  ++published_;
  filled_.notify_one();
  emptied_.wait(lk, [this] { return published_ - consumed_ < kBatches; });
  current_ = &ring_[published_ % kBatches];
  current_->used = 0;
}

void Handoff::settle() {
  if (!threaded()) return;
  if (current_->used) publish();
  std::unique_lock<std::mutex> lk(mu_);
  emptied_.wait(lk, [this] { return consumed_ == published_; });
}

void Handoff::stop() {
  if (!threaded()) return;
  settle();
  {
    std::lock_guard<std::mutex> lk(mu_);
    stopping_ = true;
  }
  filled_.notify_one();
  thread_.join();
}

void Handoff::finish() {
  stop();
  stage_.finish();
}

void Handoff::open(const OpenEvent& e) {
  if (!threaded()) return stage_.open(e);
  OpenRec r{};
  r.h = head(Kind::Open, round8(sizeof r), e.slot);
  r.serial = e.serial;
  r.server = e.server;
  r.new_server = e.new_server;
  r.server_end = e.server_end;
  r.peer_end = e.peer_end;
  std::memcpy(reserve(r.h.size), &r, sizeof r);
}

void Handoff::pdu(const PduEvent& e) {
  if (!threaded()) return stage_.pdu(e);
  if (e.data.size() > kMaxCopied) {
    settle();
    return stage_.pdu(e);
  }
  const size_t n = e.args.count;
  const size_t size = round8(sizeof(PduRec) + n * sizeof(ArgRec) + e.data.size());
  uint8_t* p = reserve(size);
  PduRec r;
  r.h = head(Kind::Pdu, size, e.slot);
  r.h.to_server = e.to_server;
  r.h.count = e.args.count;
  r.h.present = e.args.present;
  r.h.length = uint32_t(e.data.size());
  r.h.frame = e.frame;
  r.h.t = e.t;
  r.header = e.header;
  r.defects = e.args.defects;
  std::memcpy(p, &r, sizeof r);
  p += sizeof r;
  for (size_t i = 0; i < n; ++i, p += sizeof(ArgRec)) {
    const gearproto::ArgView& a = e.args.args[i];
    ArgRec ar;
    ar.offset = a.offset;  // a present value is data.substr(offset, size)
    ar.size = uint32_t(a.value.size());
    ar.defects = a.defects;
    ar.kind = a.kind;
    ar.present = a.present;
    std::memcpy(p, &ar, sizeof ar);
  }
  if (!e.data.empty()) std::memcpy(p, e.data.data(), e.data.size());
}

void Handoff::line(const LineEvent& e) {
  if (!threaded()) return stage_.line(e);
  if (e.line.size() > kMaxCopied) {
    settle();
    return stage_.line(e);
  }
  const size_t size = round8(sizeof(Head) + e.line.size());
  uint8_t* p = reserve(size);
  Head h = head(Kind::Line, size, e.slot);
  h.to_server = e.to_server;
  h.length = uint32_t(e.line.size());
  h.frame = e.frame;
  h.t = e.t;
  std::memcpy(p, &h, sizeof h);
  if (!e.line.empty()) std::memcpy(p + sizeof h, e.line.data(), e.line.size());
}

void Handoff::lost(Slot s, uint64_t frame) {
  if (!threaded()) return stage_.lost(s, frame);
  Head h = head(Kind::Lost, sizeof(Head), s);
  h.frame = frame;
  std::memcpy(reserve(sizeof h), &h, sizeof h);
}

void Handoff::close(Slot s, int64_t t) {
  if (!threaded()) return stage_.close(s, t);
  Head h = head(Kind::Close, sizeof(Head), s);
  h.t = t;
  std::memcpy(reserve(sizeof h), &h, sizeof h);
}

void Handoff::forget(Slot s) {
  if (!threaded()) return stage_.forget(s);
  Head h = head(Kind::Forget, sizeof(Head), s);
  std::memcpy(reserve(sizeof h), &h, sizeof h);
}

// ---------------------------------------------------------------------------------------------
// The stage thread

void Handoff::run() {
  for (;;) {
    std::unique_lock<std::mutex> lk(mu_);
    filled_.wait(lk, [this] { return consumed_ < published_ || stopping_; });
    if (consumed_ == published_) return;  // stopping, and nothing left
    const Batch& b = ring_[consumed_ % kBatches];
    lk.unlock();
    replay(b);
    lk.lock();
    ++consumed_;
    lk.unlock();
    emptied_.notify_one();
  }
}

void Handoff::replay(const Batch& b) {
  PduEvent pe;
  size_t last_count = 0;  // arguments of the previous PDU, reset when this one has fewer
  for (size_t off = 0; off < b.used;) {
    const uint8_t* p = b.bytes.get() + off;
    Head h;
    std::memcpy(&h, p, sizeof h);
    off += h.size;
    switch (h.kind) {
      case Kind::Open: {
        OpenRec r;
        std::memcpy(&r, p, sizeof r);
        OpenEvent e;
        e.slot = h.slot;
        e.serial = r.serial;
        e.server = r.server;
        e.new_server = r.new_server;
        e.server_end = r.server_end;
        e.peer_end = r.peer_end;
        stage_.open(e);
        break;
      }
      case Kind::Pdu: {
        PduRec r;
        std::memcpy(&r, p, sizeof r);
        const size_t n = h.count;
        const char* data = reinterpret_cast<const char*>(p + sizeof r + n * sizeof(ArgRec));
        pe.slot = h.slot;
        pe.to_server = h.to_server;
        pe.frame = h.frame;
        pe.t = h.t;
        pe.header = r.header;
        pe.data = gearproto::Bytes(data, h.length);
        gearproto::Arguments& a = pe.args;
        a.info = r.header.info;
        a.count = h.count;
        a.present = h.present;
        a.defects = r.defects;
        for (size_t i = 0; i < n; ++i) {
          ArgRec ar;
          std::memcpy(&ar, p + sizeof r + i * sizeof(ArgRec), sizeof ar);
          gearproto::ArgView& v = a.args[i];
          v.kind = ar.kind;
          v.value = gearproto::Bytes(data + ar.offset, ar.size);
          v.offset = ar.offset;
          v.present = ar.present;
          v.defects = ar.defects;
        }
        for (size_t i = n; i < last_count; ++i) a.args[i] = gearproto::ArgView{};
        last_count = n;
        stage_.pdu(pe);
        break;
      }
      case Kind::Line: {
        LineEvent e;
        e.slot = h.slot;
        e.to_server = h.to_server;
        e.frame = h.frame;
        e.t = h.t;
        e.line = gearproto::Bytes(reinterpret_cast<const char*>(p + sizeof h), h.length);
        stage_.line(e);
        break;
      }
      case Kind::Lost: stage_.lost(h.slot, h.frame); break;
      case Kind::Close: stage_.close(h.slot, h.t); break;
      case Kind::Forget: stage_.forget(h.slot); break;
    }
  }
}

}  // namespace gan
