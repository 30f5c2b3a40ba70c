#pragma once
/// Loading this node's share keys at start-up: every keystore-*.json of the keystore folder decrypted on every
/// core (EIP-2335; progress lines with count, rate and time left), or, when the keystore cache in the data
/// folder matches the keystore files, all of them at once behind one KDF (crypto/keystore/cache.hpp). A cache
/// that is missing, stale (any keystore file changed), corrupted or sealed with other passwords is reported in
/// one log line and replaced after decrypting the keystores. Secrets are zeroized; passwords never logged.
#include <chrono>
#include <filesystem>
#include <map>
#include <string>

#include "base/clock.hpp"
#include "core/interfaces.hpp"
#include "crypto/bls/bls.hpp"

namespace phx::app {

/// This node's share keys, by DV public key.
using ShareKeys = std::map<core::PubKey, crypto::bls::SecretKey>;

/// How to load.
struct KeyLoadOptions {
  /// The keystore cache file (0600; docs/formats/keystore-cache.md). Empty: no cache.
  std::filesystem::path cache_file;
  unsigned threads = 0;  ///< decryption threads; 0: one per core
  Duration progress_interval = std::chrono::seconds(5);  ///< between progress log lines while decrypting (stderr not a terminal; a terminal gets one line updated in place)
};

/// What happened (for logs and tests).
struct KeyLoadReport {
  std::size_t keystores = 0;
  bool from_cache = false;
  bool cache_written = false;
  /// Why the cache was not used ("none yet", "keystore files changed", the decryption error …); empty when it was.
  std::string cache_note;
};

/// Reads every keystore-*.json in `dir` with its password file keystore-*.txt, and maps each key to its DV key
/// through the key book; each share must belong to this node (`share_idx`) and each cluster validator must
/// have exactly one. With options.cache_file set, uses the cache when it matches and writes it otherwise.
/// Errors: a message naming the file at fault (never the password or the key). A cache problem is never an
/// error: the keystores are decrypted instead.
Result<ShareKeys, std::string> load_share_keys(const std::filesystem::path& dir, const core::KeyBook& book,
                                               ShareIdx share_idx, const KeyLoadOptions& options = {},
                                               KeyLoadReport* report = nullptr);

}  // namespace phx::app
