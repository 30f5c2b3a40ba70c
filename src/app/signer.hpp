#pragma once
/// The embedded signer (`--signer embedded`) and the slashing guard over the SQLite slashing database.
/// ShareSigner holds this node's key shares (move-only, zeroized secret keys, never logged), consults the
/// guard before every signature and signs in constant time (crypto/bls). SlashingDbGuard records blocks and
/// attestations per DV key (EIP-3076 rules), failing closed.
#include <filesystem>
#include <map>
#include <string>

#include "app/keystores.hpp"
#include "core/interfaces.hpp"
#include "crypto/bls/bls.hpp"
#include "slashing/store.hpp"

namespace phx::app {

/// SlashingGuard over a SlashingDb (one DB per node, keyed by the DV public key).
class SlashingDbGuard final : public core::SlashingGuard {
 public:
  /// `db` and `config` are not owned and must outlive the guard.
  SlashingDbGuard(slashing::SlashingDb& db, const eth::ChainConfig& config) : db_(db), config_(config) {}
  /// Blocks (full and blinded) and attestations are checked and recorded; other kinds pass.
  Result<void> check_and_record(const core::PubKey& pubkey, const core::SignedMessage& message) override;

 private:
  slashing::SlashingDb& db_;
  const eth::ChainConfig& config_;
};

/// Signs with this node's shares. The slashing guard is the Workflow's, consulted before it asks for a
/// signature. Its keys may still be arriving (LiveShareKeys, thread-safe); otherwise immutable, so safe on the
/// Workflow's BLS worker thread.
class ShareSigner final : public core::Signer {
 public:
  /// `config` not owned. `corrupt_for_test` makes every partial sign a different root (a Byzantine node for
  /// `phalanx devnet --fault byzantine-one`; never set in production).
  ShareSigner(const eth::ChainConfig& config, ShareKeys keys, ShareIdx share_idx, bool corrupt_for_test = false)
      : ShareSigner(config, LiveShareKeys::loaded(std::move(keys)), share_idx, corrupt_for_test) {}
  /// Signs with keys that are still being decrypted (start_share_keys).
  ShareSigner(const eth::ChainConfig& config, std::shared_ptr<const LiveShareKeys> keys, ShareIdx share_idx,
              bool corrupt_for_test = false)
      : config_(config), keys_(std::move(keys)), share_idx_(share_idx), corrupt_(corrupt_for_test) {}
  /// False while `pubkey`'s share is a known validator's that is not decrypted yet.
  bool ready(const core::PubKey& pubkey) const override { return !keys_->known(pubkey) || keys_->find(pubkey); }
  /// Errors: CoreError::kUnknownPubkey (no share for it), CoreError::kKeyNotLoaded (not decrypted yet).
  Result<core::ParSignedData> sign(const core::Duty& duty, const core::PubKey& pubkey,
                                   const core::SignedMessage& message) override;
  /// Hashes each distinct signing root to G2 once (a duty's validators mostly share one root), then one
  /// constant-time scalar multiplication per item.
  std::vector<Result<core::ParSignedData>> sign_batch(const core::Duty& duty,
                                                      const std::vector<core::SignItem>& items) override;

 private:
  Root root_of(const core::SignedMessage& message) const;
  const eth::ChainConfig& config_;
  std::shared_ptr<const LiveShareKeys> keys_;
  ShareIdx share_idx_;
  bool corrupt_;
};

}  // namespace phx::app
