#pragma once
// `phalanx test`: pre-flight checks of an operator's setup before (or beside) `phalanx run`, by suite: peers (p2p
// reachability and identity from the lock, RTT, clock offset, version, lock hash), beacon (reachable, synced,
// peers, version, duty-endpoint latency), validator (the VC's use of the running node's validator API, from its
// /metrics), mev (builder endpoints), infra (disk, free space, CPUs, memory, clock synchronisation).
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "app/node.hpp"
#include "base/clock.hpp"
#include "ssz/json.hpp"

namespace phx::tools::preflight {

/// A check's verdict: ok, warn (does not fail the run), fail, skip (not applicable or not possible here).
enum class Verdict : std::uint8_t { kOk, kWarn, kFail, kSkip };
/// "ok", "warn", "FAIL", "skip".
const char* to_string(Verdict v);

/// One check's result.
struct Check {
  std::string suite;     ///< peers, beacon, validator, mev, infra
  std::string target;    ///< what was checked (URL, operator, folder, "host")
  std::string name;      ///< the check ("reachable", "synced", "rtt", …)
  Verdict verdict = Verdict::kSkip;
  std::string measured;  ///< the value seen ("12 ms", "64 peers", …)
  std::string detail;    ///< why it failed, or what it means
};

/// Thresholds and inputs of every suite (flags of `phalanx test`).
struct Options {
  app::NodeConfig node;                         ///< lock, key, p2p peers, data dir, BN endpoints
  std::string p2p_listen = "127.0.0.1:0";       ///< where the peers test's p2p node listens
  std::string monitoring_address = "127.0.0.1:3620";  ///< the running node's /metrics (validator suite)
  std::vector<std::string> builder_endpoints;   ///< mev suite
  Duration timeout = std::chrono::seconds(5);   ///< per call; per peer connection
  Duration max_latency = std::chrono::milliseconds(500);  ///< BN and builder endpoints
  Duration max_rtt = std::chrono::milliseconds(200);      ///< peers
  Duration max_clock_offset = std::chrono::milliseconds(200);  ///< peers
  std::uint64_t min_bn_peers = 20;              ///< beacon
  Duration max_vc_idle = std::chrono::seconds(60);  ///< validator: the VC's last request
  double min_disk_mbps = 50;                    ///< infra
  std::uint64_t disk_test_mib = 32;             ///< infra: bytes written by the disk test
  double min_free_gib = 20;                     ///< infra
  unsigned min_cpus = 2;                        ///< infra
  double min_memory_gib = 4;                    ///< infra
};

/// The suites; each returns its checks (never throws; a failure is a kFail check with the reason).
std::vector<Check> test_peers(const Options& o);
std::vector<Check> test_beacon(const Options& o);
std::vector<Check> test_validator(const Options& o);
std::vector<Check> test_mev(const Options& o);
std::vector<Check> test_infra(const Options& o);

/// The checks as a table (one line each) and the JSON report {"ok":bool,"checks":[{…}]}.
std::string table(const std::vector<Check>& checks);
ssz::Json report_json(const std::vector<Check>& checks);
/// True when no check failed.
bool all_ok(const std::vector<Check>& checks);

}  // namespace phx::tools::preflight
