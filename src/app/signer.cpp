#include "app/signer.hpp"

#include <algorithm>
#include <vector>

#include "app/fs.hpp"
#include "crypto/keystore/eip2335.hpp"

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

Result<ShareKeys, std::string> load_share_keys(const std::filesystem::path& dir, const core::KeyBook& book,
                                               ShareIdx share_idx) {
  std::error_code ec;
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name.starts_with("keystore-") && e.path().extension() == ".json") files.push_back(e.path());
  }
  if (ec) return std::unexpected("cannot read keystore folder " + dir.string() + ": " + ec.message());
  std::sort(files.begin(), files.end());
  ShareKeys keys;
  for (const auto& f : files) {
    auto json = read_file(f, 1u << 20);
    if (!json) return std::unexpected("cannot read " + f.string() + ": " + json.error().message());
    std::filesystem::path pw_path = f;
    pw_path.replace_extension(".txt");
    auto pw = read_file(pw_path, 4096);
    if (!pw) return std::unexpected("cannot read the password file " + pw_path.string());
    std::string password(pw->begin(), pw->end());
    while (!password.empty() && (password.back() == '\n' || password.back() == '\r')) password.pop_back();
    const std::string text(json->begin(), json->end());
    auto sk = crypto::keystore::decrypt(text, password);
    std::fill(password.begin(), password.end(), '\0');
    if (!sk) return std::unexpected("cannot decrypt " + f.string() + ": " + sk.error().message());
    const core::PubKey share_pub = sk->public_key().to_bytes();
    auto ref = book.by_pubshare(share_pub);
    if (!ref) return std::unexpected(f.string() + " holds a key that is not a share of this cluster");
    if (ref->share_idx != share_idx)
      return std::unexpected(f.string() + " holds share " + std::to_string(ref->share_idx.value) +
                             ", but this node is share " + std::to_string(share_idx.value));
    if (keys.contains(ref->pubkey)) return std::unexpected(f.string() + " repeats a validator's share");
    keys.emplace(ref->pubkey, std::move(*sk));
  }
  if (keys.size() != book.size())
    return std::unexpected("found " + std::to_string(keys.size()) + " share keystores in " + dir.string() +
                           ", the cluster has " + std::to_string(book.size()) + " validators");
  return keys;
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
    auto it = keys_.find(item.pubkey);
    if (it == keys_.end()) {
      out.push_back(fail(core::CoreError::kUnknownPubkey));
      continue;
    }
    const Root root = root_of(item.message);
    auto h = hashed.find(root);
    if (h == hashed.end()) h = hashed.emplace(root, crypto::bls::hash_to_g2(root)).first;
    out.push_back(core::ParSignedData{core::SignedData{item.message, it->second.sign_hashed(h->second)}, share_idx_});
  }
  return out;
}

}  // namespace phx::app
