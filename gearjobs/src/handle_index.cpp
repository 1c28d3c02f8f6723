#include "gearjobs/handle_index.h"

#include <cstring>

#include "gearjobs/hash.h"
#include "gearproto/bytes.h"

namespace gearjobs {

namespace {

constexpr uint64_t kHandleSalt = 0;

// `digits` as a handle's number: 1 to 18 decimal digits (it fits in 63 bits), written as a
// number is (no leading zero). One number and one prefix make one handle, so (prefix, number)
// can stand for it.
bool read_number(gearproto::Bytes digits, uint64_t* n) {
  if (digits.empty() || digits.size() > 18 || (digits.size() > 1 && digits[0] == '0')) return false;
  uint64_t v = 0;
  for (char c : digits) {
    const unsigned d = uint8_t(c - '0');
    if (d > 9) return false;
    v = v * 10 + d;
  }
  *n = v;
  return true;
}

// `handle` as a prefix and its trailing digits read as a number.
bool split_number(gearproto::Bytes handle, size_t* prefix_len, uint64_t* n) {
  size_t i = handle.size();
  while (i > 0 && handle.size() - i < 19 && uint8_t(handle[i - 1] - '0') <= 9) --i;
  if (!read_number(handle.substr(i), n)) return false;
  *prefix_len = i;
  return true;
}

// read_number(handle.substr(p), n) for 1 to 8 digits in a handle of at least 8 bytes (a server's
// handles, e.g. "H:host:123456"): the handle's last 8 bytes as one word, every digit checked and
// the number made at once (a byte at a time was the largest cost of a lookup).
bool read_short_number(gearproto::Bytes handle, size_t p, uint64_t* n) {
  static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the first digit is the lowest byte read");
  const size_t digits = handle.size() - p;  // 1 to 8
  uint64_t w;
  std::memcpy(&w, handle.data() + handle.size() - 8, 8);
  const unsigned skip = unsigned(8 - digits) * 8;  // prefix bytes below the digits
  const uint64_t mask = ~uint64_t(0) << skip;
  // Each digit byte is 0x30..0x39: its high nibble is 3 and adding 6 leaves it 3. The 6 is added
  // to the digit bytes only (a prefix byte's carry would reach the first digit), and no carry
  // leaves a digit byte once the first test holds.
  if (((w & 0xF0F0F0F0F0F0F0F0ull) ^ 0x3030303030303030ull) & mask) return false;
  if ((((w + (0x0606060606060606ull & mask)) & 0xF0F0F0F0F0F0F0F0ull) ^ 0x3030303030303030ull) & mask) return false;
  if (digits > 1 && uint8_t(w >> skip) == '0') return false;  // a leading zero
  // Digit values, the first in the lowest byte of the k used; the bytes below them read as
  // leading zeros. Then pairs, quads and all eight combined by multiplication.
  uint64_t v = (w & 0x0F0F0F0F0F0F0F0Full) & mask;
  v = (v * 10 + (v >> 8)) & 0x00FF00FF00FF00FFull;
  v = (v * 100 + (v >> 16)) & 0x0000FFFF0000FFFFull;
  v = (v * 10000 + (v >> 32)) & 0xFFFFFFFFull;
  *n = v;
  return true;
}

// Whether split_number(handle) gives `prefix` and a number, without its backward scan (the
// lookup of every PDU with a handle): a window's prefix came from split_number, so it does not
// end in a digit, and the number starts right after it.
bool numbered_as(gearproto::Bytes handle, const std::string& prefix, uint64_t* n) {
  const size_t p = prefix.size();
  if (handle.size() <= p || !gearproto::same_bytes(gearproto::Bytes(handle.data(), p), prefix)) return false;
  if (handle.size() >= 8 && handle.size() - p <= 8) return read_short_number(handle, p, n);
  return read_number(handle.substr(p), n);
}

}  // namespace

size_t HandleIndex::recent_slot(uint32_t server, gearproto::Bytes handle) {
  uint64_t w;
  std::memcpy(&w, handle.data() + handle.size() - 8, 8);
  return size_t(((w ^ server) * 0x9E3779B97F4A7C15ull) >> (64 - kRecentBits));
}

Job* HandleIndex::find(uint32_t server, gearproto::Bytes handle) const {
  if (handle.size() >= 8) {
    Job* r = recent_[recent_slot(server, handle)];
    if (r && r->server == server && gearproto::same_bytes(r->handle, handle)) return r;
  }
  return find_indexed(server, handle);
}

Job* HandleIndex::find_indexed(uint32_t server, gearproto::Bytes handle) const {
  uint64_t n;
  if (server < windows_.size()) {
    const Window& w = windows_[server];
    if (w.count && numbered_as(handle, w.prefix, &n)) {
      const Entry& e = w.slots[n & (w.slots.size() - 1)];
      if (e.job && e.n == n) return e.job;
    }
  }
  return find_hashed(server, handle);
}

// Two handles whose 64-bit keys collide take consecutive keys; the search walks them.
Job* HandleIndex::find_hashed(uint32_t server, gearproto::Bytes handle) const {
  if (hashed_.size() == 0) return nullptr;
  for (uint64_t k = server_key(server, handle.data(), handle.size(), kHandleSalt);; ++k) {
    Job* j = hashed_.find(k);
    if (!j) return nullptr;
    if (j->server == server && gearproto::same_bytes(j->handle, handle)) return j;
  }
}

void HandleIndex::insert(Job* j) {
  if (j->handle.size() >= 8) recent_[recent_slot(j->server, j->handle)] = j;
  size_t prefix_len;
  uint64_t n;
  // Mostly the handle is its server's prefix and a number: numbered_as reads it a word at a
  // time where split_number scans back and reads a byte at a time. Both give the same prefix
  // and number (a window's prefix never ends in a digit).
  const bool usual = j->server < windows_.size() && windows_[j->server].count &&
                     numbered_as(j->handle, windows_[j->server].prefix, &n);
  if (usual) prefix_len = windows_[j->server].prefix.size();
  if (usual || split_number(j->handle, &prefix_len, &n)) {
    if (j->server >= windows_.size()) windows_.resize(j->server + 1);
    Window& w = windows_[j->server];
    const gearproto::Bytes prefix(j->handle.data(), prefix_len);
    if (w.count == 0 && w.prefix != prefix) w.prefix.assign(prefix.data(), prefix.size());
    if (w.prefix == prefix) {
      if (w.slots.empty() && window_slots_ + kFirstSlots <= kSlotBudget) {
        w.slots.assign(kFirstSlots, Entry{});
        window_slots_ += kFirstSlots;
      }
      while (!w.slots.empty()) {
        Entry& e = w.slots[n & (w.slots.size() - 1)];
        if (!e.job) {
          e.n = n;
          e.job = j;
          ++w.count;
          j->windowed = true;
          j->key = n;
          return;
        }
        if (!grow(w)) break;
      }
    }
  }
  uint64_t k = server_key(j->server, j->handle.data(), j->handle.size(), kHandleSalt);
  while (hashed_.find(k)) ++k;
  j->windowed = false;
  j->key = k;
  hashed_.put(k, j);
}

// Twice the slots. Two jobs in different slots of the old window stay apart in the new one
// (their numbers differ modulo the old size, so modulo the new).
bool HandleIndex::grow(Window& w) {
  const size_t size = w.slots.size();
  if (window_slots_ + size > kSlotBudget) return false;
  std::vector<Entry> bigger(2 * size);
  for (const Entry& e : w.slots)
    if (e.job) bigger[e.n & (2 * size - 1)] = e;
  w.slots.swap(bigger);
  window_slots_ += size;
  return true;
}

void HandleIndex::erase(Job* j) {
  if (j->handle.size() >= 8) {
    Job*& r = recent_[recent_slot(j->server, j->handle)];
    if (r == j) r = nullptr;
  }
  if (j->windowed) {
    Window& w = windows_[j->server];
    Entry& e = w.slots[j->key & (w.slots.size() - 1)];
    e = Entry{};
    --w.count;
    j->windowed = false;
    return;
  }
  hashed_.erase(j->key);
}

void HandleIndex::prefetch(const Job* j) const {
  if (!j->windowed) return hashed_.prefetch(j->key);
  const Window& w = windows_[j->server];
  __builtin_prefetch(&w.slots[j->key & (w.slots.size() - 1)]);
}

void HandleIndex::clear() {
  for (Job*& r : recent_) r = nullptr;
  windows_.clear();
  window_slots_ = 0;
  hashed_.clear();
}

}  // namespace gearjobs
