#pragma once
// Private to workflow*.cpp (each includes it first): the per-duty state and the helpers they share.
// The workflow files run coroutines: g++ 12 at -O1/-O2 (RelWithDebInfo, sanitizer builds) reports a false
// -Wmismatched-new-delete on the frame deallocation of asio::awaitable coroutines (operator new/delete of
// awaitable_frame_base are a matching pair); the pragma must precede every Asio header.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstdio>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <system_error>
#include <tuple>

#include "base/assert.hpp"
#include "base/log.hpp"
#include "core/workflow.hpp"
#include "ssz/merkle.hpp"

namespace phx::core {

namespace asio = boost::asio;

/// Per-duty bookkeeping of the workflow.
struct Workflow::DutyState {
  Duty duty;
  bool tracked = false;    // a duty of this node: reported when it completes, fails or expires
  bool reported = false;   // the report went out
  bool triggered = false;  // the scheduler (or the VC) started it
  bool decided = false;    // consensus decided (and DutyDB stored) it
  std::map<PubKey, DutyDefinition> defs;  // duty definitions (scheduler)
  std::set<PubKey> expected;              // validators whose aggregate completes the duty
  std::set<PubKey> done;                  // validators aggregated (and submitted, where submitted)
  std::set<PubKey> aggregated;            // validators with an aggregate stored
  std::map<PubKey, Root> own_roots;       // what this node signed / accepted from its VC, per validator
  std::set<PubKey> signing;               // handed to the embedded signer, partial not back yet
  std::map<PubKey, ThresholdSet> pending; // threshold sets waiting for aggregation
  bool aggregation_posted = false;
  std::optional<Root> sync_root;          // decided head root (sync message duties)
  std::optional<TimePoint> proposed_at;
  std::optional<Duration> consensus;
  std::optional<TimePoint> first_own_partial;
};

namespace detail {

/// The selection duty whose combined proofs an aggregation duty needs (aggregator → prepare_aggregator,
/// sync_contribution → prepare_sync_contribution; same slot and subcommittee). A selection duty maps to
/// itself; other types to nothing.
inline std::optional<Duty> selection_duty_of(const Duty& d) {
  switch (d.type) {
    case DutyType::kAggregator:
    case DutyType::kPrepareAggregator:
      return Duty{d.slot, DutyType::kPrepareAggregator, d.subcommittee};
    case DutyType::kSyncContribution:
    case DutyType::kPrepareSyncContribution:
      return Duty{d.slot, DutyType::kPrepareSyncContribution, d.subcommittee};
    default:
      return std::nullopt;
  }
}

/// Waits (on `ev`) until `query` stops answering kNotFound, `duty` expires, or the workflow stops.
template <class T>
Task<Result<T>> wait_until(runtime::Event& ev, const Deadliner& deadliner, const bool& stopping, Duty duty,
                           std::function<Result<T>()> query) {
  for (;;) {
    auto r = query();
    if (r || r.error() != make_error_code(CoreError::kNotFound)) co_return r;
    if (deadliner.expired(duty)) co_return fail(CoreError::kExpired);
    if (stopping) co_return fail(runtime::RuntimeError::kClosed);
    co_await ev.wait();
  }
}

inline std::string error_text(const std::error_code& ec) {
  return ec.category().name() + std::string(": ") + ec.message();
}

}  // namespace detail

}  // namespace phx::core
