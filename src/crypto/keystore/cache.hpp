#pragma once
/// The keystore cache: every share key of a node in one file behind one KDF, so a node with 10,000 EIP-2335
/// keystores starts in seconds instead of running 10,000 scrypts (Lodestar's VC keeps such a cache too).
/// Format (docs/formats/keystore-cache.md): a fixed header (magic, version, KDF parameters, salt, IV, the
/// fingerprint of the keystore files it was made from, entry count), the AES-128-CTR ciphertext of the entries
/// (public share 48 bytes ‖ secret 32 bytes each) and an HMAC-SHA256 over everything before it. The key comes
/// from one KDF over a password the caller derives from the keystores' passwords: scrypt (version 1) or
/// PBKDF2-HMAC-SHA256 (version 2, no memory: scrypt N = 2^18 takes 256 MiB). Pure (no file I/O).
/// Secrets (password, derived key, plaintext) live in zeroized buffers and are never logged.
#include <cstdint>
#include <vector>

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "base/secret.hpp"
#include "crypto/bls/bls.hpp"
#include "crypto/keystore/eip2335.hpp"

namespace phx::crypto::keystore {

enum class CacheError {
  kOk = 0,
  kMalformed,      ///< not a cache file: bad magic, truncated, sizes that do not add up
  kUnsupported,    ///< another format version
  kBadParams,      ///< KDF parameters out of bounds (protects against resource exhaustion)
  kWrongPassword,  ///< the HMAC does not verify: other passwords, or a corrupted file
  kBadSecret,      ///< an entry's secret is not a valid BLS secret key
  kCryptoFailure,  ///< OpenSSL failed
};
const char* to_string(CacheError e);
PHX_ERROR_ENUM(CacheError, "keystore-cache")

/// "PHXKSC01".
inline constexpr std::array<std::uint8_t, 8> kCacheMagic = {'P', 'H', 'X', 'K', 'S', 'C', '0', '1'};
/// Format versions: 1 = scrypt (N in the cost field, r = 8, p = 1), 2 = PBKDF2-HMAC-SHA256 (c in the cost
/// field, r = p = 0). The layout is the same.
inline constexpr std::uint32_t kCacheVersionScrypt = 1;
inline constexpr std::uint32_t kCacheVersionPbkdf2 = 2;
/// Bytes before the ciphertext, and per entry.
inline constexpr std::size_t kCacheHeaderSize = 8 + 4 + 8 + 4 + 4 + 32 + 16 + 32 + 4;
inline constexpr std::size_t kCacheEntrySize = 48 + 32;
/// At most this many entries (a cluster's validators; bounds allocation on a hostile file).
inline constexpr std::uint32_t kCacheMaxEntries = 1'000'000;

/// The header fields (all public).
struct CacheHeader {
  Kdf kdf = Kdf::kScrypt;  ///< from the version field
  std::uint64_t cost = 0;  ///< scrypt N (a power of two, 2 … 2^20) or PBKDF2 c (1 … 2^24)
  std::uint32_t scrypt_r = 8;  ///< 0 for PBKDF2
  std::uint32_t scrypt_p = 1;  ///< 0 for PBKDF2
  ByteArray<32> salt{};
  ByteArray<16> iv{};
  ByteArray<32> fingerprint{};  ///< of the keystore files the cache holds (the caller's choice of hash)
  std::uint32_t count = 0;
};

/// One cached key.
struct CacheEntry {
  ByteArray<48> pubshare{};  ///< the secret's public key, as stored (the HMAC vouches for it)
  bls::SecretKey secret;
};

/// Parses the header and checks that the file's size matches its count (no KDF, no decryption).
/// Errors: kMalformed, kUnsupported, kBadParams.
Result<CacheHeader> parse_cache_header(ByteSpan file);
/// Decodes decrypted entries (`count` × 80 bytes). Errors: kMalformed (size), kBadSecret.
Result<std::vector<CacheEntry>> decode_cache_entries(ByteSpan plaintext);
/// Encrypts `entries` under `kdf`(`password`, fresh salt, `cost`): scrypt N = cost, r = 8, p = 1, or PBKDF2 c =
/// cost. Preconditions: at most kCacheMaxEntries entries; cost a power of two in [2, 2^20] for scrypt, in
/// [1, 2^24] for PBKDF2. Errors: kCryptoFailure.
Result<Bytes> encrypt_cache(const std::vector<CacheEntry>& entries, ByteSpan password, const ByteArray<32>& fingerprint,
                            Kdf kdf, std::uint64_t cost);
/// Checks the header, derives the key (one KDF), checks the HMAC (constant time), decrypts and decodes.
/// Errors: those of parse_cache_header and decode_cache_entries, kWrongPassword, kCryptoFailure.
Result<std::vector<CacheEntry>> decrypt_cache(ByteSpan file, ByteSpan password);

}  // namespace phx::crypto::keystore

PHX_ERROR_ENUM_TRAIT(phx::crypto::keystore::CacheError)
