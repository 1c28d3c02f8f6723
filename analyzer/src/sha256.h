// SPDX-License-Identifier: GPL-2.0-or-later
// SHA-256 (FIPS 180-4), for the HTML report's Content-Security-Policy: the page allows its one
// inline script and style by their hashes ('sha256-BASE64'), so an element injected into the
// page could not run or style anything even if escaping failed. Computed with Nettle.
#pragma once

#include <array>
#include <cstdint>
#include <string>

namespace gan {

std::array<uint8_t, 32> sha256(const std::string& data);
std::string base64(const uint8_t* data, size_t n);
// "'sha256-...'" as a CSP source expression for an inline element whose text is `text`.
std::string csp_hash(const std::string& text);

}  // namespace gan
