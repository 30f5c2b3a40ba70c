#pragma once
/// The node's operator visibility, fed by the wiring (node.cpp) on the io thread: per slot it builds a
/// health::Snapshot (beacon node, peers, finished duties, consensus rounds, memory), runs the health evaluator
/// (readiness for /readyz, failing checks) and keeps the counts behind the status page (per-operator
/// participation and per-duty-type outcomes over 1 h and 24 h). It owns the metric families of readiness and
/// health, the cluster, each peer (connected, RTT, clock offset, bytes, drops, dial failures, info), per-peer
/// participation, time-in-slot marks per duty stage, consensus rounds and the beacon nodes' latency/errors.
/// Labels: `peer` is the operator index (never a key), `duty` the duty type name, `bn` the endpoint's index.
#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.hpp"
#include "core/explain_log.hpp"
#include "core/workflow.hpp"
#include "health/health.hpp"
#include "metrics/registry.hpp"

namespace phx::app {

/// This build's version (the `--version` output, phalanx_build_info, the peer-info message).
inline constexpr const char* kPhalanxVersion = "0.1.0";

/// The first `max` bytes of `s` with every byte outside printable ASCII replaced by '?' (strings from a BN or a
/// VC that go into the peer-info message or onto the status page).
std::string printable_ascii(std::string_view s, std::size_t max);

/// Registers phalanx_duties_total{duty,outcome=success|failure} (from the workflow's counters) and
/// phalanx_duty_failures_total{duty,reason} (reason codes of docs/reasons.md, from the duty log); a getter
/// returning nullptr means "not running yet" (no samples).
void register_duty_metrics(metrics::Registry& registry, std::function<const core::WorkflowMetrics*()> workflow,
                           std::function<const core::DutyLog*()> duty_log);

/// What the monitor knows about the cluster and chain.
struct MonitorOptions {
  std::uint32_t operators = 1;
  std::uint32_t threshold = 1;
  std::uint32_t self = 0;          ///< this node's operator index
  std::size_t validators = 0;
  bool vc_mode = false;
  Duration slot_duration = std::chrono::seconds(12);
  std::uint64_t slots_per_epoch = 32;
  std::size_t beacon_nodes = 1;    ///< configured BN endpoints (label `bn` = 0 … n−1)
  std::uint64_t genesis_time = 0;  ///< unix seconds: before it, readiness is waiting_for_genesis
  std::string version = kPhalanxVersion;
  health::Thresholds thresholds;
};

/// The point of its slot (a fraction of the slot) after which a duty's broadcast is late: the protocol's next step
/// has used what was there by then — attesters vote on the block at 1/3, aggregators and sync-committee
/// contributors collect at 2/3, the next slot's proposer includes aggregates and contributions. Nullopt for
/// duties without such a point (selections, RANDAO, registrations, exits).
std::optional<double> due_fraction(core::DutyType type);

/// One peer as the p2p layer reports it in a slot (the app copies it from p2p::Node).
struct PeerReading {
  bool connected = false;
  std::optional<double> rtt_ms;
  std::optional<double> clock_offset_ms;
  std::uint64_t bytes_in = 0, bytes_out = 0, drops = 0, dial_failures = 0, disconnects = 0, stalls = 0;
  std::optional<std::string> version;     ///< from its peer-info message
  std::optional<bool> lock_match;
  std::optional<std::uint64_t> start_time;  ///< unix seconds
  std::optional<std::uint8_t> readiness;    ///< its health::Readiness value
  std::optional<std::string> bn_client;     ///< its beacon node's version (peer info; nullopt: not told)
  std::optional<std::string> vc_client;     ///< its validator client's User-Agent (peer info; nullopt: none told)
};

/// The beacon node side of a slot.
struct BnReading {
  bool reachable = false;
  bool syncing = false;
  std::uint64_t sync_distance = 0;
  std::optional<std::uint64_t> head_slot;
  std::optional<std::uint64_t> peers;   ///< its connected peers (getPeerCount), when known
  std::optional<std::string> version;   ///< its getNodeVersion, when known
  std::size_t last_used = 0;  ///< index of the endpoint that answered last
};

/// Outcome counts of one operator or duty type over a window.
struct Tally {
  std::uint64_t ok = 0, missing = 0, late = 0, blamed = 0;  ///< operators
  std::uint64_t success = 0, failed = 0, expected = 0;      ///< duty types
};

/// One epoch of one duty type's strip on the status page.
struct EpochTally {
  std::uint64_t epoch = 0;
  std::uint64_t success = 0, failed = 0, expected = 0;  ///< finished duties of the epoch's slots
};

/// See the file comment. Threading: the io thread only.
class NodeMonitor {
 public:
  /// Registers the metric families in `registry` (which must outlive the monitor) and pre-creates the series
  /// whose absence would hide a problem (every check's failing gauge, every peer's participation counters).
  NodeMonitor(metrics::Registry& registry, const Clock& clock, MonitorOptions options);

  /// A finished duty (Workflow::subscribe_results): participation per peer, time-in-slot marks, rounds, tallies.
  void on_result(const core::DutyResult& result);
  /// A peer's partial that arrived after the duty finished here (OperatorApi's duty log said so).
  void on_late_partial(const core::Duty& duty, ShareIdx share);
  /// A beacon node call finished (BnClientOptions::observer).
  void on_bn_call(std::size_t bn, Duration elapsed, bool ok);
  /// A hedged call over several beacon nodes used BN `bn`'s answer (BnClientOptions::on_selected): `call` is
  /// "attestation_data", "block", "aggregate" or "contribution".
  void on_bn_selected(std::size_t bn, std::string_view call);
  /// A head event, `delay` after the start of its slot.
  void on_head(Duration delay);
  /// The validator client made a request (any validator API route).
  void on_vc_request() { vc_requested_ = true; vc_last_request_ = clock_.now(); }

  /// Closes slot `slot`: builds the snapshot from the readings and what was fed since the last call, updates
  /// the verdict and the gauges. `peers` by operator index (this node's entry ignored).
  const health::Verdict& on_slot(Slot slot, const std::vector<PeerReading>& peers, const BnReading& bn,
                                 std::optional<std::uint64_t> rss_bytes);
  /// The verdict after the last slot (readiness kUnknown before the first).
  const health::Verdict& verdict() const { return evaluator_.verdict(); }
  /// Per operator (index) over the last `window` (≤ 24 h): its partials ok / missing / late / blamed.
  std::vector<Tally> operator_tallies(std::chrono::minutes window) const;
  /// Per duty type value (index 1 … kDutyTypeCount) over the last `window`: success / failed / expected.
  std::vector<Tally> duty_tallies(std::chrono::minutes window) const;
  /// Per duty type value (index 1 … kDutyTypeCount): its outcomes in each of the last `epochs` epochs up to and
  /// including `current` (oldest first; epochs without duties have zero counts).
  std::vector<std::vector<EpochTally>> epoch_strips(std::uint64_t current, std::size_t epochs) const;
  /// The time-in-slot histograms per duty type and stage (phalanx_duty_mark_seconds) and the BN's head delay.
  const metrics::HistogramFamily& marks() const { return *marks_; }
  const metrics::Histogram& head_delay() const { return *head_delay_; }
  /// Epochs kept for epoch_strips().
  static constexpr std::size_t kStripEpochs = 32;

  /// The peer readings of the last slot (by operator index; empty before the first slot).
  const std::vector<PeerReading>& peers() const { return peers_; }
  /// When operator `i` was last seen connected (at a slot close; nullopt: never).
  std::optional<TimePoint> last_seen(std::size_t i) const {
    return i < last_seen_.size() ? last_seen_[i] : std::nullopt;
  }
  /// The beacon node reading of the last slot.
  const BnReading& bn() const { return bn_; }
  /// Per BN endpoint: calls and errors over the node's life, and the mean latency in seconds.
  struct BnCalls {
    std::uint64_t calls = 0, errors = 0;
    double seconds = 0;
  };
  const std::vector<BnCalls>& bn_calls() const { return bn_calls_; }
  /// When the VC last made a request (nullopt: never).
  std::optional<TimePoint> vc_last_request() const { return vc_last_request_; }
  /// Unix seconds the monitor was made (≈ node start).
  std::uint64_t start_time() const { return start_time_; }
  /// Options.
  const MonitorOptions& options() const { return options_; }

  /// Outcome labels of phalanx_peer_participation_total.
  static constexpr std::array<const char*, 4> kParticipation = {"ok", "missing", "late", "blamed"};
  /// Stage labels of phalanx_duty_mark_seconds.
  static constexpr std::array<const char*, 4> kStages = {"decided", "own_partial", "aggregated", "broadcast"};

 private:
  struct Minute {  // one minute's counts (1 h / 24 h windows of the status page)
    std::int64_t minute = 0;
    std::vector<Tally> operators;  // by operator index
    std::vector<Tally> duties;     // by duty type value
  };
  Minute& minute_now();
  std::vector<Tally> sum_minutes(std::chrono::minutes window, std::vector<Tally> Minute::*part,
                                 std::size_t size) const;

  metrics::Registry& registry_;
  const Clock& clock_;
  MonitorOptions options_;
  health::Evaluator evaluator_;
  std::uint64_t start_time_ = 0;
  std::deque<Minute> minutes_;  // oldest first, at most 24 h
  std::map<std::uint64_t, std::vector<EpochTally>> epochs_;  // by epoch, per duty type value; the last kStripEpochs
  // Fed since the last slot.
  health::Snapshot pending_;
  bool vc_requested_ = false;
  std::optional<TimePoint> vc_last_request_;
  std::vector<PeerReading> peers_;
  std::vector<std::optional<TimePoint>> last_seen_;
  BnReading bn_;
  std::vector<BnCalls> bn_calls_;
  // Metric objects.
  metrics::Gauge* readiness_ = nullptr;
  metrics::GaugeFamily* failing_ = nullptr;
  metrics::CounterFamily* participation_ = nullptr;
  metrics::HistogramFamily* marks_ = nullptr;
  metrics::CounterFamily* rounds_ = nullptr;
  metrics::HistogramFamily* bn_latency_ = nullptr;
  metrics::CounterFamily* bn_selected_ = nullptr;
  metrics::Histogram* head_delay_ = nullptr;
  metrics::HistogramFamily* peer_rtt_ = nullptr;
  metrics::GaugeFamily* last_success_ = nullptr;
  metrics::CounterFamily* late_ = nullptr;
  metrics::Gauge* rss_ = nullptr;
  metrics::Gauge* slot_ = nullptr;
};

}  // namespace phx::app
