// GET /api/v1/status parts for operators (issue 18): readiness before genesis, the validator-client panel (vc and
// embedded), per-type epoch strips, timing histograms, BN peers and clients; and the BN peer-count parsers.
#include "app/status.hpp"

#include <gtest/gtest.h>

#include <map>

#include "app/bn_adapter.hpp"

namespace phx::app {
namespace {

constexpr std::uint64_t kGenesis = 1'700'000'000;

MonitorOptions options(bool vc) {
  MonitorOptions o;
  o.operators = 4;
  o.threshold = 3;
  o.vc_mode = vc;
  o.slots_per_epoch = 8;
  o.genesis_time = kGenesis;
  return o;
}

BnReading bn_ok() {
  BnReading b;
  b.reachable = true;
  b.peers = 0;
  b.version = "Lighthouse/v7.0.1";
  return b;
}

core::DutyResult result(std::uint64_t slot, bool success) {
  core::DutyResult r;
  r.report.duty = core::Duty{Slot{slot}, core::DutyType::kAttester};
  r.report.success = success;
  r.report.last_step = core::Step::kBroadcast;
  r.report.timeline = {{std::chrono::milliseconds(4200), core::Event::kDecided, 0},
                       {std::chrono::milliseconds(5100), core::Event::kBroadcast, 0}};
  return r;
}

struct Fixture {
  metrics::Registry registry;
  ManualClock clock{TimePoint{std::chrono::seconds(kGenesis - 95)}};
  eth::ChainConfig chain = eth::devnet_config(eth::Fork::kElectra, kGenesis, Root{});
  core::DutyLog duties;
  StatusInfo info;
  Fixture() {
    chain.slots_per_epoch = 8;
    info.chain = &chain;
    info.beacon_nodes = {"127.0.0.1:5052"};
  }
  ssz::Json status(const NodeMonitor& m) {
    return status_json(m, duties, info, {}, ValidatorPage{}, clock.now());
  }
};

TEST(Status, BeforeGenesisReadinessSaysHowLongToWait) {
  Fixture f;
  NodeMonitor m(f.registry, f.clock, options(false));
  std::vector<PeerReading> peers(4);
  EXPECT_EQ(m.on_slot(Slot{0}, peers, bn_ok(), std::nullopt).readiness, health::Readiness::kWaitingGenesis);
  f.clock.advance(std::chrono::seconds(10));  // the JSON says the time left now, not at the last evaluation
  auto s = f.status(m);
  EXPECT_EQ(s["readiness"]["state"], "waiting_for_genesis");
  EXPECT_EQ(s["readiness"]["reason"], "waiting for genesis (in 85 s)");
  EXPECT_EQ(s["chain"]["genesis_in_s"], 85);
  EXPECT_TRUE(s["chain"]["slot"].is_null());
  EXPECT_TRUE(s["failing_checks"].empty());
  // The BN's peers and version are shown; 0 peers becomes bn_no_peers once the chain runs (after hysteresis).
  EXPECT_EQ(s["beacon_nodes"]["peers"], 0);
  EXPECT_EQ(s["beacon_nodes"]["version"], "Lighthouse/v7.0.1");
  EXPECT_EQ(s["operators"][0]["bn_client"], "Lighthouse/v7.0.1");
  EXPECT_EQ(s["operators"][0]["vc_client"], "embedded signer");
  f.clock.advance(std::chrono::seconds(85 + 12 * 3));
  for (auto slot : {3, 4}) m.on_slot(Slot{std::uint64_t(slot)}, peers, bn_ok(), std::nullopt);
  EXPECT_EQ(m.verdict().readiness, health::Readiness::kBnNoPeers);
}

TEST(Status, EmbeddedModeSaysSoInTheValidatorClientPanel) {
  Fixture f;
  NodeMonitor m(f.registry, f.clock, options(false));
  auto vc = f.status(m)["validator_client"];
  EXPECT_EQ(vc["mode"], "embedded");
  EXPECT_NE(vc["summary"].get<std::string>().find("embedded signer"), std::string::npos);
}

TEST(Status, VcPanelShowsUserAgentLastRequestSelectionsAndRoutes) {
  Fixture f;
  f.clock.advance(std::chrono::hours(1));
  NodeMonitor m(f.registry, f.clock, options(true));
  beaconapi::vapi::Stats st;
  f.info.vc_stats = [&st] { return &st; };
  auto before = f.status(m)["validator_client"];
  EXPECT_EQ(before["mode"], "vc");
  EXPECT_EQ(before["summary"], "no request from the validator client yet");
  EXPECT_TRUE(before["last_request_s_ago"].is_null());
  st.user_agent = "Teku/v25.1.0";
  st.last_request = f.clock.now() - std::chrono::seconds(7);
  st.routes["GET /eth/v1/validator/attestation_data"] = {10, 1};
  st.routes[beaconapi::vapi::Stats::kProxiedRoute] = {5, 0};
  auto vc = f.status(m)["validator_client"];
  EXPECT_EQ(vc["user_agent"], "Teku/v25.1.0");
  EXPECT_EQ(vc["last_request_s_ago"], 7);
  EXPECT_EQ(vc["dvt_selections"], false);
  EXPECT_EQ(vc["requests"], 15);
  EXPECT_EQ(vc["errors"], 1);
  EXPECT_EQ(vc["routes"].size(), 2u);
  EXPECT_NE(vc["summary"].get<std::string>().find("no DVT selection requests"), std::string::npos);
  st.selection_requests = 3;
  EXPECT_EQ(f.status(m)["validator_client"]["dvt_selections"], true);
  EXPECT_EQ(f.status(m)["operators"][0]["vc_client"], "Teku/v25.1.0");
}

TEST(Status, EpochStripsAndTimingHistograms) {
  Fixture f;
  f.clock.set(TimePoint{std::chrono::seconds(kGenesis + 12 * 8 * 5 + 30)});  // epoch 5
  NodeMonitor m(f.registry, f.clock, options(false));
  m.on_result(result(8 * 3 + 1, true));   // epoch 3: one success
  m.on_result(result(8 * 4 + 2, false));  // epoch 4: one failure
  m.on_result(result(8 * 4 + 3, true));
  auto s = f.status(m);
  ASSERT_EQ(s["duties"].size(), 1u);
  const auto& strip = s["duties"][0]["epochs"];
  ASSERT_EQ(strip.size(), 6u);  // epochs 0 … 5: no more than the chain has had (at most kStatusStripEpochs)
  EXPECT_EQ(strip.front()["epoch"], 0);
  EXPECT_EQ(strip.back()["epoch"], 5);
  EXPECT_EQ(strip[strip.size() - 3]["success"], 1);  // epoch 3
  EXPECT_EQ(strip[strip.size() - 2]["failed"], 1);   // epoch 4
  EXPECT_EQ(strip[strip.size() - 2]["success"], 1);
  EXPECT_EQ(strip.back()["success"], 0);
  const auto& timing = s["timing"];
  ASSERT_EQ(timing.size(), 3u);  // attester decided, attester broadcast, head events
  EXPECT_EQ(timing[0]["stage"], "decided");
  EXPECT_EQ(timing[0]["count"], 3);
  EXPECT_EQ(timing[0]["p50_le_s"], 5.0);  // 4.2 s falls in the (4, 5] bucket
  EXPECT_EQ(timing[1]["stage"], "broadcast");
  EXPECT_EQ(timing[1]["p90_le_s"], 6.0);
  EXPECT_EQ(timing[2]["duty"], "head event");
  EXPECT_TRUE(timing[2]["p50_le_s"].is_null());
}

// The status page's validator list query: page from 0, per_page 1 … 500 (default 100); anything else is a 400 line
// naming the parameter.
TEST(Status, ValidatorPageQueryIsCheckedNamingTheParameter) {
  using Q = std::multimap<std::string, std::string>;
  auto ok = parse_validator_page(Q{{"page", "3"}, {"per_page", "500"}});
  ASSERT_TRUE(ok.has_value()) << ok.error();
  EXPECT_EQ(ok->page, 3u);
  EXPECT_EQ(ok->per_page, 500u);
  EXPECT_EQ(parse_validator_page(Q{})->per_page, 100u);
  for (const Q& bad : {Q{{"page", "-1"}}, Q{{"page", ""}}, Q{{"page", "2x"}}, Q{{"page", "1000001"}}}) {
    auto r = parse_validator_page(bad);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().rfind("page:", 0), 0u) << r.error();
  }
  for (const Q& bad : {Q{{"per_page", "0"}}, Q{{"per_page", "501"}}, Q{{"per_page", "ten"}}}) {
    auto r = parse_validator_page(bad);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().rfind("per_page:", 0), 0u) << r.error();
  }
  auto unknown = parse_validator_page(Q{{"pages", "1"}});
  ASSERT_FALSE(unknown.has_value());
  EXPECT_NE(unknown.error().find("\"pages\""), std::string::npos);
}

TEST(BnPeerCount, ParsesGetPeerCountAndGetPeers) {
  EXPECT_EQ(parse_peer_count(R"({"data":{"disconnected":"1","connecting":"0","connected":"56","disconnecting":"0"}})"),
            56u);
  EXPECT_EQ(parse_peer_count(R"({"data":{"connected":56}})"), std::nullopt);  // a number, not the API's string
  EXPECT_EQ(parse_peer_count(R"({"data":{"connected":"-1"}})"), std::nullopt);
  EXPECT_EQ(parse_peer_count("not json"), std::nullopt);
  EXPECT_EQ(parse_connected_peers(R"({"data":[{"state":"connected"},{"state":"disconnected"},{"peer_id":"x"}]})"), 2u);
  EXPECT_EQ(parse_connected_peers(R"({"data":[1]})"), std::nullopt);
  EXPECT_EQ(parse_connected_peers(R"({"data":{}})"), std::nullopt);
}

TEST(PrintableAscii, ReplacesControlAndNonAsciiBytesAndCuts) {
  EXPECT_EQ(printable_ascii("Lodestar/v1.2\x1b[31m\xc3\xa9", 64), "Lodestar/v1.2?[31m??");
  EXPECT_EQ(printable_ascii("abcdef", 3), "abc");
}

}  // namespace
}  // namespace phx::app
