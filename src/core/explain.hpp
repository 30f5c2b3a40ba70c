#pragma once
/// Explaining a finished duty for an operator: outcome, failing step, reason code and text, verdict (self /
/// cluster / upstream / chain / config) with the operators to blame, the next action, a timeline in offsets
/// from the slot start, each operator's partial (ok / missing / late / blamed) and the consensus rounds with
/// their leaders. Pure: built from a DutyResult (the tracker's report) and what the app knows about the peers
/// now. JSON shape: docs/formats/operator-api.md.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "consensus/qbft/types.hpp"
#include "core/explain_reasons.hpp"
#include "core/workflow.hpp"
#include "ssz/json.hpp"

namespace phx::core {

/// What a duty's outcome is.
enum class Outcome : std::uint8_t {
  kSuccess = 0,   ///< broadcast
  kFailed = 1,    ///< failed (a fault)
  kExpected = 2,  ///< failed with a known configuration-level cause (DutyReport::expected)
};
/// "success" / "failed" / "expected".
const char* to_string(Outcome o);
/// The outcome named `name`, or nullopt.
std::optional<Outcome> outcome_from_string(std::string_view name);
/// The outcome of a report.
Outcome outcome_of(const DutyReport& r);

/// What this node knows about one operator now (the app reads it from the p2p layer).
struct PeerView {
  bool connected = false;                ///< an authenticated connection is up
  std::optional<double> rtt_ms;          ///< last ping round trip
  std::optional<double> clock_offset_ms; ///< last clock offset estimate (peer − us)
};

/// The cluster facts an explanation needs.
struct ExplainContext {
  std::uint32_t share_count = 1;  ///< operators n
  std::uint32_t threshold = 1;    ///< partials needed
  ShareIdx self{1};               ///< this node's share index (operator index + 1)
  bool vc_mode = false;           ///< an external validator client signs
  std::vector<PeerView> peers;    ///< by operator index; empty when unknown (e.g. read from a file)
  /// The QBFT round timer the node runs: round r ends T(r) after the duty type's tick (slot start for
  /// proposals, 1/3 for attestations and sync messages, 2/3 for aggregations; the same on every node), so round
  /// changes are placed on the timeline at those times.
  consensus::qbft::RoundTimer round_timer{};
  Duration slot_duration = std::chrono::seconds(12);  ///< the chain's slot duration (the ticks' spacing)
};

/// The leader of consensus round `round` (≥ 1) of `duty` among n operators (the QBFT rotation).
OperatorIdx round_leader(const Duty& duty, std::uint32_t round, std::uint32_t n);

/// The operators (by index) a failure is blamed on; empty unless the verdict is kCluster.
std::vector<OperatorIdx> named_operators(const DutyResult& r, const ExplainContext& ctx);

/// The full explanation of one duty as JSON (see the file comment).
ssz::Json explain_duty(const DutyResult& r, const ExplainContext& ctx);

/// The one-line summary of a duty for GET /api/v1/duties.
ssz::Json duty_summary(const DutyResult& r);

/// "+4.002" style offset (seconds with ms, signed) of a duration since the slot start.
std::string offset_text(Duration d);

}  // namespace phx::core
