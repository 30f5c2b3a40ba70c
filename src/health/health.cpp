// Readiness with hysteresis and the health-check catalogue and evaluation (sans-IO; see health.hpp).
#include "health/health.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace phx::health {

namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

std::vector<CheckSpec> make_catalogue() {
  using enum CheckId;
  using enum Severity;
  using enum WindowKind;
  return {
      {kNoQuorum, "no_quorum", kCritical, seconds(72), kSustained,
       "fewer than threshold operators (this node included) connected in every slot of the window",
       "find out which operators are down (status page, phalanx_peer_connected) and get them back; duties fail "
       "until a quorum is connected",
       {"phalanx_peer_connected", "phalanx_cluster_threshold"}},
      {kOwnClockSkew, "own_clock_skew", kCritical, minutes(1), kSustained,
       "a majority of the peers with a known clock offset disagree with this node's clock by more than the limit, "
       "in the same direction: this node's clock is wrong",
       "check this host's time sync (timedatectl, chronyc tracking) and fix NTP",
       {"phalanx_peer_clock_offset_seconds"}},
      {kPeerClockSkew, "peer_clock_skew", kWarning, minutes(1), kSustained,
       "a minority of peers have a clock offset beyond the limit (their clocks, not this node's, are off)",
       "tell the named operators to fix their time sync",
       {"phalanx_peer_clock_offset_seconds"}},
      {kPeerRttHigh, "peer_rtt_high", kWarning, minutes(5), kRate,
       "a peer's mean ping round trip over the window is above the limit",
       "check the network path to the named operators (routing, bandwidth, relays)",
       {"phalanx_peer_rtt_seconds"}},
      {kPeerPartialsLate, "peer_partials_late", kWarning, hours(1), kRate,
       "more than the limit of a peer's partial signatures arrived after the duty had finished here",
       "the named operator is slow: ask them to check their beacon node, validator client and clock",
       {"phalanx_peer_participation_total"}},
      {kPeerAbsent, "peer_absent", kWarning, hours(1), kRate,
       "a peer sent no partial signature in more than the limit of the duties that expected one",
       "ask the named operator whether their node and validator client run (their status page, /readyz)",
       {"phalanx_peer_participation_total", "phalanx_peer_connected"}},
      {kVersionSkew, "version_skew", kWarning, seconds(0), kLatest,
       "a connected peer runs another Phalanx version than this node",
       "agree on one release with the other operators and upgrade",
       {"phalanx_peer_info", "phalanx_build_info"}},
      {kLockMismatch, "lock_mismatch", kCritical, seconds(0), kLatest,
       "a peer reports another cluster lock hash",
       "compare cluster-lock.json with the named operator (a reshare or a wrong file); never run two locks",
       {"phalanx_peer_info"}},
      {kConsensusRoundsHigh, "consensus_rounds_high", kWarning, hours(1), kRate,
       "more than the limit of consensus decisions needed round 2 or later (a slow or absent leader)",
       "look at which leaders time out (phalanx explain on a late duty) and at peer RTT and BN latency",
       {"phalanx_consensus_rounds_total"}},
      {kBnLatencyHigh, "bn_latency_high", kWarning, minutes(5), kRate,
       "the mean beacon node call latency over the window is above the limit",
       "check the beacon node's load and disk; add a faster or closer beacon node",
       {"phalanx_bn_request_duration_seconds"}},
      {kBnHeadLate, "bn_head_late", kWarning, hours(1), kRate,
       "more than the limit of the beacon node's head events came after 1/3 of their slot",
       "the beacon node imports blocks late: check its peers, CPU and disk",
       {"phalanx_bn_head_delay_seconds"}},
      {kBnFallbackInUse, "bn_fallback_in_use", kWarning, minutes(5), kSustained,
       "a fallback beacon node answered in every slot of the window (the first one is failing)",
       "repair the primary beacon node (phalanx_bn_request_duration_seconds{outcome=\"error\"} names it)",
       {"phalanx_bn_fallback_in_use", "phalanx_bn_request_duration_seconds"}},
      {kDutiesFailing, "duties_failing", kWarning, hours(1), kRate,
       "more than the limit of one duty type's duties failed over the window",
       "list the failures (GET /api/v1/duties?outcome=failed) and explain one (phalanx explain)",
       {"phalanx_duties_total", "phalanx_duty_failures_total"}},
      {kMemoryGrowth, "memory_growth", kWarning, hours(48), kRate,
       "resident memory grew by more than the limit between the last two 24 h windows (after a 4 h warm-up)",
       "report it with the node's version and /metrics; restart the node in a quiet slot",
       {"phalanx_process_resident_memory_bytes"}},
  };
}

const std::vector<CheckSpec>& catalogue() {
  static const std::vector<CheckSpec> c = make_catalogue();
  return c;
}

std::string fmt_ms(double ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%+.0f ms", ms);
  return buf;
}

std::string fmt_pct(double share) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.0f %%", share * 100);
  return buf;
}

}  // namespace

std::string waiting_reason(Duration left) {
  const auto s = std::max<std::int64_t>(0, std::chrono::ceil<std::chrono::seconds>(left).count());
  std::string in;
  if (s < 120) in = std::to_string(s) + " s";
  else if (s < 2 * 3600) in = std::to_string(s / 60) + " min";
  else if (s < 2 * 86400) in = std::to_string(s / 3600) + " h " + std::to_string(s % 3600 / 60) + " min";
  else in = std::to_string(s / 86400) + " days";
  return "waiting for genesis (in " + in + ")";
}

namespace {

void append(std::string& out, const std::string& part) {
  if (!out.empty()) out += "; ";
  out += part;
}

}  // namespace

const char* to_string(Readiness r) {
  switch (r) {
    case Readiness::kUnknown: return "unknown";
    case Readiness::kReady: return "ready";
    case Readiness::kBnDown: return "bn_down";
    case Readiness::kBnSyncing: return "bn_syncing";
    case Readiness::kBnFarBehind: return "bn_far_behind";
    case Readiness::kBnNoPeers: return "bn_no_peers";
    case Readiness::kNoQuorum: return "no_quorum_peers";
    case Readiness::kVcSilent: return "vc_silent";
    case Readiness::kWaitingGenesis: return "waiting_for_genesis";
  }
  return "unknown";
}

const char* to_string(Severity s) {
  switch (s) {
    case Severity::kInfo: return "info";
    case Severity::kWarning: return "warning";
    case Severity::kCritical: return "critical";
  }
  return "info";
}

std::span<const CheckSpec> checks() { return catalogue(); }

const CheckSpec& spec(CheckId id) { return catalogue()[static_cast<std::size_t>(id)]; }

bool Verdict::is_failing(CheckId id) const {
  return std::any_of(failing.begin(), failing.end(), [id](const Failing& f) { return f.id == id; });
}

Evaluator::Evaluator(Options options) : options_(std::move(options)) {
  if (options_.slot_duration <= Duration::zero()) options_.slot_duration = std::chrono::seconds(12);
  if (options_.slots_per_epoch == 0) options_.slots_per_epoch = 32;
  max_window_ = options_.slots_per_epoch;  // the VC-silent window
  for (const auto& c : catalogue())
    if (c.id != CheckId::kMemoryGrowth) max_window_ = std::max(max_window_, window_slots(c.id));
}

std::size_t Evaluator::window_slots(CheckId id) const {
  const auto w = spec(id).window;
  const auto slots = (w.count() + options_.slot_duration.count() - 1) / options_.slot_duration.count();
  return static_cast<std::size_t>(std::max<std::int64_t>(1, slots));
}

std::uint32_t Evaluator::hysteresis(Readiness r) const {
  const auto& t = options_.thresholds;
  switch (r) {
    case Readiness::kReady: return t.recover_hysteresis_slots;
    case Readiness::kNoQuorum: return t.quorum_hysteresis_slots;
    case Readiness::kVcSilent: return 1;  // its own window is an epoch already
    default: return t.bn_hysteresis_slots;
  }
}

Readiness Evaluator::candidate(const Snapshot& s, std::string& reason) const {
  const auto& t = options_.thresholds;
  if (!s.bn.reachable) {
    reason = "beacon node unreachable";
    return Readiness::kBnDown;
  }
  if (s.bn.syncing) {
    reason = "beacon node syncing (distance " + std::to_string(s.bn.sync_distance) + ")";
    return Readiness::kBnSyncing;
  }
  if (s.bn.sync_distance > t.far_behind_slots) {
    reason = "beacon node far behind (distance " + std::to_string(s.bn.sync_distance) + " slots)";
    return Readiness::kBnFarBehind;
  }
  if (s.bn.peers && *s.bn.peers == 0) {
    reason = "beacon node has no peers";
    return Readiness::kBnNoPeers;
  }
  std::uint32_t connected = 1;
  for (std::size_t i = 0; i < s.peers.size(); ++i)
    if (i != s.self && s.peers[i].connected) ++connected;
  if (connected < s.threshold) {
    reason = std::to_string(connected) + " of " + std::to_string(std::max<std::size_t>(s.peers.size(), 1)) +
             " operators connected, " + std::to_string(s.threshold) + " needed";
    return Readiness::kNoQuorum;
  }
  // VC silent: over the last epoch (a full one observed), duties for the VC but not one request from it.
  if (s.vc_mode && history_.size() >= options_.slots_per_epoch) {
    bool duties = false, requested = false;
    const std::size_t from = history_.size() - options_.slots_per_epoch;
    for (std::size_t i = from; i < history_.size(); ++i) {
      duties = duties || history_[i].vc_duties;
      requested = requested || history_[i].vc_requested;
    }
    if (duties && !requested) {
      reason = "no validator client request for an epoch while it had duties";
      return Readiness::kVcSilent;
    }
  }
  reason.clear();
  return Readiness::kReady;
}

std::optional<std::string> Evaluator::evaluate(CheckId id) const {
  const auto& t = options_.thresholds;
  const std::size_t w = std::min(window_slots(id), history_.size());
  const bool full = history_.size() >= window_slots(id);
  const auto begin = history_.end() - static_cast<std::ptrdiff_t>(w);
  const Snapshot& last = history_.back();
  const std::size_t n = last.peers.size();
  auto held_all = [&](auto pred) {
    if (!full) return false;
    return std::all_of(begin, history_.end(), pred);
  };
  // Own vs peer clock skew: among connected peers with a known offset, does a majority lean the same way?
  auto skew = [&](const Snapshot& s, bool own) -> std::optional<std::string> {
    std::size_t known = 0, ahead = 0, behind = 0;
    std::string peers;
    for (std::size_t i = 0; i < s.peers.size(); ++i) {
      if (i == s.self || !s.peers[i].connected || !s.peers[i].clock_offset_ms) continue;
      const double off = *s.peers[i].clock_offset_ms;
      ++known;
      if (off > t.clock_skew_ms) ++ahead;
      if (off < -t.clock_skew_ms) ++behind;
      if (std::abs(off) > t.clock_skew_ms) append(peers, "operator " + std::to_string(i) + ": " + fmt_ms(off));
    }
    const bool majority = known >= 2 && (2 * ahead > known || 2 * behind > known);
    if (own) {
      if (!majority) return std::nullopt;
      return std::to_string(std::max(ahead, behind)) + " of " + std::to_string(known) + " peers see this clock " +
             (ahead > behind ? "behind" : "ahead") + " by more than " + std::to_string(int(t.clock_skew_ms)) + " ms";
    }
    if (majority || peers.empty()) return std::nullopt;
    return peers;
  };
  switch (id) {
    case CheckId::kNoQuorum: {
      std::string reason;
      auto no_quorum = [&](const Snapshot& s) {
        std::uint32_t c = 1;
        for (std::size_t i = 0; i < s.peers.size(); ++i)
          if (i != s.self && s.peers[i].connected) ++c;
        return c < s.threshold;
      };
      if (!held_all(no_quorum)) return std::nullopt;
      std::string down;
      for (std::size_t i = 0; i < n; ++i)
        if (i != last.self && !last.peers[i].connected) append(down, std::to_string(i));
      return "operators not connected: " + down;
    }
    case CheckId::kOwnClockSkew:
    case CheckId::kPeerClockSkew: {
      const bool own = id == CheckId::kOwnClockSkew;
      if (!held_all([&](const Snapshot& s) { return skew(s, own).has_value(); })) return std::nullopt;
      return skew(last, own);
    }
    case CheckId::kPeerRttHigh: {
      std::string out;
      for (std::size_t i = 0; i < n; ++i) {
        if (i == last.self) continue;
        double sum = 0;
        std::size_t k = 0;
        for (auto it = begin; it != history_.end(); ++it)
          if (i < it->peers.size() && it->peers[i].connected && it->peers[i].rtt_ms) {
            sum += *it->peers[i].rtt_ms;
            ++k;
          }
        // At least half the window measured, so one slow ping after a reconnect does not count.
        if (k == 0 || 2 * k < window_slots(id) || sum / double(k) <= t.rtt_ms) continue;
        append(out, "operator " + std::to_string(i) + ": " + std::to_string(int(sum / double(k))) + " ms");
      }
      if (out.empty()) return std::nullopt;
      return out;
    }
    case CheckId::kPeerPartialsLate:
    case CheckId::kPeerAbsent: {
      const bool late = id == CheckId::kPeerPartialsLate;
      std::string out;
      for (std::size_t i = 0; i < n; ++i) {
        if (i == last.self) continue;
        std::uint64_t expected = 0, missing = 0, lates = 0;
        for (auto it = begin; it != history_.end(); ++it)
          if (i < it->peers.size()) {
            expected += it->peers[i].expected;
            missing += it->peers[i].missing;
            lates += it->peers[i].late;
          }
        if (expected < t.min_samples) continue;
        // A late partial was first counted missing: absence is what never arrived.
        const std::uint64_t bad = late ? lates : (missing > lates ? missing - lates : 0);
        const double share = double(bad) / double(expected);
        if (share <= (late ? t.late_share : t.absent_share)) continue;
        append(out, "operator " + std::to_string(i) + ": " + fmt_pct(share) + " of " + std::to_string(expected) +
                        " duties");
      }
      if (out.empty()) return std::nullopt;
      return out;
    }
    case CheckId::kVersionSkew: {
      std::string out;
      for (std::size_t i = 0; i < n; ++i)
        if (i != last.self && last.peers[i].connected && last.peers[i].version &&
            *last.peers[i].version != last.version)
          append(out, "operator " + std::to_string(i) + " runs " + *last.peers[i].version + " (this node " +
                          last.version + ")");
      if (out.empty()) return std::nullopt;
      return out;
    }
    case CheckId::kLockMismatch: {
      std::string out;
      for (std::size_t i = 0; i < n; ++i)
        if (i != last.self && last.peers[i].lock_match && !*last.peers[i].lock_match)
          append(out, "operator " + std::to_string(i));
      if (out.empty()) return std::nullopt;
      return out + " reports another lock hash";
    }
    case CheckId::kConsensusRoundsHigh: {
      std::uint64_t decided = 0, late_round = 0;
      for (auto it = begin; it != history_.end(); ++it) {
        decided += it->decided;
        late_round += it->decided_late_round;
      }
      if (decided < t.min_samples) return std::nullopt;
      const double share = double(late_round) / double(decided);
      if (share <= t.rounds_high_share) return std::nullopt;
      return fmt_pct(share) + " of " + std::to_string(decided) + " decisions needed round 2 or later";
    }
    case CheckId::kBnLatencyHigh: {
      std::uint64_t calls = 0;
      double total = 0;
      for (auto it = begin; it != history_.end(); ++it) {
        calls += it->bn.calls;
        total += it->bn.call_seconds;
      }
      if (calls < t.min_samples || total / double(calls) <= t.bn_latency_s) return std::nullopt;
      return "mean " + std::to_string(int(total / double(calls) * 1000)) + " ms over " + std::to_string(calls) +
             " calls";
    }
    case CheckId::kBnHeadLate: {
      std::uint64_t heads = 0, late_heads = 0;
      for (auto it = begin; it != history_.end(); ++it) {
        heads += it->bn.heads;
        late_heads += it->bn.heads_late;
      }
      if (heads < t.min_samples) return std::nullopt;
      const double share = double(late_heads) / double(heads);
      if (share <= t.head_late_share) return std::nullopt;
      return fmt_pct(share) + " of " + std::to_string(heads) + " heads after 1/3 of their slot";
    }
    case CheckId::kBnFallbackInUse:
      if (!held_all([](const Snapshot& s) { return s.bn.fallback_in_use; })) return std::nullopt;
      return "a fallback beacon node answers";
    case CheckId::kDutiesFailing: {
      std::map<std::string, DutyCounts> sum;
      for (auto it = begin; it != history_.end(); ++it)
        for (const auto& [type, c] : it->duties) {
          sum[type].finished += c.finished;
          sum[type].failed += c.failed;
        }
      std::string out;
      for (const auto& [type, c] : sum) {
        if (c.finished < t.min_samples) continue;
        const double share = double(c.failed) / double(c.finished);
        if (share > t.duty_failure_share)
          append(out, type + ": " + fmt_pct(share) + " of " + std::to_string(c.finished) + " failed");
      }
      if (out.empty()) return std::nullopt;
      return out;
    }
    case CheckId::kMemoryGrowth: {
      const auto& h = memory_.hourly;
      if (h.size() < 48) return std::nullopt;
      double before = 0, after = 0;
      for (std::size_t i = 0; i < 24; ++i) before += double(h[h.size() - 48 + i]);
      for (std::size_t i = 0; i < 24; ++i) after += double(h[h.size() - 24 + i]);
      if (before <= 0 || after / before - 1 <= t.memory_growth) return std::nullopt;
      return "resident memory +" + fmt_pct(after / before - 1) + " (24 h mean vs the 24 h before)";
    }
  }
  return std::nullopt;
}

const Verdict& Evaluator::update(const Snapshot& s) {
  if (s.genesis_in) {
    // Before genesis there are no slots to count and nothing to check; only an unreachable BN matters more.
    const Readiness r = s.bn.reachable ? Readiness::kWaitingGenesis : Readiness::kBnDown;
    if (r != verdict_.readiness) verdict_.since_slot = 0;
    verdict_.readiness = r;
    verdict_.reason = s.bn.reachable ? waiting_reason(*s.genesis_in) : std::string("beacon node unreachable");
    verdict_.failing.clear();
    pre_genesis_ = true;
    return verdict_;
  }
  if (have_slot_ && s.slot <= history_.back().slot) return verdict_;
  have_slot_ = true;
  history_.push_back(s);
  while (history_.size() > max_window_) history_.pop_front();

  // Memory: one sample per hour of slots, after a 4 h warm-up (start-up allocations are not growth).
  if (s.rss_bytes) {
    const auto per_hour = std::max<std::int64_t>(1, std::chrono::hours(1) / options_.slot_duration);
    if (!memory_.started) {
      memory_.started = true;
      memory_.first_slot = s.slot;
      memory_.last_sample_slot = s.slot;
    }
    const bool warm = s.slot >= memory_.first_slot + 4 * static_cast<std::uint64_t>(per_hour);
    if (warm && s.slot >= memory_.last_sample_slot + static_cast<std::uint64_t>(per_hour)) {
      memory_.last_sample_slot = s.slot;
      memory_.hourly.push_back(*s.rss_bytes);
      if (memory_.hourly.size() > 48) memory_.hourly.erase(memory_.hourly.begin());
    }
  }

  // Readiness with hysteresis: a new state must hold for hysteresis(state) slots; the first one counts at once.
  std::string reason;
  const Readiness c = candidate(s, reason);
  if (verdict_.readiness == Readiness::kUnknown || pre_genesis_) {
    pre_genesis_ = false;
    verdict_.readiness = c;
    verdict_.reason = reason;
    verdict_.since_slot = s.slot;
    pending_count_ = 0;
  } else if (c == verdict_.readiness) {
    verdict_.reason = reason;  // the detail may change (distance, counts)
    pending_count_ = 0;
  } else {
    if (c != pending_) pending_count_ = 0;
    pending_ = c;
    if (++pending_count_ >= hysteresis(c)) {
      verdict_.readiness = c;
      verdict_.reason = reason;
      verdict_.since_slot = s.slot;
      pending_count_ = 0;
    }
  }

  std::vector<Failing> failing;
  for (const auto& spec_entry : catalogue()) {
    auto detail = evaluate(spec_entry.id);
    if (!detail) continue;
    std::uint64_t since = s.slot;
    for (const auto& f : verdict_.failing)
      if (f.id == spec_entry.id) since = f.since_slot;
    failing.push_back({spec_entry.id, std::move(*detail), since});
  }
  verdict_.failing = std::move(failing);
  return verdict_;
}

std::string checks_markdown(const Thresholds& t) {
  std::string out =
      "# Readiness and health checks\n\n"
      "Generated from `src/health/health.cpp` (`PHX_UPDATE_DOCS=1 health_test` rewrites it). The node evaluates "
      "them once per slot; `/readyz`, `phalanx_readiness`, `phalanx_health_check_failing{check,severity}`, the "
      "status page (`GET /`) and `GET /api/v1/status` show the result. What to do: [runbook](runbook.md).\n\n"
      "## Readiness (`phalanx_readiness`)\n\n"
      "The first failing condition wins. A new state must hold for a few slots before it is reported "
      "(hysteresis): " +
      std::to_string(t.bn_hysteresis_slots) + " slots for beacon node states, " +
      std::to_string(t.quorum_hysteresis_slots) + " for missing quorum, " + std::to_string(t.recover_hysteresis_slots) +
      " good slots to become ready again.\n\n| value | state | when |\n|---|---|---|\n"
      "| 0 | `unknown` | not evaluated yet (starting) |\n"
      "| 1 | `ready` | none of the below |\n"
      "| 2 | [`bn_down`](runbook.md#bn_down) | no beacon node answers the sync-status poll |\n"
      "| 3 | [`bn_syncing`](runbook.md#bn_syncing) | the beacon node is syncing |\n"
      "| 4 | [`bn_far_behind`](runbook.md#bn_far_behind) | sync distance above " +
      std::to_string(t.far_behind_slots) +
      " slots |\n"
      "| 5 | [`bn_no_peers`](runbook.md#bn_no_peers) | the beacon node reports zero peers |\n"
      "| 6 | [`no_quorum_peers`](runbook.md#no_quorum_peers) | fewer than threshold operators connected (this node "
      "included) |\n"
      "| 7 | [`vc_silent`](runbook.md#vc_silent) | vc mode: no validator client request for an epoch while it had "
      "duties |\n"
      "| 8 | [`waiting_for_genesis`](runbook.md#waiting_for_genesis) | the chain has not started (the reason says how "
      "long to wait); only `bn_down` comes before it; the first slot's state is taken at once |\n\n"
      "## Health checks (`phalanx_health_check_failing`)\n\n"
      "Limits: clock skew " +
      std::to_string(int(t.clock_skew_ms)) + " ms, RTT " + std::to_string(int(t.rtt_ms)) + " ms, late partials " +
      fmt_pct(t.late_share) + ", absent " + fmt_pct(t.absent_share) + ", round ≥ 2 " + fmt_pct(t.rounds_high_share) +
      ", BN latency " + std::to_string(int(t.bn_latency_s * 1000)) + " ms, late heads " + fmt_pct(t.head_late_share) +
      ", duty failures " + fmt_pct(t.duty_failure_share) + ", memory growth " + fmt_pct(t.memory_growth) +
      "; rate checks need " + std::to_string(t.min_samples) +
      " samples in their window.\n\n| check | severity | window | kind | fails when | metrics |\n|---|---|---|---|---|---|\n";
  for (const auto& c : catalogue()) {
    const auto secs = std::chrono::duration_cast<std::chrono::seconds>(c.window).count();
    std::string window = secs == 0 ? "1 slot" : secs % 3600 == 0 ? std::to_string(secs / 3600) + " h"
                                            : secs % 60 == 0     ? std::to_string(secs / 60) + " min"
                                                                 : std::to_string(secs) + " s";
    const char* kind = c.kind == WindowKind::kSustained ? "sustained" : c.kind == WindowKind::kRate ? "rate" : "latest";
    std::string metrics;
    for (auto m : c.metrics) {
      if (!metrics.empty()) metrics += ", ";
      metrics += '`';
      metrics += m;
      metrics += '`';
    }
    out += "| [`" + std::string(c.code) + "`](runbook.md#" + c.code + ") | " + to_string(c.severity) + " | " + window +
           " | " + kind + " | " + c.condition + " | " + metrics + " |\n";
  }
  return out;
}

}  // namespace phx::health
