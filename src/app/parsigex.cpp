// core::ParSigExchange over the p2p partial-signature transport (see parsigex.hpp).
#include "app/parsigex.hpp"

#include "base/log.hpp"
#include "core/codec.hpp"

namespace phx::app {

ParSigExAdapter::ParSigExAdapter(dv::ParSigTransport& transport) : transport_(transport) {
  transport_.on_received(
      [this](OperatorIdx from, ByteSpan duty_id, ByteSpan payload) { on_frame(from, duty_id, payload); });
}

Result<void> ParSigExAdapter::broadcast(const core::Duty& duty,
                                        std::span<const std::pair<core::PubKey, core::ParSignedData>> partials) {
  if (partials.empty()) return {};
  const Bytes id = core::encode_duty(duty);
  const Bytes payload = core::encode_partials(duty, partials);
  auto r = transport_.broadcast(id, payload);
  if (r) ++metrics_.batches_out;
  for (const auto& [pk, partial] : partials)
    for (auto& fn : sent_subs_) fn(duty, pk, partial);
  return r;
}

void ParSigExAdapter::on_frame(OperatorIdx from, ByteSpan duty_id, ByteSpan payload) {
  auto batch = core::decode_partials(payload);
  if (!batch) {
    ++metrics_.batches_malformed;
    log::warn("parsigex: dropped a batch from operator {}: {}", from.value, batch.error().message());
    return;
  }
  auto id = core::decode_duty(duty_id);
  if (!id || !(*id == batch->first)) {
    ++metrics_.batches_malformed;
    log::warn("parsigex: dropped a batch from operator {}: frame duty id does not match the batch", from.value);
    return;
  }
  ++metrics_.batches_in;
  const ShareIdx expected{from.value + 1};
  for (const auto& [pk, partial] : batch->second) {
    if (partial.share_idx != expected) {
      ++metrics_.partials_spoofed;
      log::warn("parsigex: operator {} sent a partial for share {} of {}: dropped", from.value,
                partial.share_idx.value, core::to_string(batch->first));
      continue;
    }
    for (auto& fn : subs_) fn(batch->first, pk, partial);
  }
}

}  // namespace phx::app
