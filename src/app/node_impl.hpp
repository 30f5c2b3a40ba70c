// The running DV node's class (`phalanx run`), private to src/app: node.cpp wires and runs it, node_metrics.cpp
// registers its metrics. Not part of the module's interface (app/node.hpp is).
#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>

#include "app/bn_adapter.hpp"
#include "app/bn_events.hpp"
#include "app/cluster_setup.hpp"
#include "app/consensus.hpp"
#include "app/doppelganger.hpp"
#include "app/fs.hpp"
#include "app/monitor.hpp"
#include "app/node.hpp"
#include "app/operator_api.hpp"
#include "app/parsigex.hpp"
#include "app/signer.hpp"
#include "app/status.hpp"
#include "app/vapi_backend.hpp"
#include "beaconapi/http/monitoring.hpp"
#include "beaconapi/vapi/validator_api.hpp"
#include "core/workflow.hpp"
#include "dv/k1_signer.hpp"
#include "dv/parsig_transport.hpp"
#include "dv/qbft_driver.hpp"
#include "metrics/registry.hpp"
#include "p2p/node.hpp"
#include "slashing/store.hpp"

namespace phx::app::node_detail {

namespace asio = boost::asio;
namespace http = beaconapi::http;
namespace k1 = crypto::k1;
using runtime::Task;

/// The system clock shifted by a fixed offset: a node whose wall clock is off (--test-clock-offset, the devnet's
/// chaos clock faults). Every component takes its time from it (slot timers, QBFT rounds, p2p timestamps).
class OffsetClock final : public Clock {
 public:
  explicit OffsetClock(Duration offset) : offset_(std::chrono::duration_cast<TimePoint::duration>(offset)) {}
  TimePoint now() const override { return std::chrono::system_clock::now() + offset_; }

 private:
  TimePoint::duration offset_;
};

/// The running node: owns every component; lives in the io thread's main coroutine.
class DvNode {
 public:
  DvNode(asio::io_context& io, const NodeConfig& cfg, k1::SecretKey key, ClusterSetup setup)
      : io_(io), cfg_(cfg), key_(std::move(key)), setup_(std::move(setup)) {}

  /// Runs until `stop` is signalled. Returns the exit code.
  Task<int> run(std::shared_ptr<runtime::Event> stop, std::shared_ptr<bool> stop_flag);

 private:
  Task<Result<void, std::string>> start();
  Task<void> shutdown();
  void register_metrics();
  http::ReadyState readiness() const;
  /// Closes a slot for the monitor: readings of p2p, the BN and the VC, then the health verdict.
  void close_slot();
  /// GET / (the status page) and GET /api/v1/status on the monitoring router.
  void add_status_routes();
  std::optional<Slot> current_slot() const;

  asio::io_context& io_;
  const NodeConfig& cfg_;
  k1::SecretKey key_;
  ClusterSetup setup_;
  eth::ChainConfig chain_;
  std::unique_ptr<http::BeaconNodeClient> bn_client_;
  std::unique_ptr<BeaconNodeAdapter> bn_;
  std::optional<DataDirLock> data_dir_lock_;  ///< held while running: `phalanx slashing` refuses to run beside us
  std::optional<slashing::SlashingDb> slashing_db_;
  std::unique_ptr<SlashingDbGuard> guard_;
  std::shared_ptr<LiveShareKeys> share_keys_;  ///< embedded mode: keys still arriving at first start
  std::unique_ptr<ShareSigner> signer_;
  std::unique_ptr<p2p::Node> p2p_;
  std::unique_ptr<dv::QbftDriver> qbft_;
  std::unique_ptr<dv::ParSigTransport> parsig_transport_;
  std::unique_ptr<ConsensusAdapter> consensus_;
  std::unique_ptr<ParSigExAdapter> parsigex_;
  std::unique_ptr<DoppelgangerDriver> doppelganger_;  ///< nullptr with --doppelganger-protection=false
  std::unique_ptr<core::Workflow> workflow_;
  std::unique_ptr<WorkflowBackend> backend_;
  std::unique_ptr<beaconapi::vapi::ValidatorApi> vapi_;
  metrics::Registry registry_;
  std::unique_ptr<http::Router> monitoring_router_;
  std::unique_ptr<OperatorApi> operator_api_;  ///< exits (POST/GET /phalanx/v1/exits) on the monitoring address
  std::unique_ptr<http::Server> monitoring_;
  std::unique_ptr<runtime::TaskGroup> background_;
  std::unique_ptr<BnEvents> bn_events_;  // the BNs' head events → workflow (duties follow the chain's head)
  std::unique_ptr<std::ofstream> report_;
  OffsetClock clock_{cfg_.test_clock_offset};  // the system clock unless --test-clock-offset
  std::unique_ptr<NodeMonitor> monitor_;  ///< readiness, health checks, operator metrics, status page data
  BnReading bn_reading_;                  ///< the last sync-status poll
  StatusInfo status_info_;                ///< the status page's fixed facts
  std::uint64_t vc_requests_seen_ = 0;    ///< validator API requests counted at the last slot
};

}  // namespace phx::app::node_detail
