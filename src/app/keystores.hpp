#pragma once
/// Loading this node's share keys at start-up: every keystore-*.json of the keystore folder decrypted on every
/// core (EIP-2335; progress lines with count, rate and time left), the keys of the node's upcoming duties
/// first while the node already runs (start_share_keys, LiveShareKeys), or, when the keystore cache in the data
/// folder matches the keystore files, all of them at once behind one KDF (crypto/keystore/cache.hpp). A cache
/// that is missing, stale (any keystore file changed), corrupted or sealed with other passwords is reported in
/// one log line and replaced after decrypting the keystores. Secrets are zeroized; passwords never logged.
#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.hpp"
#include "core/interfaces.hpp"
#include "core/scheduler.hpp"
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

/// This node's share keys while they are being decrypted: a fixed set of validators (the cluster's), each key
/// usable once decrypted. Decryption threads (start_share_keys) fill it, the signer reads it from any thread:
/// a key is published with a release store and read after an acquire load, and never changes afterwards.
/// Destruction stops the decryption threads and joins them.
class LiveShareKeys {
 public:
  /// Every key of `keys` loaded at once (the keystore cache, or keys decrypted before start).
  static std::shared_ptr<LiveShareKeys> loaded(ShareKeys keys);
  ~LiveShareKeys();
  LiveShareKeys(const LiveShareKeys&) = delete;
  LiveShareKeys& operator=(const LiveShareKeys&) = delete;

  /// True iff `pubkey` is one of this node's validators (loaded or not).
  bool known(const core::PubKey& pubkey) const { return index_.contains(pubkey); }
  /// The share key of `pubkey` once decrypted; nullptr before (or for an unknown key). Valid for this object's
  /// lifetime.
  const crypto::bls::SecretKey* find(const core::PubKey& pubkey) const;
  /// Number of validators.
  std::size_t size() const { return index_.size(); }
  /// Number of keys decrypted so far.
  std::size_t loaded_count() const { return loaded_.load(std::memory_order_acquire); }
  /// Keystores that failed to decrypt (their validators' duties fail with key_not_loaded; logged once each).
  std::size_t failed_count() const { return failed_.load(std::memory_order_acquire); }
  /// True once every keystore was handled (decrypted or failed).
  bool done() const;
  /// Blocks until done() (tools and tests).
  void wait() const;
  /// The duties of `epoch` (first slot `epoch_start`): the keys they need are decrypted next, proposers first
  /// (key_load_order.hpp). Any thread; nothing to do once every key is handed out.
  void on_duties(const core::EpochDuties& duties, Slot epoch_start);
  /// The first slot whose duties are still ahead, for the decryption order: keys of earlier duties wait behind
  /// upcoming ones (KeyLoadOrder::pop). The node gives the first slot whose attestations (at 1/3 of the slot)
  /// are not made yet. Called from the decryption threads; `fn` must be self-contained (not refer to objects
  /// that may die before this one). Without it every duty counts as upcoming.
  void set_current_slot(std::function<Slot()> fn);

  struct Loader;  ///< the decryption state (keystores.cpp)

 private:
  LiveShareKeys() = default;
  friend Result<std::shared_ptr<LiveShareKeys>, std::string> start_share_keys(const std::filesystem::path&,
                                                                               const core::KeyBook&, ShareIdx,
                                                                               const KeyLoadOptions&);
  /// One validator's key: `key` is written once, then `ready` is set (release).
  struct KeySlot {
    std::atomic<bool> ready{false};
    std::optional<crypto::bls::SecretKey> key;
  };
  void publish(std::size_t slot, crypto::bls::SecretKey key);
  void work();    // one decryption thread
  void finish();  // after the last keystore: the summary line and the cache

  std::map<core::PubKey, std::size_t> index_;  // DV key → slot; fixed at construction
  std::vector<std::unique_ptr<KeySlot>> slots_;
  std::atomic<std::size_t> loaded_{0};
  std::atomic<std::size_t> failed_{0};
  std::unique_ptr<Loader> loader_;  // null when everything was loaded at construction
};

/// Starts loading this node's share keys without waiting for all of them (the node's start-up): a keystore
/// cache that matches is read at once; otherwise every keystore is mapped to its validator by its `pubkey`
/// field and checked against the key book before this returns (the errors of load_share_keys), then
/// `options.threads` threads decrypt them in the order of the node's upcoming duties (LiveShareKeys::on_duties;
/// key_load_order.hpp), each key usable as soon as it is decrypted, and the cache is written once all are.
/// Keystores without a `pubkey` field are all decrypted before this returns, as load_share_keys does.
Result<std::shared_ptr<LiveShareKeys>, std::string> start_share_keys(const std::filesystem::path& dir,
                                                                     const core::KeyBook& book, ShareIdx share_idx,
                                                                     const KeyLoadOptions& options = {});

/// Reads every keystore-*.json in `dir` with its password file keystore-*.txt, and maps each key to its DV key
/// through the key book; each share must belong to this node (`share_idx`) and each cluster validator must
/// have exactly one. With options.cache_file set, uses the cache when it matches and writes it otherwise.
/// Errors: a message naming the file at fault (never the password or the key). A cache problem is never an
/// error: the keystores are decrypted instead.
Result<ShareKeys, std::string> load_share_keys(const std::filesystem::path& dir, const core::KeyBook& book,
                                               ShareIdx share_idx, const KeyLoadOptions& options = {},
                                               KeyLoadReport* report = nullptr);

}  // namespace phx::app
