#pragma once
/// `phalanx devnet --chaos`: the fault schedule (pure: a seed in, timed faults out), the faulty beacon-node
/// proxy each node talks to, the runner that applies the schedule to the devnet's processes and proxies, and
/// the verdict derived from what the runner actually did (which slots had at most f nodes disrupted, whose
/// duties must then all complete). Docs: docs/devnet.md (Chaos), docs/RELIABILITY.md.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "app/devnet.hpp"
#include "base/clock.hpp"
#include "base/result.hpp"
#include "beaconapi/http/router.hpp"
#include "eth/fork.hpp"
#include "runtime/runtime.hpp"
#include "ssz/json.hpp"

namespace phx::beaconapi::http {
class Server;
}

namespace phx::app {

/// One kind of chaos fault. Each disrupts one node from its start to its end.
enum class ChaosKind : std::uint8_t {
  kKill,       ///< the node gets SIGKILL at the start and is restarted (same data dir) at the end
  kFreeze,     ///< SIGSTOP at the start, SIGCONT at the end (it wakes with stale state)
  kBnDown,     ///< the node's beacon node refuses connections
  kBnSlow,     ///< the node's beacon node answers every request 3 s late
  kBnErrors,   ///< the node's beacon node answers 503 to everything
  kBnSyncing,  ///< the node's beacon node is syncing: is_syncing true, 503 on validator endpoints
  kBnLying,    ///< the node's beacon node serves attestation data with another target root (a minority fork)
  kClockSkew,  ///< the node is restarted with its clock off by ChaosFault::clock_offset, and back at the end
  // Network faults (`--chaos-net`: the nodes in network namespaces, app/devnet_net.hpp).
  kIsolate,  ///< every link of the node to the other nodes is cut (its beacon node stays reachable)
  kSplit,    ///< the cluster is split in halves (nodes < N/2 | the others): no side has a quorum
};
/// The process, beacon-node and clock kinds ("all"), in the order of the enum.
inline constexpr ChaosKind kAllChaosKinds[] = {
    ChaosKind::kKill,     ChaosKind::kFreeze,    ChaosKind::kBnDown,  ChaosKind::kBnSlow,
    ChaosKind::kBnErrors, ChaosKind::kBnSyncing, ChaosKind::kBnLying, ChaosKind::kClockSkew};
/// The network kinds (need `--chaos-net`; "all" includes them there).
inline constexpr ChaosKind kNetChaosKinds[] = {ChaosKind::kIsolate, ChaosKind::kSplit};
/// Whether `k` is one of kNetChaosKinds.
bool is_net_kind(ChaosKind k);
/// "kill", "freeze", "bn-down", "bn-slow", "bn-errors", "bn-syncing", "bn-lying", "clock-skew", "isolate",
/// "split".
std::string_view to_string(ChaosKind k);
/// Inverse of to_string(ChaosKind).
std::optional<ChaosKind> chaos_kind_from_string(std::string_view s);
/// Parses "all" or a comma-separated list of kind names (at least one, no duplicates). "all" is kAllChaosKinds,
/// plus kNetChaosKinds when `net`. Errors name the entry.
Result<std::vector<ChaosKind>, std::string> parse_chaos_kinds(std::string_view text, bool net = false);

/// One scheduled fault: `kind` on `node` from `start` to `end` (times since genesis).
struct ChaosFault {
  ChaosKind kind = ChaosKind::kKill;
  std::uint32_t node = 0;
  std::uint32_t lane = 0;  ///< lane (node mod f): a lane's faults run one after the other
  std::chrono::milliseconds start{0};
  std::chrono::milliseconds end{0};
  std::chrono::milliseconds clock_offset{0};  ///< kClockSkew only: ±500 ms or ±2 s
  /// kSplit only: the cluster's size (every node counts as disrupted: no side has a quorum).
  std::uint32_t cluster_nodes = 0;
  bool operator==(const ChaosFault&) const = default;
};

/// Inputs of the schedule.
struct ChaosPlanOptions {
  std::uint64_t seed = 1;
  std::uint32_t nodes = 4;
  std::uint32_t threshold = 3;
  std::uint64_t slots = 32;
  std::chrono::milliseconds slot_duration{2000};
  std::vector<ChaosKind> kinds{std::begin(kAllChaosKinds), std::end(kAllChaosKinds)};
  std::uint64_t warmup_slots = 2;  ///< no fault starts before this slot
  std::uint64_t recovery_slots =
      2;  ///< a node gets this long after its fault ends before its lane's next fault
};

/// The fault schedule of a run, a pure function of `o` (the same seed gives the same schedule). The f =
/// nodes − threshold lanes each own the nodes i with i mod f = lane and run one fault at a time, each
/// followed by `recovery_slots` slots of rest: so at most f nodes are ever disrupted or recovering at once,
/// and never one of them twice (a split disrupts every node: the runner waits until it is alone). Faults start
/// at random points of a slot; a kill lasts 0.5–1.5 slots, an isolation 2–4 slots, the others 1–2.5 slots; the kinds are dealt in shuffled rounds (every kind once before any repeats). Every
/// fault ends, with its recovery, before the last slot. Sorted by start. Empty when f = 0 or no fault fits.
std::vector<ChaosFault> plan_chaos(const ChaosPlanOptions& o);

/// What the runner did for one fault, as measured (times since genesis; on a busy machine they lag the
/// schedule): when the fault began, when it was lifted (restart, SIGCONT, proxy healed) and when the node was
/// seen recovered (its /readyz answers 200 and it is connected to every peer not disrupted itself).
struct ChaosEpisode {
  ChaosFault fault;  ///< as scheduled
  std::optional<std::chrono::milliseconds> began;
  std::optional<std::chrono::milliseconds> lifted;
  std::optional<std::chrono::milliseconds> recovered;
  std::string error;  ///< a failed action (e.g. a restart that could not spawn), empty when fine
};

/// Per slot in [0, slots): how many distinct nodes were disrupted at some point of the slot. A node counts
/// from its fault's start until the end of the slot after the one in which it was seen recovered (a restarted
/// node joins the duties of the slot after it is back; the extra slot allows for its duty fetch at start-up);
/// to the end of the run if never recovered; a split counts every node. Episodes that never began do not count.
std::vector<std::uint32_t> disrupted_per_slot(const std::vector<ChaosEpisode>& episodes, std::uint64_t slots,
                                              std::chrono::milliseconds slot_duration);
/// The same, as the set of disrupted nodes per slot.
std::vector<std::set<std::uint32_t>> disrupted_nodes_per_slot(const std::vector<ChaosEpisode>& episodes,
                                                              std::uint64_t slots,
                                                              std::chrono::milliseconds slot_duration);

/// Inputs of the chaos verdict.
struct ChaosInputs {
  std::vector<ChaosEpisode> episodes;
  std::uint64_t slots = 0;
  std::chrono::milliseconds slot_duration{2000};
  std::uint32_t nodes = 0, threshold = 0;
  /// Per exact duty kind ("attestation", "proposal", "sync_message"): expected duties per slot.
  std::map<std::string, std::vector<std::uint64_t>> expected_per_slot;
  std::vector<std::vector<DutyLine>> node_lines;  ///< every node's duty lines (index = operator)
  /// Per duty kind whose QBFT round change cannot end before the duty's deadline (round 2 ends T(2) = 2.25 s
  /// after the duty's start: with 2-s slots proposals, aggregations and sync duties): per slot, the round-1
  /// leaders of its consensus instances. A duty of such a kind whose round-1 leader is disrupted in its slot
  /// is excused (it needs the round change it has no time for).
  std::map<std::string, std::vector<std::vector<std::uint32_t>>> round1_leaders;
  /// The fraction of the asserted duties (all kinds together) that may be missing without a problem; they are
  /// then warnings. 0 but with `--chaos-net` (0.01: lossy WAN links, the ≥ 99 % target of issue 19).
  double missing_tolerance = 0;
};

/// The chaos part of the report.
struct ChaosSummary {
  std::map<std::string, std::uint64_t> faults_by_kind;  ///< faults begun, per kind name
  std::vector<bool> covered;  ///< per slot: at most f nodes disrupted, so its duties must complete
  std::uint64_t covered_slots = 0;
  /// Per kind of ChaosInputs::round1_leaders, per slot: a round-1 leader was disrupted (the duty is excused).
  std::map<std::string, std::vector<bool>> excused;
  /// Whether the duties of `kind` in `slot` must complete: a covered slot, not excused.
  bool asserts(const std::string& kind, std::uint64_t slot) const;
  /// Per exact kind over every slot and over the asserted (kind, slot)s: expected and completed; and the
  /// duties of covered slots excused for a disrupted round-1 leader.
  struct Row {
    std::string duty;
    std::uint64_t expected_all = 0, completed_all = 0, expected_covered = 0, completed_covered = 0;
    std::uint64_t excused = 0;
  };
  std::vector<Row> rows;
  /// Per lifted fault (in episode order): slots from the slot in which it was lifted to the first slot, not
  /// earlier, of a successful duty in the node's own report (a split: in any node's report; nullopt: none before
  /// the run ended).
  std::vector<std::optional<std::uint64_t>> recovery_slots;
  /// Per lifted fault: milliseconds from lifting to the node seen recovered (nullopt: never).
  std::vector<std::optional<double>> recovery_ms;
  /// Per fault kind: the recovery_slots figures of its lifted faults (nullopt left out).
  std::map<std::string, std::vector<std::uint64_t>> recovery_slots_by_kind;
  std::vector<std::string> problems;  ///< failed actions, missing duties of covered slots
  std::vector<std::string> warnings;  ///< missing duties of covered slots within ChaosInputs::missing_tolerance
  std::string text;                   ///< the printed section
  ssz::Json json;                     ///< the report's "chaos" object
};
/// Builds the chaos summary: a covered slot (≤ f disrupted) must have every expected duty of each exact kind
/// completed (completed = the largest "validators" count any node reported for a successful (slot, duty
/// type), summed per kind); a shortfall there is a problem (a warning while all kinds' asserted shortfall stays
/// within missing_tolerance), elsewhere it is only counted. Recovery: see
/// ChaosSummary::recovery_slots.
ChaosSummary summarize_chaos(const ChaosInputs& in);

/// ChaosInputs::round1_leaders for a chain: per duty kind whose QBFT round change cannot end before its
/// deadline (the duty's start tick plus the end of round 2 of the default round timer, plus 500 ms to sign,
/// exchange and publish, past the workflow's deadline: slot end + 1/3 slot, attestations a slot later), per
/// slot in [0, slot_count): the round-1 leaders of its instances as the nodes elect them (qbft::leader over
/// core::encode_duty); the same for the duty it builds on in its slot (an aggregation on the slot's
/// attestations, a sync contribution on its sync messages), whose round change comes too late for it as well.
std::map<std::string, std::vector<std::vector<std::uint32_t>>> round1_leaders_of_late_kinds(
    const eth::ChainConfig& chain, std::uint32_t nodes, std::uint64_t slot_count);

/// The beacon-node side of a fault: what one node's proxy does to its requests.
enum class BnMode : std::uint8_t { kHealthy, kDown, kSlow, kErrors, kSyncing, kLying };

/// A node's own endpoint in front of the beacon simulator (devnet --chaos): passes every request to the
/// simulator's router unless a fault says otherwise (BnMode). kDown closes the listener and every connection;
/// healing listens on the same port again. Threading: the io thread of the simulator.
class BnFaultProxy {
 public:
  /// `port` 0 picks a free one (kept across down/up); `address` is the numeric IP to listen on.
  BnFaultProxy(runtime::Executor ex, const beaconapi::http::Router& upstream, std::uint16_t port,
               std::string address = "127.0.0.1");
  ~BnFaultProxy();
  BnFaultProxy(const BnFaultProxy&) = delete;
  BnFaultProxy& operator=(const BnFaultProxy&) = delete;
  /// Starts listening. Errors: the bind error.
  Result<void, std::string> start();
  /// The listening port.
  std::uint16_t port() const { return port_; }
  /// Switches the fault (kDown stops the listener, leaving kDown listens again).
  runtime::Task<Result<void, std::string>> set_mode(BnMode mode);
  /// Stops listening for good.
  runtime::Task<void> stop();
  /// Requests answered per mode name, for the report.
  const std::map<std::string, std::uint64_t>& counts() const { return counts_; }

 private:
  runtime::Task<beaconapi::http::Response> handle(const beaconapi::http::Request& req);
  runtime::Executor ex_;
  const beaconapi::http::Router& upstream_;
  beaconapi::http::Router router_;
  std::unique_ptr<beaconapi::http::Server> server_;
  std::uint16_t port_ = 0;
  std::string address_;
  BnMode mode_ = BnMode::kHealthy;
  std::map<std::string, std::uint64_t> counts_;
};

/// What the runner may do to the devnet's node processes.
struct ChaosHooks {
  std::function<void(std::uint32_t node, int sig)> signal;  ///< signal the node's process group
  std::function<void(std::uint32_t node)> kill;  ///< SIGKILL the node (expected dead until restarted)
  /// SIGKILL the node if running, reap it, then start it again (same data dir) with this clock offset.
  std::function<Result<void, std::string>(std::uint32_t node, std::chrono::milliseconds clock_offset)>
      restart;
  /// Network faults (--chaos-net): cut (true) or restore every link of the node to the other nodes.
  std::function<void(std::uint32_t node, bool on)> isolate;
  /// Network faults: split the cluster in halves (true) or heal.
  std::function<void(bool on)> split;
};

/// Applies a schedule to the devnet: one coroutine per lane runs its faults in order, each begun at its
/// scheduled time (never early) but not before the lane's previous fault has been lifted, its node seen
/// recovered and one more slot has passed — so never more than f nodes are disrupted at once, however late
/// the machine is. Records what it did (episodes()).
class ChaosRunner {
 public:
  /// `proxies[i]`, `monitoring_hosts[i]` and `monitoring_ports[i]` belong to node i.
  ChaosRunner(std::vector<ChaosFault> schedule, std::vector<BnFaultProxy*> proxies,
              std::vector<std::string> monitoring_hosts, std::vector<std::uint16_t> monitoring_ports,
              ChaosHooks hooks, const Clock& clock,
              TimePoint genesis, std::chrono::milliseconds slot_duration);
  /// Runs the schedule until it is done or `*stop` (checked every 50 ms). On stop, every fault still on is
  /// lifted at once (killed nodes restarted, frozen ones continued, proxies healed), so the devnet stops live
  /// processes.
  runtime::Task<void> run(const bool* stop);
  /// What was done so far (one entry per scheduled fault, in schedule order).
  const std::vector<ChaosEpisode>& episodes() const { return episodes_; }

 private:
  runtime::Task<void> lane(std::uint32_t lane, const bool* stop);
  runtime::Task<bool> sleep_until(std::chrono::milliseconds since_genesis, const bool* stop);
  runtime::Task<void> begin(ChaosEpisode& e);
  runtime::Task<void> lift(ChaosEpisode& e);
  runtime::Task<bool> recovered(const ChaosEpisode& e);
  runtime::Task<bool> node_recovered(std::uint32_t node, std::uint32_t busy);
  bool blocked(const ChaosEpisode& e) const;
  std::chrono::milliseconds now() const;
  std::vector<ChaosFault> schedule_;
  std::vector<BnFaultProxy*> proxies_;
  std::vector<std::string> monitoring_hosts_;
  std::vector<std::uint16_t> monitoring_ports_;
  ChaosHooks hooks_;
  const Clock& clock_;
  TimePoint genesis_;
  std::chrono::milliseconds slot_duration_;
  std::vector<ChaosEpisode> episodes_;
};

}  // namespace phx::app
