// Bytes from the wire are viewed, never copied: a string_view may hold NULs and is not terminated.
#pragma once

#include <cstdint>
#include <string_view>

namespace gearproto {

using Bytes = std::string_view;

inline Bytes as_bytes(const uint8_t* p, size_t n) { return Bytes(reinterpret_cast<const char*>(p), n); }

// b.substr(pos, n) where the caller knows pos <= b.size() and n <= b.size() - pos: substr's own
// check (and the exception it may throw) keeps it from being inlined on the per-PDU paths.
inline Bytes slice(Bytes b, size_t pos, size_t n) { return Bytes(b.data() + pos, n); }
inline Bytes slice_from(Bytes b, size_t pos) { return Bytes(b.data() + pos, b.size() - pos); }

inline uint32_t read_be32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return (uint32_t(u[0]) << 24) | (uint32_t(u[1]) << 16) | (uint32_t(u[2]) << 8) | uint32_t(u[3]);
}

}  // namespace gearproto
