#pragma once
/// The QBFT driver: runs many sans-IO consensus instances (consensus/qbft/instance.hpp), one per duty, over
/// the p2p node. Byte-level on purpose (instance ids and values are opaque bytes) so it does not depend on
/// core types; the app adapts it to core::Consensus.
///
/// Lifecycle of an instance (keyed by its id, the lead's encoding of the duty):
/// - propose(id, value) starts it with this node's value (on_start with the elapsed time since the duty's
///   start, so that a late node joins the current round). Only propose() starts instances.
/// - Frames for an instance that has not started locally (including a PRE-PREPARE from a leader that is
///   ahead of us, or messages for a duty this node has not proposed for yet) are buffered: at most
///   Options::buffer_per_peer messages and Options::buffer_bytes_per_peer bytes per (instance, peer), and at
///   most Options::max_buffered_instances instance ids (the oldest buffered id is dropped first). They are
///   replayed, in arrival order, right after propose() starts the instance. A peer that exceeds its buffer
///   gets its further messages dropped and counted (kBufferFull).
/// - The decision is reported once through on_decided. The instance stays alive after deciding (it answers
///   late ROUND-CHANGEs with DECIDED) until expire(id), which frees it, its timer and any buffer, and
///   remembers the id (the last Options::expired_memory ids) so that late frames and late proposes for it
///   are dropped (kExpired) instead of buffered.
/// - At most Options::max_instances live instances: starting one more evicts the oldest-started one
///   (counted as evicted).
///
/// Round timers: one asio steady_timer per instance, armed at the absolute deadline the instance requests
/// (ns since the duty's start, RoundTimer of the qbft config), converted with the injected wall clock.
///
/// Frames from peers are untrusted: a malformed frame, a frame whose qbft message names another instance, or
/// a message the engine rejects is counted by reason (metrics()) and dropped; nothing from a peer can assert.
///
/// Threading: like p2p::Node, use from the node's executor (io thread) only. Callbacks run on that thread,
/// after the driver finished handling the input, and may call back into the driver (propose, expire).
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

#include "base/bytes.hpp"
#include "base/clock.hpp"
#include "base/ids.hpp"
#include "base/result.hpp"
#include "consensus/qbft/signer.hpp"
#include "consensus/qbft/types.hpp"
#include "dv/frame.hpp"
#include "metrics/registry.hpp"
#include "p2p/node.hpp"
#include "runtime/runtime.hpp"

namespace phx::dv {

namespace qbft = consensus::qbft;

/// Tunables of the driver.
struct QbftDriverOptions {
  /// Round timer policy (absolute deadlines since the duty's start).
  qbft::RoundTimer timer{};
  /// Live (started, not expired) instances; beyond it the oldest-started instance is evicted.
  std::size_t max_instances = 1024;
  /// Largest value accepted (own and peers'); ≤ qbft::kMaxValueBytes.
  std::size_t max_value_bytes = qbft::kMaxValueBytes;
  /// Messages for rounds beyond current + this are rejected by the engine.
  qbft::Round future_rounds = 8;
  /// Buffer of not-yet-started instances: messages kept per (instance, peer).
  std::size_t buffer_per_peer = 32;
  /// Buffer of not-yet-started instances: bytes kept per (instance, peer).
  std::size_t buffer_bytes_per_peer = 4u << 20;
  /// Number of distinct instance ids buffered at once (oldest dropped first).
  std::size_t max_buffered_instances = 256;
  /// How many expired instance ids are remembered (late frames for them are dropped, not buffered).
  std::size_t expired_memory = 4096;
  /// Wall clock for "elapsed since the duty's start" (nullptr: system clock). Must outlive the driver.
  const Clock* clock = nullptr;
  /// If set, the driver also registers and updates its metrics there (names `phalanx_qbft_*`); must outlive
  /// the driver. One driver per registry: a driver created later takes over the exported names.
  metrics::Registry* registry = nullptr;
  /// TEST ONLY (`phalanx run --test-fault equivocate|byzantine`, never in production): this node equivocates:
  /// before each PREPARE and COMMIT it sends, it sends a conflicting one (same round, another value hash,
  /// validly signed) to the same peers.
  bool test_equivocate = false;
};

/// Plain counters and gauges of the driver (also exported to the registry when one is given).
struct QbftDriverMetrics {
  std::uint64_t instances_started = 0;   ///< propose() calls that started an instance
  std::uint64_t instances_decided = 0;   ///< decisions reported through on_decided
  std::uint64_t decided_fast = 0;        ///< of those, by the fast path (PREPAREs of round 1 from all n nodes)
  std::uint64_t instances_expired = 0;   ///< expire() of a live instance
  std::uint64_t instances_evicted = 0;   ///< dropped by the max_instances cap
  std::uint64_t frames_in = 0;           ///< frames received (valid or not)
  std::uint64_t messages_out = 0;        ///< qbft messages sent (one per peer for a broadcast)
  std::uint64_t messages_buffered = 0;   ///< messages buffered for a not-yet-started instance
  std::uint64_t messages_replayed = 0;   ///< buffered messages replayed at start
  std::uint64_t round1_held = 0;         ///< round-1 PRE-PREPAREs held for a pending round-1 check
  std::uint64_t timeouts = 0;            ///< round timers fired
  std::uint64_t decided_rounds_sum = 0;  ///< Σ decision round (mean rounds per decision = sum / decided)
  std::uint64_t equivocations = 0;       ///< proven equivocations (two validly signed conflicting messages)
  Duration decided_duration_sum{};       ///< Σ (decision time − local start)
  DvErrorCounts frames_rejected{};       ///< by DvError (frame and driver-level reasons)
  /// Engine rejections by qbft::Reject value (index = enum value, kOk unused).
  std::array<std::uint64_t, 32> qbft_rejected{};
  std::size_t live_instances = 0;      ///< gauge: started, not expired
  std::size_t buffered_instances = 0;  ///< gauge: instance ids with buffered messages
  std::size_t buffered_bytes = 0;      ///< gauge: bytes of buffered messages

  /// Rejections of one driver-level reason.
  std::uint64_t rejected(DvError e) const { return frames_rejected[static_cast<std::size_t>(e)]; }
  /// Rejections of one engine reason.
  std::uint64_t rejected(qbft::Reject r) const { return qbft_rejected[static_cast<std::size_t>(r)]; }
};

/// Consensus on opaque values per opaque instance id, over p2p protocol kQbftProtocol.
class QbftDriver {
 public:
  /// Called once per instance when it decides: its id, the decided value, the deciding round and the time
  /// since this node started the instance. The spans are valid during the call only.
  using DecidedFn =
      std::function<void(ByteSpan instance_id, ByteSpan value, qbft::Round round, Duration took)>;
  /// External validity predicate (QBFT's): a proposed value for which it returns false is not accepted (not
  /// prepared). Must be deterministic and agree across honest nodes. Called on the io thread.
  using ValidatorFn = std::function<bool(ByteSpan instance_id, ByteSpan value)>;
  /// Called when operator `sender` is proven to misbehave in instance `instance_id`: it signed two
  /// conflicting messages of one kind for one round (an equivocation; both signatures verified, so the
  /// sender is proven whoever relayed the frame). The span is valid during the call only.
  using MisbehaviourFn = std::function<void(ByteSpan instance_id, OperatorIdx sender)>;

  /// Creates the driver and registers kQbftProtocol on `node`, which must not be started yet.
  /// `self` = node.self(); `n` = number of operators (1..qbft::kMaxNodes); `signer` holds this operator's
  /// identity key and `verifier` knows every operator's key (dv::K1Signer/K1Verifier, k1_signer.hpp, from the cluster lock ENRs).
  /// `node` must outlive the driver. Errors: kBadArgument (n, self, options out of range), or the node's
  /// register_protocol error (already started, duplicate protocol).
  static Result<std::unique_ptr<QbftDriver>> create(runtime::Executor ex, p2p::Node& node, OperatorIdx self,
                                                    std::uint32_t n, std::shared_ptr<const qbft::Signer> signer,
                                                    std::shared_ptr<const qbft::Verifier> verifier,
                                                    QbftDriverOptions options = {});
  /// Sends one frame to one peer, fire-and-forget (errors are logged, never retried).
  using SendFn = std::function<Result<void>(OperatorIdx to, ByteSpan frame)>;
  /// Same as create() without a p2p node: frames go out through `send` and come in through deliver(). For
  /// another transport, and for fuzzing and benchmarking the driver logic without sockets.
  static Result<std::unique_ptr<QbftDriver>> create_with_transport(runtime::Executor ex, OperatorIdx self,
                                                                   std::uint32_t n,
                                                                   std::shared_ptr<const qbft::Signer> signer,
                                                                   std::shared_ptr<const qbft::Verifier> verifier,
                                                                   QbftDriverOptions options, SendFn send);
  ~QbftDriver();
  QbftDriver(const QbftDriver&) = delete;
  QbftDriver& operator=(const QbftDriver&) = delete;

  /// Starts instance `instance_id` with this node's `value` (value hash = SHA-256(value), as qbft::Value
  /// defines), then replays buffered frames for it. `duty_start` is the wall time the round timers count
  /// from (the duty's slot start, the same on every node); empty = now. Errors: kBadArgument (id length not
  /// 1..qbft::kMaxInstanceIdBytes, value empty or above max_value_bytes), kAlreadyProposed, kExpired,
  /// kStopped.
  Result<void> propose(ByteSpan instance_id, ByteSpan value, std::optional<TimePoint> duty_start = {});
  /// Registers the decision callback (replaces any earlier one).
  void on_decided(DecidedFn fn);
  /// Registers the validity predicate (replaces any earlier one; empty = every value valid). Applies to
  /// instances started afterwards.
  void set_validator(ValidatorFn fn);
  /// Registers the round-1 preference (qbft::Config::round1_check: a round-1 proposal failing it is kept but
  /// not prepared; e.g. attestation data that differs from this node's own beacon node). Replaces any earlier
  /// one; empty = none. Applies to instances started afterwards.
  void set_round1_check(ValidatorFn fn);
  /// Registers the round-1 hold: `fn(instance_id, value)` true means the round-1 check of that value needs an
  /// answer not yet at hand (e.g. whether this node's BN knows the proposed head block), so a round-1
  /// PRE-PREPARE carrying it is kept aside (at most one per node and instance) until release_held(instance_id)
  /// feeds it again. The owner must call release_held within a short bound (the check's own deadline) and make
  /// `fn` false for that value by then; other messages, rounds and timers go on meanwhile. Empty = none.
  void set_round1_hold(ValidatorFn fn);
  /// Feeds the PRE-PREPAREs held for `instance_id` again (see set_round1_hold). Unknown ids: nothing.
  void release_held(ByteSpan instance_id);
  /// Registers the misbehaviour callback (replaces any earlier one). Runs on the io thread after the input
  /// was handled, like on_decided.
  void on_misbehaviour(MisbehaviourFn fn);
  /// Drops the instance (live or buffered) and remembers its id as expired. Unknown ids are remembered too.
  void expire(ByteSpan instance_id);
  /// Stops: cancels every timer, drops every instance and buffer; later frames are ignored and propose
  /// fails with kStopped. Idempotent; the destructor calls it.
  void stop();

  /// Handles one frame from operator `from` exactly as the p2p handler of kQbftProtocol does (the handler
  /// calls it). Exposed for the fuzz target and tests; `frame` is untrusted. Ignored after stop().
  void deliver(OperatorIdx from, ByteSpan frame);

  /// Whether `instance_id` is live (started and not expired).
  bool live(ByteSpan instance_id) const;
  /// Whether `instance_id` has decided (and is still live).
  bool decided(ByteSpan instance_id) const;
  /// Current round of a live instance (0 if not live).
  qbft::Round round(ByteSpan instance_id) const;
  /// Bytes held for live instances (engine state) plus buffered frames; bounded by the options.
  std::size_t memory_bytes() const;
  /// Current metrics.
  const QbftDriverMetrics& metrics() const;

  struct Impl;

 private:
  explicit QbftDriver(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

}  // namespace phx::dv
