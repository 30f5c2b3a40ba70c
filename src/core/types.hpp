#pragma once
/// The duty workflow's data model (Charon core/types.go analogue): duties, the DV's keys and share maps,
/// the unsigned data agreed by consensus and the signed data exchanged as partials and aggregates.
/// Everything here is public data; nothing is constant time or secret.
#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <ostream>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "base/bytes.hpp"
#include "base/ids.hpp"
#include "base/result.hpp"
#include "crypto/bls/bls.hpp"
#include "eth/duty_signing.hpp"
#include "eth/versioned.hpp"

namespace phx::core {

/// Why a core component refused an input or a request.
enum class CoreError {
  kOk = 0,
  kBadPubkey = 1,           ///< a public key or public share does not decode (KeyValidate)
  kBadShareSet = 2,         ///< public shares inconsistent with the DV key, or a bad threshold/count
  kUnknownPubkey = 3,       ///< a pubkey that is not one of the cluster's validators
  kUnknownShare = 4,        ///< a share index outside 1..n
  kWrongDataType = 5,       ///< data whose kind does not belong to the duty type
  kConflict = 6,            ///< a second, different value for a key that must never be overwritten
  kEquivocation = 7,        ///< a share index sent two different partials for one (duty, pubkey)
  kExpired = 8,             ///< the duty's deadline has passed
  kNotFound = 9,            ///< nothing stored for this query
  kNotEnoughPartials = 10,  ///< fewer than threshold partials (after excluding bad ones)
  kBadSignature = 11,       ///< a signature does not decode or verify
  kMismatchedRoots = 12,    ///< partials handed to aggregation do not share one signing root
  kEmpty = 13,              ///< an empty set where at least one item is required
  kNotDirectlySigned = 14,  ///< unsigned data that is signed only inside an envelope with more fields
  kNoSelectionProof = 15,   ///< VC mode: aggregation asked for without the VC's partial selection proof
  kWithheld = 16,           ///< doppelganger protection: this node does not sign for the validator (yet)
  kKeyNotLoaded = 17,       ///< the key share is not decrypted yet (start-up)
};
/// Human-readable reason for `e`.
const char* to_string(CoreError e);
PHX_ERROR_ENUM(CoreError, "core")

/// The kinds of duty a DV performs (Charon core.DutyType). Values are stable (they go on the wire later).
enum class DutyType : std::uint8_t {
  kProposer = 1,                  ///< sign a full beacon block
  kAttester = 2,                  ///< sign AttestationData
  kExit = 3,                      ///< sign a VoluntaryExit
  kBuilderProposer = 4,           ///< sign a blinded beacon block
  kBuilderRegistration = 5,       ///< sign a ValidatorRegistrationV1
  kRandao = 6,                    ///< sign the epoch (RANDAO reveal)
  kPrepareAggregator = 7,         ///< sign the slot (attestation aggregation selection proof)
  kAggregator = 8,                ///< sign an AggregateAndProof
  kSyncMessage = 9,               ///< sign the head block root (sync committee message)
  kPrepareSyncContribution = 10,  ///< sign SyncAggregatorSelectionData (sync selection proof)
  kSyncContribution = 11,         ///< sign a ContributionAndProof
};
/// Number of duty types (the highest value).
inline constexpr std::uint8_t kDutyTypeCount = 11;
/// Lower-case name of a duty type ("attester", …); "unknown" for values out of range.
const char* to_string(DutyType t);
/// True iff `t` is one of the declared values (for decoding untrusted bytes).
bool is_valid_duty_type(std::uint8_t t);
/// True for duties whose unsigned data is agreed by consensus first (and which a validator client therefore
/// asks for before signing): attester, proposer, builder proposer, aggregator, sync message and contribution.
bool needs_consensus(DutyType t);

/// A duty: one slot and one type. Ordered by slot first, so maps iterate oldest first.
struct Duty {
  Slot slot{};                          ///< the duty's slot
  DutyType type = DutyType::kAttester;  ///< the duty's type
  /// kPrepareSyncContribution and kSyncContribution: the sync subcommittee (0 … 3), one duty per subcommittee
  /// the cluster's sync-committee members sit in; 0 for every other type.
  std::uint64_t subcommittee = 0;
  auto operator<=>(const Duty&) const = default;
  bool operator==(const Duty&) const = default;
};
/// True for the duty types that exist once per sync subcommittee (Duty::subcommittee).
constexpr bool is_per_subcommittee(DutyType t) {
  return t == DutyType::kPrepareSyncContribution || t == DutyType::kSyncContribution;
}
/// Sync subcommittees (SYNC_COMMITTEE_SUBNET_COUNT).
inline constexpr std::uint64_t kSyncSubcommitteeCount = 4;

/// "attester/123" style text for logs; "sync_contribution/123/2" for per-subcommittee duties.
std::string to_string(const Duty& d);
/// Prints a duty (GoogleTest and logs).
inline std::ostream& operator<<(std::ostream& os, const Duty& d) {
  return os << to_string(d);
}

/// The DV's group public key (48 compressed bytes), the key every core map is indexed by.
using PubKey = ByteArray<48>;

/// One validator of the cluster: its DV key and the n public shares (operator i holds share index i+1).
struct ValidatorKeys {
  PubKey pubkey{};                                ///< compressed DV key
  crypto::bls::PublicKey key;                     ///< decoded DV key
  std::vector<crypto::bls::PublicKey> pubshares;  ///< pubshares[i] belongs to ShareIdx{i + 1}
};

/// A lock's validator entry as raw bytes (distributed_public_key, public_shares in operator order).
struct LockValidator {
  Bytes distributed_public_key;      ///< 48 bytes
  std::vector<Bytes> public_shares;  ///< n × 48 bytes
};

/// The cluster's key book: DV keys and public shares by pubkey, built once from the lock.
class KeyBook {
 public:
  /// Decodes and checks every entry: each key passes KeyValidate, every validator has the same n ≥ threshold
  /// public shares, 1 ≤ threshold ≤ n, no duplicate pubkey, and any `threshold` shares recombine to the DV
  /// key (checked on the first `threshold`, then every further share must agree). Errors: kBadPubkey,
  /// kBadShareSet, kConflict (duplicate pubkey). Input is untrusted (a lock file).
  static Result<KeyBook> from_lock(std::span<const LockValidator> validators, std::uint32_t threshold);

  /// The validator with DV key `pubkey`, or nullptr.
  const ValidatorKeys* find(const PubKey& pubkey) const;
  /// The public share of `share_idx` for `pubkey`. Errors: kUnknownPubkey, kUnknownShare.
  Result<crypto::bls::PublicKey> pubshare(const PubKey& pubkey, ShareIdx share_idx) const;
  /// Map from a share's public key (compressed) to the DV key it belongs to and its share index.
  struct ShareRef {
    PubKey pubkey;       ///< the DV key
    ShareIdx share_idx;  ///< the share's index
  };
  /// The DV key and index of a public share, or kUnknownPubkey.
  Result<ShareRef> by_pubshare(const PubKey& pubshare) const;
  /// Number of validators.
  std::size_t size() const { return validators_.size(); }
  /// Number of operators n (shares per validator).
  std::uint32_t share_count() const { return share_count_; }
  /// Threshold t.
  std::uint32_t threshold() const { return threshold_; }
  /// All validators, ordered by pubkey.
  const std::map<PubKey, ValidatorKeys>& validators() const { return validators_; }

 private:
  std::map<PubKey, ValidatorKeys> validators_;
  std::map<PubKey, ShareRef> by_share_;
  std::uint32_t share_count_ = 0;
  std::uint32_t threshold_ = 0;
};

// ---- Unsigned data: what the beacon node proposes and consensus agrees, per (duty, pubkey) ----

/// Attester duty data: the AttestationData and the committee it was fetched for (electra sets data.index
/// to 0, so the committee index is kept beside it for the validator API's query).
struct AttesterData {
  eth::phase0::AttestationData data{};      ///< the data every committee member signs
  eth::CommitteeIndex committee_index = 0;  ///< the validator's committee
  bool operator==(const AttesterData&) const = default;
};
/// Proposer duty data: a full block of any fork (produceBlockV3's BlockContents from deneb on: block, KZG
/// proofs and blobs; only the block is signed). Mainnet preset.
struct ProposalData {
  eth::VersionedProducedBlock block;  ///< unsigned block (contents)
  bool operator==(const ProposalData&) const = default;
};
/// Builder proposer duty data: a blinded block (bellatrix on).
struct BlindedProposalData {
  eth::VersionedBlindedBeaconBlock block;  ///< unsigned blinded block
  bool operator==(const BlindedProposalData&) const = default;
};
/// Aggregator duty data: the aggregate attestation chosen for the slot (phase0 layout before electra).
struct AggregatedAttestationData {
  eth::VersionedAttestation attestation;  ///< the best aggregate the BN returned
  bool operator==(const AggregatedAttestationData&) const = default;
};
/// Sync message duty data: the head block root to sign.
struct SyncBlockRootData {
  Root beacon_block_root{};  ///< head root at the slot
  bool operator==(const SyncBlockRootData&) const = default;
};
/// Sync contribution duty data: the contribution the BN produced for one subcommittee.
struct SyncContributionData {
  eth::altair::SyncCommitteeContribution contribution{};  ///< the contribution
  bool operator==(const SyncContributionData&) const = default;
};

/// Data agreed by consensus for one (duty, pubkey). Duties signed without consensus (randao, selection
/// proofs, exits, registrations) have no unsigned data.
using UnsignedData = std::variant<AttesterData, ProposalData, BlindedProposalData, AggregatedAttestationData,
                                  SyncBlockRootData, SyncContributionData>;
/// The duty type whose consensus value `u` is.
DutyType duty_type_of(const UnsignedData& u);
/// hash_tree_root of the SSZ object inside `u` (AttesterData: of its AttestationData; sync root: the root).
/// This is the value consensus agrees on.
Root hash_tree_root(const UnsignedData& u);
/// The signing root of what a validator signs for `u` at `duty`: attester → AttestationData, proposer /
/// builder proposer → the block, sync message → the head root at duty.slot. Errors: kNotDirectlySigned for
/// aggregates and sync contributions (signed inside AggregateAndProof / ContributionAndProof, which add the
/// aggregator index and selection proof), kWrongDataType when `u` is not of duty.type.
Result<Root> signing_root(const eth::ChainConfig& config, const Duty& duty, const UnsignedData& u);
/// The unsigned block inside produced contents (BlockContents.block from deneb on).
eth::VersionedBeaconBlock block_of(const eth::VersionedProducedBlock& produced);
/// The slot of a versioned block (any family; monostate → 0).
template <class V>
Slot slot_of(const V& versioned) {
  return std::visit(
      [](const auto& b) -> Slot {
        if constexpr (requires { b.slot; }) return b.slot;
        else if constexpr (requires { b.block.slot; }) return b.block.slot;
        else return Slot{};
      },
      versioned.value);
}
/// The AttestationData of a versioned attestation.
const eth::phase0::AttestationData& data_of(const eth::VersionedAttestation& att);
/// (duty, pubkey) → unsigned data: one consensus value for one duty.
using UnsignedDataSet = std::map<PubKey, UnsignedData>;
/// Digest of a whole set: sha256 over, in pubkey order, pubkey ‖ [committee_index as uint64 LE, attester
/// only] ‖ hash_tree_root(data). The value proposed to QBFT for a duty.
Root hash_of(const UnsignedDataSet& set);

// ---- Signed data: the messages operators sign (partials) and the cluster aggregates ----

/// RANDAO reveal message.
struct RandaoMessage {
  Epoch epoch{};  ///< the epoch signed
  bool operator==(const RandaoMessage&) const = default;
};
/// Attestation aggregation selection proof message.
struct SelectionProofMessage {
  Slot slot{};  ///< the slot signed
  bool operator==(const SelectionProofMessage&) const = default;
};
/// Sync committee message (slot and head root).
struct SyncMessage {
  Slot slot{};               ///< the slot (sets the domain's epoch)
  Root beacon_block_root{};  ///< the signed object
  bool operator==(const SyncMessage&) const = default;
};
/// Voluntary exit with the chain's current epoch at signing time (EIP-7044 picks the domain by it).
struct ExitMessage {
  eth::phase0::VoluntaryExit exit{};  ///< the exit
  Epoch current_epoch{};              ///< the chain's epoch when signed
  bool operator==(const ExitMessage&) const = default;
};

/// Every message a validator signs in the duty workflow.
using SignedMessage =
    std::variant<eth::phase0::AttestationData, eth::VersionedBeaconBlock, eth::VersionedBlindedBeaconBlock,
                 RandaoMessage, SelectionProofMessage, eth::VersionedAggregateAndProof, SyncMessage,
                 eth::altair::SyncAggregatorSelectionData, eth::altair::ContributionAndProof,
                 eth::phase0::ValidatorRegistrationV1, ExitMessage>;

/// A signed message: a partial signature (from one share) or the aggregate (from the DV key).
struct SignedData {
  SignedMessage message;             ///< what was signed
  crypto::bls::Signature signature;  ///< σ over signing_root(message)
};
/// The duty type that signs messages of this kind.
DutyType duty_type_of(const SignedMessage& m);
/// True iff `u` / `m` belongs to `duty`: its type, and for per-subcommittee duties its subcommittee
/// (SyncCommitteeContribution.subcommittee_index, SyncAggregatorSelectionData.subcommittee_index).
bool fits(const Duty& duty, const UnsignedData& u);
bool fits(const Duty& duty, const SignedMessage& m);
/// The signing root of `m` on `config` (eth::duty signing helpers).
Root signing_root(const eth::ChainConfig& config, const SignedMessage& m);
/// hash_tree_root of the SSZ object inside `m` (randao: of the epoch; selection proof: of the slot).
Root hash_tree_root(const SignedMessage& m);
/// True iff the messages are equal (same alternative, same fields).
bool same_message(const SignedMessage& a, const SignedMessage& b);

/// One operator's partial signature for one (duty, pubkey).
struct ParSignedData {
  SignedData data;     ///< message and partial signature
  ShareIdx share_idx;  ///< the signer's share index (1-based)
};

}  // namespace phx::core

PHX_ERROR_ENUM_TRAIT(phx::core::CoreError)

/// Hash of a duty (for unordered containers).
template <>
struct std::hash<phx::core::Duty> {
  std::size_t operator()(const phx::core::Duty& d) const noexcept {
    return std::hash<std::uint64_t>{}(d.slot.value * 16u + static_cast<std::uint64_t>(d.type));
  }
};
