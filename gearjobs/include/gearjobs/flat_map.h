// A small open-addressing hash map from 64-bit keys to pointers: one flat array, linear probing,
// backward-shift deletion. Used for the per-PDU lookups (jobs by handle hash), where
// std::unordered_map's node per entry costs a cache miss and an allocation.
#pragma once

#include <cstdint>
#include <vector>

namespace gearjobs {

template <typename V>
class FlatMap {
 public:
  FlatMap() { slots_.resize(64); }

  V* find(uint64_t key) const {
    key = fix(key);
    size_t mask = slots_.size() - 1;
    for (size_t i = mix(key) & mask;; i = (i + 1) & mask) {
      const Slot& s = slots_[i];
      if (s.key == key) return s.value;
      if (s.key == 0) return nullptr;
    }
  }
  // Inserts or replaces.
  void put(uint64_t key, V* value) {
    if ((size_ + 1) * 4 > slots_.size() * 3) grow();
    key = fix(key);
    size_t mask = slots_.size() - 1;
    for (size_t i = mix(key) & mask;; i = (i + 1) & mask) {
      Slot& s = slots_[i];
      if (s.key == key) { s.value = value; return; }
      if (s.key == 0) { s.key = key; s.value = value; ++size_; return; }
    }
  }
  bool erase(uint64_t key) {
    key = fix(key);
    size_t mask = slots_.size() - 1;
    size_t i = mix(key) & mask;
    for (;; i = (i + 1) & mask) {
      if (slots_[i].key == key) break;
      if (slots_[i].key == 0) return false;
    }
    // Backward-shift: move later entries of the run into the hole when their home allows it.
    size_t hole = i;
    for (size_t j = (i + 1) & mask; slots_[j].key != 0; j = (j + 1) & mask) {
      size_t home = mix(slots_[j].key) & mask;
      bool movable = hole <= j ? (home <= hole || home > j) : (home <= hole && home > j);
      if (movable) {
        slots_[hole] = slots_[j];
        hole = j;
      }
    }
    slots_[hole] = Slot{};
    --size_;
    return true;
  }
  // Asks for the cache line where `key`'s search starts (ahead of a find, put or erase).
  void prefetch(uint64_t key) const { __builtin_prefetch(&slots_[mix(fix(key)) & (slots_.size() - 1)]); }
  size_t size() const { return size_; }
  template <typename F>
  void for_each(F f) const {
    for (const Slot& s : slots_) if (s.key) f(s.value);
  }
  void clear() { slots_.assign(64, Slot{}); size_ = 0; }

 private:
  struct Slot { uint64_t key = 0; V* value = nullptr; };
  static uint64_t fix(uint64_t k) { return k ? k : 1; }  // 0 marks an empty slot
  static uint64_t mix(uint64_t k) {
    k ^= k >> 33; k *= 0xff51afd7ed558ccdull; k ^= k >> 33;
    return k;
  }
  void grow() {
    std::vector<Slot> old;
    old.swap(slots_);
    slots_.assign(old.size() * 2, Slot{});
    size_ = 0;
    for (const Slot& s : old) if (s.key) put(s.key, s.value);
  }
  std::vector<Slot> slots_;
  size_t size_ = 0;
};

}  // namespace gearjobs
