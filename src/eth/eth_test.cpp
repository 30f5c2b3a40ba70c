#include <gtest/gtest.h>

#include "eth/duty_signing.hpp"
#include "eth/fork.hpp"
#include "eth/signing.hpp"
#include "eth/types.hpp"
#include "ssz/codec.hpp"
#include "ssz/merkle.hpp"

namespace phx::eth {
namespace {

TEST(EthSigning, MainnetForkDigestsMatchKnownValues) {
  const auto& c = mainnet_config();
  const Root& gvr = c.genesis_validators_root;
  EXPECT_EQ(to_hex(compute_fork_digest(c.version_of(Fork::kPhase0), gvr)), "0xb5303f2a");
  EXPECT_EQ(to_hex(compute_fork_digest(c.version_of(Fork::kAltair), gvr)), "0xafcaaba0");
  EXPECT_EQ(to_hex(compute_fork_digest(c.version_of(Fork::kBellatrix), gvr)), "0x4a26c58b");
  EXPECT_EQ(to_hex(compute_fork_digest(c.version_of(Fork::kCapella), gvr)), "0xbba4da96");
  EXPECT_EQ(to_hex(compute_fork_digest(c.version_of(Fork::kDeneb), gvr)), "0x6a95a1a9");
}

TEST(EthSigning, DepositDomainUsesGenesisVersionAndZeroRoot) {
  const Domain d = get_domain(mainnet_config(), domain::kDeposit, Epoch{400000});
  EXPECT_EQ(to_hex(d), "0x03000000f5a5fd42d16a20302798ef6ed309979b43003d2320d9f0e8ea9831a9");
  // Same for builder registrations; hoodi's genesis version differs, so its deposit domain differs.
  EXPECT_EQ(get_domain(mainnet_config(), domain::kApplicationBuilder, Epoch{1})[3], 0x01);
  EXPECT_NE(get_domain(hoodi_config(), domain::kDeposit, Epoch{0}), d);
}

TEST(EthSigning, VoluntaryExitsArePinnedToCapellaFromDeneb) {
  const auto& c = mainnet_config();
  const Epoch deneb = c.forks[static_cast<std::size_t>(Fork::kDeneb)].epoch;
  const Domain pinned =
      compute_domain(domain::kVoluntaryExit, c.version_of(Fork::kCapella), c.genesis_validators_root);
  EXPECT_EQ(voluntary_exit_domain(c, Epoch{420000}, Epoch{420000}), pinned);
  EXPECT_EQ(voluntary_exit_domain(c, Epoch{0}, deneb), pinned);
  // Before deneb the exit epoch's fork version counts.
  EXPECT_EQ(voluntary_exit_domain(c, Epoch{0}, Epoch{deneb.value - 1}),
            compute_domain(domain::kVoluntaryExit, c.version_of(Fork::kPhase0), c.genesis_validators_root));
}

TEST(EthSigning, SigningRootIsRootOfSigningData) {
  phase0::VoluntaryExit e{Epoch{5}, ValidatorIndex{7}};
  const Domain dom = get_domain(mainnet_config(), domain::kBeaconAttester, Epoch{5});
  const Root sr = compute_signing_root_of(e, dom);
  EXPECT_EQ(sr, ssz::hash_tree_root(phase0::SigningData{ssz::hash_tree_root(e), dom}));
  EXPECT_NE(sr, compute_signing_root_of(phase0::VoluntaryExit{Epoch{5}, ValidatorIndex{8}}, dom));
}

TEST(EthFork, SchedulesResolveForks) {
  const auto& m = mainnet_config();
  EXPECT_TRUE(m.valid());
  EXPECT_EQ(m.fork_at(Epoch{0}), Fork::kPhase0);
  EXPECT_EQ(m.fork_at(Epoch{74240}), Fork::kAltair);
  EXPECT_EQ(m.fork_at(Epoch{364031}), Fork::kDeneb);
  EXPECT_EQ(m.fork_at(Epoch{364032}), Fork::kElectra);
  EXPECT_EQ(hoodi_config().fork_at(Epoch{0}), Fork::kDeneb);
  EXPECT_EQ(gnosis_config().fork_at(Epoch{UINT64_MAX - 1}), Fork::kElectra);
  for (const char* n : {"mainnet", "sepolia", "hoodi", "gnosis"}) {
    auto c = network_config(n);
    ASSERT_TRUE(c) << n;
    EXPECT_TRUE(c->valid()) << n;
  }
  EXPECT_FALSE(network_config("holesky-typo"));
  const auto dev = devnet_config(Fork::kElectra, 1000, Root{});
  EXPECT_TRUE(dev.valid());
  EXPECT_EQ(dev.fork_at(Epoch{0}), Fork::kElectra);
  EXPECT_EQ(fork_from_name("fulu"), Fork::kFulu);
  EXPECT_EQ(fork_name(Fork::kBellatrix), "bellatrix");
  EXPECT_FALSE(fork_from_name("Deneb"));
}

TEST(EthTypes, FixedSizesMatchSpec) {
  EXPECT_EQ(ssz::fixed_size<phase0::AttestationData>(), 128u);
  EXPECT_EQ(ssz::fixed_size<phase0::BeaconBlockHeader>(), 112u);
  EXPECT_EQ(ssz::fixed_size<phase0::DepositData>(), 184u);
  EXPECT_EQ(ssz::fixed_size<electra::SingleAttestation>(), 8u + 8u + 128u + 96u);
  EXPECT_EQ(ssz::fixed_size<phase0::ValidatorRegistrationV1>(), 84u);
  EXPECT_FALSE(ssz::is_fixed_size<electra::BeaconBlockBody>());
}

}  // namespace
}  // namespace phx::eth

namespace phx::eth {
namespace {

TEST(EthTypes, PresetsSizeContainersDifferently) {
  // Gnosis: MAX_WITHDRAWALS_PER_PAYLOAD = 8 changes the payload's tree depth, hence its root.
  capella::ExecutionPayload m;
  gnosis::capella::ExecutionPayload g;
  m.withdrawals.resize(1);
  g.withdrawals.resize(1);
  EXPECT_EQ(ssz::serialize(m), ssz::serialize(g));
  EXPECT_NE(ssz::hash_tree_root(m), ssz::hash_tree_root(g));
  EXPECT_EQ(decltype(g.withdrawals)::kLimit, 8u);
  // Minimal: 4 committees per slot and a 32-member sync committee.
  EXPECT_EQ(ssz::fixed_size<minimal::altair::SyncAggregate>(), 4u + 96u);
  EXPECT_EQ(minimal::electra::Attestation{}.committee_bits.size(), 4u);
  EXPECT_EQ(ssz::fixed_size<gnosis::altair::SyncAggregate>(), 64u + 96u);
}

}  // namespace
}  // namespace phx::eth

namespace phx::eth {
namespace {

TEST(EthDutySigning, BlockAndItsHeaderShareTheSigningRoot) {
  const auto& m = mainnet_config();
  electra::BeaconBlock b;
  b.slot = Slot{12'000'000};
  b.proposer_index = ValidatorIndex{3};
  b.body.graffiti[0] = 0x42;
  phase0::BeaconBlockHeader h{b.slot, b.proposer_index, b.parent_root, b.state_root, ssz::hash_tree_root(b.body)};
  EXPECT_EQ(block_signing_root(m, b), block_signing_root(m, h));
  // The blinded block with the payload header in place of the payload has the same root too.
  electra::BlindedBeaconBlock bb;
  bb.slot = b.slot;
  bb.proposer_index = b.proposer_index;
  bb.body.graffiti = b.body.graffiti;
  const auto& p = b.body.execution_payload;
  auto& ph = bb.body.execution_payload_header;
  ph.extra_data = p.extra_data;
  ph.transactions_root = ssz::hash_tree_root(p.transactions);
  ph.withdrawals_root = ssz::hash_tree_root(p.withdrawals);
  EXPECT_EQ(block_signing_root(m, bb), block_signing_root(m, b));
  EXPECT_EQ(gnosis_config().preset, Preset::kGnosis);
  EXPECT_EQ(mainnet_config().preset, Preset::kMainnet);
}

}  // namespace
}  // namespace phx::eth
