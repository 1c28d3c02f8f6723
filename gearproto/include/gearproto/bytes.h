// Bytes from the wire are viewed, never copied: a string_view may hold NULs and is not terminated.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

namespace gearproto {

using Bytes = std::string_view;

inline Bytes as_bytes(const uint8_t* p, size_t n) { return Bytes(reinterpret_cast<const char*>(p), n); }

// b.substr(pos, n) where the caller knows pos <= b.size() and n <= b.size() - pos: substr's own
// check (and the exception it may throw) keeps it from being inlined on the per-PDU paths.
inline Bytes slice(Bytes b, size_t pos, size_t n) { return Bytes(b.data() + pos, n); }
inline Bytes slice_from(Bytes b, size_t pos) { return Bytes(b.data() + pos, b.size() - pos); }

// x[0, n) == y[0, n) for sizeof(Word) <= n <= 2 * sizeof(Word): the first and the last word of
// each, which overlap when n is less than two words.
template <class Word>
[[gnu::always_inline]] inline bool same_ends(const char* x, const char* y, size_t n) {
  Word x0, y0, x1, y1;
  std::memcpy(&x0, x, sizeof(Word));
  std::memcpy(&y0, y, sizeof(Word));
  std::memcpy(&x1, x + n - sizeof(Word), sizeof(Word));
  std::memcpy(&y1, y + n - sizeof(Word), sizeof(Word));
  return ((x0 ^ y0) | (x1 ^ y1)) == 0;
}

// a == b. Handles, unique IDs and function names are compared per PDU and are mostly at most 16
// bytes: two overlapping word loads each side, inline, where std::string_view's == calls memcmp.
[[gnu::always_inline]] inline bool same_bytes(Bytes a, Bytes b) {
  const size_t n = a.size();
  if (n != b.size()) return false;
  if (n >= 8 && n <= 16) return same_ends<uint64_t>(a.data(), b.data(), n);
  if (n >= 4 && n < 8) return same_ends<uint32_t>(a.data(), b.data(), n);
  return n == 0 || std::memcmp(a.data(), b.data(), n) == 0;
}

inline uint32_t read_be32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return (uint32_t(u[0]) << 24) | (uint32_t(u[1]) << 16) | (uint32_t(u[2]) << 8) | uint32_t(u[3]);
}

}  // namespace gearproto
