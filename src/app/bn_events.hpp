#pragma once
/// The node's follower of its beacon nodes' events: one `GET /eth/v1/events?topics=head,chain_reorg` stream per
/// configured endpoint, reconnected with backoff (1 s doubling to 30 s; back to 1 s after a stream that
/// delivered an event), each head decoded and handed to the workflow once (the same block from two BNs is
/// passed on once). A BN without the event stream only costs a reconnect attempt now and then; the workflow
/// then keeps its tick-driven behaviour. Runs on the io thread.
#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "beaconapi/http/client.hpp"
#include "core/interfaces.hpp"
#include "runtime/runtime.hpp"

namespace phx::app {

/// Counters of the event streams (exported as metrics).
struct BnEventStats {
  std::uint64_t heads = 0;           ///< head events passed to the workflow (after de-duplication)
  std::uint64_t duplicate_heads = 0; ///< the same head from another BN
  std::uint64_t reorgs = 0;          ///< chain_reorg events
  std::uint64_t streams_opened = 0;  ///< streams that delivered at least one event
  std::uint64_t stream_ends = 0;     ///< streams that ended (error, close, idle timeout)
  std::uint64_t bad_events = 0;      ///< events whose data did not decode
};

/// Follows the events of every endpoint until cancelled.
class BnEvents {
 public:
  using HeadFn = std::function<void(const core::HeadEvent&)>;
  /// `on_head` is called on the io thread for each new head.
  BnEvents(std::vector<beaconapi::http::Endpoint> endpoints, HeadFn on_head);
  /// Spawns one follower per endpoint in `group` (they run until the group is stopped; this object must
  /// outlive the group's join).
  void start(runtime::TaskGroup& group);
  /// The counters.
  const BnEventStats& stats() const { return stats_; }
  /// Handles one event of `ep`'s stream; `delivered` is set when it decoded (public for tests of the
  /// de-duplication and of undecodable events).
  void on_event(const beaconapi::http::Endpoint& ep, const std::string& type, const std::string& data,
                bool& delivered);

 private:
  runtime::Task<void> follow(beaconapi::http::Endpoint ep);

  std::vector<beaconapi::http::Endpoint> endpoints_;
  HeadFn on_head_;
  BnEventStats stats_;
  std::deque<Root> recent_;  // the last heads passed on (de-duplication across BNs)
};

}  // namespace phx::app
