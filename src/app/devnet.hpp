#pragma once
/// `phalanx devnet`: a whole distributed-validator cluster on this machine. Creates a cluster with the trusted
/// dealer (insecure fast keystores) for a devnet chain (eth::devnet_config, genesis a few seconds ahead), runs
/// the beacon-node simulator in-process on 127.0.0.1, spawns N `phalanx run` processes (p2p over loopback) and,
/// in vc mode, N `phalanx vc-sim` processes against their node's validator API; prints one progress line per
/// slot, then stops everything and reports per duty type expected / completed / failed with the consensus and
/// end-to-end latency percentiles from the nodes' duty-report files. The parts (options, duty-report parsing,
/// report building and rendering, process supervision) are separate and tested on their own.
/// Docs: docs/devnet.md.
#include <sys/types.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "app/node.hpp"
#include "base/result.hpp"
#include "eth/fork.hpp"
#include "ssz/json.hpp"

namespace phx::crypto::bls {
class SecretKey;
}
namespace phx::cluster {
struct CreatedCluster;
struct NodeArtifacts;
}
namespace phx::sim {
enum class SimDuty : std::uint8_t;
struct ExpectedDuties;
class SlashingOracle;
}

namespace phx::app {

/// Who signs in the devnet.
enum class DevnetMode : std::uint8_t { kVc, kEmbedded };
/// The fault injected into the last node (N-1).
enum class DevnetFault : std::uint8_t {
  kNone,
  kCrashOne,      ///< node N-1 is killed (SIGKILL) at slot 2
  kByzantineOne,  ///< node N-1 runs with --test-fault byzantine (bad partials + equivocating QBFT messages)
  kLyingBnOne,    ///< node N-1 runs with --test-fault lying-bn (its attestation data names another target)
  kUnknownHeadOne,  ///< node N-1 runs with --test-fault unknown-head (its attestation data names an unknown head)
};
enum class BnMode : std::uint8_t;  // app/devnet_chaos.hpp
/// The proxy mode of `--second-bn`: "healthy", "slow", "errors", "syncing" or "lying"; nullopt otherwise.
std::optional<BnMode> second_bn_mode(std::string_view name);
/// "vc" / "embedded".
std::string_view to_string(DevnetMode m);
/// Doppelganger protection in the devnet (`--doppelganger`; docs/devnet.md).
enum class DevnetDoppelganger : std::uint8_t {
  kOff,      ///< every node runs with --doppelganger-protection=false (signs from genesis)
  kTwin,     ///< every node protected, and a `phalanx vc-sim` signs with the full validator keys beside them
  kJoin,     ///< node N-1 protected (it joins a running cluster at genesis), the others not
  kRestart,  ///< as kJoin, and node N-1 is killed at slot 2 and restarted at slot 3
};
/// Writes `keys` as validator_keys/keystore-<i>.json with keystore-<i>.txt passwords under `dir` (insecure fast
/// scrypt: devnet keys only; 0600/0400). Errors name the folder.
Result<void, std::string> write_devnet_keystores(const std::filesystem::path& dir,
                                                 std::span<const crypto::bls::SecretKey* const> keys);
/// The twin of `--doppelganger twin`: every validator's full key, recovered from the first `threshold` operators'
/// shares, written to `dir` like write_devnet_keystores.
Result<void, std::string> write_twin_keys(const std::filesystem::path& dir, const cluster::CreatedCluster& c,
                                          std::uint32_t threshold);
/// Writes one node folder as `phalanx create cluster` does (insecure fast keystores: a devnet): its ENR key, the
/// lock and validator_keys/. Errors name the folder.
Result<void, std::string> write_node_folder(const std::filesystem::path& dir, const cluster::NodeArtifacts& node,
                                            const std::string& lock_json);
/// "off" / "twin" / "join" / "restart".
std::string_view to_string(DevnetDoppelganger d);
/// "none" / "crash-one" / "byzantine-one" / "lying-bn-one" / "unknown-head-one".
std::string_view to_string(DevnetFault f);

/// An existing cluster for the devnet (`--node-dirs`: DevnetOptions::cluster), checked and put in lock order.
struct ExistingCluster {
  std::string lock_json;                          ///< the lock, as read (identical in every folder)
  std::uint32_t nodes = 0, threshold = 0;         ///< from the lock
  std::vector<std::vector<std::uint8_t>> pubkeys;  ///< distributed validator public keys, lock order
  std::array<std::uint8_t, 4> fork_version{};     ///< the lock's genesis fork version
  std::array<std::uint8_t, 32> lock_hash{};
  std::vector<std::filesystem::path> dirs;        ///< dirs[i] holds operator i's key (lock order)
};
/// Reads the folders: every one must hold the same lock, an operator key of that lock (each operator exactly
/// once, every operator present) and a validator_keys folder. Errors name the folder. The lock's signatures are
/// not checked here: the devnet checks them once, with verify_locks_once, before anything runs (a 10,000-validator
/// lock's BLS checks take ~17 s of CPU; they were paid twice).
Result<ExistingCluster, std::string> load_existing_cluster(std::span<const std::filesystem::path> dirs);

/// Verifies each node's lock file in this process, once per distinct content, and records the verification in
/// the node's data dir (app/lock_cache.hpp), so n nodes sharing the machine do not each spend the BLS checks of a
/// large lock at genesis. Errors name the file.
Result<void, std::string> verify_locks_once(std::span<const std::filesystem::path> lock_files,
                                            std::span<const std::filesystem::path> data_dirs);

/// `phalanx devnet` flags.
struct DevnetOptions {
  std::uint32_t nodes = 4;
  std::uint32_t threshold = 3;
  std::uint32_t validators = 16;
  /// The simulated chain's validator count (0: just the cluster's): the cluster's validators sit among keyless
  /// stand-ins, so committees, proposers and sync positions are those of a chain this size.
  std::uint64_t total_validators = 0;
  std::uint64_t slots = 32;  ///< slots to run after genesis
  std::chrono::milliseconds slot_duration{2000};
  DevnetMode mode = DevnetMode::kVc;
  DevnetFault fault = DevnetFault::kNone;
  std::optional<std::filesystem::path> report_file;  ///< JSON report
  eth::Fork fork = eth::Fork::kFulu;                 ///< last fork, all forks active at genesis
  bool builder = false;                              ///< builder API: blinded blocks + registrations
  std::optional<std::filesystem::path> dir;          ///< working folder; default: a fresh temp folder
  bool keep = false;                                 ///< keep the working folder afterwards
  std::chrono::seconds genesis_delay{8};             ///< genesis this long after the cluster is created
  std::uint16_t base_port = 0;                       ///< 0: pick free loopback ports
  std::chrono::milliseconds link_delay{0};           ///< every node's p2p messages wait this long (emulated link)
  /// Chaos (`--chaos`): faults from a seeded schedule (app/devnet_chaos.hpp) on up to f = nodes − threshold
  /// nodes at a time, each node behind its own faulty beacon-node proxy; the verdict then asks every duty of
  /// the slots with at most f nodes disrupted to complete.
  bool chaos = false;
  std::uint64_t chaos_seed = 1;
  std::string chaos_faults = "all";  ///< "all" or a comma-separated list of chaos fault kinds
  /// Network faults (`--chaos-net`, with --chaos; root): every node (and its VC) in its own network namespace,
  /// joined by an emulated network with per-link delay 50–150 ms, jitter and 1–5 % loss drawn from the chaos
  /// seed (app/devnet_net.hpp); adds the fault kinds isolate and split.
  bool chaos_net = false;
  double chaos_net_loss = 0.05;  ///< --chaos-net-loss: each link's loss is drawn from [this/5, this]
  /// Several BNs (`--second-bn MODE`, issue 17): every node's first endpoint is its own faulty beacon-node proxy
  /// in this mode ("healthy", "slow", "errors", "syncing", "lying"; app/devnet_chaos BnFaultProxy) and its second
  /// the simulator itself; the report gives each node's hedged-call selections per BN. Empty: one BN.
  std::string second_bn;
  std::filesystem::path phalanx_binary = "/proc/self/exe";  ///< what the children run
  /// An existing cluster (`--node-dirs`: operator folders in Charon's layout, e.g. the data dirs of a `phalanx
  /// dkg` ceremony) to run instead of creating one with the dealer; nodes, threshold and validators must then
  /// be the lock's. Its folders are only read: each node's data, logs and duty report go to the working folder.
  std::optional<ExistingCluster> cluster;
  /// `--doppelganger`: protection off (default: the devnet signs from genesis), or one of the scenarios.
  DevnetDoppelganger doppelganger = DevnetDoppelganger::kOff;
};

/// Checks option combinations. Errors (message naming the flag): nodes < 1 or > 64, threshold outside
/// [1, nodes] or below a majority (2t ≤ n), validators < 1, total_validators (when set) below validators or
/// above 10,000,000, slots < 1, slot duration < 500 ms, a fault that
/// leaves fewer than `threshold` honest nodes; chaos with another --fault, without a faulty node to spare
/// (threshold = nodes) or with an unknown fault kind; --chaos-net without --chaos or with more than 200 nodes; a
/// network fault kind without --chaos-net.
Result<void, std::string> validate(const DevnetOptions& options);


/// One line of a node's duty-report file (NodeConfig::duty_report_file), JSON:
/// `{"slot":N,"duty":"attester","success":true,"last_step":"broadcast","failed_step":"…","reason":"…",
///   "missing":[share_idx…],"blamed":[share_idx…],"validators":N,"consensus_ms":F,"e2e_ms":F}` — slot may be
/// a decimal string; validators and latencies are optional; unknown keys are ignored.
struct DutyLine {
  std::uint64_t slot = 0;
  std::string duty;  ///< core::DutyType name ("attester", "proposer", "aggregator", …)
  bool success = false;
  std::uint64_t validators = 1;  ///< validators the duty covered ("validators"; 1 when absent)
  std::string reason;
  std::vector<std::uint32_t> blamed;
  std::optional<double> consensus_ms;
  std::optional<double> e2e_ms;
  /// When the duty's result was broadcast, in ms from its slot's start (the timeline's "broadcast" event).
  std::optional<double> broadcast_ms;
  /// The timeline's "consensus_start" and "decided" events, in ms from the slot's start.
  std::optional<double> consensus_start_ms, decided_ms;
  std::uint64_t subcommittee = 0;  ///< sync contributions: one duty per subcommittee
};
/// Parses one duty-report line. Errors: not JSON, missing/mistyped slot, duty or success.
Result<DutyLine, std::string> parse_duty_line(std::string_view line);
/// Parses a whole duty-report file's text; malformed lines are skipped and counted in `bad_lines`.
std::vector<DutyLine> parse_duty_lines(std::string_view text, std::size_t* bad_lines = nullptr);

/// Percentiles of a sample (nearest-rank). All zero with count 0.
struct Percentiles {
  std::size_t count = 0;
  double p50 = 0, p90 = 0, p99 = 0, max = 0;
};
/// Nearest-rank p50/p90/p99 and the maximum of `values`.
Percentiles percentiles(std::vector<double> values);

/// One row of the final table.
struct DutyRow {
  std::string duty;            ///< "attestation", "proposal", … (sim kind names)
  std::uint64_t expected = 0;  ///< what should have been done (see DevnetReport::rows)
  /// Validator duties the honest nodes report as broadcast: over distinct (slot, duty type), the largest
  /// "validators" count any honest node reported.
  std::uint64_t completed = 0;
  /// Submissions the beacon simulator accepted after verifying them (every node broadcasts the aggregate
  /// signature, so this counts a duty once per broadcasting node; it must be ≥ completed).
  std::uint64_t sim_accepted = 0;
  std::uint64_t rejected = 0;   ///< submissions the simulator rejected (bad signatures, wrong data…)
  std::uint64_t failed = 0;     ///< expected − completed (0 when the expectation is an upper bound)
  bool exact = true;            ///< expected is exact (else an upper bound: aggregations, contributions)
  std::vector<std::string> reasons;  ///< distinct failure reasons from the duty reports ("slot 5: expired")
};

/// Inputs of the report: what the simulator expected and accepted, and the nodes' duty lines.
struct ReportInputs {
  /// Per sim duty kind: expected count and whether exact (upper bound otherwise).
  std::map<std::string, std::pair<std::uint64_t, bool>> expected;
  std::map<std::string, std::uint64_t> accepted;  ///< per sim duty kind
  std::map<std::string, std::uint64_t> rejected;  ///< per sim duty kind
  std::vector<std::vector<DutyLine>> node_lines;  ///< per node (index = operator)
  std::vector<bool> node_faulty;                  ///< per node: crashed or Byzantine on purpose
  /// Kinds whose honest-node failures are warnings, not problems (chaos: sync contributions, an upper-bound row
  /// whose 2/3-slot timing also depends on the slot's sync messages reaching the BN in time).
  std::set<std::string> failures_warn_only;
  /// The fraction of the exact rows' expected duties (summed over them) that may go uncompleted without failing
  /// the run; those are then warnings. 0 but with `--chaos-net`, whose lossy WAN links get the ≥ 99 % target of
  /// issue 19 (0.01).
  double missing_tolerance = 0;
};

/// The devnet's verdict.
/// Timing of one duty type over the honest nodes' successful duties.
struct DutyTiming {
  Percentiles consensus_ms;  ///< own consensus start → decided at that node
  Percentiles broadcast_ms;  ///< slot start → the node's broadcast of the result
  /// The last node's consensus start → decided at each node: the protocol's own latency once every node has its
  /// data (a node prepares a round-1 proposal only once it has its own data to compare it with).
  Percentiles after_last_start_ms;
};
struct DevnetReport {
  std::vector<DutyRow> rows;
  Percentiles consensus_ms;  ///< over the honest nodes' successful duties
  Percentiles after_last_start_ms;  ///< DutyTiming::after_last_start_ms over every duty type
  Percentiles e2e_ms;
  std::map<std::string, DutyTiming> timing;  ///< by core duty type name ("attester", …), counted duties only
  /// The emulated one-way link delay d (`--link-delay`), 0 when none: the table then gives consensus in d.
  double link_delay_ms = 0;
  std::vector<std::string> problems;  ///< why ok is false (one line each)
  /// Honest-node failures of duties that another honest node completed (e.g. one node's broadcast refused):
  /// listed, but they do not make the report fail.
  std::vector<std::string> warnings;
  bool ok = false;  ///< every exact row completed in full, nothing was rejected, honest nodes' duties succeeded
  ssz::Json extra = ssz::Json::object();  ///< free-form details (sim stats, options) copied into the JSON
};
/// The devnet's doppelganger verdict from the nodes' logs (index = operator): kTwin: every node logged a
/// detection of every one of `pubkeys` (0x… hex), the cluster completed no duty and the simulator accepted the
/// twin's messages and rejected none (`rows`); kJoin and kRestart: no node logged a detection, node N-1 logged its
/// watch and, when `watch_over` (the run outlasted its watch), that it signs again. Returns the problems (empty:
/// as expected).
std::vector<std::string> doppelganger_problems(DevnetDoppelganger mode, const std::vector<std::string>& node_logs,
                                               const std::vector<std::string>& pubkeys,
                                               const std::vector<DutyRow>& rows, bool watch_over);
/// --doppelganger: the scenario's verdict (doppelganger_problems over the nodes' logs in `dir`) added to the report;
/// in twin mode it replaces the duty verdict (the protected cluster must do nothing there). `validator_keys_hex`:
/// the cluster's validator public keys.
void add_doppelganger_verdict(DevnetReport& r, const DevnetOptions& o, const std::filesystem::path& dir,
                              const std::vector<std::string>& validator_keys_hex, std::uint64_t slots_per_epoch);
/// Builds the report. Rows: one per kind of `expected`; completed and failed duties' reasons come from the
/// honest nodes' lines, mapped to the sim kind of their core duty type. ok is false when an exact row has
/// failed > 0, completed > expected or sim_accepted < completed (a node claims a duty the simulator never
/// accepted), any row has rejected > 0, or an honest node reported a failed duty that no honest node completed
/// (those that another node completed become warnings); uncompleted exact duties within missing_tolerance are
/// warnings. (For bounded rows the nodes' "validators" count may
/// include validators that were not selected, so it is not compared.)
DevnetReport build_report(const ReportInputs& in);
/// The table printed at the end: `duty | expected | completed | sim accepted | rejected | failed`, then the
/// percentiles and the problems.
std::string render_table(const DevnetReport& report);
/// The same as JSON: {"ok":…,"duties":[{…}],"latency_ms":{"consensus":{…},"end_to_end":{…}},"problems":[…],…}.
ssz::Json report_to_json(const DevnetReport& report);
/// The sim duty kind a core::DutyType name belongs to ("attester" → "attestation", "proposer" and
/// "builder_proposer" → "proposal", "aggregator" → "aggregation", …); empty for internal steps (randao,
/// prepare_*), which are not counted on their own.
std::string_view sim_kind_of_duty(std::string_view core_duty_name);
/// The report's kind name of a simulator duty ("attestation", "proposal", "aggregation", …).
std::string sim_kind_name(sim::SimDuty d);

/// A child process with its own process group, killed when the parent dies (PR_SET_PDEATHSIG) and by the
/// destructor if still running. stdout and stderr go to `log_file` (appended).
class ChildProcess {
 public:
  /// Forks and execs `argv` (argv[0] is the program path). `env` entries "NAME=value" are added to the
  /// inherited environment. Errors: fork/exec/log-file failures (exec failure is reported by the child's
  /// exit status 127 and the log).
  static Result<ChildProcess, std::string> spawn(std::span<const std::string> argv,
                                                 const std::filesystem::path& log_file,
                                                 std::span<const std::string> env = {});
  ChildProcess(ChildProcess&& o) noexcept;
  ChildProcess& operator=(ChildProcess&& o) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  /// SIGKILLs and reaps a process still running.
  ~ChildProcess();

  /// The process id (0 after it was reaped and moved-from).
  pid_t pid() const { return pid_; }
  /// Non-blocking: true while the process has not exited (reaps it when it has).
  bool running();
  /// Sends `sig` to the process group.
  void signal(int sig);
  /// SIGTERM, wait up to `grace`, then SIGKILL; returns the exit status (waitpid status), reaping it.
  int stop(std::chrono::milliseconds grace);
  /// The waitpid status once exited (nullopt while running).
  std::optional<int> exit_status() const { return status_; }

 private:
  explicit ChildProcess(pid_t pid) : pid_(pid) {}
  pid_t pid_ = 0;
  std::optional<int> status_;
};

/// A free TCP port on 127.0.0.1 (bound and released; the small race with other processes is acceptable for a
/// local devnet).
Result<std::uint16_t, std::string> free_port();
/// A file's text (at most 256 MiB); empty when it cannot be read.
std::string read_text(const std::filesystem::path& p);
/// "exited 0", "exited 3", "killed by SIGKILL" for a waitpid status.
std::string describe_status(int status);
/// CPU seconds (user + system) and peak RSS in MB of a running process, from /proc; nullopt when unreadable.
std::optional<std::pair<double, double>> process_usage(pid_t pid);

/// The report's expected rows (attestation, proposal, aggregation; sync rows from Altair; registrations with
/// --builder) from the simulator's expected duties.
void set_expected_rows(ReportInputs& in, const DevnetOptions& o, const sim::ExpectedDuties& e);
/// Blame: the share indices the honest nodes' duty lines blamed, as "blamed_shares" in r.extra; with --fault
/// byzantine-one a problem when the byzantine share was never blamed. Returns the line printed after the table
/// (empty when nobody was blamed).
std::string add_blame(DevnetReport& r, const ReportInputs& in, const DevnetOptions& o);
/// The simulator's slashing oracle: "slashable_offences" in r.extra and a problem per offence (at most 20
/// problems in all). Returns the line printed after the table.
std::string add_slashing_offences(DevnetReport& r, const sim::SlashingOracle& oracle);
/// The options as the JSON report's "options".
ssz::Json options_json(const DevnetOptions& o);

/// Runs the whole devnet (see the file comment) and prints progress and the final table on stdout. Returns 0
/// when the report is ok, 1 when a duty that should have succeeded did not, 2 on a setup error (message on
/// stderr). Every child process is stopped on every exit path, including SIGINT/SIGTERM of the devnet.
int run_devnet(const DevnetOptions& options);

}  // namespace phx::app
