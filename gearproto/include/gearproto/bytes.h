// Bytes from the wire are viewed, never copied: a string_view may hold NULs and is not terminated.
#pragma once

#include <cstdint>
#include <string_view>

namespace gearproto {

using Bytes = std::string_view;

inline Bytes as_bytes(const uint8_t* p, size_t n) { return Bytes(reinterpret_cast<const char*>(p), n); }

inline uint32_t read_be32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return (uint32_t(u[0]) << 24) | (uint32_t(u[1]) << 16) | (uint32_t(u[2]) << 8) | uint32_t(u[3]);
}

}  // namespace gearproto
