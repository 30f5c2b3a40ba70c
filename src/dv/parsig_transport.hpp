#pragma once
/// Partial-signature exchange over the p2p node (protocol kParSigProtocol, "/phalanx/parsigex/1"): this
/// node's partial signatures of a duty are sent to every other operator, and frames received from peers are
/// handed to the subscriber with the authenticated sender index. The payload is opaque here (the core codec
/// of partial-signature batches; the subscriber decodes and verifies it). Frame format: dv/frame.hpp.
///
/// Peer frames are untrusted: a malformed or oversize frame is counted by reason and dropped (p2p already
/// closes connections whose frames exceed the protocol limit before reading them).
///
/// Threading: use from the node's executor (io thread) only; the callback runs on that thread.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>

#include "base/bytes.hpp"
#include "base/ids.hpp"
#include "base/result.hpp"
#include "dv/frame.hpp"
#include "metrics/registry.hpp"
#include "p2p/node.hpp"

namespace phx::dv {

/// Tunables of the transport.
struct ParSigTransportOptions {
  /// Largest payload sent or accepted (the p2p frame limit is this plus the frame header).
  std::size_t max_payload_bytes = 8u << 20;
  /// If set, metrics are registered and updated there too (names `phalanx_parsigex_*`); must outlive the
  /// transport. One transport per registry: one created later takes over the exported names.
  metrics::Registry* registry = nullptr;
};

/// Plain counters of the transport.
struct ParSigTransportMetrics {
  std::uint64_t broadcasts = 0;     ///< broadcast() calls that were sent
  std::uint64_t frames_out = 0;     ///< frames queued (one per peer per broadcast)
  std::uint64_t send_errors = 0;    ///< per-peer p2p send errors
  std::uint64_t frames_in = 0;      ///< frames received (valid or not)
  std::uint64_t frames_delivered = 0;  ///< valid frames handed to the subscriber
  DvErrorCounts frames_rejected{};  ///< by DvError
  /// Rejections of one reason.
  std::uint64_t rejected(DvError e) const { return frames_rejected[static_cast<std::size_t>(e)]; }
};

/// Sends and receives partial-signature payloads keyed by an opaque duty id.
class ParSigTransport {
 public:
  /// Called per valid frame from a peer: authenticated sender, duty id, payload (spans valid during the call).
  using ReceivedFn = std::function<void(OperatorIdx from, ByteSpan duty_id, ByteSpan payload)>;

  /// Creates the transport and registers kParSigProtocol on `node`, which must not be started yet and must
  /// outlive the transport. `n` = number of operators (1..p2p limits). Errors: kBadArgument (n = 0,
  /// self ≥ n, max_payload_bytes too large for a p2p frame), or the node's register_protocol error.
  static Result<std::unique_ptr<ParSigTransport>> create(p2p::Node& node, OperatorIdx self, std::uint32_t n,
                                                         ParSigTransportOptions options = {});
  ~ParSigTransport();
  ParSigTransport(const ParSigTransport&) = delete;
  ParSigTransport& operator=(const ParSigTransport&) = delete;

  /// Queues one frame (duty_id, payload) to every other operator (fire-and-forget: p2p queues it per peer
  /// and delivers once connected). Errors: kBadArgument (duty id length not 1..kMaxDutyIdBytes, payload
  /// empty or above max_payload_bytes), kStopped. A peer whose send fails is counted, not an error.
  Result<void> broadcast(ByteSpan duty_id, ByteSpan payload);
  /// Registers the receive callback (replaces any earlier one).
  void on_received(ReceivedFn fn);
  /// Stops: later frames are ignored and broadcast fails with kStopped. Idempotent.
  void stop();
  /// Current metrics.
  const ParSigTransportMetrics& metrics() const;

  struct Impl;

 private:
  explicit ParSigTransport(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

}  // namespace phx::dv
