// NodeMonitor: snapshots for the health evaluator, the status page's windows, and the operator metrics.
#include "app/monitor.hpp"

#include <algorithm>

namespace phx::app {

namespace {

using metrics::MetricType;
using metrics::Sample;

double seconds(Duration d) { return std::chrono::duration<double>(d).count(); }

/// Time-in-slot buckets (seconds from the slot start) shared by the marks and the head delay.
std::vector<double> slot_buckets() { return {0.1, 0.25, 0.5, 1, 1.5, 2, 3, 4, 5, 6, 8, 10, 12, 16, 24}; }

}  // namespace

std::string printable_ascii(std::string_view s, std::size_t max) {
  std::string out;
  for (char c : s.substr(0, std::min(max, s.size()))) out.push_back(c >= 0x20 && c <= 0x7e ? c : '?');
  return out;
}

void register_duty_metrics(metrics::Registry& registry, std::function<const core::WorkflowMetrics*()> workflow,
                           std::function<const core::DutyLog*()> duty_log) {
  registry.collect("phalanx_duties_total", "Finished duties by type and outcome", MetricType::kCounter,
                   {"duty", "outcome"}, [workflow] {
                     std::vector<Sample> out;
                     const core::WorkflowMetrics* m = workflow ? workflow() : nullptr;
                     if (!m) return out;
                     for (std::uint8_t t = 1; t <= core::kDutyTypeCount; ++t) {
                       const char* name = core::to_string(static_cast<core::DutyType>(t));
                       out.push_back({{name, "success"}, static_cast<double>(m->duties_succeeded[t])});
                       out.push_back({{name, "failure"}, static_cast<double>(m->duties_failed[t])});
                     }
                     return out;
                   });
  // Failures by reason code (docs/reasons.md): low cardinality (duty type × code), only codes seen so far.
  registry.collect("phalanx_duty_failures_total", "Failed duties by type and reason code (docs/reasons.md)",
                   MetricType::kCounter, {"duty", "reason"}, [duty_log] {
                     std::vector<Sample> out;
                     const core::DutyLog* log = duty_log ? duty_log() : nullptr;
                     if (!log) return out;
                     for (std::uint8_t t = 1; t <= core::kDutyTypeCount; ++t)
                       for (std::size_t c = 1; c < core::kReasonCount; ++c) {
                         const auto type = static_cast<core::DutyType>(t);
                         const auto code = static_cast<core::Reason>(c);
                         if (const auto n = log->failures(type, code); n != 0)
                           out.push_back({{core::to_string(type), core::reason_info(code).code}, static_cast<double>(n)});
                       }
                     return out;
                   });
}

NodeMonitor::NodeMonitor(metrics::Registry& registry, const Clock& clock, MonitorOptions options)
    : registry_(registry),
      clock_(clock),
      options_(std::move(options)),
      evaluator_(health::Options{options_.slot_duration, options_.slots_per_epoch, options_.thresholds}) {
  start_time_ = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::seconds>(clock_.now().time_since_epoch()).count());
  pending_.peers.resize(options_.operators);
  peers_.resize(options_.operators);
  bn_calls_.resize(std::max<std::size_t>(options_.beacon_nodes, 1));
  auto& r = registry_;

  readiness_ = &r.gauge("phalanx_readiness",
                        "Readiness state: 0 unknown, 1 ready, 2 BN down, 3 BN syncing, 4 BN far behind, 5 BN without "
                        "peers, 6 no quorum of peers, 7 VC silent, 8 waiting for genesis (docs/health_checks.md)");
  failing_ = &r.gauge_family("phalanx_health_check_failing",
                             "1 while the health check fails (docs/health_checks.md, docs/runbook.md)",
                             {"check", "severity"});
  for (const auto& c : health::checks()) failing_->labels({c.code, health::to_string(c.severity)}).set(0);
  r.gauge_family("phalanx_build_info", "This node's version (value 1)", {"version"}).labels({options_.version}).set(1);
  r.gauge("phalanx_start_time_seconds", "Unix time the node started").set(static_cast<double>(start_time_));
  r.gauge("phalanx_cluster_operators", "Operators in the cluster lock").set(options_.operators);
  r.gauge("phalanx_cluster_threshold", "Partial signatures needed (the lock's threshold)").set(options_.threshold);
  r.gauge("phalanx_cluster_validators", "Distributed validators in the cluster lock")
      .set(static_cast<double>(options_.validators));
  rss_ = &r.gauge("phalanx_process_resident_memory_bytes", "Resident memory of the node process");
  slot_ = &r.gauge("phalanx_current_slot", "The slot the node last closed");

  // Peers, from the last slot's readings (label peer = operator index; this node has no series).
  auto per_peer = [this](auto get) {
    return [this, get] {
      std::vector<Sample> out;
      for (std::size_t i = 0; i < peers_.size(); ++i)
        if (i != options_.self)
          if (auto v = get(peers_[i])) out.push_back({{std::to_string(i)}, *v});
      return out;
    };
  };
  r.collect("phalanx_peer_connected", "1 while an authenticated connection to the operator is up", MetricType::kGauge,
            {"peer"}, per_peer([](const PeerReading& p) -> std::optional<double> { return p.connected ? 1 : 0; }));
  r.collect("phalanx_peer_clock_offset_seconds", "The operator's clock minus ours (last peer-info estimate)",
            MetricType::kGauge, {"peer"}, per_peer([](const PeerReading& p) -> std::optional<double> {
              if (!p.clock_offset_ms) return std::nullopt;
              return *p.clock_offset_ms / 1000;
            }));
  r.collect("phalanx_peer_drops_total", "Frames to the operator dropped from a full send queue", MetricType::kCounter,
            {"peer"}, per_peer([](const PeerReading& p) -> std::optional<double> { return double(p.drops); }));
  r.collect("phalanx_peer_dial_failures_total", "Failed TCP dials of the operator", MetricType::kCounter, {"peer"},
            per_peer([](const PeerReading& p) -> std::optional<double> { return double(p.dial_failures); }));
  r.collect("phalanx_peer_stalls_total",
            "Times the connection to the operator went silent for 3 s (a new connection is then dialled beside it)",
            MetricType::kCounter, {"peer"},
            per_peer([](const PeerReading& p) -> std::optional<double> { return double(p.stalls); }));
  r.collect("phalanx_peer_disconnects_total", "Connections to the operator that closed", MetricType::kCounter,
            {"peer"}, per_peer([](const PeerReading& p) -> std::optional<double> { return double(p.disconnects); }));
  r.collect("phalanx_peer_readiness", "The operator's own readiness state (from its peer-info message)",
            MetricType::kGauge, {"peer"}, per_peer([](const PeerReading& p) -> std::optional<double> {
              if (!p.readiness) return std::nullopt;
              return double(*p.readiness);
            }));
  r.collect("phalanx_peer_bytes_total", "Bytes exchanged with the operator", MetricType::kCounter,
            {"peer", "direction"}, [this] {
              std::vector<Sample> out;
              for (std::size_t i = 0; i < peers_.size(); ++i) {
                if (i == options_.self) continue;
                out.push_back({{std::to_string(i), "in"}, double(peers_[i].bytes_in)});
                out.push_back({{std::to_string(i), "out"}, double(peers_[i].bytes_out)});
              }
              return out;
            });
  r.collect("phalanx_peer_info", "The operator's version and lock match from its peer-info message (value 1)",
            MetricType::kGauge, {"peer", "version", "lock_match"}, [this] {
              std::vector<Sample> out;
              for (std::size_t i = 0; i < peers_.size(); ++i) {
                const auto& p = peers_[i];
                if (i == options_.self || !p.version) continue;
                out.push_back({{std::to_string(i), *p.version,
                                p.lock_match ? (*p.lock_match ? "true" : "false") : "unknown"},
                               1});
              }
              return out;
            });
  r.collect("phalanx_vc_last_request_timestamp_seconds", "Unix time of the validator client's last request",
            MetricType::kGauge, {}, [this] {
              std::vector<Sample> out;
              if (vc_last_request_) out.push_back({{}, seconds(vc_last_request_->time_since_epoch())});
              return out;
            });
  peer_rtt_ = &r.histogram_family("phalanx_peer_rtt_seconds", "Ping round trip to the operator, sampled each slot",
                                  {"peer"}, metrics::exponential_buckets(0.001, 2, 12));
  participation_ = &r.counter_family(
      "phalanx_peer_participation_total",
      "Per operator and duty type: partial ok, missing when the duty finished here, late (arrived after), blamed",
      {"duty", "peer", "outcome"});
  for (std::uint32_t i = 0; i < options_.operators; ++i)
    if (i != options_.self)
      for (auto o : kParticipation) participation_->labels({"attester", std::to_string(i), o});
  marks_ = &r.histogram_family("phalanx_duty_mark_seconds",
                               "Time in the slot at which a duty reached a stage (decided, own partial, aggregated, "
                               "broadcast)",
                               {"duty", "stage"}, slot_buckets());
  rounds_ = &r.counter_family("phalanx_consensus_rounds_total", "Consensus decisions by duty type and deciding round",
                              {"duty", "round"});
  last_success_ = &r.gauge_family("phalanx_last_success_slot", "Slot of the last successful duty of each type",
                                  {"duty"});
  late_ = &r.counter_family("phalanx_duties_late_total",
                            "Successful duties broadcast after the point of their slot where the protocol uses them "
                            "(block 1/3, attestation and sync message 2/3, aggregate and contribution: slot end)",
                            {"duty"});
  bn_latency_ = &r.histogram_family("phalanx_bn_request_duration_seconds",
                                    "Beacon node calls by endpoint index and outcome (ok, error)", {"bn", "outcome"},
                                    metrics::exponential_buckets(0.005, 2, 12));
  for (std::size_t b = 0; b < bn_calls_.size(); ++b) bn_latency_->labels({std::to_string(b), "ok"});
  bn_selected_ = &r.counter_family("phalanx_bn_selected_total",
                                   "Hedged duty-data calls by the beacon node whose answer was used (endpoint index) "
                                   "and call (attestation_data, block, aggregate, contribution)",
                                   {"bn", "call"});
  if (bn_calls_.size() > 1)
    for (std::size_t b = 0; b < bn_calls_.size(); ++b)
      for (const char* c : {"attestation_data", "block", "aggregate", "contribution"})
        bn_selected_->labels({std::to_string(b), c});
  head_delay_ = &r.histogram("phalanx_bn_head_delay_seconds", "Head events' arrival time in their slot",
                             slot_buckets());
  r.collect("phalanx_bn_fallback_in_use", "1 while a fallback (not the first) beacon node answers",
            MetricType::kGauge, {}, [this] { return std::vector<Sample>{{{}, bn_.last_used != 0 ? 1.0 : 0.0}}; });
  r.collect("phalanx_bn_sync_distance", "The beacon node's sync distance (slots)", MetricType::kGauge, {},
            [this] { return std::vector<Sample>{{{}, double(bn_.sync_distance)}}; });
  r.collect("phalanx_bn_up", "1 while a beacon node answers the sync-status poll", MetricType::kGauge, {},
            [this] { return std::vector<Sample>{{{}, bn_.reachable ? 1.0 : 0.0}}; });
}

NodeMonitor::Minute& NodeMonitor::minute_now() {
  const auto m = std::chrono::duration_cast<std::chrono::minutes>(clock_.now().time_since_epoch()).count();
  if (minutes_.empty() || minutes_.back().minute != m) {
    Minute fresh;
    fresh.minute = m;
    fresh.operators.resize(options_.operators);
    fresh.duties.resize(core::kDutyTypeCount + 1);
    minutes_.push_back(std::move(fresh));
  }
  while (!minutes_.empty() && minutes_.front().minute <= m - 24 * 60) minutes_.pop_front();
  return minutes_.back();
}

std::optional<double> due_fraction(core::DutyType type) {
  switch (type) {
    case core::DutyType::kProposer:
    case core::DutyType::kBuilderProposer:
      return 1.0 / 3.0;
    case core::DutyType::kAttester:
    case core::DutyType::kSyncMessage:
      return 2.0 / 3.0;
    case core::DutyType::kAggregator:
    case core::DutyType::kSyncContribution:
      return 1.0;
    default:
      return std::nullopt;
  }
}

void NodeMonitor::on_result(const core::DutyResult& result) {
  const auto& rep = result.report;
  const char* duty = core::to_string(rep.duty.type);
  const auto type = static_cast<std::size_t>(rep.duty.type);
  Minute& m = minute_now();
  const auto outcome = rep.success ? 0 : rep.expected ? 2 : 1;
  if (type < m.duties.size()) {
    if (outcome == 0) ++m.duties[type].success;
    if (outcome == 1) ++m.duties[type].failed;
    if (outcome == 2) ++m.duties[type].expected;
  }
  const std::uint64_t epoch = rep.duty.slot.value / std::max<std::uint64_t>(options_.slots_per_epoch, 1);
  if (epochs_.empty() || epoch + kStripEpochs > epochs_.rbegin()->first) {
    auto& strip = epochs_[epoch];
    strip.resize(core::kDutyTypeCount + 1);
    if (type < strip.size()) {
      strip[type].epoch = epoch;
      (outcome == 0 ? strip[type].success : outcome == 1 ? strip[type].failed : strip[type].expected) += 1;
    }
    while (epochs_.size() > kStripEpochs) epochs_.erase(epochs_.begin());
  }
  auto& counts = pending_.duties[duty];
  ++counts.finished;
  if (outcome == 1) ++counts.failed;
  if (options_.vc_mode && result.validators > 0) pending_.vc_duties = true;
  if (rep.success) {
    last_success_->labels({duty}).set(static_cast<double>(rep.duty.slot.value));
    auto b = std::find_if(rep.timeline.begin(), rep.timeline.end(),
                          [](const core::TimelineEvent& e) { return e.event == core::Event::kBroadcast; });
    if (const auto due = due_fraction(rep.duty.type); due && b != rep.timeline.end() &&
                                                       seconds(b->offset) > *due * seconds(options_.slot_duration))
      late_->labels({duty}).inc();
  }
  if (rep.round_decided && rep.round > 0) {
    ++pending_.decided;
    if (rep.round >= 2) ++pending_.decided_late_round;
    rounds_->labels({duty, rep.round >= 3 ? "3+" : std::to_string(rep.round)}).inc();
  }
  // Time-in-slot marks: the first time each stage was reached.
  static constexpr std::array<core::Event, 4> kStageEvents = {core::Event::kDecided, core::Event::kOwnPartial,
                                                              core::Event::kAggregated, core::Event::kBroadcast};
  for (std::size_t s = 0; s < kStageEvents.size(); ++s) {
    auto it = std::find_if(rep.timeline.begin(), rep.timeline.end(),
                           [&](const core::TimelineEvent& e) { return e.event == kStageEvents[s]; });
    if (it != rep.timeline.end()) marks_->labels({duty, kStages[s]}).observe(std::max(0.0, seconds(it->offset)));
  }
  // Participation: a peer's partial is expected once the duty got to its partials (decided, or partials seen).
  const bool expected = rep.last_step >= core::Step::kDecided || !rep.partials.empty() || !rep.missing.empty();
  if (!expected) return;
  for (std::uint32_t i = 0; i < options_.operators; ++i) {
    if (i == options_.self) continue;
    const ShareIdx share{i + 1};
    const bool blamed = std::find(rep.blamed.begin(), rep.blamed.end(), share) != rep.blamed.end();
    const bool sent = std::any_of(rep.partials.begin(), rep.partials.end(),
                                  [&](const core::PartialArrival& a) { return a.share == share; });
    const std::size_t o = blamed ? 3 : sent ? 0 : 1;
    participation_->labels({duty, std::to_string(i), kParticipation[o]}).inc();
    auto& t = m.operators[i];
    if (o == 0) ++t.ok;
    if (o == 1) ++t.missing;
    if (o == 3) ++t.blamed;
    ++pending_.peers[i].expected;
    if (o == 1) ++pending_.peers[i].missing;
  }
}

void NodeMonitor::on_late_partial(const core::Duty& duty, ShareIdx share) {
  if (share.value == 0 || share.value > options_.operators || share.value - 1 == options_.self) return;
  const std::uint32_t i = share.value - 1;
  participation_->labels({core::to_string(duty.type), std::to_string(i), "late"}).inc();
  ++minute_now().operators[i].late;
  ++pending_.peers[i].late;
}

void NodeMonitor::on_bn_call(std::size_t bn, Duration elapsed, bool ok) {
  if (bn >= bn_calls_.size()) return;
  bn_latency_->labels({std::to_string(bn), ok ? "ok" : "error"}).observe(seconds(elapsed));
  auto& c = bn_calls_[bn];
  ++c.calls;
  if (!ok) ++c.errors;
  c.seconds += seconds(elapsed);
  ++pending_.bn.calls;
  pending_.bn.call_seconds += seconds(elapsed);
}

void NodeMonitor::on_bn_selected(std::size_t bn, std::string_view call) {
  if (bn >= bn_calls_.size()) return;
  bn_selected_->labels({std::to_string(bn), std::string(call)}).inc();
}

void NodeMonitor::on_head(Duration delay) {
  head_delay_->observe(std::max(0.0, seconds(delay)));
  ++pending_.bn.heads;
  if (delay > options_.slot_duration / 3) ++pending_.bn.heads_late;
}

const health::Verdict& NodeMonitor::on_slot(Slot slot, const std::vector<PeerReading>& peers, const BnReading& bn,
                                            std::optional<std::uint64_t> rss_bytes) {
  peers_ = peers;
  peers_.resize(options_.operators);
  last_seen_.resize(options_.operators);
  for (std::size_t i = 0; i < peers_.size(); ++i)
    if (peers_[i].connected) last_seen_[i] = clock_.now();
  bn_ = bn;
  health::Snapshot s = std::move(pending_);
  s.slot = slot.value;
  s.self = options_.self;
  s.threshold = options_.threshold;
  s.version = options_.version;
  s.vc_mode = options_.vc_mode;
  s.vc_requested = vc_requested_;
  s.rss_bytes = rss_bytes;
  if (const TimePoint genesis{std::chrono::seconds(options_.genesis_time)}; clock_.now() < genesis)
    s.genesis_in = std::chrono::duration_cast<Duration>(genesis - clock_.now());
  s.peers.resize(options_.operators);
  for (std::size_t i = 0; i < peers_.size(); ++i) {
    const auto& p = peers_[i];
    auto& sp = s.peers[i];
    sp.connected = i == options_.self || p.connected;
    sp.rtt_ms = p.rtt_ms;
    sp.clock_offset_ms = p.clock_offset_ms;
    sp.version = p.version;
    sp.lock_match = p.lock_match;
    if (i != options_.self && p.connected && p.rtt_ms) peer_rtt_->labels({std::to_string(i)}).observe(*p.rtt_ms / 1000);
  }
  s.bn.reachable = bn.reachable;
  s.bn.syncing = bn.syncing;
  s.bn.sync_distance = bn.sync_distance;
  s.bn.peers = bn.peers;
  s.bn.fallback_in_use = bn.last_used != 0;
  const auto& v = evaluator_.update(s);

  pending_ = health::Snapshot{};
  pending_.peers.resize(options_.operators);
  vc_requested_ = false;
  readiness_->set(static_cast<double>(v.readiness));
  for (const auto& c : health::checks())
    failing_->labels({c.code, health::to_string(c.severity)}).set(v.is_failing(c.id) ? 1 : 0);
  if (rss_bytes) rss_->set(static_cast<double>(*rss_bytes));
  slot_->set(static_cast<double>(slot.value));
  return v;
}

std::vector<Tally> NodeMonitor::sum_minutes(std::chrono::minutes window, std::vector<Tally> Minute::*part,
                                             std::size_t size) const {
  std::vector<Tally> out(size);
  const auto now = std::chrono::duration_cast<std::chrono::minutes>(clock_.now().time_since_epoch()).count();
  for (const auto& m : minutes_) {
    if (m.minute <= now - window.count()) continue;
    const auto& counts = m.*part;
    for (std::size_t i = 0; i < out.size() && i < counts.size(); ++i) {
      out[i].ok += counts[i].ok;
      out[i].missing += counts[i].missing;
      out[i].late += counts[i].late;
      out[i].blamed += counts[i].blamed;
      out[i].success += counts[i].success;
      out[i].failed += counts[i].failed;
      out[i].expected += counts[i].expected;
    }
  }
  return out;
}

std::vector<std::vector<EpochTally>> NodeMonitor::epoch_strips(std::uint64_t current, std::size_t epochs) const {
  std::vector<std::vector<EpochTally>> out(core::kDutyTypeCount + 1);
  epochs = std::min<std::size_t>(epochs, kStripEpochs);
  const std::uint64_t first = current + 1 >= epochs ? current + 1 - epochs : 0;
  for (std::size_t t = 1; t < out.size(); ++t)
    for (std::uint64_t e = first; e <= current; ++e) {
      EpochTally tally;
      tally.epoch = e;
      if (auto it = epochs_.find(e); it != epochs_.end() && t < it->second.size()) {
        tally.success = it->second[t].success;
        tally.failed = it->second[t].failed;
        tally.expected = it->second[t].expected;
      }
      out[t].push_back(tally);
    }
  return out;
}

std::vector<Tally> NodeMonitor::operator_tallies(std::chrono::minutes window) const {
  return sum_minutes(window, &Minute::operators, options_.operators);
}

std::vector<Tally> NodeMonitor::duty_tallies(std::chrono::minutes window) const {
  return sum_minutes(window, &Minute::duties, core::kDutyTypeCount + 1);
}

}  // namespace phx::app
