// NodeMonitor: per-peer participation and tallies, readiness and check gauges, beacon-node feeds into the health
// checks, and that every metric a health check or an alert rule reads is exported.
#include "app/monitor.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>

namespace phx::app {
namespace {

MonitorOptions four_operators() {
  MonitorOptions o;
  o.operators = 4;
  o.threshold = 3;
  o.self = 0;
  o.validators = 2;
  return o;
}

std::vector<PeerReading> all_connected() {
  std::vector<PeerReading> p(4);
  for (auto& r : p) {
    r.connected = true;
    r.rtt_ms = 2;
  }
  return p;
}

BnReading bn_ok() {
  BnReading b;
  b.reachable = true;
  return b;
}

core::DutyResult attester_result(std::uint64_t slot, std::vector<std::uint32_t> sent) {
  core::DutyResult r;
  r.validators = 2;
  r.report.duty = core::Duty{Slot{slot}, core::DutyType::kAttester};
  r.report.success = true;
  r.report.last_step = core::Step::kBroadcast;
  r.report.round = 1;
  r.report.round_decided = true;
  for (auto s : sent) r.report.partials.push_back({ShareIdx{s}, std::chrono::seconds(5), 2, false});
  r.report.timeline = {{std::chrono::milliseconds(4200), core::Event::kDecided, 0},
                       {std::chrono::milliseconds(4300), core::Event::kOwnPartial, 1},
                       {std::chrono::milliseconds(5100), core::Event::kBroadcast, 0}};
  return r;
}

bool has_line(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos;
}

std::string read(const char* path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

/// The metric names in `text` (phalanx_…), with histogram suffixes mapped to their family when `registry` has it.
std::set<std::string> metric_names(const std::string& text, const metrics::Registry& registry) {
  std::set<std::string> out;
  static const std::regex name(R"(phalanx_[a-z0-9_]+)");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), name); it != std::sregex_iterator(); ++it) {
    std::string n = it->str();
    for (const char* suffix : {"_bucket", "_sum", "_count"})
      if (n.ends_with(suffix) && registry.contains(n.substr(0, n.size() - std::string_view(suffix).size())))
        n = n.substr(0, n.size() - std::string_view(suffix).size());
    out.insert(n);
  }
  return out;
}

TEST(NodeMonitor, EveryMetricAHealthCheckOrAlertReadsIsExported) {
  metrics::Registry r;
  ManualClock clock;
  NodeMonitor m(r, clock, four_operators());
  register_duty_metrics(r, {}, {});
  for (const auto& c : health::checks())
    for (auto name : c.metrics) EXPECT_TRUE(r.contains(name)) << c.code << " reads " << name;
  const auto names = metric_names(read(PHX_RULES_YML), r);
  EXPECT_GE(names.size(), 8u);
  for (const auto& n : names) EXPECT_TRUE(r.contains(n)) << "deploy/prometheus/phalanx.rules.yml uses " << n;
}

TEST(NodeMonitor, CountsEachPeersParticipationAndLatePartials) {
  metrics::Registry r;
  ManualClock clock(TimePoint{std::chrono::hours(1000)});
  NodeMonitor m(r, clock, four_operators());
  m.on_result(attester_result(10, {1, 2, 3}));  // operator 3 (share 4) sent nothing
  auto blamed = attester_result(11, {1, 2, 3, 4});
  blamed.report.blamed = {ShareIdx{3}};
  m.on_result(blamed);
  m.on_late_partial(core::Duty{Slot{10}, core::DutyType::kAttester}, ShareIdx{4});
  m.on_late_partial(core::Duty{Slot{10}, core::DutyType::kAttester}, ShareIdx{1});  // own share: ignored
  const auto text = r.render();
  EXPECT_TRUE(has_line(text, R"(phalanx_peer_participation_total{duty="attester",peer="3",outcome="missing"} 1)"));
  EXPECT_TRUE(has_line(text, R"(phalanx_peer_participation_total{duty="attester",peer="3",outcome="late"} 1)"));
  EXPECT_TRUE(has_line(text, R"(phalanx_peer_participation_total{duty="attester",peer="2",outcome="blamed"} 1)"));
  EXPECT_TRUE(has_line(text, R"(phalanx_peer_participation_total{duty="attester",peer="1",outcome="ok"} 2)"));
  EXPECT_EQ(text.find(R"(peer="0")"), std::string::npos);  // no series for this node
  EXPECT_TRUE(has_line(text, R"(phalanx_consensus_rounds_total{duty="attester",round="1"} 2)"));
  EXPECT_TRUE(has_line(text, R"(phalanx_duty_mark_seconds_count{duty="attester",stage="broadcast"} 2)"));
  EXPECT_TRUE(has_line(text, R"(phalanx_last_success_slot{duty="attester"} 11)"));
  const auto hour = m.operator_tallies(std::chrono::minutes(60));
  EXPECT_EQ(hour[3].missing, 1u);
  EXPECT_EQ(hour[3].ok, 1u);
  EXPECT_EQ(hour[3].late, 1u);
  EXPECT_EQ(hour[2].blamed, 1u);
  EXPECT_EQ(m.duty_tallies(std::chrono::minutes(60))[2].success, 2u);
  clock.advance(std::chrono::minutes(61));  // out of the hour, still in the day
  EXPECT_EQ(m.operator_tallies(std::chrono::minutes(60))[3].missing, 0u);
  EXPECT_EQ(m.operator_tallies(std::chrono::minutes(24 * 60))[3].missing, 1u);
}

// A successful duty broadcast after the point where the protocol uses it counts as late (a 12-s slot: 8 s for an
// attestation); selections have no such point.
TEST(NodeMonitor, SuccessfulDutiesBroadcastAfterTheirDuePointAreLate) {
  metrics::Registry r;
  ManualClock clock(TimePoint{std::chrono::hours(1000)});
  NodeMonitor m(r, clock, four_operators());
  m.on_result(attester_result(10, {1, 2, 3}));  // broadcast at 5.1 s: in time
  auto late = attester_result(11, {1, 2, 3});
  late.report.timeline.back().offset = std::chrono::milliseconds(8100);
  m.on_result(late);
  auto failed = attester_result(12, {1});  // not successful: not "late"
  failed.report.success = false;
  failed.report.timeline.back().offset = std::chrono::milliseconds(9000);
  m.on_result(failed);
  auto selection = attester_result(13, {1, 2, 3});
  selection.report.duty.type = core::DutyType::kPrepareAggregator;
  selection.report.timeline.back().offset = std::chrono::milliseconds(11000);
  m.on_result(selection);
  const auto text = r.render();
  EXPECT_TRUE(has_line(text, R"(phalanx_duties_late_total{duty="attester"} 1)")) << text;
  EXPECT_EQ(text.find(R"(phalanx_duties_late_total{duty="prepare_aggregator"})"), std::string::npos);
  EXPECT_EQ(due_fraction(core::DutyType::kProposer), 1.0 / 3.0);
  EXPECT_EQ(due_fraction(core::DutyType::kSyncContribution), 1.0);
  EXPECT_EQ(due_fraction(core::DutyType::kRandao), std::nullopt);
}

TEST(NodeMonitor, ReadinessAndCheckGaugesFollowTheVerdict) {
  metrics::Registry r;
  ManualClock clock;
  NodeMonitor m(r, clock, four_operators());
  EXPECT_TRUE(has_line(r.render(), R"(phalanx_health_check_failing{check="no_quorum",severity="critical"} 0)"));
  BnReading down;
  EXPECT_EQ(m.on_slot(Slot{1}, all_connected(), down, 1000).readiness, health::Readiness::kBnDown);
  auto text = r.render();
  EXPECT_TRUE(has_line(text, "phalanx_readiness 2"));
  EXPECT_TRUE(has_line(text, "phalanx_bn_up 0"));
  EXPECT_TRUE(has_line(text, "phalanx_process_resident_memory_bytes 1000"));
  // Operators 2 and 3 go away: after 6 slots (72 s of 12 s slots) no quorum, and the check fails.
  auto peers = all_connected();
  peers[2].connected = peers[3].connected = false;
  for (std::uint64_t s = 2; s <= 8; ++s) m.on_slot(Slot{s}, peers, bn_ok(), std::nullopt);
  EXPECT_EQ(m.verdict().readiness, health::Readiness::kNoQuorum);
  text = r.render();
  EXPECT_TRUE(has_line(text, "phalanx_readiness 6"));
  EXPECT_TRUE(has_line(text, R"(phalanx_health_check_failing{check="no_quorum",severity="critical"} 1)"));
  EXPECT_TRUE(has_line(text, R"(phalanx_peer_connected{peer="2"} 0)"));
  EXPECT_TRUE(has_line(text, R"(phalanx_peer_rtt_seconds_count{peer="1"} 8)"));
}

TEST(NodeMonitor, SlowBeaconNodeCallsAndLateHeadsFailTheirChecks) {
  metrics::Registry r;
  ManualClock clock;
  NodeMonitor m(r, clock, four_operators());
  for (int i = 0; i < 12; ++i) {
    m.on_bn_call(0, std::chrono::milliseconds(1500), true);
    m.on_head(std::chrono::seconds(5));  // after 1/3 of a 12 s slot
  }
  m.on_bn_call(1, std::chrono::seconds(1), false);
  m.on_bn_call(7, std::chrono::seconds(1), false);  // no such endpoint: ignored
  const auto& v = m.on_slot(Slot{1}, all_connected(), bn_ok(), std::nullopt);
  EXPECT_TRUE(v.is_failing(health::CheckId::kBnLatencyHigh));
  EXPECT_TRUE(v.is_failing(health::CheckId::kBnHeadLate));
  const auto text = r.render();
  EXPECT_TRUE(has_line(text, R"(phalanx_bn_request_duration_seconds_count{bn="0",outcome="ok"} 12)"));
  EXPECT_TRUE(has_line(text, R"(phalanx_health_check_failing{check="bn_head_late",severity="warning"} 1)"));
}

}  // namespace
}  // namespace phx::app
