// Readiness (order, hysteresis, VC silence) and each health check's condition, window and detail, plus the
// generated docs/health_checks.md.
#include "health/health.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <set>
#include <fstream>
#include <sstream>

namespace phx::health {
namespace {

/// A healthy 4-operator cluster (threshold 3) as seen by operator 0.
Snapshot healthy(std::uint64_t slot) {
  Snapshot s;
  s.slot = slot;
  s.self = 0;
  s.threshold = 3;
  s.version = "v1";
  s.peers.resize(4);
  for (auto& p : s.peers) {
    p.connected = true;
    p.rtt_ms = 5;
    p.clock_offset_ms = 3;
    p.version = "v1";
    p.lock_match = true;
  }
  s.bn.reachable = true;
  return s;
}

Options two_second_slots() {
  Options o;
  o.slot_duration = std::chrono::seconds(2);
  o.slots_per_epoch = 8;
  return o;
}

TEST(HealthReadiness, FirstSnapshotIsAdoptedAtOnce) {
  Evaluator e;
  EXPECT_EQ(e.verdict().readiness, Readiness::kUnknown);
  auto s = healthy(1);
  s.bn.reachable = false;
  EXPECT_EQ(e.update(s).readiness, Readiness::kBnDown);
  EXPECT_EQ(e.verdict().reason, "beacon node unreachable");
}

TEST(HealthReadiness, FirstFailingConditionWins) {
  auto s = healthy(1);
  s.bn.syncing = true;
  s.bn.sync_distance = 412;
  s.peers[1].connected = s.peers[2].connected = false;  // no quorum too
  Evaluator e;
  EXPECT_EQ(e.update(s).readiness, Readiness::kBnSyncing);
  EXPECT_EQ(e.verdict().reason, "beacon node syncing (distance 412)");
  Evaluator far;
  s.bn.syncing = false;
  EXPECT_EQ(far.update(s).readiness, Readiness::kBnFarBehind);
  Evaluator peers;
  s.bn.sync_distance = 0;
  s.bn.peers = 0;
  EXPECT_EQ(peers.update(s).readiness, Readiness::kBnNoPeers);
  Evaluator quorum;
  s.bn.peers = 50;
  EXPECT_EQ(quorum.update(s).readiness, Readiness::kNoQuorum);
  EXPECT_EQ(quorum.verdict().reason, "2 of 4 operators connected, 3 needed");
}

TEST(HealthReadiness, HysteresisDelaysChangesBothWays) {
  Evaluator e;
  std::uint64_t slot = 1;
  EXPECT_EQ(e.update(healthy(slot++)).readiness, Readiness::kReady);
  auto down = [&] {
    auto s = healthy(slot++);
    s.bn.reachable = false;
    return e.update(s).readiness;
  };
  EXPECT_EQ(down(), Readiness::kReady);  // one bad slot: still ready
  EXPECT_EQ(e.update(healthy(slot++)).readiness, Readiness::kReady);
  EXPECT_EQ(down(), Readiness::kReady);
  EXPECT_EQ(down(), Readiness::kBnDown);  // two in a row
  EXPECT_EQ(e.verdict().since_slot, slot - 1);
  EXPECT_EQ(e.update(healthy(slot++)).readiness, Readiness::kBnDown);
  EXPECT_EQ(e.update(healthy(slot++)).readiness, Readiness::kReady);
  EXPECT_TRUE(e.verdict().reason.empty());
}

TEST(HealthReadiness, NoQuorumNeedsSixSlots) {
  Evaluator e;
  e.update(healthy(1));
  for (std::uint64_t slot = 2; slot < 8; ++slot) {
    auto s = healthy(slot);
    s.peers[1].connected = s.peers[2].connected = false;
    EXPECT_EQ(e.update(s).readiness, slot < 7 ? Readiness::kReady : Readiness::kNoQuorum) << slot;
  }
}

TEST(HealthReadiness, VcSilentOnlyWhileItHasDuties) {
  Evaluator e(two_second_slots());
  std::uint64_t slot = 1;
  for (int i = 0; i < 20; ++i) {  // no duties: silence is fine
    auto s = healthy(slot++);
    s.vc_mode = true;
    EXPECT_EQ(e.update(s).readiness, Readiness::kReady);
  }
  for (int i = 0; i < 7; ++i) {  // duties but the VC asked in the last epoch's first slot
    auto s = healthy(slot++);
    s.vc_mode = true;
    s.vc_duties = true;
    s.vc_requested = i == 0;
    EXPECT_EQ(e.update(s).readiness, Readiness::kReady) << i;
  }
  auto s = healthy(slot++);
  s.vc_mode = s.vc_duties = true;
  e.update(s);  // the request is still in the 8-slot window
  s = healthy(slot++);
  s.vc_mode = s.vc_duties = true;
  EXPECT_EQ(e.update(s).readiness, Readiness::kVcSilent);
  EXPECT_EQ(e.verdict().reason, "no validator client request for an epoch while it had duties");
}

TEST(HealthReadiness, WaitingForGenesisSaysHowLongThenTheFirstSlotCountsAtOnce) {
  Evaluator e;
  auto s = healthy(0);
  s.peers[1].connected = s.peers[2].connected = false;  // no quorum yet: not what an operator needs to hear now
  s.genesis_in = std::chrono::milliseconds(41'200);
  EXPECT_EQ(e.update(s).readiness, Readiness::kWaitingGenesis);
  EXPECT_EQ(e.verdict().reason, "waiting for genesis (in 42 s)");
  EXPECT_TRUE(e.verdict().failing.empty());
  s.genesis_in = std::chrono::seconds(30);  // each call refreshes the time left (same "slot" 0)
  EXPECT_EQ(e.update(s).reason, "waiting for genesis (in 30 s)");
  s.bn.reachable = false;  // an unreachable BN comes first, without hysteresis
  EXPECT_EQ(e.update(s).readiness, Readiness::kBnDown);
  s.bn.reachable = true;
  s.genesis_in = std::chrono::seconds(2 * 3600 + 5 * 60);
  EXPECT_EQ(e.update(s).reason, "waiting for genesis (in 2 h 5 min)");
  EXPECT_EQ(to_string(Readiness::kWaitingGenesis), std::string("waiting_for_genesis"));
  // Genesis: slot 0's own state is taken at once (no hysteresis from "waiting"), then hysteresis as usual.
  auto g = healthy(0);
  EXPECT_EQ(e.update(g).readiness, Readiness::kReady);
  EXPECT_EQ(waiting_reason(std::chrono::seconds(600)), "waiting for genesis (in 10 min)");
  EXPECT_EQ(waiting_reason(std::chrono::hours(24 * 3)), "waiting for genesis (in 3 days)");
}

TEST(HealthReadiness, OlderSlotsAreIgnored) {
  Evaluator e;
  e.update(healthy(5));
  auto s = healthy(5);
  s.bn.reachable = false;
  for (int i = 0; i < 3; ++i) e.update(s);
  s.slot = 4;
  e.update(s);
  EXPECT_EQ(e.verdict().readiness, Readiness::kReady);
}

TEST(HealthChecks, CatalogueIsInIdOrderWithUniqueCodesAndMetrics) {
  std::set<std::string> codes;
  for (std::size_t i = 0; i < checks().size(); ++i) {
    EXPECT_EQ(static_cast<std::size_t>(checks()[i].id), i);
    EXPECT_TRUE(codes.insert(checks()[i].code).second) << checks()[i].code;
    EXPECT_FALSE(checks()[i].metrics.empty()) << checks()[i].code;
    for (auto m : checks()[i].metrics) EXPECT_TRUE(m.starts_with("phalanx_")) << m;
  }
  EXPECT_EQ(checks().size(), kCheckCount);
}

TEST(HealthChecks, NoQuorumAfterItsWindowNamesTheMissingOperators) {
  Evaluator e;  // 12 s slots: 72 s = 6 slots
  for (std::uint64_t slot = 1; slot <= 6; ++slot) {
    auto s = healthy(slot);
    s.peers[2].connected = s.peers[3].connected = false;
    e.update(s);
    EXPECT_EQ(e.verdict().is_failing(CheckId::kNoQuorum), slot == 6) << slot;
  }
  ASSERT_EQ(e.verdict().failing.size(), 1u);
  EXPECT_EQ(e.verdict().failing[0].detail, "operators not connected: 2; 3");
  EXPECT_EQ(e.verdict().failing[0].since_slot, 6u);
  auto s = healthy(7);
  s.peers[2].connected = s.peers[3].connected = false;
  e.update(s);
  EXPECT_EQ(e.verdict().failing[0].since_slot, 6u);  // the same spell
}

TEST(HealthChecks, OwnClockSkewWhenTheMajorityAgreesElsePeerSkew) {
  Evaluator own, peer;
  for (std::uint64_t slot = 1; slot <= 5; ++slot) {
    auto s = healthy(slot);
    s.peers[1].clock_offset_ms = 450;
    s.peers[2].clock_offset_ms = 430;
    own.update(s);
    s.peers[2].clock_offset_ms = 4;
    peer.update(s);
  }
  EXPECT_TRUE(own.verdict().is_failing(CheckId::kOwnClockSkew));
  EXPECT_FALSE(own.verdict().is_failing(CheckId::kPeerClockSkew));
  EXPECT_EQ(own.verdict().failing[0].detail, "2 of 3 peers see this clock behind by more than 200 ms");
  EXPECT_FALSE(peer.verdict().is_failing(CheckId::kOwnClockSkew));
  ASSERT_TRUE(peer.verdict().is_failing(CheckId::kPeerClockSkew));
  EXPECT_EQ(peer.verdict().failing[0].detail, "operator 1: +450 ms");
}

TEST(HealthChecks, ClockSkewMustLastItsWindow) {
  Evaluator e;
  for (std::uint64_t slot = 1; slot <= 4; ++slot) {
    auto s = healthy(slot);
    s.peers[1].clock_offset_ms = slot == 3 ? 0 : 900;  // one good slot breaks the spell
    e.update(s);
  }
  EXPECT_FALSE(e.verdict().is_failing(CheckId::kPeerClockSkew));
}

TEST(HealthChecks, PeerRttHighOnTheWindowMean) {
  Evaluator e;  // 5 min = 25 slots
  for (std::uint64_t slot = 1; slot <= 30; ++slot) {
    auto s = healthy(slot);
    s.peers[3].rtt_ms = slot % 2 ? 250 : 100;  // mean 175
    s.peers[2].rtt_ms = slot == 30 ? 900 : 10;  // one spike
    e.update(s);
  }
  ASSERT_TRUE(e.verdict().is_failing(CheckId::kPeerRttHigh));
  EXPECT_EQ(e.verdict().failing[0].detail, "operator 3: 172 ms");
}

TEST(HealthChecks, PeerAbsentAndLateNameThePeer) {
  Evaluator e;
  for (std::uint64_t slot = 1; slot <= 20; ++slot) {
    auto s = healthy(slot);
    for (auto& p : s.peers) p.expected = 1;
    s.peers[3].missing = 1;  // absent in every duty
    if (slot % 4 == 0) {     // operator 2: missing in 5 of 20, each partial later arrives
      s.peers[2].missing = 1;
      s.peers[2].late = 1;
    }
    e.update(s);
  }
  const auto& v = e.verdict();
  ASSERT_TRUE(v.is_failing(CheckId::kPeerAbsent));
  ASSERT_TRUE(v.is_failing(CheckId::kPeerPartialsLate));
  for (const auto& f : v.failing) {
    if (f.id == CheckId::kPeerAbsent) {
      EXPECT_EQ(f.detail, "operator 3: 100 % of 20 duties");
    }
    if (f.id == CheckId::kPeerPartialsLate) {
      EXPECT_EQ(f.detail, "operator 2: 25 % of 20 duties");
    }
  }
}

TEST(HealthChecks, RateChecksNeedEnoughSamples) {
  Evaluator e;
  for (std::uint64_t slot = 1; slot <= 9; ++slot) {
    auto s = healthy(slot);
    for (auto& p : s.peers) p.expected = p.missing = 1;
    s.duties["attester"] = {1, 1};
    s.decided = s.decided_late_round = 1;
    s.bn.calls = 1;
    s.bn.call_seconds = 5;
    s.bn.heads = s.bn.heads_late = 1;
    e.update(s);
  }
  EXPECT_TRUE(e.verdict().failing.empty());  // 9 < 10 samples of everything
}

TEST(HealthChecks, DutyConsensusAndBeaconNodeRates) {
  Evaluator e;
  for (std::uint64_t slot = 1; slot <= 20; ++slot) {
    auto s = healthy(slot);
    s.duties["attester"] = {1, slot <= 2 ? 1u : 0u};  // 10 %
    s.duties["proposer"] = {1, 0};
    s.decided = 1;
    s.decided_late_round = slot <= 2 ? 1 : 0;  // 10 %
    s.bn.calls = 2;
    s.bn.call_seconds = 2.5;                  // 1.25 s mean
    s.bn.heads = 1;
    s.bn.heads_late = slot == 1 ? 1 : 0;      // 5 %
    e.update(s);
  }
  const auto& v = e.verdict();
  EXPECT_TRUE(v.is_failing(CheckId::kDutiesFailing));
  EXPECT_TRUE(v.is_failing(CheckId::kConsensusRoundsHigh));
  EXPECT_TRUE(v.is_failing(CheckId::kBnLatencyHigh));
  EXPECT_TRUE(v.is_failing(CheckId::kBnHeadLate));
  for (const auto& f : v.failing) {
    if (f.id == CheckId::kDutiesFailing) {
      EXPECT_EQ(f.detail, "attester: 10 % of 20 failed");
    }
    if (f.id == CheckId::kBnLatencyHigh) {
      EXPECT_EQ(f.detail, "mean 1250 ms over 40 calls");
    }
  }
}

TEST(HealthChecks, FallbackMustLastFiveMinutes) {
  Evaluator e;  // 25 slots
  for (std::uint64_t slot = 1; slot <= 25; ++slot) {
    auto s = healthy(slot);
    s.bn.fallback_in_use = true;
    e.update(s);
    EXPECT_EQ(e.verdict().is_failing(CheckId::kBnFallbackInUse), slot == 25) << slot;
  }
}

TEST(HealthChecks, VersionSkewAndLockMismatchFromPeerInfo) {
  Evaluator e;
  auto s = healthy(1);
  s.peers[1].version = "v2";
  s.peers[2].lock_match = false;
  s.peers[3].version = "v3";
  s.peers[3].connected = false;  // a disconnected peer's old info does not count
  e.update(s);
  ASSERT_EQ(e.verdict().failing.size(), 2u);
  EXPECT_EQ(e.verdict().failing[0].id, CheckId::kVersionSkew);
  EXPECT_EQ(e.verdict().failing[0].detail, "operator 1 runs v2 (this node v1)");
  EXPECT_EQ(e.verdict().failing[1].detail, "operator 2 reports another lock hash");
  EXPECT_EQ(spec(CheckId::kLockMismatch).severity, Severity::kCritical);
}

TEST(HealthChecks, MemoryGrowthAfterWarmUpAndTwoDays) {
  Options o;
  o.slot_duration = std::chrono::hours(1);  // one sample per slot
  Evaluator e(o);
  std::uint64_t slot = 1;
  for (int i = 0; i < 4; ++i) {  // warm-up: huge values that must not count
    auto s = healthy(slot++);
    s.rss_bytes = 10'000'000'000;
    e.update(s);
  }
  for (int i = 0; i < 48; ++i) {
    auto s = healthy(slot++);
    s.rss_bytes = i < 24 ? 100'000'000 : 105'000'000;  // +5 %: fine
    e.update(s);
    EXPECT_FALSE(e.verdict().is_failing(CheckId::kMemoryGrowth));
  }
  for (int i = 0; i < 24; ++i) {
    auto s = healthy(slot++);
    s.rss_bytes = 120'000'000;  // +14 % over the 105 MB day
    e.update(s);
  }
  ASSERT_TRUE(e.verdict().is_failing(CheckId::kMemoryGrowth));
  EXPECT_EQ(e.verdict().failing[0].detail, "resident memory +14 % (24 h mean vs the 24 h before)");
}

TEST(HealthDocs, HealthChecksMarkdownIsCurrent) {
  const std::string want = checks_markdown();
  if (std::getenv("PHX_UPDATE_DOCS")) {
    std::ofstream(PHX_HEALTH_MD) << want;
    GTEST_SKIP() << "rewrote " << PHX_HEALTH_MD;
  }
  std::ifstream in(PHX_HEALTH_MD);
  std::stringstream got;
  got << in.rdbuf();
  EXPECT_EQ(got.str(), want) << "docs/health_checks.md is stale: run PHX_UPDATE_DOCS=1 health_test";
}

TEST(HealthDocs, RunbookHasASectionPerCheckAndState) {
  std::ifstream in(PHX_RUNBOOK_MD);
  std::stringstream text;
  text << in.rdbuf();
  const std::string t = text.str();
  for (const auto& c : checks()) EXPECT_NE(t.find("<a id=\"" + std::string(c.code) + "\">"), std::string::npos) << c.code;
  for (std::size_t r = 2; r < kReadinessCount; ++r) {
    const std::string code = to_string(static_cast<Readiness>(r));
    EXPECT_NE(t.find("<a id=\"" + code + "\">"), std::string::npos) << code;
  }
}

}  // namespace
}  // namespace phx::health
