#include "dv/parsig_transport.hpp"

#include <utility>
#include <vector>

#include "base/log.hpp"

namespace phx::dv {

struct ParSigTransport::Impl {
  Impl(p2p::Node& n, OperatorIdx s, std::uint32_t count, ParSigTransportOptions o)
      : node(n), self(s), n_nodes(count), opts(o) {}

  p2p::Node& node;
  OperatorIdx self;
  std::uint32_t n_nodes;
  ParSigTransportOptions opts;
  ReceivedFn received_fn;
  bool stopped = false;
  ParSigTransportMetrics m;

  void stop() { stopped = true; }

  void on_frame(OperatorIdx from, ByteSpan body) {
    if (stopped) return;
    ++m.frames_in;
    auto frame = decode_parsig_frame(body, opts.max_payload_bytes);
    if (!frame) {
      ++m.frames_rejected[static_cast<std::size_t>(frame.error().value())];
      return;
    }
    if (from.value >= n_nodes || from == self) {
      ++m.frames_rejected[static_cast<std::size_t>(DvError::kBadArgument)];
      return;
    }
    ++m.frames_delivered;
    if (received_fn) received_fn(from, frame->duty_id, frame->payload);
  }

  Result<void> broadcast(ByteSpan duty_id, ByteSpan payload) {
    if (stopped) return fail(DvError::kStopped);
    if (duty_id.empty() || duty_id.size() > kMaxDutyIdBytes || payload.empty() ||
        payload.size() > opts.max_payload_bytes)
      return fail(DvError::kBadArgument);
    const Bytes frame = encode_parsig_frame(duty_id, payload);
    for (std::uint32_t i = 0; i < n_nodes; ++i) {
      if (i == self.value) continue;
      auto r = node.send(OperatorIdx{i}, kParSigProtocol, frame);
      if (r) {
        ++m.frames_out;
      } else {
        ++m.send_errors;
        log::debug("parsigex: send to {} failed: {}", i, r.error().message());
      }
    }
    ++m.broadcasts;
    return {};
  }

  void export_metrics(metrics::Registry& reg, const std::shared_ptr<Impl>& self_ptr) {
    std::weak_ptr<Impl> weak = self_ptr;
    reg.collect("phalanx_parsigex_frames_total", "Partial-signature frames by direction and outcome.",
                metrics::MetricType::kCounter, {"direction"}, [weak]() -> std::vector<metrics::Sample> {
                  auto p = weak.lock();
                  if (!p) return {};
                  return {{{"sent"}, static_cast<double>(p->m.frames_out)},
                          {{"send_error"}, static_cast<double>(p->m.send_errors)},
                          {{"received"}, static_cast<double>(p->m.frames_in)},
                          {{"delivered"}, static_cast<double>(p->m.frames_delivered)}};
                });
    reg.collect("phalanx_parsigex_frames_rejected_total", "Partial-signature frames dropped, by reason.",
                metrics::MetricType::kCounter, {"reason"}, [weak]() -> std::vector<metrics::Sample> {
                  auto p = weak.lock();
                  if (!p) return {};
                  std::vector<metrics::Sample> out;
                  for (std::size_t i = 1; i < kDvErrorCount; ++i) {
                    if (p->m.frames_rejected[i] == 0) continue;
                    out.push_back(
                        {{to_string(static_cast<DvError>(i))}, static_cast<double>(p->m.frames_rejected[i])});
                  }
                  return out;
                });
  }
};

Result<std::unique_ptr<ParSigTransport>> ParSigTransport::create(p2p::Node& node, OperatorIdx self, std::uint32_t n,
                                                                 ParSigTransportOptions options) {
  if (n == 0 || self.value >= n || options.max_payload_bytes == 0 ||
      options.max_payload_bytes + 3 + kMaxDutyIdBytes > p2p::kMaxFrameLimit)
    return fail(DvError::kBadArgument);
  auto impl = std::make_shared<Impl>(node, self, n, options);
  p2p::ProtocolSpec spec;
  spec.id = kParSigProtocol;
  spec.max_frame = static_cast<std::uint32_t>(options.max_payload_bytes + 3 + kMaxDutyIdBytes);
  spec.priority = p2p::Priority::kHigh;
  spec.on_message = [weak = std::weak_ptr<Impl>(impl)](OperatorIdx from, ByteSpan body) {
    if (auto p = weak.lock()) p->on_frame(from, body);
  };
  if (auto r = node.register_protocol(std::move(spec)); !r) return std::unexpected(r.error());
  if (options.registry) impl->export_metrics(*options.registry, impl);
  return std::unique_ptr<ParSigTransport>(new ParSigTransport(std::move(impl)));
}

ParSigTransport::ParSigTransport(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
ParSigTransport::~ParSigTransport() {
  if (impl_) impl_->stop();
}

Result<void> ParSigTransport::broadcast(ByteSpan duty_id, ByteSpan payload) {
  return impl_->broadcast(duty_id, payload);
}
void ParSigTransport::on_received(ReceivedFn fn) { impl_->received_fn = std::move(fn); }
void ParSigTransport::stop() { impl_->stop(); }
const ParSigTransportMetrics& ParSigTransport::metrics() const { return impl_->m; }

}  // namespace phx::dv
