#pragma once
/// core::ParSigExchange over the p2p partial-signature transport: batches are encoded with the core codec
/// (core/codec.hpp), one frame per duty to every peer. Received batches are decoded and each partial is
/// checked to come from its sender's own share (share index = sender operator index + 1): a peer cannot speak
/// for another operator's share. Bad batches are counted and dropped, never a crash.
#include <cstdint>
#include <vector>

#include "core/interfaces.hpp"
#include "dv/parsig_transport.hpp"

namespace phx::app {

/// Counters of refused peer batches.
struct ParSigExMetrics {
  std::uint64_t batches_in = 0;         ///< frames decoded
  std::uint64_t batches_malformed = 0;  ///< frames whose payload did not decode
  std::uint64_t partials_spoofed = 0;   ///< partials claiming a share index other than the sender's
  std::uint64_t batches_out = 0;        ///< batches broadcast
};

/// The adapter. Threading: the transport's executor (io thread).
class ParSigExAdapter final : public core::ParSigExchange {
 public:
  /// `transport` is not owned and must outlive the adapter; registers its receive callback.
  explicit ParSigExAdapter(dv::ParSigTransport& transport);
  Result<void> broadcast(const core::Duty& duty,
                         std::span<const std::pair<core::PubKey, core::ParSignedData>> partials) override;
  void subscribe_received(ReceivedFn fn) override { subs_.push_back(std::move(fn)); }
  /// Calls `fn` for each of this node's own partials as it is broadcast (the operator API keeps partial exits).
  void subscribe_sent(ReceivedFn fn) { sent_subs_.push_back(std::move(fn)); }
  /// Counters.
  const ParSigExMetrics& metrics() const { return metrics_; }
  /// Handles one received frame (public for tests and fuzzing of the adapter path).
  void on_frame(OperatorIdx from, ByteSpan duty_id, ByteSpan payload);

 private:
  dv::ParSigTransport& transport_;
  std::vector<ReceivedFn> subs_;
  std::vector<ReceivedFn> sent_subs_;
  ParSigExMetrics metrics_;
};

}  // namespace phx::app
