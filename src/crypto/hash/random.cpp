#include "crypto/hash/random.hpp"

#include <openssl/rand.h>

#include <cctype>

#include "base/assert.hpp"

namespace phx::crypto::hash {

void random_bytes(MutByteSpan out) {
  PHX_ASSERT(out.empty() || RAND_bytes(out.data(), static_cast<int>(out.size())) == 1);
}

std::string uuid_v4(bool upper) {
  ByteArray<16> b{};
  random_bytes(b);
  b[6] = static_cast<std::uint8_t>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<std::uint8_t>((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
  std::string h = to_hex(b, false);
  if (upper)
    for (auto& c : h) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) + "-" + h.substr(20);
}

}  // namespace phx::crypto::hash
