// Fuzz target: the keystore cache file's header parser, entry decoder and (for cheap KDF parameters) the whole
// decryption path with a fixed password. Nothing may crash or assert on any input.
#include <cstddef>
#include <cstdint>

#include "crypto/keystore/cache.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace phx::crypto::keystore;
  const phx::ByteSpan in(data, size);
  auto h = parse_cache_header(in);
  (void)decode_cache_entries(in);
  if (h && h->cost <= 64) (void)decrypt_cache(in, phx::as_bytes("password"));
  return 0;
}
