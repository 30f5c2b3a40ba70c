// `phalanx run`'s metrics: the node's counters and gauges registered with its Prometheus registry (the
// workflow's, the beacon node's and its events', doppelganger protection, peers, the validator client's use of the
// validator API, consensus). Split from node.cpp along its seam (the wiring stays there).
#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "app/bn_events.hpp"
#include "app/consensus.hpp"
#include "app/doppelganger.hpp"
#include "app/monitor.hpp"
#include "app/node_impl.hpp"
#include "app/operator_api.hpp"
#include "beaconapi/vapi/validator_api.hpp"
#include "core/workflow.hpp"
#include "metrics/registry.hpp"
#include "p2p/node.hpp"

namespace phx::app::node_detail {

void DvNode::register_metrics() {
  using metrics::MetricType;
  using metrics::Sample;
  register_duty_metrics(
      registry_, [this] { return workflow_ ? &workflow_->metrics() : nullptr; },
      [this] { return operator_api_ ? &operator_api_->duty_log() : nullptr; });
  // One unlabelled sample read from a component while it exists (`component`: a pointer to the member holding it).
  auto from = [this](auto component, std::string_view name, std::string_view help, MetricType type, auto read) {
    registry_.collect(name, help, type, {}, [this, component, read] {
      std::vector<Sample> out;
      if (const auto& c = this->*component) out.push_back({{}, static_cast<double>(read(*c))});
      return out;
    });
  };
  auto plain = [&](std::string_view name, std::string_view help, MetricType type, auto get) {
    from(&DvNode::workflow_, name, help, type, [get](const core::Workflow& w) { return get(w.metrics()); });
  };
  using M = core::WorkflowMetrics;
  plain("phalanx_consensus_decided_total", "Duties decided by consensus", MetricType::kCounter,
        [](const M& m) { return m.consensus_count; });
  plain("phalanx_consensus_duration_seconds_sum", "Sum of consensus durations (propose to decided)",
        MetricType::kCounter, [](const M& m) { return std::chrono::duration<double>(m.consensus_duration_sum).count(); });
  plain("phalanx_partial_latency_seconds_sum", "Sum of first own partial to submission latencies",
        MetricType::kCounter, [](const M& m) { return std::chrono::duration<double>(m.partial_latency_sum).count(); });
  plain("phalanx_partial_latency_count", "Duties timed from first own partial to submission", MetricType::kCounter,
        [](const M& m) { return m.partial_latency_count; });
  plain("phalanx_partials_received_total", "Peers' partial signatures accepted", MetricType::kCounter,
        [](const M& m) { return m.partials_received; });
  plain("phalanx_partials_rejected_total", "Peers' partial signatures refused", MetricType::kCounter,
        [](const M& m) { return m.partials_rejected; });
  plain("phalanx_partials_blamed_total", "Partial signatures found invalid by aggregation", MetricType::kCounter,
        [](const M& m) { return m.blamed_partials; });
  plain("phalanx_slashing_refusals_total", "Own partials refused by slashing protection", MetricType::kCounter,
        [](const M& m) { return m.slashing_refusals; });
  plain("phalanx_keys_not_loaded_total", "Own partials not made: the key share was still being decrypted (start-up)",
        MetricType::kCounter, [](const M& m) { return m.keys_not_loaded; });
  from(&DvNode::share_keys_, "phalanx_share_keys_loaded", "Key shares decrypted so far (embedded signer)",
       MetricType::kGauge, [](const LiveShareKeys& k) { return k.loaded_count(); });
  plain("phalanx_beacon_errors_total", "Failed beacon node calls", MetricType::kCounter,
        [](const M& m) { return m.beacon_errors; });
  plain("phalanx_fetch_retries_total", "Duty data fetches repeated after a beacon node error", MetricType::kCounter,
        [](const M& m) { return m.fetch_retries; });
  plain("phalanx_consensus_equivocations_total", "Peers proven to send conflicting consensus messages",
        MetricType::kCounter, [](const M& m) { return m.consensus_equivocations; });
  auto events = [&](std::string_view name, std::string_view help, auto get) {
    from(&DvNode::bn_events_, name, help, MetricType::kCounter, [get](const BnEvents& e) { return get(e.stats()); });
  };
  events("phalanx_bn_head_events_total", "Head events from the beacon nodes (each block once)",
         [](const BnEventStats& s) { return s.heads; });
  events("phalanx_bn_reorg_events_total", "chain_reorg events from the beacon nodes",
         [](const BnEventStats& s) { return s.reorgs; });
  events("phalanx_bn_event_stream_ends_total", "Beacon node event streams that ended (reconnected with backoff)",
         [](const BnEventStats& s) { return s.stream_ends; });
  events("phalanx_bn_bad_events_total", "Beacon node head/chain_reorg events whose data did not decode (skipped)",
         [](const BnEventStats& s) { return s.bad_events; });
  events("phalanx_bn_duplicate_heads_total", "Head events already passed on (the same head from another beacon node)",
         [](const BnEventStats& s) { return s.duplicate_heads; });
  // Peers' partial-signature batches refused before the workflow sees them (bad-input table, docs/RELIABILITY.md).
  auto parsig = [&](std::string_view name, std::string_view help, std::uint64_t ParSigExMetrics::*field) {
    from(&DvNode::parsigex_, name, help, MetricType::kCounter,
         [field](const ParSigExAdapter& a) { return a.metrics().*field; });
  };
  parsig("phalanx_parsigex_batches_received_total", "Peers' partial-signature batches decoded",
         &ParSigExMetrics::batches_in);
  parsig("phalanx_parsigex_batches_malformed_total", "Peers' partial-signature frames whose payload did not decode",
         &ParSigExMetrics::batches_malformed);
  parsig("phalanx_parsigex_partials_spoofed_total",
         "Partials a peer sent for another operator's share (dropped; a faulty or malicious peer)",
         &ParSigExMetrics::partials_spoofed);
  parsig("phalanx_parsigex_batches_sent_total", "Own partial-signature batches broadcast", &ParSigExMetrics::batches_out);
  registry_.collect("phalanx_bn_duty_eligible",
                    "1 while the beacon node (endpoint index) may serve duty data (not syncing, not lagging)",
                    MetricType::kGauge, {"bn"}, [this] {
                      std::vector<Sample> out;
                      if (!bn_client_) return out;
                      const auto e = bn_client_->duty_data_eligible();
                      for (std::size_t i = 0; i < e.size(); ++i) out.push_back({{std::to_string(i)}, e[i] ? 1.0 : 0.0});
                      return out;
                    });
  plain("phalanx_bn_future_heads_total", "Head events for a slot after the clock's next one (ignored: a faulty BN)",
        MetricType::kCounter, [](const M& m) { return m.future_heads; });
  plain("phalanx_duty_refreshes_total", "Duty lookups caused by a head event (a changed dependent root)",
        MetricType::kCounter, [](const M& m) { return m.duty_refreshes; });
  plain("phalanx_early_duty_starts_total", "Attester/sync-message duties started by their slot's head before 1/3",
        MetricType::kCounter, [](const M& m) { return m.early_triggers; });
  registry_.collect("phalanx_doppelganger_validators",
                    "Validators per doppelganger-protection status (watching: nothing signed yet; detected: seen live "
                    "without this cluster, never signed for by this process)",
                    MetricType::kGauge, {"status"}, [this] {
                      std::vector<Sample> out;
                      if (!doppelganger_) return out;
                      const auto c = doppelganger_->watch().counts();
                      for (std::size_t i = 0; i < c.size(); ++i)
                        out.push_back({{core::to_string(static_cast<core::DoppelgangerStatus>(i))},
                                       static_cast<double>(c[i])});
                      return out;
                    });
  plain("phalanx_doppelganger_withheld_total", "Own partial signatures withheld by doppelganger protection",
        MetricType::kCounter, [](const M& m) { return m.doppelganger_withheld; });
  // The head-known check and the round-1 comparison with our own BN's view (issue 17).
  auto cons = [&](std::string_view name, std::string_view help, std::uint64_t ConsensusMetrics::*field) {
    from(&DvNode::consensus_, name, help, MetricType::kCounter,
         [field](const ConsensusAdapter& c) { return c.metrics().*field; });
  };
  cons("phalanx_consensus_round1_refused_total",
       "Round-1 attestation proposals not prepared: they differ from this node's beacon node's view",
       &ConsensusMetrics::round1_refused);
  cons("phalanx_consensus_round1_unknown_head_total",
       "Of the refused round-1 proposals: the head block is unknown to this node's beacon node",
       &ConsensusMetrics::round1_unknown_head);
  cons("phalanx_consensus_head_checks_total", "Round-1 proposals' head block roots asked of this node's beacon node",
       &ConsensusMetrics::head_checks);
  cons("phalanx_consensus_head_checks_unanswered_total",
       "Head checks the beacon node did not answer in time (the head then counts as known)",
       &ConsensusMetrics::head_checks_unanswered);
  registry_.collect("phalanx_peers_connected", "Connected peers", MetricType::kGauge, {}, [this] {
    std::vector<Sample> out;
    double c = 0;
    for (std::uint32_t i = 0; p2p_ && i < setup_.operators.size(); ++i)
      if (i != setup_.self.value && p2p_->connected(OperatorIdx{i})) c += 1;
    out.push_back({{}, c});
    return out;
  });
  // The validator client's use of the validator API (vc mode; read by `phalanx test validator`).
  auto vc = [&](std::string_view name, std::string_view help, MetricType type, auto value) {
    from(&DvNode::vapi_, name, help, type, [value](const beaconapi::vapi::ValidatorApi& v) { return value(v.stats()); });
  };
  vc("phalanx_vc_requests_total", "Requests from the validator client (answered here or proxied)",
     MetricType::kCounter, [](const auto& s) { return static_cast<double>(s.intercepted + s.proxied); });
  vc("phalanx_vc_selection_requests_total", "The validator client's DVT selection requests (aggregation duties)",
     MetricType::kCounter, [](const auto& s) { return static_cast<double>(s.selection_requests); });
  vc("phalanx_vc_last_request_timestamp_seconds", "Unix time of the validator client's last request (0: never)",
     MetricType::kGauge, [](const auto& s) {
       return std::chrono::duration<double>(s.last_request.time_since_epoch()).count();
     });
}

}  // namespace phx::app::node_detail
