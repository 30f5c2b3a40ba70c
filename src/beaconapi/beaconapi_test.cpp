#include <gtest/gtest.h>

#include "beaconapi/config.hpp"
#include "beaconapi/versioned.hpp"
#include "eth/signing.hpp"

namespace phx::beaconapi {
namespace {

eth::electra::BeaconBlock sample_block() {
  eth::electra::BeaconBlock b;
  b.slot = Slot{12345};
  b.proposer_index = ValidatorIndex{77};
  b.body.attestations.resize(2);
  b.body.attestations[1].data.slot = Slot{12344};
  b.body.attestations[1].aggregation_bits = ssz::Bitlist<131072>(10);
  b.body.attestations[1].aggregation_bits.set(3, true);
  b.body.execution_payload.transactions.push_back(eth::bellatrix::Transaction(Bytes{1, 2, 3}));
  b.body.execution_payload.base_fee_per_gas = ssz::Uint256::from_u64(7000000000);
  return b;
}

TEST(BeaconApiVersioned, JsonRoundTripKeepsFork) {
  auto v = VersionedBeaconBlock::make<Fork::kElectra>(sample_block());
  const Json j = encode_versioned_json(v);
  EXPECT_EQ(j["version"], "electra");
  EXPECT_EQ(j["data"]["body"]["execution_payload"]["base_fee_per_gas"], "7000000000");
  auto back = parse_versioned_json<VersionedBeaconBlock>(j.dump());
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(back->fork(), Fork::kElectra);
  EXPECT_EQ(*back, v);
  // Fulu uses the same body type but keeps its own version tag.
  Json jf = j;
  jf["version"] = "fulu";
  auto f = decode_versioned_json<VersionedBeaconBlock>(jf);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->fork(), Fork::kFulu);
  EXPECT_EQ(encode_versioned_ssz(*f), ssz::serialize(sample_block()));
}

TEST(BeaconApiVersioned, ErrorsNameTheFieldPath) {
  Json j = encode_versioned_json(VersionedBeaconBlock::make<Fork::kElectra>(sample_block()));
  j["data"]["body"]["attestations"][1]["data"]["slot"] = 12344;
  EXPECT_EQ(decode_versioned_json<VersionedBeaconBlock>(j).error().message(),
            "data.body.attestations[1].data.slot: expected a decimal string");
  j = encode_versioned_json(VersionedBeaconBlock::make<Fork::kElectra>(sample_block()));
  j["version"] = "electro";
  EXPECT_EQ(decode_versioned_json<VersionedBeaconBlock>(j).error().message(),
            "version: unknown fork \"electro\"");
  j["version"] = "deneb";  // an electra body is not a deneb body
  EXPECT_EQ(decode_versioned_json<VersionedBeaconBlock>(j).error().message(),
            "data.body.attestations[0].committee_bits: unknown field");
  j = encode_versioned_json(VersionedBeaconBlock::make<Fork::kElectra>(sample_block()));
  // Envelope keys a BN adds (Lodestar: execution_payload_source) are ignored; inside `data` stays strict.
  j["surprise"] = 1;
  EXPECT_TRUE(decode_versioned_json<VersionedBeaconBlock>(j));
  EXPECT_EQ(unknown_envelope_keys(j), std::vector<std::string>{"surprise"});
  j["data"]["surprise"] = 1;
  EXPECT_EQ(decode_versioned_json<VersionedBeaconBlock>(j).error().message(), "data.surprise: unknown field");
  j["data"].erase("surprise");
  j.erase("surprise");
  j["execution_optimistic"] = false;
  EXPECT_TRUE(decode_versioned_json<VersionedBeaconBlock>(j));
  EXPECT_EQ(parse_versioned_json<VersionedBlindedBeaconBlock>(R"({"version":"altair","data":{}})")
                .error()
                .message(),
            "version: type not defined in this fork");
  EXPECT_FALSE(parse_versioned_json<VersionedBeaconBlock>("{not json"));
}

TEST(BeaconApiVersioned, GnosisFamiliesUseGnosisSizes) {
  eth::gnosis::capella::BeaconBlock b;
  b.body.execution_payload.withdrawals.resize(8);
  auto v = gnosis::VersionedBeaconBlock::make<Fork::kCapella>(b);
  auto back = decode_versioned_json<gnosis::VersionedBeaconBlock>(encode_versioned_json(v));
  ASSERT_TRUE(back) << back.error().message();
  b.body.execution_payload.withdrawals.resize(9);
  EXPECT_EQ(decode_versioned_json<gnosis::VersionedBeaconBlock>(
                encode_versioned_json(gnosis::VersionedBeaconBlock::make<Fork::kCapella>(b)))
                .error()
                .message(),
            "data.body.execution_payload.withdrawals: more than 8 elements");
}

template <class R>
std::string error_of(const R& r) {
  return r ? std::string("ok") : r.error().message();
}

TEST(BeaconApiVersioned, ProduceBlockV3PicksBlindedOrFull) {
  eth::electra::BlockContents contents;
  contents.block = sample_block();
  Json j = encode_versioned_json(VersionedProducedBlock::make<Fork::kElectra>(contents));
  j["execution_payload_blinded"] = false;
  j["execution_payload_value"] = "1000000000000000000000";
  j["consensus_block_value"] = "7";
  auto r = decode_produce_block_v3<VersionedProducedBlock, VersionedBlindedBeaconBlock>(j);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_FALSE(r->blinded());
  EXPECT_EQ(r->fork(), Fork::kElectra);
  EXPECT_EQ(ssz::u256_to_dec(r->execution_payload_value), "1000000000000000000000");
  // The same data claimed blinded does not decode as a blinded block.
  j["execution_payload_blinded"] = true;
  EXPECT_EQ(error_of(decode_produce_block_v3<VersionedProducedBlock, VersionedBlindedBeaconBlock>(j)),
            "data.slot: missing field");
  Json b = encode_versioned_json(VersionedBlindedBeaconBlock::make<Fork::kDeneb>(eth::deneb::BlindedBeaconBlock{}));
  b["execution_payload_blinded"] = true;
  b["execution_payload_value"] = "1";
  b["consensus_block_value"] = 2;
  EXPECT_EQ(error_of(decode_produce_block_v3<VersionedProducedBlock, VersionedBlindedBeaconBlock>(b)),
            "consensus_block_value: expected a decimal string");
  b["consensus_block_value"] = "2";
  auto rb = decode_produce_block_v3<VersionedProducedBlock, VersionedBlindedBeaconBlock>(b);
  ASSERT_TRUE(rb) << rb.error().message();
  EXPECT_TRUE(rb->blinded());
  EXPECT_EQ(rb->fork(), Fork::kDeneb);
}

TEST(BeaconApiVersioned, HugeListsOfTinyBadItemsFailAtTheFirstItem) {
  // 4096 "0x" strings where 128 KiB blobs are due: rejected at blobs[0], without reserving 512 MiB first.
  eth::electra::BlockContents c;
  Json j = encode_versioned_json(VersionedProducedBlock::make<Fork::kElectra>(c));
  j["data"]["blobs"] = Json::array();
  for (int i = 0; i < 4096; ++i) j["data"]["blobs"].push_back("0x");
  EXPECT_EQ(decode_versioned_json<VersionedProducedBlock>(j).error().message(),
            "data.blobs[0]: expected 131072 bytes, got 0");
  j["data"]["blobs"].push_back("0x");
  EXPECT_EQ(decode_versioned_json<VersionedProducedBlock>(j).error().message(), "data.blobs: more than 4096 elements");
}

TEST(BeaconApiVersioned, SszByForkHeader) {
  const Bytes enc = ssz::serialize(sample_block());
  auto v = decode_versioned_ssz<VersionedBeaconBlock>(Fork::kElectra, enc);
  ASSERT_TRUE(v);
  EXPECT_EQ(versioned_hash_tree_root(*v), ssz::hash_tree_root(sample_block()));
  EXPECT_FALSE(decode_versioned_ssz<VersionedBeaconBlock>(Fork::kDeneb, enc));
  EXPECT_FALSE(decode_versioned_ssz<VersionedBlindedBeaconBlock>(Fork::kPhase0, enc));
}

ssz::Json mainnet_spec_body() {
  const auto& m = eth::mainnet_config();
  ssz::Json d = ssz::Json::object();
  d["CONFIG_NAME"] = "mainnet";
  d["PRESET_BASE"] = "mainnet";
  d["GENESIS_FORK_VERSION"] = to_hex(m.forks[0].version);
  const char* names[] = {"", "ALTAIR", "BELLATRIX", "CAPELLA", "DENEB", "ELECTRA", "FULU"};
  for (std::size_t i = 1; i < eth::kForkCount; ++i) {
    d[std::string(names[i]) + "_FORK_VERSION"] = to_hex(m.forks[i].version);
    d[std::string(names[i]) + "_FORK_EPOCH"] = std::to_string(m.forks[i].epoch.value);
  }
  d["SECONDS_PER_SLOT"] = "12";
  d["SLOTS_PER_EPOCH"] = "32";
  d["MAX_VALIDATORS_PER_COMMITTEE"] = "2048";
  d["SYNC_COMMITTEE_SIZE"] = "512";
  d["DEPOSIT_CONTRACT_ADDRESS"] = "0x00000000219ab540356cbb839cbe05303d7705fa";
  return ssz::Json{{"data", d}};
}

Genesis mainnet_genesis() {
  auto g = parse_genesis(ssz::Json::parse(R"({"data":{"genesis_time":"1606824023",
    "genesis_validators_root":"0x4b363db94e286120d76eb905340fdd4e54bfe9f06bf33ff6cf5ad27f511bfe95",
    "genesis_fork_version":"0x00000000"}})"));
  EXPECT_TRUE(g);
  return *g;
}

TEST(BeaconApiConfig, SpecAndGenesisGiveMainnetConfig) {
  auto c = parse_spec(mainnet_spec_body(), mainnet_genesis());
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(*c, eth::mainnet_config());
  EXPECT_EQ(to_hex(eth::compute_fork_digest(c->version_at(Epoch{0}), c->genesis_validators_root)),
            "0xb5303f2a");
}

TEST(BeaconApiConfig, RejectsBadOrForeignSpecs) {
  auto body = mainnet_spec_body();
  body["data"]["SYNC_COMMITTEE_SIZE"] = "32";  // a minimal-preset value under PRESET_BASE mainnet
  EXPECT_EQ(parse_spec(body, mainnet_genesis()).error().message(),
            "data: incompatible mainnet preset: SYNC_COMMITTEE_SIZE is 32 (Phalanx: 512)");
  body["data"]["PRESET_BASE"] = "minimal";
  body["data"]["SLOTS_PER_EPOCH"] = "8";
  auto mc = parse_spec(body, mainnet_genesis());
  ASSERT_TRUE(mc) << mc.error().message();
  EXPECT_EQ(mc->preset, eth::Preset::kMinimal);
  body["data"]["PRESET_BASE"] = "holesky";
  EXPECT_EQ(parse_spec(body, mainnet_genesis()).error().message(),
            "data.PRESET_BASE: unsupported preset \"holesky\"");
  body = mainnet_spec_body();
  body["data"]["ALTAIR_FORK_EPOCH"] = 74240;
  EXPECT_EQ(parse_spec(body, mainnet_genesis()).error().message(),
            "data.ALTAIR_FORK_EPOCH: expected a decimal string");
  body = mainnet_spec_body();
  body["data"]["GENESIS_FORK_VERSION"] = "0x90000069";
  EXPECT_EQ(parse_spec(body, mainnet_genesis()).error().message(),
            "data.GENESIS_FORK_VERSION: differs from the genesis (neither it nor the fork at epoch 0)");
  // Lodestar: with Altair at genesis, getGenesis reports the Altair version; the spec keeps 0x00000000.
  body = mainnet_spec_body();
  body["data"]["ALTAIR_FORK_EPOCH"] = "0";
  for (const char* k : {"DENEB_FORK_VERSION", "DENEB_FORK_EPOCH", "ELECTRA_FORK_VERSION", "ELECTRA_FORK_EPOCH",
                        "FULU_FORK_VERSION", "FULU_FORK_EPOCH"})
    body["data"].erase(k);
  body["data"]["EIP4844_FORK_VERSION"] = "0x04000000";
  body["data"]["EIP4844_FORK_EPOCH"] = "18446744073709551615";
  auto altair_genesis = mainnet_genesis();
  altair_genesis.genesis_fork_version = eth::mainnet_config().version_of(eth::Fork::kAltair);
  auto lc = parse_spec(body, altair_genesis);
  ASSERT_TRUE(lc) << lc.error().message();
  EXPECT_EQ(lc->genesis_fork_version(), eth::mainnet_config().genesis_fork_version());
  EXPECT_EQ(lc->fork_at(Epoch{0}), eth::Fork::kAltair);
  EXPECT_EQ(lc->version_of(eth::Fork::kDeneb), (ByteArray<4>{0x04, 0, 0, 0}));
  EXPECT_EQ(parse_genesis(ssz::Json::parse(R"({"data":{"genesis_time":"1"}})")).error().message(),
            "data.genesis_validators_root: missing field");
}

TEST(BeaconApiConfig, ForkScheduleIsCheckedAgainstSpec) {
  auto s = parse_fork_schedule(ssz::Json::parse(R"({"data":[
    {"previous_version":"0x00000000","current_version":"0x00000000","epoch":"0"},
    {"previous_version":"0x00000000","current_version":"0x01000000","epoch":"74240"}]})"));
  ASSERT_TRUE(s) << s.error().message();
  EXPECT_EQ(s->size(), 2u);
  EXPECT_TRUE(check_fork_schedule(eth::mainnet_config(), *s));
  // An unscheduled fork the node does not know (Lodestar 1.5.1 lists EIP4844 at FAR_FUTURE) is ignored.
  eth::phase0::Fork eip4844;
  eip4844.previous_version = ByteArray<4>{0x04, 0, 0, 0};
  eip4844.current_version = ByteArray<4>{0x09, 0, 0, 0};
  eip4844.epoch = eth::kFarFutureEpoch;
  s->push_back(eip4844);
  EXPECT_TRUE(check_fork_schedule(eth::mainnet_config(), *s));
  (*s)[1].epoch = Epoch{1};
  EXPECT_EQ(check_fork_schedule(eth::mainnet_config(), *s).error().message(),
            "data[1]: fork not in the node's spec schedule");
}

}  // namespace
}  // namespace phx::beaconapi
