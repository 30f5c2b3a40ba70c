// The validator-client simulator against the beacon-node simulator over loopback, with FULL keys (a 1-of-1
// "cluster": the BeaconSim verifies every signature with the validator's key): every duty it performs over
// an epoch boundary is accepted, and the counts match what the simulator says should happen.
#include "sim/vc_sim.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <fstream>

#include "beaconapi/http/server.hpp"
#include "crypto/keystore/eip2335.hpp"
#include "eth/fork.hpp"
#include "sim/beacon_sim.hpp"

namespace phx::sim {
namespace {

namespace asio = boost::asio;
namespace http = beaconapi::http;
namespace bls = crypto::bls;

std::vector<bls::SecretKey> make_keys(std::size_t n) {
  std::vector<bls::SecretKey> out;
  for (std::size_t i = 0; i < n; ++i) {
    ByteArray<32> ikm{};
    ikm[0] = static_cast<std::uint8_t>(i + 1);
    ikm[31] = 0x5a;
    out.push_back(*bls::SecretKey::keygen(ikm));
  }
  return out;
}

struct Outcome {
  Result<void, std::string> run;
  VcSimStats vc;
  std::map<SimDuty, SubmissionStats> sim;
  ExpectedDuties expected;
};

/// Runs the VC against a BeaconSim whose chain started `slots_before` slots ago (1 s slots), for `slots`
/// slots.
Outcome run_against_sim(eth::Fork fork, std::uint64_t slots_before, std::uint64_t slots, bool builder) {
  const std::size_t kValidators = 32;  // about one attester per slot
  auto keys = make_keys(kValidators);
  auto now = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
  Root gvr{};
  gvr[0] = 0x77;
  BeaconSimConfig cfg;
  cfg.chain = eth::devnet_config(fork, now - slots_before, gvr);
  cfg.chain.seconds_per_slot = 1;
  cfg.builder_blocks = builder;
  cfg.sync_committee_validators = 8;  // keeps the per-slot sync work small
  for (std::size_t i = 0; i < kValidators; ++i)
    cfg.validators.push_back({keys[i].public_key().to_bytes(), ValidatorIndex{100 + i}});
  SystemClock clock;
  BeaconSim sim(cfg, clock);

  asio::io_context io;
  http::Server server(io.get_executor(), sim.router(), http::ServerOptions{});
  EXPECT_TRUE(server.start());
  VcSimConfig vc_cfg;
  vc_cfg.endpoints = {http::Endpoint{"127.0.0.1", server.port()}};
  vc_cfg.dvt_selections = false;  // a plain BN: the own selection proofs decide
  vc_cfg.builder_registration = true;
  vc_cfg.fee_recipient[19] = 0x01;
  // The VC starts with the next slot; stop after `slots` of them.
  vc_cfg.last_slot = Slot{slots_before + slots};
  VcSim vc(vc_cfg, std::move(keys), clock);

  Outcome out;
  asio::co_spawn(
      io,
      [&]() -> runtime::Task<void> {
        out.run = co_await vc.run();
        co_await server.stop();
      },
      asio::detached);
  io.run();
  out.vc = vc.stats();
  out.sim = sim.stats();
  out.expected = sim.expected_duties(Slot{out.vc.first_slot}, Slot{out.vc.first_slot + out.vc.slots});
  return out;
}

void expect_all_accepted(const Outcome& o, bool blinded) {
  ASSERT_TRUE(o.run) << o.run.error();
  EXPECT_EQ(o.vc.duty_fetch_failures, 0u);
  for (const auto& [kind, s] : o.sim) {
    EXPECT_EQ(s.rejected, 0u) << to_string(kind);
    for (const auto& [reason, n] : s.by_reason) ADD_FAILURE() << to_string(kind) << " rejected: " << to_string(reason);
  }
  for (std::size_t i = 0; i < kVcDutyCount; ++i) {
    const auto& c = o.vc.duties[i];
    EXPECT_EQ(c.failed, 0u) << to_string(static_cast<VcDuty>(i));
    for (const auto& [reason, n] : c.failures) ADD_FAILURE() << to_string(static_cast<VcDuty>(i)) << ": " << reason;
    EXPECT_EQ(c.scheduled, c.submitted) << to_string(static_cast<VcDuty>(i));
  }
  auto sim_accepted = [&](SimDuty d) {
    auto it = o.sim.find(d);
    return it == o.sim.end() ? std::uint64_t{0} : it->second.accepted;
  };
  const auto& vc = o.vc;
  // Exact counts: what the simulator says a full cluster should do over the slots the VC ran.
  EXPECT_GT(o.expected.attestations, 0u);
  EXPECT_EQ(vc.of(VcDuty::kAttestation).submitted, o.expected.attestations);
  EXPECT_EQ(sim_accepted(SimDuty::kAttestation), o.expected.attestations);
  EXPECT_EQ(vc.of(VcDuty::kProposal).submitted, o.expected.proposals);
  EXPECT_EQ(sim_accepted(blinded ? SimDuty::kBlindedProposal : SimDuty::kProposal), o.expected.proposals);
  EXPECT_EQ(sim_accepted(blinded ? SimDuty::kProposal : SimDuty::kBlindedProposal), 0u);
  EXPECT_EQ(vc.of(VcDuty::kSyncMessage).submitted, o.expected.sync_messages);
  EXPECT_EQ(sim_accepted(SimDuty::kSyncMessage), o.expected.sync_messages);
  // Bounded counts: aggregators depend on the selection proofs.
  auto aggs = sim_accepted(SimDuty::kAggregate);
  EXPECT_EQ(vc.of(VcDuty::kAggregation).submitted, aggs);
  EXPECT_GE(aggs, o.expected.aggregations_min);
  EXPECT_LE(aggs, o.expected.aggregations_max);
  EXPECT_GT(aggs, 0u);
  auto contributions = sim_accepted(SimDuty::kSyncContribution);
  EXPECT_EQ(vc.of(VcDuty::kSyncContribution).submitted, contributions);
  EXPECT_LE(contributions, o.expected.contributions_max);
  EXPECT_EQ(vc.of(VcDuty::kRegistration).submitted, 32u);
  EXPECT_EQ(sim_accepted(SimDuty::kBuilderRegistration), 32u);
}

TEST(VcSim, FuluDutiesAcrossAnEpochBoundaryAreAllAccepted) {
  // Genesis 28 slots ago: the VC runs slots 29..36, fetching duties for epochs 0 and 1 (electra formats:
  // SingleAttestation, electra aggregates; BlockContents).
  auto o = run_against_sim(eth::Fork::kFulu, 28, 8, false);
  expect_all_accepted(o, false);
  EXPECT_EQ(o.vc.epochs, 2u);
  EXPECT_GT(o.vc.of(VcDuty::kSyncContribution).submitted, 0u);
}

TEST(VcSim, CapellaBlindedBlocksAndPhase0AttestationsAreAllAccepted) {
  auto o = run_against_sim(eth::Fork::kCapella, 3, 4, true);
  expect_all_accepted(o, true);
}

TEST(VcSim, LoadsKeystoresInFileOrderAndNamesBadFiles) {
  namespace fs = std::filesystem;
  auto dir = fs::temp_directory_path() / ("phx_vc_sim_keys_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  auto keys = make_keys(3);
  crypto::keystore::EncryptOptions opts;
  opts.kdf = crypto::keystore::Kdf::kScrypt;
  opts.cost = 16;  // fast scrypt: test keys
  for (int i : {2, 0, 10}) {
    std::size_t k = i == 10 ? 1 : static_cast<std::size_t>(i);
    std::ofstream(dir / ("keystore-" + std::to_string(i) + ".json")) << *crypto::keystore::encrypt(keys[k], "pw", opts);
    std::ofstream(dir / ("keystore-" + std::to_string(i) + ".txt")) << "pw\n";
  }
  auto loaded = load_keystores(dir);
  ASSERT_TRUE(loaded) << loaded.error();
  ASSERT_EQ(loaded->size(), 3u);
  EXPECT_EQ((*loaded)[0].public_key(), keys[0].public_key());  // keystore-0
  EXPECT_EQ((*loaded)[1].public_key(), keys[2].public_key());  // keystore-2
  EXPECT_EQ((*loaded)[2].public_key(), keys[1].public_key());  // keystore-10
  std::ofstream(dir / "keystore-2.txt") << "wrong\n";
  auto bad = load_keystores(dir);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().find("keystore-2.json"), std::string::npos) << bad.error();
  fs::remove(dir / "keystore-2.txt");
  auto missing = load_keystores(dir);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().find("keystore-2.txt"), std::string::npos) << missing.error();
  EXPECT_FALSE(load_keystores(dir / "nope"));
  fs::remove_all(dir);
  fs::create_directories(dir);
  auto empty = load_keystores(dir);
  ASSERT_FALSE(empty);
  EXPECT_NE(empty.error().find("no keystore"), std::string::npos);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace phx::sim
