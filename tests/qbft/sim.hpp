#pragma once
/// Deterministic discrete-event simulator for the QBFT engine: n nodes, a latency matrix with jitter
/// (reordering), drops, duplicates, a partition that heals, crashes and restarts without state, clock skew,
/// late values and Byzantine nodes (equivocating leader, double voting, random valid-looking messages,
/// withheld votes, replays, wrong-instance and forged messages). One seed = one schedule, reproducible.
/// Checked on every run: agreement, validity, termination once the network is stable, bounded memory.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace phx::consensus::qbft::sim {

/// One schedule's parameters.
struct SimConfig {
  std::uint32_t nodes = 4;
  std::uint32_t byzantine = 0;  ///< Byzantine nodes (byzantine + crash ≤ f)
  std::uint32_t crash = 0;      ///< nodes that crash (and may restart without state)
  std::uint64_t seed = 1;
  bool real_signatures = false;  ///< secp256k1 instead of FakeSignerForTests
  bool happy = false;            ///< no faults: uniform link delay d, no drops, all values at start
  bool verbose = false;          ///< print every event to stderr
  bool fast_path = true;         ///< Config::fast_path of every node
  /// Every Byzantine node's mode: -1 = random per node; else 0 silent, 1 withhold, 2 equivocate, 3 random,
  /// 4 replay, 5 mixed, 6 fast-split (targets the fast path: its round-1 PREPARE reaches one honest node only,
  /// it withholds COMMITs, and its round changes lie about its round-1 vote, all Byzantine nodes for one
  /// common value).
  int byzantine_mode = -1;
};

/// Outcome of one schedule.
struct SimResult {
  bool ok = true;
  std::string failure;                ///< first property violated, with details
  std::uint64_t delay_unit_ns = 0;    ///< d
  double max_decision_latency_d = 0;  ///< among honest nodes, decision time / d (from time 0)
  std::uint32_t max_round = 0;        ///< highest round any honest node decided in
  std::uint32_t fast_decisions = 0;   ///< honest decisions made by the fast path (n PREPAREs of round 1)
  /// An honest node decided fast while another honest node decided in a later round: the interleaving the
  /// fast path's round-change rule exists for.
  bool fast_then_later_round = false;
  std::uint64_t deliveries = 0;       ///< messages delivered
  std::uint64_t rejections = 0;       ///< messages honest nodes rejected (with a reason)
  std::size_t max_stored_bytes = 0;   ///< highest Instance::stored_bytes() observed at an honest node
  std::array<std::uint64_t, 32> rejections_by_reason{};  ///< indexed by qbft::Reject
};

/// Runs one schedule. Deterministic in (config).
SimResult run_schedule(const SimConfig& config);

}  // namespace phx::consensus::qbft::sim
