#include "handoff.h"

#include <chrono>
#include <cstddef>
#include <cstring>
#include <new>
#include <type_traits>

#include "gearproto/argument_split.h"

namespace gan {

namespace {

enum class Kind : uint8_t { Open, Pdu, Line, Lost, Close, Forget, Clock };

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
// A PDU in 32 bytes (records cross between the cores: the smaller the better). Then, when the
// reader split the arguments (kSplit), info->argc packed arguments (pack_arg); then the data.
// Only known types come here (the analyzer drops the others as malformed_pdu), so the type and
// the defects fit in a byte.
struct PduRec {
  uint32_t size;
  Kind kind;
  uint8_t flags;  // kToServer, kResponse
  uint8_t present;
  uint8_t defects;  // ArgSpans::defects
  Slot slot;
  uint8_t type;
  uint8_t unused = 0;
  uint16_t length;  // data bytes (the header's length)
  uint64_t frame;
  int64_t t;
};
constexpr uint8_t kToServer = 1, kResponse = 2, kSplit = 4;
static_assert(sizeof(PduRec) == 32, "a PDU's record stays small");
static_assert(std::is_trivially_copyable<OpenRec>::value && std::is_trivially_copyable<PduRec>::value,
              "records are copied as bytes");
static_assert(offsetof(PduRec, kind) == offsetof(Head, kind), "every record starts with its size and kind");
static_assert(gearproto::kMaxKnownType < 256, "PduRec keeps the type in a byte");
static_assert(gearproto::kUnusualNumber < 256, "PduRec keeps the defects in a byte");

// An argument in 4 bytes: offset and size in the data (16 bits each: the data is at most
// kMaxCopied). Its kind is the layout's, it is present when among the first `present`. What the
// stage reads of defects is their union (ArgSpans::defects): an argument's own defects are not
// handed over, and the stage sees them as none.
uint32_t pack_arg(size_t offset, size_t size) { return uint32_t(offset) | uint32_t(size) << 16; }

// Data beyond this is not copied into a batch (see handoff.h).
constexpr size_t kMaxCopied = 65535;

constexpr size_t round8(size_t n) { return (n + 7) & ~size_t(7); }

// packet_info(type) without a call per PDU: the known types' rows, looked up once.
struct InfoByType {
  const gearproto::PacketInfo* row[gearproto::kMaxKnownType + 1];
  InfoByType() {
    for (uint32_t t = 0; t <= gearproto::kMaxKnownType; ++t) row[t] = gearproto::packet_info(t);
  }
  const gearproto::PacketInfo* operator()(uint32_t type) const {
    return type <= gearproto::kMaxKnownType ? row[type] : gearproto::packet_info(type);
  }
};
const InfoByType info_of;

Head head(Kind k, size_t size, Slot s) {
  Head h{};
  h.size = uint32_t(size);
  h.kind = k;
  h.slot = s;
  return h;
}

void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

// Waits until `ready()`: spinning for up to 200 µs first, then asleep on `cv`. A batch is handed
// over every few hundred microseconds; a side that sleeps between batches costs the other a
// futex wake-up (a system call and an interrupt to the sleeping core) per batch.
template <class Ready>
void wait_for(std::mutex& mu, std::condition_variable& cv, Ready ready) {
  using Clock = std::chrono::steady_clock;
  const Clock::time_point give_up = Clock::now() + std::chrono::microseconds(200);
  for (unsigned i = 1;; ++i) {
    if (ready()) return;
    cpu_relax();
    if (i % 64 == 0 && Clock::now() > give_up) break;
  }
  std::unique_lock<std::mutex> lk(mu);
  cv.wait(lk, ready);
}

}  // namespace

Handoff::Handoff(JobStage& stage, unsigned threads, Options::SplitArgs split) : stage_(stage), split_policy_(split) {
  if (threads < 2) return;
  split_on_reader_ = split != Options::SplitArgs::Stage;
  for (Batch& b : ring_) b.bytes.reset(new uint8_t[kBatchBytes]);
  current_ = &ring_[0];
  thread_ = std::thread([this] { run(); });
}

Handoff::~Handoff() { stop(); }

// ---------------------------------------------------------------------------------------------
// The reading thread

uint8_t* Handoff::reserve(size_t n) {
  if (filled_bytes_ + n > kBatchBytes) publish();
  uint8_t* p = current_->bytes.get() + filled_bytes_;
  filled_bytes_ += n;
  return p;
}

void Handoff::publish() {
  current_->used = filled_bytes_;
  const uint64_t n = published_.load(std::memory_order_relaxed) + 1;
  {
    std::lock_guard<std::mutex> lk(mu_);
    published_.store(n, std::memory_order_release);
  }
  filled_.notify_one();
  choose_splitter(n - consumed_.load(std::memory_order_acquire));
  wait_for(mu_, emptied_, [this, n] { return n - consumed_.load(std::memory_order_acquire) < kBatches; });
  current_ = &ring_[n % kBatches];
  filled_bytes_ = 0;
}

// `backlog`: batches the stage has yet to take, the one just published included. A full ring:
// the stage is behind and the reader is about to wait, so the reader takes the split; one batch
// or none: the stage waits for the reader, so the stage takes it. In between, as it was.
void Handoff::choose_splitter(uint64_t backlog) {
  switch (split_policy_) {
    case Options::SplitArgs::Adaptive:
      if (backlog >= kBatches - 1) split_on_reader_ = true;
      else if (backlog <= 1) split_on_reader_ = false;
      break;
    case Options::SplitArgs::Alternate: split_on_reader_ = !split_on_reader_; break;
    case Options::SplitArgs::Reader: case Options::SplitArgs::Stage: break;
  }
}

void Handoff::settle() {
  if (!threaded()) return;
  if (filled_bytes_) publish();
  const uint64_t n = published_.load(std::memory_order_relaxed);
  wait_for(mu_, emptied_, [this, n] { return consumed_.load(std::memory_order_acquire) == n; });
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

void Handoff::pdu_direct(const PduEvent& e) {
  gearproto::ArgSpans& s = direct_spans_;
  gearproto::split_spans(*e.header.info, e.data, gearproto::ArgChecks::Structure, s);
  PduEvent d = e;
  d.args = &s;
  stage_.pdu(d);
}

void Handoff::pdu(const PduEvent& e) {
  if (!threaded()) return pdu_direct(e);
  // The record rebuilds the header from its type (info: packet_info(type), as parse_header sets it)
  // and its length from the data's. Data too large to copy is handed over in place.
  if (e.data.size() > kMaxCopied || e.header.length != e.data.size() || e.header.type > gearproto::kMaxKnownType) {
    settle();
    return pdu_direct(e);
  }
  const gearproto::PacketInfo& info = *e.header.info;
  const bool split = split_on_reader_;
  const size_t n = split ? info.argc : 0;  // the stage takes the count from the type
  const size_t size = round8(sizeof(PduRec) + n * 4 + e.data.size());
  uint8_t* p = reserve(size);
  // Fields stored straight into the batch: a record built on the stack and copied was written
  // byte by byte and read back 16 bytes at a time, a store-forwarding stall on every PDU.
  PduRec* r = new (p) PduRec;
  r->size = uint32_t(size);
  r->kind = Kind::Pdu;
  r->flags = uint8_t((e.to_server ? kToServer : 0) | (e.header.magic == gearproto::Magic::Res ? kResponse : 0) |
                     (split ? kSplit : 0));
  r->slot = e.slot;
  r->type = uint8_t(e.header.type);
  r->length = uint16_t(e.data.size());
  r->frame = e.frame;
  r->t = e.t;
  uint8_t* packed = p + sizeof *r;
  if (!split) {
    r->present = 0;
    r->defects = 0;
    std::memcpy(packed, e.data.data(), e.data.size());
    return;
  }
  const gearproto::SplitSummary s = gearproto::split_each(
      info, e.data, gearproto::ArgChecks::Structure, [packed](uint8_t i, size_t offset, size_t bytes, uint32_t) {
        const uint32_t v = pack_arg(offset, bytes);
        std::memcpy(packed + i * 4, &v, 4);
      });
  for (size_t i = s.present; i < n; ++i) std::memset(packed + i * 4, 0, 4);  // absent: offset and size 0
  r->present = s.present;
  r->defects = uint8_t(s.defects);
  std::memcpy(packed + n * 4, e.data.data(), e.data.size());
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

void Handoff::clock(int64_t t) {
  if (!threaded()) return stage_.clock(t);
  Head h = head(Kind::Clock, sizeof(Head), 0);
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
    const uint64_t c = consumed_.load(std::memory_order_relaxed);
    wait_for(mu_, filled_, [this, c] {
      return c < published_.load(std::memory_order_acquire) || stopping_.load(std::memory_order_acquire);
    });
    if (c == published_.load(std::memory_order_acquire)) return;  // stopping, and nothing left
    replay(ring_[c % kBatches]);
    {
      std::lock_guard<std::mutex> lk(mu_);
      consumed_.store(c + 1, std::memory_order_release);
    }
    emptied_.notify_one();
  }
}

void Handoff::replay(const Batch& b) {
  PduEvent pe;
  gearproto::ArgSpans spans;
  const size_t used = b.used;
  for (size_t off = 0; off < used;) {
    const uint8_t* p = b.bytes.get() + off;
    Head h;
    std::memcpy(&h, p, sizeof(uint32_t) + sizeof(Kind));  // size and kind; the rest per kind
    off += h.size;
    if (h.kind != Kind::Pdu) std::memcpy(&h, p, sizeof h);
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
        // Read in place (Handoff::pdu made the record there): no copy through the stack.
        const PduRec& r = *std::launder(reinterpret_cast<const PduRec*>(p));
        const gearproto::PacketInfo* info = info_of(r.type);
        const size_t n = info->argc;
        const uint8_t* packed = p + sizeof r;
        const bool split = r.flags & kSplit;
        const char* data = reinterpret_cast<const char*>(packed + (split ? n * 4 : 0));
        pe.slot = r.slot;
        pe.to_server = r.flags & kToServer;
        pe.frame = r.frame;
        pe.t = r.t;
        pe.header.magic = r.flags & kResponse ? gearproto::Magic::Res : gearproto::Magic::Req;
        pe.header.type = r.type;
        pe.header.length = r.length;
        pe.header.info = info;
        pe.data = gearproto::Bytes(data, r.length);
        if (split) {
          spans.data = data;
          spans.positions = gearproto::arg_positions(r.type);
          spans.present = r.present;
          spans.defects = r.defects;
          for (size_t i = 0; i < r.present; ++i) {
            uint32_t v;
            std::memcpy(&v, packed + i * 4, 4);
            spans.at[i] = gearproto::ArgSpan{v & 0xffff, v >> 16};
          }
        } else {
          gearproto::split_spans(*info, pe.data, gearproto::ArgChecks::Structure, spans);
        }
        pe.args = &spans;
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
      case Kind::Clock: stage_.clock(h.t); break;
    }
  }
}

}  // namespace gan
