// The engine's hash of byte strings (job handles, unique IDs, function names): it runs several
// times per PDU, so it takes eight bytes per step and reads the tail without a call to memcpy.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace gearjobs {

namespace detail {
inline uint64_t load64(const char* p) {
  uint64_t w;
  std::memcpy(&w, p, 8);
  return w;
}
inline uint64_t load32(const char* p) {
  uint32_t w;
  std::memcpy(&w, p, 4);
  return w;
}
// The last n (1..7) bytes before `end` as a little-endian number, as memcpy into a zeroed word
// would make it; `size` is the whole string's (reads stay inside it).
inline uint64_t tail(const char* end, size_t n, size_t size) {
  if (size >= 8) return load64(end - 8) >> (64 - 8 * n);
  const char* p = end - n;
  if (n >= 4) return load32(p) | load32(end - 4) << (8 * (n - 4));  // overlapping bytes are equal
  return uint64_t(uint8_t(p[0])) | uint64_t(uint8_t(p[n / 2])) << (8 * (n / 2)) |
         uint64_t(uint8_t(p[n - 1])) << (8 * (n - 1));
}
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "tail() builds little-endian words");
}  // namespace detail

// Multiply-xorshift of p[0, n), starting from `seed`.
inline uint64_t hash_bytes(const char* p, size_t n, uint64_t seed) {
  uint64_t h = seed;
  auto mixin = [&h](uint64_t w) {
    h = (h ^ w) * 0xff51afd7ed558ccdull;
    h ^= h >> 32;
  };
  const size_t size = n;
  for (; n >= 8; p += 8, n -= 8) mixin(detail::load64(p));
  if (n) mixin(detail::tail(p + n, n, size));
  return h ^ (h >> 29);
}

// A table key for a string of one server (job handles, unique IDs); `salt` keeps the kinds of
// string apart.
inline uint64_t server_key(uint32_t server, const char* p, size_t n, uint64_t salt) {
  return hash_bytes(p, n, ((uint64_t(server) << 32 ^ n) + salt) * 0x9E3779B97F4A7C15ull);
}

}  // namespace gearjobs
