#pragma once
/// Beacon API HTTP client: one request per call with a per-call deadline, and BeaconNodeClient over several
/// beacon nodes with fallback (first healthy endpoint; failover on transport error, timeout or 5xx; an
/// endpoint that failed is skipped until its re-check time or a successful health check). Typed calls decode
/// with the strict codecs of beaconapi (errors name the field). Spec: ethereum/beacon-APIs.
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "beaconapi/config.hpp"
#include "beaconapi/http/router.hpp"
#include "beaconapi/http/types.hpp"
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
};

/// A received response.
struct ClientResponse {
  unsigned status = 0;
  std::string content_type;
  std::string consensus_version;
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

/// Fallback settings.
struct BnClientOptions {
  Duration timeout = std::chrono::seconds(2);        ///< per call and endpoint
  Duration recheck_after = std::chrono::seconds(5);  ///< a failed endpoint is skipped this long
};

/// A client over several beacon nodes. Threading: one executor, like everything in runtime.
class BeaconNodeClient {
 public:
  /// `endpoints` in preference order; precondition: non-empty.
  BeaconNodeClient(std::vector<Endpoint> endpoints, BnClientOptions options = {});

  /// Sends to the first healthy endpoint, failing over to the next on transport errors, timeouts and 5xx. A
  /// 4xx answer is returned as an error at once (the request is wrong, another node would refuse it too).
  /// When every endpoint is marked unhealthy all are tried anyway. Errors: the last endpoint's error, code
  /// kNoEndpoint when every endpoint failed.
  runtime::Task<Result<ClientResponse, ClientError>> call(ClientRequest req);
  /// Probes every endpoint's /eth/v1/node/syncing and updates its health.
  runtime::Task<void> check_health();
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
  /// postStateValidators on `state_id` ("head") for these pubkeys.
  runtime::Task<Result<std::vector<ValidatorInfo>, ClientError>> validators_by_pubkey(
      std::string state_id, std::vector<eth::BLSPubkey> pubkeys);
  /// getAttesterDuties (POST with the indices).
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

 private:
  /// call() + JSON parse + `data` extraction.
  runtime::Task<Result<ssz::Json, ClientError>> get_json(ClientRequest req);

  struct State {
    Endpoint ep;
    std::chrono::steady_clock::time_point unhealthy_until{};
  };
  std::vector<State> endpoints_;
  BnClientOptions options_;
  std::size_t last_used_ = 0;
};

}  // namespace phx::beaconapi::http
