// The embedded signer over this node's share keys and the slashing guard over the SQLite database (signer.hpp).
#include "app/signer.hpp"

#include <algorithm>
#include <vector>


namespace phx::app {

namespace bls = crypto::bls;

Result<void> SlashingDbGuard::check_and_record(const core::PubKey& pubkey, const core::SignedMessage& message) {
  const Root root = core::signing_root(config_, message);
  if (const auto* a = std::get_if<eth::phase0::AttestationData>(&message)) {
    auto v = db_.check_and_record_attestation(pubkey, a->source.epoch, a->target.epoch, root);
    if (!v) return std::unexpected(v.error());
    return {};
  }
  const bool block = std::holds_alternative<eth::VersionedBeaconBlock>(message) ||
                     std::holds_alternative<eth::VersionedBlindedBeaconBlock>(message);
  if (!block) return {};
  const Slot slot = std::visit(
      [](const auto& m) -> Slot {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, eth::VersionedBeaconBlock> ||
                      std::is_same_v<T, eth::VersionedBlindedBeaconBlock>)
          return core::slot_of(m);
        else
          return Slot{};
      },
      message);
  auto v = db_.check_and_record_block(pubkey, slot, root);
  if (!v) return std::unexpected(v.error());
  return {};
}

Root ShareSigner::root_of(const core::SignedMessage& message) const {
  Root root = core::signing_root(config_, message);
  if (corrupt_) root[0] ^= 0xff;  // test-only Byzantine behaviour: a valid signature over the wrong root
  return root;
}

Result<core::ParSignedData> ShareSigner::sign(const core::Duty& duty, const core::PubKey& pubkey,
                                              const core::SignedMessage& message) {
  return sign_batch(duty, {core::SignItem{pubkey, message}}).front();
}

std::vector<Result<core::ParSignedData>> ShareSigner::sign_batch(const core::Duty& duty,
                                                                 const std::vector<core::SignItem>& items) {
  (void)duty;
  std::map<Root, crypto::bls::G2> hashed;  // signing roots are public: caching them leaks nothing
  std::vector<Result<core::ParSignedData>> out;
  out.reserve(items.size());
  for (const auto& item : items) {
    const crypto::bls::SecretKey* key = keys_->find(item.pubkey);
    if (key == nullptr) {
      out.push_back(fail(keys_->known(item.pubkey) ? core::CoreError::kKeyNotLoaded : core::CoreError::kUnknownPubkey));
      continue;
    }
    const Root root = root_of(item.message);
    auto h = hashed.find(root);
    if (h == hashed.end()) h = hashed.emplace(root, crypto::bls::hash_to_g2(root)).first;
    out.push_back(core::ParSignedData{core::SignedData{item.message, key->sign_hashed(h->second)}, share_idx_});
  }
  return out;
}

}  // namespace phx::app
