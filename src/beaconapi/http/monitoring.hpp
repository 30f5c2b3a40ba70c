#pragma once
/// The monitoring endpoint of a Phalanx node: Prometheus metrics and liveness/readiness probes, served by
/// an http::Server on its own (monitoring) address.
///   GET /metrics → 200, Content-Type "text/plain; version=0.0.4; charset=utf-8", Registry::render()
///   GET /livez   → 200 "ok" while live() is true, else 503 "not live"
///   GET /readyz  → 200 "ok" when ready().ready, else 503 with ready().reason (e.g. "beacon node syncing",
///                  "no peers", "insufficient peers for quorum")
/// Other paths: 404, other methods: 405 (the router's Beacon API error bodies).
#include <functional>
#include <string>

#include "beaconapi/http/router.hpp"
#include "metrics/registry.hpp"

namespace phx::beaconapi::http {

/// Readiness verdict with the reason shown to operators when not ready.
struct ReadyState {
  bool ready = false;
  std::string reason;  ///< empty when ready

  /// Ready.
  static ReadyState ok() { return {true, {}}; }
  /// Not ready, because of `why` (plain text, one line).
  static ReadyState not_ready(std::string why) { return {false, std::move(why)}; }
};

/// Builds the router of the monitoring endpoint. `registry` must outlive the router (and the server using
/// it); `live` and `ready` run on the server's thread for each probe (empty functions mean "live" / "ready").
Router make_monitoring_router(const metrics::Registry& registry, std::function<bool()> live,
                              std::function<ReadyState()> ready);

}  // namespace phx::beaconapi::http
