#pragma once
/// Beacon-node simulator: serves the Beacon API a validator client and a DV node need (genesis, spec,
/// fork_schedule, node/syncing, node/version, validators, attester and proposer duties, attestation_data) for
/// a configurable validator set and chain, and VERIFIES every submitted attestation against the validator's
/// full public key with DOMAIN_BEACON_ATTESTER of the attestation's target epoch, counting accepted and
/// rejected submissions. Duties are assigned deterministically from a seed; each duty type is one small
/// handler. Not a consensus client: no state transition, block roots and checkpoints are derived from the
/// seed. Spec: ethereum/beacon-APIs; consensus-specs phase0/validator.md (attesting), electra/validator.md
/// (SingleAttestation).
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.hpp"
#include "beaconapi/http/router.hpp"
#include "beaconapi/http/types.hpp"
#include "crypto/bls/bls.hpp"
#include "eth/fork.hpp"
#include "eth/types.hpp"

namespace phx::sim {

namespace http = beaconapi::http;

/// One simulated validator.
struct SimValidator {
  eth::BLSPubkey pubkey{};
  ValidatorIndex index{};
};

/// Simulator settings.
struct BeaconSimConfig {
  eth::ChainConfig chain;                ///< fork schedule, genesis time and root, slot timing
  std::vector<SimValidator> validators;  ///< indices must be distinct
  std::uint64_t seed = 1;                ///< drives duties, block roots and checkpoints
  std::uint64_t committees_per_slot = 2;
  std::string node_version = "Phalanx-BeaconSim/0.1";
};

/// Why a submitted attestation was rejected (counted per reason).
enum class AttestationReject : std::uint8_t {
  kWrongFormat,         ///< phase0 Attestation after electra or SingleAttestation before, or header mismatch
  kUnknownValidator,    ///< attester_index not in the validator set
  kNoDuty,              ///< the validator has no attester duty at that slot/committee
  kBadAggregationBits,  ///< not exactly one bit, or bitlist length != committee length
  kWrongData,           ///< AttestationData differs from what the simulator served
  kBadSignature,        ///< signature does not decode or does not verify
};
/// Short name of a reject reason.
const char* to_string(AttestationReject r);

/// Submission counters.
struct SubmissionStats {
  std::uint64_t accepted = 0;
  std::uint64_t rejected = 0;
  std::map<AttestationReject, std::uint64_t> by_reason;
};

/// The simulator. Threading: used from the server's executor only.
class BeaconSim {
 public:
  /// Precondition: every configured pubkey is a valid BLS public key and indices are distinct (PHX_ASSERT:
  /// the configuration is test/devnet input, not network input); chain.valid().
  BeaconSim(BeaconSimConfig config, const Clock& clock);

  /// The routes to serve (see the file comment).
  const http::Router& router() const { return router_; }
  /// The configuration.
  const BeaconSimConfig& config() const { return config_; }
  /// Counters of attestation submissions so far.
  const SubmissionStats& attestation_stats() const { return stats_; }

  /// The current slot from the injected clock (0 before genesis).
  Slot current_slot() const;
  /// Attester duties of `epoch` for `indices` (unknown indices are skipped). Deterministic in the seed.
  std::vector<http::AttesterDuty> attester_duties(Epoch epoch,
                                                  const std::vector<ValidatorIndex>& indices) const;
  /// One proposer per slot of `epoch`, drawn from the validator set.
  std::vector<http::ProposerDuty> proposer_duties(Epoch epoch) const;
  /// The AttestationData served for (slot, committee_index); `index` is 0 from electra on (EIP-7549).
  eth::phase0::AttestationData attestation_data(Slot slot, std::uint64_t committee_index) const;
  /// Dependent root of an epoch's duties.
  Root dependent_root(Epoch epoch) const;

  /// Verifies a pre-electra attestation (exactly one aggregation bit). Counts the outcome.
  Result<void, AttestationReject> submit(const eth::phase0::Attestation& att);
  /// Verifies an electra SingleAttestation. Counts the outcome.
  Result<void, AttestationReject> submit(const eth::electra::SingleAttestation& att);

 private:
  struct Assignment {
    Slot slot{};
    std::uint64_t committee_index = 0;
    std::uint64_t committee_length = 0;
    std::uint64_t position = 0;
  };
  /// Every validator's assignment in `epoch` (cached per epoch).
  const std::map<ValidatorIndex, Assignment>& assignments(Epoch epoch) const;
  Root derive(std::string_view label, std::uint64_t a, std::uint64_t b = 0) const;
  Result<void, AttestationReject> check(ValidatorIndex v, const eth::phase0::AttestationData& data,
                                        const eth::BLSSignature& sig, std::uint64_t committee_index);
  Result<void, AttestationReject> count(Result<void, AttestationReject> r);
  void add_routes();

  BeaconSimConfig config_;
  const Clock& clock_;
  std::map<ValidatorIndex, std::size_t> by_index_;
  std::vector<crypto::bls::PublicKey> keys_;
  mutable std::map<Epoch, std::map<ValidatorIndex, Assignment>> assignment_cache_;
  SubmissionStats stats_;
  http::Router router_;
};

}  // namespace phx::sim
