#pragma once
/// The ports of the duty workflow (GUIDE §2): `core` talks to these abstract classes only; `app` wires the
/// real adapters (BN client, QBFT driver over p2p, parsig exchange, slashing DB), tests wire doubles.
/// Calls are synchronous and return Result; an adapter that does I/O completes it on its own executor and
/// calls back through the subscription functions on the core thread (no Asio types appear here).
#include <functional>
#include <span>
#include <utility>
#include <vector>

#include "base/clock.hpp"
#include "core/types.hpp"

namespace phx::core {

/// A validator of one duty as the beacon node reports it (duty definition).
struct DutyDefinition {
  PubKey pubkey{};                              ///< the DV key
  ValidatorIndex validator_index{};             ///< beacon chain index
  eth::CommitteeIndex committee_index = 0;      ///< attester: committee; sync: subcommittee
  std::uint64_t committee_length = 0;           ///< attester: committee size
  std::uint64_t validator_committee_index = 0;  ///< attester: position in the committee
};

/// The beacon node (or a fallback group of them).
class BeaconNode {
 public:
  virtual ~BeaconNode() = default;
  /// The unsigned data for `duty` and each validator of `defs` (attestation data, block, aggregate…).
  /// Errors: the adapter's (timeout, bad response) as std::error_code.
  virtual Result<UnsignedDataSet> fetch(const Duty& duty, std::span<const DutyDefinition> defs) = 0;
  /// Submits the aggregated signed data of `duty` for `pubkey`.
  virtual Result<void> submit(const Duty& duty, const PubKey& pubkey, const SignedData& aggregate) = 0;
};

/// Cluster consensus over one value per duty (driven by a QBFT instance per duty in the adapter).
class Consensus {
 public:
  /// Called once per decided duty with the agreed set.
  using DecidedFn = std::function<void(const Duty&, const UnsignedDataSet&)>;
  virtual ~Consensus() = default;
  /// Proposes this node's value for `duty` (starts the instance if needed). Errors: the adapter's.
  virtual Result<void> propose(const Duty& duty, const UnsignedDataSet& value) = 0;
  /// Registers `fn` for decisions (all subscribers see every decision, in order).
  virtual void subscribe_decided(DecidedFn fn) = 0;
};

/// Exchange of partial signatures with the other operators.
class ParSigExchange {
 public:
  /// Called for each partial received from a peer: duty, pubkey, partial (untrusted: goes to ParSigDB).
  using ReceivedFn = std::function<void(const Duty&, const PubKey&, const ParSignedData&)>;
  virtual ~ParSigExchange() = default;
  /// Sends this node's partials of `duty` (pubkey → partial) to every peer.
  virtual Result<void> broadcast(const Duty& duty,
                                 std::span<const std::pair<PubKey, ParSignedData>> partials) = 0;
  /// Registers `fn` for received partials.
  virtual void subscribe_received(ReceivedFn fn) = 0;
};

/// Signs with this node's key shares (embedded mode, no external VC). Implementations keep the secrets
/// (move-only, zeroized) and sign in constant time.
class Signer {
 public:
  virtual ~Signer() = default;
  /// This node's partial signature over `message` for the validator `pubkey`. Errors: unknown pubkey, or the
  /// slashing guard's refusal.
  virtual Result<ParSignedData> sign(const Duty& duty, const PubKey& pubkey,
                                     const SignedMessage& message) = 0;
};

/// Slashing protection consulted before any signature leaves the node. Fails closed: an error means "do not
/// sign".
class SlashingGuard {
 public:
  virtual ~SlashingGuard() = default;
  /// Checks and records `message` for `pubkey` (blocks and attestations; other kinds pass). Errors:
  /// slashable, or any storage failure.
  virtual Result<void> check_and_record(const PubKey& pubkey, const SignedMessage& message) = 0;
};

/// The clock port is phx::Clock (base/clock.hpp): SystemClock in production, ManualClock in tests.
using ClockPort = Clock;

}  // namespace phx::core
