// Doppelganger protection in a node: the liveness decoder, and DoppelgangerDriver over the real adapter against the
// beacon simulator (which answers liveness from the signed messages it received): a validator attested by someone
// else is detected; the same liveness with the cluster's partials is not.
#include "app/doppelganger.hpp"

#include "sim/sim_test_env.hpp"

namespace phx::app {
namespace {

using sim::Env;

TEST(DecodeLiveness, ReadsTheBeaconApiAnswerStrictly) {
  auto ok = decode_liveness(R"({"data":[{"index":"3","is_live":true},{"index":"9","is_live":false}]})");
  ASSERT_TRUE(ok.has_value()) << ok.error();
  ASSERT_EQ(ok->size(), 2u);
  EXPECT_EQ((*ok)[0], (std::pair{ValidatorIndex{3}, true}));
  EXPECT_EQ((*ok)[1], (std::pair{ValidatorIndex{9}, false}));
  for (const char* bad : {"", "[]", "{}", R"({"data":{}})", R"({"data":[1]})",
                          R"({"data":[{"index":3,"is_live":true}]})", R"({"data":[{"index":"x","is_live":true}]})",
                          R"({"data":[{"index":"3","is_live":"true"}]})", R"({"data":[{"index":"3"}]})"})
    EXPECT_FALSE(decode_liveness(bad).has_value()) << bad;
}

/// Runs body(driver) for the Env's four validators against `sim` on loopback; the node "started" at slot 30
/// (so epochs 1 and 2 are watched) and the clock then stands at slot 40.
template <class Body>
void with_driver(Env& env, sim::BeaconSim& sim, Body body) {
  boost::asio::io_context io;
  auto top = [&]() -> runtime::Task<void> {
    beaconapi::http::Server server(io.get_executor(), sim.router(), beaconapi::http::ServerOptions{});
    EXPECT_TRUE(server.start().has_value());
    beaconapi::http::BeaconNodeClient client({beaconapi::http::Endpoint{"127.0.0.1", server.port()}});
    BeaconNodeAdapter bn(client);
    std::vector<core::PubKey> keys;
    for (const auto& k : env.keys) keys.push_back(k.public_key().to_bytes());
    env.clock.set(TimePoint{} + std::chrono::seconds(sim::kGenesis + 12 * 30));
    DoppelgangerDriver driver(bn, sim.config().chain, env.clock, keys, 2);
    env.clock.set(TimePoint{} + std::chrono::seconds(sim::kGenesis + 12 * 40));
    EXPECT_EQ(driver.watch().first_epoch(), Epoch{1});
    co_await body(driver);
    co_await server.stop();
  };
  boost::asio::co_spawn(io, top(), [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
  });
  io.run();
}

/// Submits `v`'s epoch-1 attestation, signed with its full key, to the simulator. Returns the attester's pubkey.
core::PubKey attest_outside_the_cluster(const Env& env, sim::BeaconSim& sim) {
  const auto duties = sim.attester_duties(Epoch{1}, env.indices());
  EXPECT_FALSE(duties.empty());
  const auto& d = duties.front();
  EXPECT_TRUE(sim.submit(sim::signed_attestation(env, sim, d)).has_value());
  return env.key(d.validator_index).public_key().to_bytes();
}

TEST(DoppelgangerDriver, DetectsAValidatorTheSimulatorSawSignedOutsideTheCluster) {
  Env env;
  sim::BeaconSim sim(env.config(eth::Fork::kDeneb), env.clock);
  const core::PubKey twin = attest_outside_the_cluster(env, sim);
  with_driver(env, sim, [&](DoppelgangerDriver& d) -> runtime::Task<void> {
    co_await d.tick(Slot{40});  // asks about epoch 1: the twin's validator is live
    EXPECT_EQ(d.stats().liveness_calls, 1u);
    EXPECT_EQ(d.watch().status(twin), core::DoppelgangerStatus::kWatching);
    co_await d.tick(Slot{41});  // no partial of the cluster explains it
    EXPECT_EQ(d.watch().status(twin), core::DoppelgangerStatus::kDetected);
    EXPECT_FALSE(d.watch().may_sign(twin));
    EXPECT_EQ(d.watch().counts()[static_cast<std::size_t>(core::DoppelgangerStatus::kWatching)], 3u);
  });
}

TEST(DoppelgangerDriver, TheClustersOwnAttestationIsNotADoppelgangerAndTheWatchEnds) {
  Env env;
  sim::BeaconSim sim(env.config(eth::Fork::kDeneb), env.clock);
  const core::PubKey own = attest_outside_the_cluster(env, sim);  // here: the cluster's aggregate
  with_driver(env, sim, [&](DoppelgangerDriver& d) -> runtime::Task<void> {
    for (std::uint32_t share : {2, 4}) d.on_peer_partial(core::Duty{Slot{40}, core::DutyType::kAttester}, own, ShareIdx{share});
    co_await d.tick(Slot{40});
    co_await d.tick(Slot{41});
    EXPECT_EQ(d.watch().status(own), core::DoppelgangerStatus::kWatching);
    // Final answers for epochs 1 and 2 (asked at slots 64 and 96), then one slot: every validator is safe.
    for (std::uint64_t s : {64, 96, 97}) {
      env.clock.set(TimePoint{} + std::chrono::seconds(sim::kGenesis + 12 * s));
      co_await d.tick(Slot{s});
    }
    EXPECT_EQ(d.watch().counts()[static_cast<std::size_t>(core::DoppelgangerStatus::kSafe)], 4u);
    EXPECT_TRUE(d.watch().may_sign(own));
    EXPECT_EQ(d.stats().liveness_errors, 0u);
  });
}

}  // namespace
}  // namespace phx::app
