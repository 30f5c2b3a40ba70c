#pragma once
/// The KDF and cipher that EIP-2335 keystores and the keystore cache (cache.hpp) share; for this module's files.
#include <cstdint>

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "base/secret.hpp"
#include "crypto/keystore/eip2335.hpp"

namespace phx::crypto::keystore::detail {

/// scrypt (N = `n_or_c`, r, p; OpenSSL) or PBKDF2-HMAC-SHA256 (c = `n_or_c`; crypto/hash/pbkdf2.hpp) of
/// `password` and `salt`: 32 bytes.
/// The caller bounds the parameters. Errors: kCryptoFailure.
Result<SecretArray<32>> derive_key(Kdf kdf, ByteSpan password, ByteSpan salt, std::uint64_t n_or_c, std::uint64_t r,
                                   std::uint64_t p);
/// AES-128-CTR of `in` into `out` (same size; encryption and decryption are one operation). Errors:
/// kCryptoFailure.
Result<void> aes128_ctr(ByteSpan key16, ByteSpan iv16, ByteSpan in, MutByteSpan out);

}  // namespace phx::crypto::keystore::detail
