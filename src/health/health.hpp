#pragma once
/// Readiness and health checks of a DV node, sans-IO: the app hands the Evaluator one Snapshot per slot (what
/// the node saw: beacon node state, peers, finished duties, consensus rounds, memory) and gets back a Verdict —
/// the readiness state with its reason (with hysteresis, so one bad slot does not flap /readyz) and the list of
/// failing health checks. Every check has a stable code, a severity, an evaluation window, the condition in
/// words, a runbook line (docs/runbook.md#<code>) and the metric families an operator reads to see the same
/// thing (a test checks that the node exports them). docs/health_checks.md is generated from the table.
/// Pure: no I/O, no clock (slots come with the snapshots).
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.hpp"

namespace phx::health {

/// The readiness state (the value of the phalanx_readiness gauge). The first failing condition wins, in this
/// order: BN down, waiting for genesis, BN syncing, BN far behind, BN without peers, no quorum of peers, VC silent.
enum class Readiness : std::uint8_t {
  kUnknown = 0,      ///< not evaluated yet (the node is starting)
  kReady = 1,        ///< ready
  kBnDown = 2,       ///< no beacon node answers
  kBnSyncing = 3,    ///< the beacon node is syncing
  kBnFarBehind = 4,  ///< the beacon node's sync distance is above Thresholds::far_behind_slots
  kBnNoPeers = 5,    ///< the beacon node reports zero peers
  kNoQuorum = 6,     ///< fewer than threshold operators (self included) are connected
  kVcSilent = 7,     ///< vc mode: the validator client made no request for an epoch while it had duties
  kWaitingGenesis = 8,  ///< the chain has not started: no duties yet (the reason says how long to wait)
};
/// Number of Readiness values.
inline constexpr std::size_t kReadinessCount = 9;
/// snake_case code of a state ("ready", "bn_down", …): the anchor of its runbook section.
const char* to_string(Readiness r);

/// How bad a failing check is (the `severity` label of phalanx_health_check_failing).
enum class Severity : std::uint8_t { kInfo = 0, kWarning = 1, kCritical = 2 };
/// "info" / "warning" / "critical".
const char* to_string(Severity s);

/// The health checks. Values are stable; add new checks at the end.
enum class CheckId : std::uint8_t {
  kNoQuorum = 0,
  kOwnClockSkew = 1,
  kPeerClockSkew = 2,
  kPeerRttHigh = 3,
  kPeerPartialsLate = 4,
  kPeerAbsent = 5,
  kVersionSkew = 6,
  kLockMismatch = 7,
  kConsensusRoundsHigh = 8,
  kBnLatencyHigh = 9,
  kBnHeadLate = 10,
  kBnFallbackInUse = 11,
  kDutiesFailing = 12,
  kMemoryGrowth = 13,
};
/// Number of checks.
inline constexpr std::size_t kCheckCount = 14;

/// How a check uses its window.
enum class WindowKind : std::uint8_t {
  kSustained = 0,  ///< the condition held in every slot of a full window
  kRate = 1,       ///< a share computed over the window's counts (with a minimum sample size)
  kLatest = 2,     ///< the latest slot only (the window is one slot)
};

/// One check's catalogue entry.
struct CheckSpec {
  CheckId id;
  const char* code;       ///< stable snake_case code: the `check` label and the runbook anchor
  Severity severity;
  Duration window;        ///< evaluation window (converted to slots with the chain's slot duration)
  WindowKind kind;
  const char* condition;  ///< when it fails, in words
  const char* runbook;    ///< the first thing to do (one line; docs/runbook.md#<code> has more)
  std::vector<std::string_view> metrics;  ///< metric families that show the same inputs
};
/// The catalogue, in CheckId order.
std::span<const CheckSpec> checks();
/// The entry of `id`.
const CheckSpec& spec(CheckId id);

/// Limits of the checks and the readiness (defaults follow Charon where it has one; docs/health_checks.md).
struct Thresholds {
  std::uint64_t far_behind_slots = 320;  ///< BN sync distance above which the node is not ready
  double clock_skew_ms = 200;            ///< |clock offset| above which a clock is skewed
  double rtt_ms = 150;                   ///< mean ping round trip above which a peer is slow
  double late_share = 0.10;              ///< share of a peer's partials arriving after the duty finished
  double absent_share = 0.10;            ///< share of duties a peer sent no partial for
  double rounds_high_share = 0.05;       ///< share of decisions that needed round ≥ 2
  double bn_latency_s = 1.0;             ///< mean BN call latency
  double head_late_share = 0.04;         ///< share of head events after 1/3 of their slot
  double duty_failure_share = 0.05;      ///< share of a duty type's duties failing (non-expected)
  double memory_growth = 0.10;           ///< resident memory growth between two 24 h windows
  std::uint64_t min_samples = 10;        ///< rate checks need this many duties/calls/heads in the window
  std::uint32_t bn_hysteresis_slots = 2;     ///< slots a BN state must hold before readiness changes
  std::uint32_t quorum_hysteresis_slots = 6; ///< slots without quorum before readiness says so
  std::uint32_t recover_hysteresis_slots = 2;///< good slots before a not-ready node is ready again
};

/// What the node knows about one operator in one slot.
struct PeerSnapshot {
  bool connected = false;
  std::optional<double> rtt_ms;           ///< last ping round trip
  std::optional<double> clock_offset_ms;  ///< peer clock − ours (last estimate)
  std::optional<std::string> version;     ///< from the peer's info message
  std::optional<bool> lock_match;         ///< the peer's lock hash equals ours
  std::uint32_t expected = 0;  ///< duties finished this slot in which this operator's partial was expected
  std::uint32_t missing = 0;   ///< of those, no partial from it when the duty finished here
  std::uint32_t late = 0;      ///< its partials that arrived this slot for duties already finished here
};

/// The beacon node(s) in one slot.
struct BnSnapshot {
  bool reachable = false;            ///< some BN answered the last sync-status poll
  bool syncing = false;
  std::uint64_t sync_distance = 0;
  std::optional<std::uint64_t> peers;  ///< the BN's peer count, when known
  bool fallback_in_use = false;      ///< the last call was answered by a fallback (not the first) BN
  std::uint32_t calls = 0;           ///< BN calls finished this slot
  double call_seconds = 0;           ///< their total latency
  std::uint32_t heads = 0;           ///< head events this slot
  std::uint32_t heads_late = 0;      ///< of those, after 1/3 of their slot
};

/// Finished duties of one type in one slot.
struct DutyCounts {
  std::uint32_t finished = 0;
  std::uint32_t failed = 0;  ///< failures with a fault (expected failures excluded)
};

/// Everything the evaluator needs about one slot.
struct Snapshot {
  std::uint64_t slot = 0;
  std::uint32_t self = 0;       ///< this node's operator index
  std::uint32_t threshold = 1;  ///< operators needed for a quorum (the lock's threshold)
  std::vector<PeerSnapshot> peers;  ///< by operator index (this node's entry is ignored)
  std::string version;          ///< this node's version
  BnSnapshot bn;
  bool vc_mode = false;         ///< an external validator client signs
  bool vc_requested = false;    ///< the VC made a request this slot
  bool vc_duties = false;       ///< this slot had duties the VC must sign
  std::map<std::string, DutyCounts> duties;  ///< by duty type name
  std::uint32_t decided = 0;            ///< consensus decisions this slot
  std::uint32_t decided_late_round = 0; ///< of those, in round ≥ 2
  std::optional<std::uint64_t> rss_bytes;  ///< resident memory
  /// Before genesis: the time left until it (then `slot` means nothing, no check is evaluated and readiness is
  /// kWaitingGenesis at once, unless no BN answers). nullopt once the chain has started.
  std::optional<Duration> genesis_in;
};

/// A failing check.
struct Failing {
  CheckId id;
  std::string detail;          ///< what exactly (e.g. "operator 2: +350 ms")
  std::uint64_t since_slot = 0;  ///< first slot of this failing spell
};

/// The evaluator's answer after a slot.
struct Verdict {
  Readiness readiness = Readiness::kUnknown;
  std::string reason;            ///< why not ready, one line (empty when ready)
  std::uint64_t since_slot = 0;  ///< slot of the last readiness change
  std::vector<Failing> failing;  ///< in CheckId order
  /// Whether check `id` is failing.
  bool is_failing(CheckId id) const;
};

/// Settings of an evaluator.
struct Options {
  Duration slot_duration = std::chrono::seconds(12);
  std::uint64_t slots_per_epoch = 32;
  Thresholds thresholds;
};

/// Evaluates snapshots, one per slot in increasing slot order (a repeated or older slot is ignored).
class Evaluator {
 public:
  explicit Evaluator(Options options = {});
  /// Takes the slot's snapshot and returns the verdict after it.
  const Verdict& update(const Snapshot& s);
  /// The last verdict (readiness kUnknown before the first update).
  const Verdict& verdict() const { return verdict_; }
  /// The window of `id` in slots (≥ 1).
  std::size_t window_slots(CheckId id) const;

 private:
  struct Memory {  // hourly resident-memory samples
    std::uint64_t last_sample_slot = 0;
    std::vector<std::uint64_t> hourly;  // newest last, at most 48
    std::uint64_t first_slot = 0;
    bool started = false;
  };
  Readiness candidate(const Snapshot& s, std::string& reason) const;
  std::optional<std::string> evaluate(CheckId id) const;
  std::uint32_t hysteresis(Readiness r) const;

  Options options_;
  std::deque<Snapshot> history_;  // the last max-window snapshots, oldest first
  std::size_t max_window_ = 1;
  Verdict verdict_;
  Readiness pending_ = Readiness::kUnknown;
  std::uint32_t pending_count_ = 0;
  std::string pending_reason_;
  Memory memory_;
  bool have_slot_ = false;
  bool pre_genesis_ = false;  // the verdict came from a pre-genesis snapshot: the first slot's state counts at once
};

/// The reason of kWaitingGenesis `left` before genesis: "waiting for genesis (in 42 s)" (then min, h min, days).
std::string waiting_reason(Duration left);

/// docs/health_checks.md: the readiness states and the check catalogue as Markdown (a test keeps the file in step).
std::string checks_markdown(const Thresholds& t = {});

}  // namespace phx::health
