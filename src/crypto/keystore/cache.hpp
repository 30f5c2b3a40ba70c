#pragma once
/// The keystore cache: every share key of a node in one file behind one KDF, so a node with 10,000 EIP-2335
/// keystores starts in seconds instead of running 10,000 scrypts (Lodestar's VC keeps such a cache too).
/// Format (docs/formats/keystore-cache.md): a fixed header (magic, version, scrypt parameters, salt, IV, the
/// fingerprint of the keystore files it was made from, entry count), the AES-128-CTR ciphertext of the entries
/// (public share 48 bytes ‖ secret 32 bytes each) and an HMAC-SHA256 over everything before it. The key comes
/// from scrypt over a password the caller derives from the keystores' passwords. Pure (no file I/O).
/// Secrets (password, derived key, plaintext) live in zeroized buffers and are never logged.
#include <cstdint>
#include <vector>

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "base/secret.hpp"
#include "crypto/bls/bls.hpp"

namespace phx::crypto::keystore {

enum class CacheError {
  kOk = 0,
  kMalformed,      ///< not a cache file: bad magic, truncated, sizes that do not add up
  kUnsupported,    ///< another format version
  kBadParams,      ///< scrypt parameters out of bounds (protects against resource exhaustion)
  kWrongPassword,  ///< the HMAC does not verify: other passwords, or a corrupted file
  kBadSecret,      ///< an entry's secret is not a valid BLS secret key
  kCryptoFailure,  ///< OpenSSL failed
};
const char* to_string(CacheError e);
PHX_ERROR_ENUM(CacheError, "keystore-cache")

/// "PHXKSC01".
inline constexpr std::array<std::uint8_t, 8> kCacheMagic = {'P', 'H', 'X', 'K', 'S', 'C', '0', '1'};
inline constexpr std::uint32_t kCacheVersion = 1;
/// Bytes before the ciphertext, and per entry.
inline constexpr std::size_t kCacheHeaderSize = 8 + 4 + 8 + 4 + 4 + 32 + 16 + 32 + 4;
inline constexpr std::size_t kCacheEntrySize = 48 + 32;
/// At most this many entries (a cluster's validators; bounds allocation on a hostile file).
inline constexpr std::uint32_t kCacheMaxEntries = 1'000'000;

/// The header fields (all public).
struct CacheHeader {
  std::uint64_t scrypt_n = 0;
  std::uint32_t scrypt_r = 8;
  std::uint32_t scrypt_p = 1;
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
/// Encrypts `entries` with scrypt(`password`, fresh salt, N = `scrypt_n`, r = 8, p = 1). Preconditions: at
/// most kCacheMaxEntries entries, scrypt_n a power of two in [2, 2^20]. Errors: kCryptoFailure.
Result<Bytes> encrypt_cache(const std::vector<CacheEntry>& entries, ByteSpan password, const ByteArray<32>& fingerprint,
                            std::uint64_t scrypt_n);
/// Checks the header, derives the key (one scrypt), checks the HMAC (constant time), decrypts and decodes.
/// Errors: those of parse_cache_header and decode_cache_entries, kWrongPassword, kCryptoFailure.
Result<std::vector<CacheEntry>> decrypt_cache(ByteSpan file, ByteSpan password);

}  // namespace phx::crypto::keystore

PHX_ERROR_ENUM_TRAIT(phx::crypto::keystore::CacheError)
