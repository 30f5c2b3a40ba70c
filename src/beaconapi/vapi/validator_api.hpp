#pragma once
/// The validator API of a DV node (Charon's validatorapi + router): a Beacon API server for a validator client
/// (VC) that holds KEY SHARES. Duty endpoints are intercepted and answered with the cluster's decided data;
/// partial signatures the VC submits are verified against this node's public share (with the duty's domain)
/// and handed to the Backend; public keys are rewritten in both directions (the VC knows only share keys, the
/// beacon node only DV keys). Every other request is proxied to the beacon node unchanged (method, path, query,
/// body, Content-Type / Accept / Eth-Consensus-Version), including the SSE stream of /eth/v1/events.
/// Threading: one executor (the node's io thread); every Backend coroutine runs on it.
/// Statuses: see docs/formats/validator-api.md. Spec: ethereum/beacon-APIs (v2.4.2 for Lodestar 1.5.1,
/// later versions for produceBlockV3, electra attestations and the DVT selection endpoints).
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "base/clock.hpp"
#include "base/ids.hpp"
#include "base/result.hpp"
#include "beaconapi/http/client.hpp"
#include "beaconapi/http/server.hpp"
#include "beaconapi/versioned.hpp"
#include "crypto/bls/bls.hpp"
#include "eth/fork.hpp"
#include "eth/types.hpp"
#include "runtime/runtime.hpp"

namespace phx::beaconapi::vapi {

/// An error answered to the VC in the Beacon API error format `{"code":status,"message":message}`.
/// Backends choose the status: 400 bad request, 404 unknown validator / nothing for this duty, 500 internal,
/// 503 not ready (e.g. the cluster has not decided and the deadline passed). The VAPI itself answers 503 when
/// a Backend call outlives Options::backend_timeout.
struct ApiError {
  unsigned status = 500;  ///< HTTP status (4xx or 5xx)
  std::string message;    ///< human-readable reason
};
/// A Backend answer: a value or an ApiError.
template <class T>
using ApiResult = Result<T, ApiError>;

/// Where a public share belongs (Backend::dv_of).
struct ShareRef {
  eth::BLSPubkey dv_pubkey{};  ///< the DV key the share belongs to
  bool own = false;            ///< true iff the share is THIS node's (another operator's share: false)
};

/// A validator found from its position in an attestation (Backend::attester_at).
struct AttesterRef {
  eth::BLSPubkey dv_pubkey{};        ///< the DV key
  ValidatorIndex validator_index{};  ///< its beacon chain index
};

/// Which kinds of block a block request accepts (v2 full-only, v1 blinded-only, v3 either).
enum class BlockPreference : std::uint8_t {
  kAny,      ///< produceBlockV3: full or blinded, whichever the cluster decided
  kFull,     ///< produceBlockV2 (/eth/v2/validator/blocks): a full block only (a blinded one is a 500)
  kBlinded,  ///< produceBlindedBlock (/eth/v1/validator/blinded_blocks): a blinded block only
};

/// A block production request, after the VAPI verified the VC's partial RANDAO reveal.
struct BlockRequest {
  Slot slot{};                                  ///< the proposal slot
  eth::BLSPubkey dv_pubkey{};                   ///< the proposer's DV key (Backend::proposer_of)
  crypto::bls::Signature randao_partial;        ///< this node's partial RANDAO reveal (verified)
  Root graffiti{};                              ///< graffiti from the query (zero when absent)
  std::optional<std::uint64_t> builder_boost_factor;  ///< produceBlockV3 query value, when given
  BlockPreference preference = BlockPreference::kAny;   ///< the endpoint's constraint
};

/// An aggregation selection (beacon-APIs BeaconCommitteeSelection): for a request the VC's PARTIAL selection
/// proof, for the answer the combined one.
struct BeaconCommitteeSelection {
  ValidatorIndex validator_index{};
  Slot slot{};
  eth::BLSSignature selection_proof{};
  PHX_SSZ_FIELDS(BeaconCommitteeSelection, validator_index, slot, selection_proof)
};
/// A sync committee selection (beacon-APIs SyncCommitteeSelection), partial in requests, combined in answers.
struct SyncCommitteeSelection {
  ValidatorIndex validator_index{};
  Slot slot{};
  std::uint64_t subcommittee_index = 0;
  eth::BLSSignature selection_proof{};
  PHX_SSZ_FIELDS(SyncCommitteeSelection, validator_index, slot, subcommittee_index, selection_proof)
};
/// A verified partial selection with the DV key of its validator.
template <class Selection>
struct VerifiedSelection {
  eth::BLSPubkey dv_pubkey{};             ///< the DV key of selection.validator_index
  Selection selection;                    ///< as the VC sent it (partial proof)
  crypto::bls::Signature partial_sig;     ///< selection.selection_proof decoded (verified)
};

// ---- Signed messages. The alternatives mirror core::SignedMessage one to one, in the same order, so the
// ---- backend converts by index. (beaconapi may not include core: docs/structure.md.)

/// RANDAO reveal message (the epoch).
struct RandaoMessage {
  Epoch epoch{};
  bool operator==(const RandaoMessage&) const = default;
};
/// Attestation aggregation selection proof message (the slot).
struct SelectionProofMessage {
  Slot slot{};
  bool operator==(const SelectionProofMessage&) const = default;
};
/// Sync committee message: slot (sets the domain) and the signed head root.
struct SyncMessage {
  Slot slot{};
  Root beacon_block_root{};
  bool operator==(const SyncMessage&) const = default;
};
/// Voluntary exit and the chain's epoch when the VAPI received it (EIP-7044 picks the domain by it).
struct ExitMessage {
  eth::phase0::VoluntaryExit exit{};
  Epoch current_epoch{};
  bool operator==(const ExitMessage&) const = default;
};
/// What a VC signs; same alternatives and order as core::SignedMessage.
using PartialMessage =
    std::variant<eth::phase0::AttestationData, VersionedBeaconBlock, VersionedBlindedBeaconBlock, RandaoMessage,
                 SelectionProofMessage, VersionedAggregateAndProof, SyncMessage,
                 eth::altair::SyncAggregatorSelectionData, eth::altair::ContributionAndProof,
                 eth::phase0::ValidatorRegistrationV1, ExitMessage>;

/// The submission endpoints' kinds (one Backend::submit_partials call per request).
enum class PartialKind : std::uint8_t {
  kAttestation,           ///< POST pool/attestations v1 (phase0 Attestation) and v2 (+ electra SingleAttestation)
  kBlock,                 ///< POST beacon/blocks v1/v2 (full; blobs and proofs are the BN's, not re-sent)
  kBlindedBlock,          ///< POST beacon/blinded_blocks v1/v2
  kAggregateAndProof,     ///< POST validator/aggregate_and_proofs v1/v2
  kSyncMessage,           ///< POST beacon/pool/sync_committees
  kContributionAndProof,  ///< POST validator/contribution_and_proofs
  kRegistration,          ///< POST validator/register_validator
  kExit,                  ///< POST beacon/pool/voluntary_exits
};
/// Lower-case name of a kind ("attestation", …).
const char* to_string(PartialKind k);

/// One verified partial signature from the VC.
struct PartialSignature {
  eth::BLSPubkey dv_pubkey{};               ///< the DV key (share key already mapped)
  ValidatorIndex validator_index{};         ///< the validator's index (0 for registrations: not in the message)
  eth::CommitteeIndex committee_index = 0;  ///< attestations: the committee (electra data.index is 0)
  PartialMessage message;                   ///< what was signed
  crypto::bls::Signature partial_sig;       ///< verified against this node's share with the message's domain
};

/// Everything the VAPI needs from the node: key book, chain config and the duty workflow. Implemented by the
/// app over core (the workflow, the KeyBook); tests use a double. All coroutines run on the VAPI's executor
/// and must not block; each may be cut off by the VAPI after Options::backend_timeout (then 503).
class Backend {
 public:
  virtual ~Backend() = default;

  // ---- keys and config (fixed after start; synchronous) ----
  /// The chain's configuration (domains for verification, fork of a slot).
  virtual const eth::ChainConfig& chain_config() const = 0;
  /// The DV key of a public share of ANY operator of the cluster (own = whether it is this node's), or
  /// nullopt for a key that is no cluster share.
  virtual std::optional<ShareRef> dv_of(const eth::BLSPubkey& pubshare) const = 0;
  /// This node's public share of the DV key `dv_pubkey`, or nullopt for a key that is not a cluster validator.
  virtual std::optional<crypto::bls::PublicKey> share_of(const eth::BLSPubkey& dv_pubkey) const = 0;

  // ---- lookups (the VAPI first uses what it learnt from proxied duty / validator answers; these are asked
  // ---- on a miss. Defaults answer 404, so a backend without duty knowledge still works when the VC fetched
  // ---- its duties through the VAPI, which every VC does.) ----
  /// DV key of a validator index (this cluster's validators only).
  virtual runtime::Task<ApiResult<eth::BLSPubkey>> pubkey_by_index(ValidatorIndex index);
  /// The validator at position `validator_committee_index` of committee `committee_index` at `slot` (phase0
  /// attestations name the attester by its aggregation bit only).
  virtual runtime::Task<ApiResult<AttesterRef>> attester_at(Slot slot, eth::CommitteeIndex committee_index,
                                                            std::uint64_t validator_committee_index);
  /// DV key of the proposer of `slot` (when it is a cluster validator).
  virtual runtime::Task<ApiResult<eth::BLSPubkey>> proposer_of(Slot slot);
  /// The lock's fee recipient of every cluster validator whose index is known (synchronous). A VC's
  /// `prepare_beacon_proposer` is rewritten with it: the fee recipient is the cluster's, whatever the VC is
  /// configured with. Default: none known (the VC's preparations pass unchanged).
  virtual std::map<ValidatorIndex, eth::ExecutionAddress> fee_recipients() const { return {}; }

  // ---- duties: each awaits the cluster's decision ----
  /// produceAttestationData: the decided AttestationData of committee `committee_index` at `slot`.
  virtual runtime::Task<ApiResult<eth::phase0::AttestationData>> attestation_data(
      Slot slot, eth::CommitteeIndex committee_index) = 0;
  /// Block production: hands over the verified partial RANDAO reveal (the backend exchanges and combines it)
  /// and awaits the decided block. The answer must respect req.preference.
  virtual runtime::Task<ApiResult<ProduceBlockV3Response>> produce_block(BlockRequest req) = 0;
  /// getAggregatedAttestation (v1: no committee index; v2/electra: with it): the decided aggregate for the
  /// attestation data root.
  virtual runtime::Task<ApiResult<VersionedAttestation>> aggregate_attestation(
      Slot slot, Root attestation_data_root, std::optional<eth::CommitteeIndex> committee_index) = 0;
  /// produceSyncCommitteeContribution: the decided contribution.
  virtual runtime::Task<ApiResult<eth::altair::SyncCommitteeContribution>> sync_contribution(
      Slot slot, std::uint64_t subcommittee_index, Root beacon_block_root) = 0;
  /// POST /eth/v1/validator/beacon_committee_selections: verified partial selection proofs in, the combined
  /// proofs out (same validators; the backend exchanges the partials and awaits the aggregate).
  virtual runtime::Task<ApiResult<std::vector<BeaconCommitteeSelection>>> beacon_committee_selections(
      std::vector<VerifiedSelection<BeaconCommitteeSelection>> partials) = 0;
  /// POST /eth/v1/validator/sync_committee_selections: like beacon_committee_selections.
  virtual runtime::Task<ApiResult<std::vector<SyncCommitteeSelection>>> sync_committee_selections(
      std::vector<VerifiedSelection<SyncCommitteeSelection>> partials) = 0;
  /// The VC's verified partial signatures of one submission request (never empty). An error fails the whole
  /// request with its status.
  virtual runtime::Task<ApiResult<void>> submit_partials(PartialKind kind, std::vector<PartialSignature> partials) = 0;
};

/// VAPI settings.
struct Options {
  http::ServerOptions server{};                 ///< bind address (127.0.0.1 by default), port, limits, timeouts
  std::vector<http::Endpoint> beacon_nodes;     ///< proxy targets in preference order; precondition: non-empty
  Duration proxy_timeout = std::chrono::seconds(12);   ///< per proxied request and endpoint (not for SSE)
  Duration recheck_after = std::chrono::seconds(5);    ///< a failed BN is skipped this long
  Duration backend_timeout = std::chrono::seconds(24); ///< a Backend call taking longer is answered with 503
  std::size_t proxy_body_limit = 64 * 1024 * 1024;     ///< largest proxied response body
};

/// Counters (read from the executor's thread).
struct Stats {
  std::uint64_t intercepted = 0;         ///< requests answered by the VAPI itself
  std::uint64_t proxied = 0;             ///< requests forwarded to a beacon node (incl. SSE streams)
  std::uint64_t proxy_failures = 0;      ///< proxied requests no beacon node answered (502)
  std::uint64_t partials_accepted = 0;   ///< partial signatures verified and handed to the backend
  std::uint64_t partials_rejected = 0;   ///< partial signatures refused (unknown key, bad signature, …)
  std::uint64_t selection_requests = 0;  ///< POST beacon_committee_selections / sync_committee_selections (DVT mode)
  TimePoint last_request{};              ///< when the VC last sent a request (epoch 0: never)
  std::string user_agent;                ///< the last request's User-Agent (printable ASCII, at most 128 bytes)
  /// Requests and error answers (status ≥ 400) of one route.
  struct RouteCount {
    std::uint64_t requests = 0, errors = 0;
  };
  /// By route: "GET /eth/v1/validator/duties/…" for the intercepted routes (their pattern, `{…}` kept),
  /// kProxiedRoute for everything forwarded to the beacon node, kMalformedRoute for unparseable requests.
  std::map<std::string, RouteCount> routes;
  static constexpr const char* kProxiedRoute = "proxied to the beacon node";
  static constexpr const char* kMalformedRoute = "malformed request";
};

/// The validator API server. Threading: construct, start, stop and destroy on the executor's thread.
/// Lifetime: the Backend and the Clock outlive the server; after start(), co_await stop() before destruction.
class ValidatorApi {
 public:
  /// `clock` gives the chain's current epoch (voluntary exits). Does not bind yet.
  ValidatorApi(runtime::Executor ex, Backend& backend, Options options, const Clock& clock);
  ~ValidatorApi();
  ValidatorApi(const ValidatorApi&) = delete;
  ValidatorApi& operator=(const ValidatorApi&) = delete;

  /// Binds and starts accepting. Errors: the bind/listen error.
  Result<void> start();
  /// The bound port (after start()).
  std::uint16_t port() const;
  /// Graceful stop: no new connections, in-flight requests finish within the grace, SSE streams are closed.
  runtime::Task<void> stop();
  /// Counters so far.
  const Stats& stats() const;

  struct Impl;  ///< internal

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace phx::beaconapi::vapi
