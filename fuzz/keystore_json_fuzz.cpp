// Fuzz target: EIP-2335 keystore JSON. Parses, then decrypts when the KDF is cheap; never crashes.
#include <cstdint>
#include <string_view>

#include "crypto/keystore/eip2335.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)phx::crypto::keystore::keystore_pubkey(text);
  auto info = phx::crypto::keystore::kdf_info(text);
  if (info && info->cost <= 64) (void)phx::crypto::keystore::decrypt(text, "password");
  return 0;
}
