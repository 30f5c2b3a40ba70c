#pragma once
/// The node's memory of recent duties for the explain API: a bounded ring buffer of finished duties
/// (DutyResult with timeline), the failure counters by (duty type, reason code) behind
/// phalanx_duty_failures_total, the query-parameter and path parsers of GET /api/v1/duties[/…/explain]
/// (untrusted input: fuzzed) and the reader of `--duty-report-file` lines for older duties. Pure, no I/O.
#include <array>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/explain.hpp"

namespace phx::core {

/// Filters of GET /api/v1/duties.
struct DutyQuery {
  std::optional<Slot> from_slot;        ///< inclusive
  std::optional<Slot> to_slot;          ///< inclusive
  std::optional<DutyType> type;         ///< one duty type
  std::optional<Outcome> outcome;       ///< success / failed / expected
  std::optional<Reason> reason;         ///< one reason code
  std::size_t limit = 256;              ///< newest matches kept (1..kMaxLimit)
  static constexpr std::size_t kMaxLimit = 4096;
};
/// Query parameters (name → value, percent-decoded) → a query. Known names: from_slot, to_slot, type,
/// outcome, reason, limit; each at most once. Errors: one line naming the parameter and what it accepts.
Result<DutyQuery, std::string> parse_duty_query(const std::multimap<std::string, std::string>& params);
/// True iff `r` passes every filter of `q` (limit aside).
bool matches(const DutyQuery& q, const DutyResult& r);

/// A decoded GET /api/v1/duties/{slot}/{type}/explain.
struct ExplainRequest {
  Duty duty;                              ///< slot, type (and subcommittee)
  std::optional<std::string> validator;   ///< ?validator= (an index or 0x pubkey), checked for form only
};
/// Path segments and query → a request. `type` is a duty type name; per-subcommittee types take
/// ?subcommittee= (0-3, default 0). Errors: one line naming the part and what it accepts.
Result<ExplainRequest, std::string> parse_explain_request(std::string_view slot, std::string_view type,
                                                          const std::multimap<std::string, std::string>& params);

/// The duty type named `name` ("attester", …), or nullopt.
std::optional<DutyType> duty_type_from_string(std::string_view name);

/// One `--duty-report-file` line (core::to_json_line) back into a DutyResult. Lines of older versions (no
/// code, no timeline) decode with code kUnknown for failures and an empty timeline. Untrusted (a file).
Result<DutyResult, std::string> parse_duty_line(std::string_view line);

/// The ring buffer. Threading: one thread (the node's io thread).
class DutyLog {
 public:
  /// Keeps at most `capacity` (≥ 1) duties; the oldest added goes first.
  explicit DutyLog(std::size_t capacity = 2048) : capacity_(capacity == 0 ? 1 : capacity) {}

  /// Adds a finished duty (replaces an earlier record of the same duty) and counts a failure.
  void add(DutyResult r);
  /// A partial of `duty` from `share` arrived `offset` after the slot start, after the duty was reported here:
  /// recorded as late on the first arrival of that share. False when the duty is not held or the share
  /// already recorded.
  bool on_late_partial(const Duty& duty, ShareIdx share, Duration offset);
  /// The held record of `duty`, or nullptr.
  const DutyResult* find(const Duty& duty) const;
  /// Matches of `q`, ordered by duty (slot first), the newest `q.limit` of them.
  std::vector<const DutyResult*> query(const DutyQuery& q) const;
  /// Lowest slot held (nullopt when empty).
  std::optional<Slot> oldest_slot() const;
  /// Duties held.
  std::size_t size() const { return by_duty_.size(); }
  /// Capacity.
  std::size_t capacity() const { return capacity_; }
  /// Failures counted by (duty type value, reason), over the node's life (not bounded by the ring).
  std::uint64_t failures(DutyType type, Reason reason) const {
    return failures_[static_cast<std::size_t>(type)][static_cast<std::size_t>(reason)];
  }

 private:
  std::size_t capacity_;
  std::map<Duty, DutyResult> by_duty_;
  std::deque<Duty> order_;  // insertion order, for eviction
  std::array<std::array<std::uint64_t, kReasonCount>, kDutyTypeCount + 1> failures_{};
};

}  // namespace phx::core
