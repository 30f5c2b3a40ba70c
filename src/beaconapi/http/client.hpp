#pragma once
/// Beacon API HTTP client: one request per call with a per-call deadline, and BeaconNodeClient over several
/// beacon nodes: lookups go to the first healthy endpoint with failover (transport error, timeout or 5xx; an
/// endpoint that failed is skipped until its re-check time or a successful health check); with several
/// endpoints, duty data is asked of every eligible BN at once and the best answer chosen (beaconapi/bn_select),
/// and submissions go to every BN. Typed calls decode with the strict codecs of beaconapi (errors name the
/// field). Spec: ethereum/beacon-APIs.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <optional>
#include <string>
#include <vector>

#include "beaconapi/bn_select.hpp"
#include "beaconapi/config.hpp"
#include "beaconapi/http/router.hpp"
#include "beaconapi/http/types.hpp"
#include "beaconapi/versioned.hpp"
#include "eth/types.hpp"
#include "runtime/runtime.hpp"

namespace phx::beaconapi::http {

/// A beacon node address: numeric host (or "localhost") and port.
struct Endpoint {
  std::string host = "127.0.0.1";
  std::uint16_t port = 5052;
  /// "http://host:port" (a trailing '/' is allowed). Errors: kMalformed (other schemes, missing/bad port).
  static Result<Endpoint> parse(std::string_view url);
  /// "host:port".
  std::string to_string() const;
};

/// One outgoing request.
struct ClientRequest {
  Method method = Method::kGet;
  std::string target;  ///< path and query, e.g. "/eth/v1/node/syncing"
  std::string body;
  std::string content_type = std::string(kJson);
  std::string accept = std::string(kJson);
  std::string consensus_version;  ///< Eth-Consensus-Version header when non-empty
  /// A newer endpoint that the caller falls back from on 404/405 (older beacon nodes lack it): such an answer
  /// is remembered for the method and path for BnClientOptions::recheck_missing, and while remembered the
  /// request is not sent (answered locally with 404), so an older node sees one probe, not one per call.
  bool probe = false;
  /// This call's deadline per endpoint when set (a bulk call's grows with its size); else the client's
  /// BnClientOptions::timeout.
  std::optional<Duration> timeout;
  /// A submission (POST that hands the BN something to publish): with several endpoints it is sent to every BN
  /// at once and succeeds when one accepts (BeaconNodeClient::call).
  bool to_all = false;
};

/// A received response.
struct ClientResponse {
  unsigned status = 0;
  std::string content_type;
  std::string consensus_version;
  std::string execution_payload_blinded;  ///< produceBlockV3's Eth-Execution-Payload-Blinded header, if any
  std::string body;
};

/// Sends `req` to `ep` on a fresh connection and reads the response (body at most `body_limit` bytes).
/// Errors: kConnect, kIo, kMalformed, kTooLarge, kTimeout when `timeout` passes first (the exchange is then
/// cancelled). Non-2xx statuses are returned as responses, not errors.
runtime::Task<Result<ClientResponse>> send_request(Endpoint ep, ClientRequest req, Duration timeout,
                                                   std::size_t body_limit = 64 * 1024 * 1024);

/// Why a typed call failed: the error, the HTTP status (0 if none) and a message (server message or the
/// decoding error's path and reason).
struct ClientError {
  std::error_code code;
  unsigned status = 0;
  std::string message;
};

/// True when a 404/405 answer means the BN does not serve the route at all (an older BN: fall back to an older
/// endpoint), false when the route exists and the answer is about the resource (e.g. no aggregate yet).
bool route_not_served(unsigned status, std::string_view message);

// Batch sizes of the bulk calls: a cluster of 10,000 validators asks in several requests of a size every
// beacon node accepts, each with a deadline that fits its size (BnClientOptions::timeout_per_item).
/// postStateValidators pubkeys per request. Lodestar sends its whole key set in one POST since v1.23 ("up to
/// ~10k pubkeys per request", ChainSafe/lodestar#6897); Lighthouse added the POST form because query strings
/// hit its server's length limit (sigp/lighthouse#4872). 1,000 keys (~100 KB of JSON) stays far below both.
inline constexpr std::size_t kValidatorsPerPost = 1000;
/// GET validators (older nodes without the POST form) `id`s per request: Lodestar's VC uses 64
/// (PUBKEYS_PER_REQUEST, after ethereum/beacon-APIs#328), which keeps the URL under the ~8,000 bytes the
/// beacon-APIs maintainers consider safe (ethereum/beacon-APIs#153).
inline constexpr std::size_t kValidatorsPerGet = 64;
/// Validator indices per attester / sync-committee duties request (a JSON array of decimal strings: ~10 KB
/// per 1,000). Bounded so one slow answer costs one batch's deadline, not the whole set's.
inline constexpr std::size_t kIndicesPerDutiesRequest = 1000;

/// Fallback settings.
struct BnClientOptions {
  Duration timeout = std::chrono::seconds(2);        ///< per call and endpoint
  Duration recheck_after = std::chrono::seconds(5);  ///< a failed endpoint is skipped this long
  Duration recheck_missing = std::chrono::minutes(10);  ///< a probe's 404/405 is remembered this long
  /// A bulk call's deadline is `timeout` plus this per item (validator key or index) of its request: a BN that
  /// needs 5 s for 10,000 validators answers each 1,000-item batch within its 3 s.
  Duration timeout_per_item = std::chrono::milliseconds(1);
  /// Called after each exchange with one endpoint (index in the endpoint list, elapsed time, whether it answered
  /// below 500): per-endpoint latency and error metrics. Empty: none.
  std::function<void(std::size_t endpoint, Duration elapsed, bool ok)> observer{};
  /// Several endpoints: duty data (attestation data, aggregates, sync contributions, blocks) is asked of every
  /// eligible BN at once and the best answer used; submissions go to every BN. False: first healthy only.
  bool hedge = true;
  /// Hedged attestation data, aggregates and contributions: after the first valid answer, the others are
  /// awaited this much longer (to compare them), never beyond the call's deadline.
  Duration hedge_grace = std::chrono::milliseconds(150);
  /// Hedged block production: offers are collected until this long after the request (a soft deadline), then
  /// the most valuable so far is taken (or the first to arrive after it).
  Duration block_soft_deadline = std::chrono::milliseconds(500);
  /// A BN lagging more than this many slots (beaconapi::duty_data_eligible) serves no duty data.
  std::uint64_t max_head_lag = kMaxHeadLagSlots;
  /// Called when a hedged call used endpoint `endpoint`'s answer: `call` is "attestation_data", "block",
  /// "aggregate" or "contribution" (a "won" metric). Empty: none.
  std::function<void(std::size_t endpoint, std::string_view call)> on_selected{};
};

/// A client over several beacon nodes. Threading: one executor, like everything in runtime.
/// Older beacon nodes (e.g. Lodestar 1.5.1) lack some current endpoints: when a node answers 404/405 to
/// POST validators, pool attestations v2, produceBlockV3, publishBlock(Blinded)V2, aggregate attestation v2
/// or aggregate_and_proofs v2, the call is retried once on the older form (GET validators with repeated `id`,
/// v1 pool attestations, produceBlockV2 (full block; values 0), v1 publish, v1 aggregate (fork from the
/// Eth-Consensus-Version header or the chain config), v1 aggregate_and_proofs). Electra-only formats have no
/// older form and fail with the 404.
class BeaconNodeClient {
 public:
  /// `endpoints` in preference order; precondition: non-empty.
  BeaconNodeClient(std::vector<Endpoint> endpoints, BnClientOptions options = {});
  ~BeaconNodeClient();
  BeaconNodeClient(const BeaconNodeClient&) = delete;
  BeaconNodeClient& operator=(const BeaconNodeClient&) = delete;

  /// Sends to the first healthy endpoint, failing over to the next on transport errors, timeouts and 5xx. A
  /// 4xx answer is returned as an error at once (the request is wrong, another node would refuse it too).
  /// When every endpoint is marked unhealthy all are tried anyway. Errors: the last endpoint's error, code
  /// kNoEndpoint when every endpoint failed.
  /// A request with `to_all` (several endpoints, BnClientOptions::hedge) is instead sent to every endpoint at
  /// once; the call returns with the first acceptance (the other sends finish in the background, each within
  /// its deadline), or, when none accepts, the most telling refusal (a 4xx before transport errors).
  runtime::Task<Result<ClientResponse, ClientError>> call(ClientRequest req);
  /// Probes every endpoint's /eth/v1/node/syncing and updates its health and sync view.
  runtime::Task<void> check_health();
  /// Number of endpoints.
  std::size_t size() const;
  /// Per endpoint, the sync state from its last getSyncingStatus answer (check_health).
  std::vector<BnSyncView> sync_views() const;
  /// Per endpoint, whether it may serve duty data now (beaconapi::duty_data_eligible over sync_views()).
  std::vector<bool> duty_data_eligible() const;
  /// getBlockRoot of a 0x root on the first healthy endpoint: true when the BN knows the block, false when it
  /// answers 404, an error otherwise (timeout, 5xx, transport) — an error is no evidence either way.
  runtime::Task<Result<bool, ClientError>> block_known(Root root, Duration timeout);
  /// Index of the endpoint that answered last (for tests and metrics).
  std::size_t last_used() const { return last_used_; }
  /// Whether endpoint `i` is currently considered healthy.
  bool healthy(std::size_t i) const;

  /// getGenesis.
  runtime::Task<Result<Genesis, ClientError>> genesis();
  /// getSpec (the raw `data` object, all values strings).
  runtime::Task<Result<ssz::Json, ClientError>> spec();
  /// getForkSchedule.
  runtime::Task<Result<std::vector<eth::phase0::Fork>, ClientError>> fork_schedule();
  /// genesis + spec + fork_schedule, cross-checked: the node's ChainConfig.
  runtime::Task<Result<eth::ChainConfig, ClientError>> chain_config();
  /// getNodeVersion: the node's version string.
  runtime::Task<Result<std::string, ClientError>> node_version();
  /// Re-probes every endpoint each `interval` until cancelled (spawn it in the owner's TaskGroup).
  runtime::Task<void> run_health_checks(Duration interval);
  /// getSyncingStatus.
  runtime::Task<Result<SyncStatus, ClientError>> syncing();
  /// postStateValidators on `state_id` ("head") for these pubkeys, kValidatorsPerPost per request (older
  /// nodes: GET with kValidatorsPerGet `id`s per request); the answers concatenated. Errors: the first
  /// failing batch's.
  runtime::Task<Result<std::vector<ValidatorInfo>, ClientError>> validators_by_pubkey(
      std::string state_id, std::vector<eth::BLSPubkey> pubkeys);
  /// getAttesterDuties (POST with the indices), kIndicesPerDutiesRequest per request. Errors: the first failing
  /// batch's; kBadBody when the batches' dependent roots differ (the chain moved meanwhile: ask again).
  runtime::Task<Result<AttesterDuties, ClientError>> attester_duties(Epoch epoch,
                                                                     std::vector<ValidatorIndex> indices);
  /// getProposerDuties.
  runtime::Task<Result<ProposerDuties, ClientError>> proposer_duties(Epoch epoch);
  /// produceAttestationData.
  runtime::Task<Result<eth::phase0::AttestationData, ClientError>> attestation_data(
      Slot slot, std::uint64_t committee_index);
  /// submitPoolAttestationsV2 before electra (phase0 Attestation, one bit set each). `fork` < electra.
  runtime::Task<Result<void, ClientError>> submit_attestations(eth::Fork fork,
                                                               std::vector<eth::phase0::Attestation> atts);
  /// submitPoolAttestationsV2 from electra on (SingleAttestation). `fork` ≥ electra.
  runtime::Task<Result<void, ClientError>> submit_single_attestations(
      eth::Fork fork, std::vector<eth::electra::SingleAttestation> atts);

  // ---- every other duty (mainnet-preset families of beaconapi/versioned.hpp; JSON bodies) ----

  /// getSyncCommitteeDuties (POST /eth/v1/validator/duties/sync/{epoch} with the indices),
  /// kIndicesPerDutiesRequest per request. Altair and later.
  runtime::Task<Result<std::vector<SyncCommitteeDuty>, ClientError>> sync_committee_duties(
      Epoch epoch, std::vector<ValidatorIndex> indices);
  /// produceBlockV3 (GET /eth/v3/validator/blocks/{slot}?randao_reveal&graffiti[&builder_boost_factor]): a
  /// full block (BlockContents from deneb) or, when the node answers with execution_payload_blinded=true, a
  /// blinded block. Errors: transport/status as call(); kBadBody when the body does not decode strictly or
  /// its `version` disagrees with the Eth-Consensus-Version header.
  runtime::Task<Result<ProduceBlockV3Response, ClientError>> produce_block_v3(
      Slot slot, eth::BLSSignature randao_reveal, Root graffiti,
      std::optional<std::uint64_t> builder_boost_factor = std::nullopt);
  /// publishBlockV2 (POST /eth/v2/beacon/blocks, Eth-Consensus-Version = the block's fork): a signed block
  /// before deneb, SignedBlockContents from deneb on.
  runtime::Task<Result<void, ClientError>> publish_block(VersionedSignedProducedBlock block);
  /// publishBlindedBlockV2 (POST /eth/v2/beacon/blinded_blocks, Eth-Consensus-Version). Bellatrix and later.
  runtime::Task<Result<void, ClientError>> publish_blinded_block(VersionedSignedBlindedBeaconBlock block);
  /// getAggregatedAttestationV2 (GET /eth/v2/validator/aggregate_attestation?attestation_data_root&slot&
  /// committee_index): phase0 Attestation before electra, electra Attestation from electra on.
  runtime::Task<Result<VersionedAttestation, ClientError>> aggregate_attestation(
      Slot slot, Root attestation_data_root, eth::CommitteeIndex committee_index);
  /// publishAggregateAndProofsV2 (POST /eth/v2/validator/aggregate_and_proofs, Eth-Consensus-Version =
  /// `fork`). An item whose fork differs from `fork` fails with kBadBody before sending.
  runtime::Task<Result<void, ClientError>> submit_aggregate_and_proofs(
      eth::Fork fork, std::vector<VersionedSignedAggregateAndProof> items);
  /// getBlockRoot (GET /eth/v1/beacon/blocks/{block_id}/root), block_id "head", "genesis", "finalized", a
  /// slot or a 0x root.
  runtime::Task<Result<Root, ClientError>> block_root(std::string block_id);
  /// produceSyncCommitteeContribution (GET /eth/v1/validator/sync_committee_contribution?slot&
  /// subcommittee_index&beacon_block_root).
  runtime::Task<Result<eth::altair::SyncCommitteeContribution, ClientError>> sync_committee_contribution(
      Slot slot, std::uint64_t subcommittee_index, Root beacon_block_root);
  /// submitPoolSyncCommitteeSignatures (POST /eth/v1/beacon/pool/sync_committees).
  runtime::Task<Result<void, ClientError>> submit_sync_committee_messages(
      std::vector<eth::altair::SyncCommitteeMessage> messages);
  /// publishContributionAndProofs (POST /eth/v1/validator/contribution_and_proofs).
  runtime::Task<Result<void, ClientError>> submit_contribution_and_proofs(
      std::vector<eth::altair::SignedContributionAndProof> items);
  /// registerValidator (POST /eth/v1/validator/register_validator): builder registrations.
  runtime::Task<Result<void, ClientError>> register_validators(
      std::vector<eth::phase0::SignedValidatorRegistrationV1> registrations);
  /// submitPoolVoluntaryExit (POST /eth/v1/beacon/pool/voluntary_exits).
  runtime::Task<Result<void, ClientError>> submit_voluntary_exit(eth::phase0::SignedVoluntaryExit exit);
  /// prepareBeaconProposer (POST /eth/v1/validator/prepare_beacon_proposer).
  runtime::Task<Result<void, ClientError>> prepare_beacon_proposer(std::vector<ProposerPreparation> entries);
  /// prepareBeaconCommitteeSubnet (POST /eth/v1/validator/beacon_committee_subscriptions).
  runtime::Task<Result<void, ClientError>> beacon_committee_subscriptions(
      std::vector<BeaconCommitteeSubscription> entries);
  /// prepareSyncCommitteeSubnets (POST /eth/v1/validator/sync_committee_subscriptions).
  runtime::Task<Result<void, ClientError>> sync_committee_subscriptions(std::vector<SyncCommitteeSubscription> entries);

 private:
  /// The deadline of a request carrying `items` keys or indices.
  Duration bulk_timeout(std::size_t items) const;
  /// call() for a submission whose answer body is ignored.
  runtime::Task<Result<void, ClientError>> post_only(ClientRequest req);
  /// call() + JSON parse + `data` extraction.
  runtime::Task<Result<ssz::Json, ClientError>> get_json(ClientRequest req);

  // ---- several endpoints (client_multi.cpp) ----
 public:
  /// One endpoint's usable answer to a fanned-out request.
  struct Answer {
    std::size_t endpoint = 0;
    ClientResponse response;
  };

 private:
  /// The endpoints to ask for duty data: eligible and healthy (else eligible, else all); empty when hedging is
  /// off or there is one endpoint.
  std::vector<std::size_t> hedge_targets() const;
  /// Sends `req` to every endpoint of `targets` at once and gathers the answers `usable` accepts, in arrival
  /// order, until every target answered, the call's deadline passed, or there is a usable answer and both
  /// `grace` after the first one and `soft` after the start have passed. Sends still running on return finish
  /// in the background (their latency and health are still recorded). `last` receives the most telling
  /// failure.
  runtime::Task<std::vector<Answer>> fan_out(ClientRequest req, std::vector<std::size_t> targets, Duration grace,
                                             Duration soft, std::function<bool(const ClientResponse&)> usable,
                                             ClientError& last);
  /// call() of a `to_all` request.
  runtime::Task<Result<ClientResponse, ClientError>> call_all(ClientRequest req);
  runtime::Task<Result<eth::phase0::AttestationData, ClientError>> attestation_data_hedged(
      std::vector<std::size_t> targets, ClientRequest req);
  runtime::Task<Result<ProduceBlockV3Response, ClientError>> produce_block_hedged(std::vector<std::size_t> targets,
                                                                                  ClientRequest req);
  runtime::Task<Result<VersionedAttestation, ClientError>> aggregate_hedged(std::vector<std::size_t> targets,
                                                                            ClientRequest req);
  runtime::Task<Result<eth::altair::SyncCommitteeContribution, ClientError>> contribution_hedged(
      std::vector<std::size_t> targets, ClientRequest req);
  /// Tells BnClientOptions::on_selected.
  void selected(std::size_t endpoint, std::string_view call) const;
  struct State;
  /// One fanned-out send: its answer goes to the Fan behind `fan_state`, its latency to `observer`, its health
  /// to `eps`.
  static runtime::Task<void> send_one(std::shared_ptr<void> fan_state, std::shared_ptr<std::vector<State>> eps,
                                      std::size_t i, ClientRequest req, Duration timeout, Duration recheck,
                                      std::function<void(std::size_t, Duration, bool)> observer);
  /// The group running fanned-out sends (made on first use, on the caller's executor).
  runtime::TaskGroup& fan_group(runtime::Executor ex);

  struct State {
    Endpoint ep;
    std::chrono::steady_clock::time_point unhealthy_until{};
    BnSyncView view{};
  };
  /// Shared with fanned-out sends that outlive the call that started them.
  std::shared_ptr<std::vector<State>> shared_;
  std::vector<State>& endpoints_;
  std::unique_ptr<runtime::TaskGroup> fan_group_;
  BnClientOptions options_;
  std::optional<eth::ChainConfig> chain_;  ///< from the last successful chain_config() (v1 fallbacks)
  /// "METHOD path" of probes answered 404/405, until when to keep answering them locally.
  std::map<std::string, std::chrono::steady_clock::time_point> missing_until_;
  mutable std::size_t last_used_ = 0;
  std::set<std::string> noted_envelope_keys_;  // "endpoint key" pairs already logged

  /// Logs (once per endpoint and key, at debug) envelope keys of `body` the Beacon API spec does not define.
  void note_unknown_envelope_keys(std::string_view endpoint, const ssz::Json& body);
};

}  // namespace phx::beaconapi::http
