#pragma once
/// EIP-2335 BLS12-381 keystores: scrypt (OpenSSL) or PBKDF2-HMAC-SHA256 (crypto/hash/pbkdf2.hpp) key
/// derivation, AES-128-CTR, SHA-256 checksum, NFKD password processing with control characters stripped (ICU).
/// Version 4 JSON.
/// Secrets (password, derived key, secret key) live in zeroized buffers and are never logged.
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "base/secret.hpp"
#include "crypto/bls/bls.hpp"

namespace phx::crypto::keystore {

enum class Eip2335Error {
  kOk = 0,
  kBadJson,          ///< malformed keystore JSON or a missing/ill-typed field
  kUnsupported,      ///< a kdf, cipher, checksum function or version this implementation does not support
  kBadParams,        ///< kdf parameters out of the accepted bounds (protects against resource exhaustion)
  kWrongPassword,    ///< the checksum does not match: wrong password or corrupted file
  kBadPassword,      ///< the password is not valid UTF-8
  kBadSecret,        ///< the decrypted secret is not a valid BLS secret key
  kPubkeyMismatch,   ///< the stored pubkey does not belong to the decrypted secret
  kCryptoFailure,    ///< OpenSSL failed
};
const char* to_string(Eip2335Error e);
PHX_ERROR_ENUM(Eip2335Error, "eip2335")

enum class Kdf { kScrypt, kPbkdf2 };

/// "scrypt" / "pbkdf2" (the EIP-2335 function names).
const char* to_string(Kdf kdf);
/// The KDF named `name` ("scrypt" or "pbkdf2"); nullopt for anything else.
std::optional<Kdf> kdf_from_string(std::string_view name);

struct EncryptOptions {
  /// PBKDF2-HMAC-SHA256 by default, as Charon writes its share keystores: both KDFs are EIP-2335 standard at
  /// cost 2^18, and PBKDF2's is ~11 ms of CPU per keystore here against scrypt's ~1.5 s, which decides how soon
  /// a node with thousands of keys can sign after its first start (docs/BENCHMARKS.md, issue 20).
  Kdf kdf = Kdf::kPbkdf2;
  /// scrypt N (power of two) or PBKDF2 iteration count c. EIP-2335's defaults: 2^18 and 2^18. Lower values
  /// (`--insecure-keys`) are for test clusters only.
  std::uint64_t cost = 262144;
  std::string path;         ///< EIP-2334 path, may be empty
  std::string description;
};

/// NFKD-normalizes `password` and strips C0, C1 and DEL control code points (EIP-2335 "Password
/// requirements"). Error if not valid UTF-8.
Result<SecretBytes> process_password(std::string_view password);

/// Encrypts `sk` into a version-4 keystore JSON string.
Result<std::string> encrypt(const bls::SecretKey& sk, std::string_view password, const EncryptOptions& opts = {});

/// A secret key and the password to encrypt it under, for encrypt_many / encrypt_all (both borrowed for the call).
struct EncryptJob {
  const bls::SecretKey* secret = nullptr;
  std::string_view password;
};

/// Encrypts several keys with the same options on this thread (fresh salt, IV and UUID each); each result is what
/// encrypt() gives. PBKDF2 derivations run interleaved (hash::kPbkdf2Lanes at a time), as in decrypt_many.
std::vector<Result<std::string>> encrypt_many(std::span<const EncryptJob> jobs, const EncryptOptions& opts = {});

/// encrypt_many on `threads` threads (0: every core; batches of hash::kPbkdf2Lanes keys each); results in the order
/// of `jobs`.
/// `on_progress(done)` is called on the calling thread about every 50 ms and once at the end.
std::vector<Result<std::string>> encrypt_all(std::span<const EncryptJob> jobs, const EncryptOptions& opts,
                                             unsigned threads,
                                             const std::function<void(std::size_t)>& on_progress = {});

/// Decrypts a keystore JSON string. Checks the checksum (wrong password → kWrongPassword) and that the stored
/// pubkey, when present, matches the secret.
Result<bls::SecretKey> decrypt(std::string_view keystore_json, std::string_view password);

/// A keystore JSON string and its password, for decrypt_many (both borrowed for the call).
struct DecryptJob {
  std::string_view keystore_json;
  std::string_view password;
};

/// Decrypts several keystores on this thread; the result for each is what decrypt() gives. PBKDF2 keystores are
/// derived interleaved (hash::kPbkdf2Lanes at a time: several costs less CPU than one after another), scrypt
/// ones one by one.
std::vector<Result<bls::SecretKey>> decrypt_many(std::span<const DecryptJob> jobs);

/// decrypt_many on `threads` threads (0: every core; batches of hash::kPbkdf2Lanes keystores each); results in the
/// order of `jobs`.
/// `on_progress(done)` is called on the calling thread about every 50 ms and once at the end.
std::vector<Result<bls::SecretKey>> decrypt_all(std::span<const DecryptJob> jobs, unsigned threads,
                                                const std::function<void(std::size_t)>& on_progress = {});

/// The KDF of a keystore and its cost parameter (scrypt N or PBKDF2 c), without deriving anything.
struct KdfInfo {
  Kdf kdf = Kdf::kScrypt;
  std::uint64_t cost = 0;
};
Result<KdfInfo> kdf_info(std::string_view keystore_json);

/// The `pubkey` field of a keystore (without decrypting), for matching keystores to lock shares.
Result<ByteArray<48>> keystore_pubkey(std::string_view keystore_json);

}  // namespace phx::crypto::keystore

PHX_ERROR_ENUM_TRAIT(phx::crypto::keystore::Eip2335Error)
