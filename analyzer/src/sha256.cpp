// SPDX-License-Identifier: GPL-2.0-or-later
// Nettle (Debian nettle-dev) does the hashing and the encoding: no cryptography by hand.
#include "sha256.h"

#include <nettle/base64.h>
#include <nettle/sha2.h>

namespace gan {

std::array<uint8_t, 32> sha256(const std::string& data) {
  static_assert(SHA256_DIGEST_SIZE == 32, "SHA-256 digests are 32 bytes");
  sha256_ctx ctx;
  sha256_init(&ctx);
  sha256_update(&ctx, data.size(), reinterpret_cast<const uint8_t*>(data.data()));
  std::array<uint8_t, 32> out{};
  sha256_digest(&ctx, out.size(), out.data());
  return out;
}

std::string base64(const uint8_t* data, size_t n) {
  std::string out(BASE64_ENCODE_RAW_LENGTH(n), '\0');
  base64_encode_raw(&out[0], n, data);
  return out;
}

std::string csp_hash(const std::string& text) {
  const auto d = sha256(text);
  return "'sha256-" + base64(d.data(), d.size()) + "'";
}

}  // namespace gan
