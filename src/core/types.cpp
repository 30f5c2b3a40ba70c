#include "core/types.hpp"

#include <type_traits>

#include "crypto/hash/sha256.hpp"
#include "crypto/threshold/threshold.hpp"
#include "ssz/merkle.hpp"

namespace phx::core {

namespace bls = crypto::bls;
namespace threshold = crypto::threshold;

const char* to_string(CoreError e) {
  switch (e) {
    case CoreError::kOk:
      return "ok";
    case CoreError::kBadPubkey:
      return "public key or public share does not decode";
    case CoreError::kBadShareSet:
      return "public shares inconsistent with the validator key or threshold";
    case CoreError::kUnknownPubkey:
      return "unknown validator public key";
    case CoreError::kUnknownShare:
      return "share index outside the cluster";
    case CoreError::kWrongDataType:
      return "data kind does not match the duty type";
    case CoreError::kConflict:
      return "a different value is already stored (never overwritten)";
    case CoreError::kEquivocation:
      return "share sent two different partial signatures";
    case CoreError::kExpired:
      return "duty deadline has passed";
    case CoreError::kNotFound:
      return "not found";
    case CoreError::kNotEnoughPartials:
      return "fewer than threshold valid partial signatures";
    case CoreError::kBadSignature:
      return "signature does not decode or verify";
    case CoreError::kMismatchedRoots:
      return "partial signatures over different signing roots";
    case CoreError::kEmpty:
      return "empty input";
    case CoreError::kNotDirectlySigned:
      return "data is signed only inside an envelope (no direct signing root)";
    case CoreError::kNoSelectionProof:
      return "this node's validator client sent no selection proof for the slot through the DVT selection "
             "endpoints (POST /eth/v1/validator/{beacon,sync}_committee_selections): a distributed validator "
             "aggregates only with the cluster's combined selection proof";
    case CoreError::kWithheld:
      return "doppelganger protection: this node does not sign for the validator (watching the chain, or another "
             "signer of its key was seen)";
    case CoreError::kKeyNotLoaded:
      return "the validator's key share is not loaded yet (keystores still being decrypted)";
  }
  return "unknown core error";
}

const char* to_string(DutyType t) {
  switch (t) {
    case DutyType::kProposer:
      return "proposer";
    case DutyType::kAttester:
      return "attester";
    case DutyType::kExit:
      return "exit";
    case DutyType::kBuilderProposer:
      return "builder_proposer";
    case DutyType::kBuilderRegistration:
      return "builder_registration";
    case DutyType::kRandao:
      return "randao";
    case DutyType::kPrepareAggregator:
      return "prepare_aggregator";
    case DutyType::kAggregator:
      return "aggregator";
    case DutyType::kSyncMessage:
      return "sync_message";
    case DutyType::kPrepareSyncContribution:
      return "prepare_sync_contribution";
    case DutyType::kSyncContribution:
      return "sync_contribution";
  }
  return "unknown";
}

bool needs_consensus(DutyType t) {
  switch (t) {
    case DutyType::kAttester:
    case DutyType::kProposer:
    case DutyType::kBuilderProposer:
    case DutyType::kAggregator:
    case DutyType::kSyncMessage:
    case DutyType::kSyncContribution:
      return true;
    default:
      return false;
  }
}

bool is_valid_duty_type(std::uint8_t t) {
  return t >= 1 && t <= kDutyTypeCount;
}

std::string to_string(const Duty& d) {
  std::string s(to_string(d.type));
  s.append("/").append(std::to_string(d.slot.value));
  if (is_per_subcommittee(d.type)) s.append("/").append(std::to_string(d.subcommittee));
  return s;
}

// ---- KeyBook ----

Result<KeyBook> KeyBook::from_lock(std::span<const LockValidator> validators, std::uint32_t t) {
  KeyBook book;
  if (validators.empty()) return fail(CoreError::kEmpty);
  const std::size_t n = validators.front().public_shares.size();
  if (t == 0 || n == 0 || t > n || n > threshold::kMaxShares) return fail(CoreError::kBadShareSet);
  book.share_count_ = static_cast<std::uint32_t>(n);
  book.threshold_ = t;
  for (const LockValidator& v : validators) {
    if (v.public_shares.size() != n) return fail(CoreError::kBadShareSet);
    auto key = bls::PublicKey::from_bytes(v.distributed_public_key);
    if (!key) return fail(CoreError::kBadPubkey);
    std::vector<bls::PublicKey> shares;
    std::vector<threshold::PublicShare> indexed;
    shares.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
      auto s = bls::PublicKey::from_bytes(v.public_shares[i]);
      if (!s) return fail(CoreError::kBadPubkey);
      shares.push_back(*s);
      indexed.push_back({ShareIdx{static_cast<std::uint32_t>(i + 1)}, *s});
    }
    // recombine_pubkeys interpolates from the first t and checks every further share lies on the same
    // polynomial, so this one call checks the whole set against the DV key.
    auto group = threshold::recombine_pubkeys(indexed, t);
    if (!group || !(*group == *key)) return fail(CoreError::kBadShareSet);
    const PubKey pk = key->to_bytes();
    if (book.validators_.contains(pk)) return fail(CoreError::kConflict);
    for (std::size_t i = 0; i < n; ++i) {
      const PubKey sb = shares[i].to_bytes();
      if (book.by_share_.contains(sb)) return fail(CoreError::kConflict);
      book.by_share_.emplace(sb, ShareRef{pk, ShareIdx{static_cast<std::uint32_t>(i + 1)}});
    }
    book.validators_.emplace(pk, ValidatorKeys{pk, *key, std::move(shares)});
  }
  return book;
}

const ValidatorKeys* KeyBook::find(const PubKey& pubkey) const {
  auto it = validators_.find(pubkey);
  return it == validators_.end() ? nullptr : &it->second;
}

Result<bls::PublicKey> KeyBook::pubshare(const PubKey& pubkey, ShareIdx share_idx) const {
  const ValidatorKeys* v = find(pubkey);
  if (v == nullptr) return fail(CoreError::kUnknownPubkey);
  if (share_idx.value == 0 || share_idx.value > v->pubshares.size()) return fail(CoreError::kUnknownShare);
  return v->pubshares[share_idx.value - 1];
}

Result<KeyBook::ShareRef> KeyBook::by_pubshare(const PubKey& pubshare) const {
  auto it = by_share_.find(pubshare);
  if (it == by_share_.end()) return fail(CoreError::kUnknownPubkey);
  return it->second;
}

// ---- Unsigned data ----

namespace {
template <class>
inline constexpr bool kAlwaysFalse = false;

template <class T>
inline constexpr bool kIsMonostate = std::is_same_v<std::remove_cvref_t<T>, std::monostate>;

/// The block inside produced contents (deneb on) or the block itself.
template <class F>
auto with_inner_block(const eth::VersionedProducedBlock& produced, F&& f) {
  return std::visit(
      [&](const auto& x) {
        if constexpr (requires { x.block.slot; }) return f(x.block);
        else return f(x);
      },
      produced.value);
}

/// Signing root of any versioned block family (monostate: zero root, which never verifies).
template <class V>
Root versioned_block_signing_root(const eth::ChainConfig& config, const V& v) {
  return std::visit(
      [&](const auto& b) -> Root {
        if constexpr (kIsMonostate<decltype(b)>) return Root{};
        else return eth::block_signing_root(config, b);
      },
      v.value);
}
}  // namespace

namespace {
template <std::size_t I = 0>
eth::VersionedBeaconBlock block_of_at(const eth::VersionedProducedBlock& p) {
  using Out = eth::VersionedBeaconBlock;
  if constexpr (I == eth::kForkCount) {
    return Out{};
  } else {
    if (p.value.index() != I) return block_of_at<I + 1>(p);
    const auto& x = std::get<I>(p.value);
    if constexpr (requires { x.block.slot; })
      return Out{typename Out::Variant(std::in_place_index<I>, x.block)};
    else
      return Out{typename Out::Variant(std::in_place_index<I>, x)};
  }
}
}  // namespace

eth::VersionedBeaconBlock block_of(const eth::VersionedProducedBlock& produced) {
  return block_of_at(produced);
}

const eth::phase0::AttestationData& data_of(const eth::VersionedAttestation& att) {
  return std::visit([](const auto& a) -> const eth::phase0::AttestationData& { return a.data; }, att.value);
}

DutyType duty_type_of(const UnsignedData& u) {
  return std::visit(
      [](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, AttesterData>)
          return DutyType::kAttester;
        else if constexpr (std::is_same_v<T, ProposalData>)
          return DutyType::kProposer;
        else if constexpr (std::is_same_v<T, BlindedProposalData>)
          return DutyType::kBuilderProposer;
        else if constexpr (std::is_same_v<T, AggregatedAttestationData>)
          return DutyType::kAggregator;
        else if constexpr (std::is_same_v<T, SyncBlockRootData>)
          return DutyType::kSyncMessage;
        else if constexpr (std::is_same_v<T, SyncContributionData>)
          return DutyType::kSyncContribution;
        else
          static_assert(kAlwaysFalse<T>);
      },
      u);
}

Root hash_tree_root(const UnsignedData& u) {
  return std::visit(
      [](const auto& v) -> Root {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, AttesterData>)
          return ssz::hash_tree_root(v.data);
        else if constexpr (std::is_same_v<T, ProposalData>)
          return with_inner_block(v.block, [](const auto& b) { return ssz::hash_tree_root(b); });
        else if constexpr (std::is_same_v<T, BlindedProposalData>)
          return eth::versioned_hash_tree_root(v.block);
        else if constexpr (std::is_same_v<T, AggregatedAttestationData>)
          return eth::versioned_hash_tree_root(v.attestation);
        else if constexpr (std::is_same_v<T, SyncBlockRootData>)
          return v.beacon_block_root;
        else if constexpr (std::is_same_v<T, SyncContributionData>)
          return ssz::hash_tree_root(v.contribution);
        else
          static_assert(kAlwaysFalse<T>);
      },
      u);
}

bool fits(const Duty& duty, const UnsignedData& u) {
  if (duty_type_of(u) != duty.type) return false;
  if (const auto* c = std::get_if<SyncContributionData>(&u)) return c->contribution.subcommittee_index == duty.subcommittee;
  return duty.subcommittee == 0 || is_per_subcommittee(duty.type);
}

bool fits(const Duty& duty, const SignedMessage& m) {
  if (duty_type_of(m) != duty.type) return false;
  if (const auto* s = std::get_if<eth::altair::SyncAggregatorSelectionData>(&m))
    return s->subcommittee_index == duty.subcommittee;
  if (const auto* c = std::get_if<eth::altair::ContributionAndProof>(&m))
    return c->contribution.subcommittee_index == duty.subcommittee;
  return duty.subcommittee == 0;
}

Result<Root> signing_root(const eth::ChainConfig& config, const Duty& duty, const UnsignedData& u) {
  if (!fits(duty, u)) return fail(CoreError::kWrongDataType);
  if (const auto* a = std::get_if<AttesterData>(&u)) return eth::attestation_signing_root(config, a->data);
  if (const auto* p = std::get_if<ProposalData>(&u))
    return with_inner_block(p->block, [&](const auto& b) { return eth::block_signing_root(config, b); });
  if (const auto* b = std::get_if<BlindedProposalData>(&u)) return versioned_block_signing_root(config, b->block);
  if (const auto* r = std::get_if<SyncBlockRootData>(&u))
    return eth::sync_committee_message_signing_root(config, duty.slot, r->beacon_block_root);
  return fail(CoreError::kNotDirectlySigned);
}

Root hash_of(const UnsignedDataSet& set) {
  crypto::hash::Sha256 h;
  for (const auto& [pk, data] : set) {
    h.update(pk);
    // The committee index is not inside the attestation data from electra on; bind it too.
    if (const auto* a = std::get_if<AttesterData>(&data)) {
      std::uint8_t ci[8];
      put_le64(ci, a->committee_index);
      h.update(ByteSpan(ci, 8));
    }
    const Root r = hash_tree_root(data);
    h.update(r);
  }
  return h.finish();
}

// ---- Signed data ----

DutyType duty_type_of(const SignedMessage& m) {
  return std::visit(
      [](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, eth::phase0::AttestationData>)
          return DutyType::kAttester;
        else if constexpr (std::is_same_v<T, eth::VersionedBeaconBlock>)
          return DutyType::kProposer;
        else if constexpr (std::is_same_v<T, eth::VersionedBlindedBeaconBlock>)
          return DutyType::kBuilderProposer;
        else if constexpr (std::is_same_v<T, RandaoMessage>)
          return DutyType::kRandao;
        else if constexpr (std::is_same_v<T, SelectionProofMessage>)
          return DutyType::kPrepareAggregator;
        else if constexpr (std::is_same_v<T, eth::VersionedAggregateAndProof>)
          return DutyType::kAggregator;
        else if constexpr (std::is_same_v<T, SyncMessage>)
          return DutyType::kSyncMessage;
        else if constexpr (std::is_same_v<T, eth::altair::SyncAggregatorSelectionData>)
          return DutyType::kPrepareSyncContribution;
        else if constexpr (std::is_same_v<T, eth::altair::ContributionAndProof>)
          return DutyType::kSyncContribution;
        else if constexpr (std::is_same_v<T, eth::phase0::ValidatorRegistrationV1>)
          return DutyType::kBuilderRegistration;
        else if constexpr (std::is_same_v<T, ExitMessage>)
          return DutyType::kExit;
        else
          static_assert(kAlwaysFalse<T>);
      },
      m);
}

Root signing_root(const eth::ChainConfig& config, const SignedMessage& m) {
  return std::visit(
      [&](const auto& v) -> Root {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, eth::phase0::AttestationData>)
          return eth::attestation_signing_root(config, v);
        else if constexpr (std::is_same_v<T, eth::VersionedBeaconBlock> ||
                           std::is_same_v<T, eth::VersionedBlindedBeaconBlock>)
          return versioned_block_signing_root(config, v);
        else if constexpr (std::is_same_v<T, RandaoMessage>)
          return eth::randao_signing_root(config, v.epoch);
        else if constexpr (std::is_same_v<T, SelectionProofMessage>)
          return eth::selection_proof_signing_root(config, v.slot);
        else if constexpr (std::is_same_v<T, eth::VersionedAggregateAndProof>)
          return std::visit([&](const auto& a) { return eth::aggregate_and_proof_signing_root(config, a); },
                            v.value);
        else if constexpr (std::is_same_v<T, SyncMessage>)
          return eth::sync_committee_message_signing_root(config, v.slot, v.beacon_block_root);
        else if constexpr (std::is_same_v<T, eth::altair::SyncAggregatorSelectionData>)
          return eth::sync_selection_proof_signing_root(config, v);
        else if constexpr (std::is_same_v<T, eth::altair::ContributionAndProof>)
          return eth::contribution_and_proof_signing_root(config, v);
        else if constexpr (std::is_same_v<T, eth::phase0::ValidatorRegistrationV1>)
          return eth::registration_signing_root(config, v);
        else if constexpr (std::is_same_v<T, ExitMessage>)
          return eth::voluntary_exit_signing_root(config, v.exit, v.current_epoch);
        else
          static_assert(kAlwaysFalse<T>);
      },
      m);
}

Root hash_tree_root(const SignedMessage& m) {
  return std::visit(
      [](const auto& v) -> Root {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, RandaoMessage>)
          return ssz::hash_tree_root(v.epoch);
        else if constexpr (std::is_same_v<T, SelectionProofMessage>)
          return ssz::hash_tree_root(v.slot);
        else if constexpr (std::is_same_v<T, SyncMessage>)
          return v.beacon_block_root;
        else if constexpr (std::is_same_v<T, ExitMessage>)
          return ssz::hash_tree_root(v.exit);
        else if constexpr (requires { v.value.index(); })
          return eth::versioned_hash_tree_root(v);
        else
          return ssz::hash_tree_root(v);
      },
      m);
}

bool same_message(const SignedMessage& a, const SignedMessage& b) {
  return a == b;
}

}  // namespace phx::core
