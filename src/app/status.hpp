#pragma once
/// The node's status for operators: `GET /api/v1/status` (JSON) and `GET /` (one self-contained HTML page that
/// fetches the JSON once per slot), both on the monitoring address beside /metrics. The JSON carries the header
/// (cluster, network, lock hash, operator, version, slot/epoch, readiness with its reason), the failing health
/// checks, one row per operator (connection, RTT, clock offset, version, lock match, readiness, partials missed /
/// late / blamed over 1 h and 24 h, BN and VC client), the duty scoreboard per type with its epoch strip, the last
/// 20 failures with their explain URL, the time-in-slot histograms, the beacon nodes, the validator client (vc
/// mode: user agent, last request, DVT selections, requests and errors by route) and a page of validators.
/// Format: docs/formats/operator-api.md.
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "app/monitor.hpp"
#include "base/result.hpp"
#include "beaconapi/vapi/validator_api.hpp"
#include "core/explain_log.hpp"
#include "eth/fork.hpp"
#include "ssz/json.hpp"

namespace phx::app {

/// One validator row (index known once the beacon node listed it).
struct ValidatorRow {
  std::string pubkey;                  ///< 0x…
  std::optional<std::uint64_t> index;  ///< nullopt: not known to the beacon node (yet)
};

/// What the status needs besides the monitor and the duty log; the node fills it once at start.
struct StatusInfo {
  std::string cluster_name;
  std::string network;        ///< network name, or the fork version in hex when unknown
  std::string lock_hash;      ///< 0x…
  std::vector<std::string> beacon_nodes;  ///< host:port of each endpoint (no credentials), preference order
  const eth::ChainConfig* chain = nullptr;  ///< must outlive the calls
  /// vc mode: the validator API's counters (user agent, last request, routes); unset or nullptr in embedded mode.
  std::function<const beaconapi::vapi::Stats*()> vc_stats;
};

/// Epochs shown in each duty type's strip on the status page.
inline constexpr std::size_t kStatusStripEpochs = 16;

/// Page of the validator list: `?page=` (0-based) and `?per_page=` (1..500, default 100). Errors: one line
/// naming the parameter.
struct ValidatorPage {
  std::size_t page = 0;
  std::size_t per_page = 100;
};
Result<ValidatorPage, std::string> parse_validator_page(const std::multimap<std::string, std::string>& query);

/// The JSON of GET /api/v1/status at `now`.
ssz::Json status_json(const NodeMonitor& monitor, const core::DutyLog& duties, const StatusInfo& info,
                      const std::vector<ValidatorRow>& validators, const ValidatorPage& page, TimePoint now);

/// The HTML of GET / (no external assets; its script fetches /api/v1/status each slot).
std::string_view status_page_html();

}  // namespace phx::app
