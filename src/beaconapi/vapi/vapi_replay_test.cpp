// Differential test against an independent client: real Lodestar 1.5.1 VC requests (captured by the interop
// harness, tests/vectors/vapi/lodestar-1.5.1/) are replayed through the validator API. Each signed submission
// and the block request's RANDAO reveal must verify with Phalanx's own domains and signing roots against the
// validator keys (full keys here: the "share" of each validator is its own key, as in a 1-of-1 cluster).
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <fstream>
#include <sstream>

#include "beaconapi/http/client.hpp"
#include "beaconapi/vapi/validator_api.hpp"
#include "beaconapi/vapi/vapi_doubles_test.hpp"
#include "eth/duty_signing.hpp"

#ifndef PHX_VAPI_VECTORS
#error "PHX_VAPI_VECTORS must name tests/vectors/vapi"
#endif

namespace phx::beaconapi::vapi {
namespace {

namespace asio = boost::asio;
namespace bls = crypto::bls;
using runtime::Task;
using ssz::Json;
using namespace std::chrono_literals;
using testing::run;

Json load(const std::string& name) {
  std::ifstream in(std::string(PHX_VAPI_VECTORS) + "/lodestar-1.5.1/" + name);
  EXPECT_TRUE(in.good()) << name;
  std::stringstream ss;
  ss << in.rdbuf();
  auto j = ssz::parse_json(ss.str());
  EXPECT_TRUE(j.has_value()) << name;
  return j ? *j : Json();
}

/// Lodestar 1.5.1 `dev` chain (mainnet preset, Altair at genesis, Bellatrix scheduled, later forks not).
eth::ChainConfig lodestar_dev_config() {
  eth::ChainConfig c = eth::mainnet_config();
  c.name = "lodestar-dev";
  c.forks[0] = {{0x00, 0x00, 0x00, 0x00}, Epoch{0}};
  c.forks[1] = {{0x01, 0x00, 0x00, 0x00}, Epoch{0}};
  c.forks[2] = {{0x02, 0x00, 0x00, 0x00}, Epoch{144896}};
  c.forks[3] = {{0x03, 0x00, 0x00, 0x00}, eth::kFarFutureEpoch};
  c.forks[4] = {{0x04, 0x00, 0x00, 0x00}, eth::kFarFutureEpoch};
  c.forks[5] = {{0x05, 0x00, 0x00, 0x00}, eth::kFarFutureEpoch};
  c.forks[6] = {{0x06, 0x00, 0x00, 0x00}, eth::kFarFutureEpoch};
  c.seconds_per_slot = 2;
  auto g = load("v1_beacon_genesis.json");
  c.genesis_time = *ssz::dec_to_u64(g["data"]["genesis_time"].get<std::string>());
  c.genesis_validators_root = *from_hex_fixed<32>(g["data"]["genesis_validators_root"].get<std::string>());
  return c;
}

/// Keys and duties read from the captured duty answers; every validator is its own "share".
class ReplayBackend final : public Backend {
 public:
  ReplayBackend() : config_(lodestar_dev_config()) {
    for (const char* f : {"getAttesterDuties-200.json", "getProposerDuties-200.json", "getSyncCommitteeDuties-200.json"}) {
      auto j = load(f);
      for (const auto& d : j["response"]["body"]["data"]) {
        auto pk = *from_hex_fixed<48>(d["pubkey"].get<std::string>());
        ValidatorIndex vi{*ssz::dec_to_u64(d["validator_index"].get<std::string>())};
        by_index_[vi] = pk;
        if (std::string(f).starts_with("getProposer")) {
          proposers_[*ssz::dec_to_u64(d["slot"].get<std::string>())] = pk;
        }
      }
    }
  }
  const eth::ChainConfig& chain_config() const override { return config_; }
  std::optional<ShareRef> dv_of(const eth::BLSPubkey& pk) const override {
    for (const auto& [i, k] : by_index_) {
      if (k == pk) return ShareRef{pk, true};
    }
    return std::nullopt;
  }
  std::optional<bls::PublicKey> share_of(const eth::BLSPubkey& dv) const override {
    if (!dv_of(dv)) return std::nullopt;
    auto k = bls::PublicKey::from_bytes(dv);
    if (!k) return std::nullopt;
    return *k;
  }
  Task<ApiResult<eth::BLSPubkey>> pubkey_by_index(ValidatorIndex i) override {
    if (auto it = by_index_.find(i); it != by_index_.end()) co_return it->second;
    co_return std::unexpected(ApiError{404, "unknown index"});
  }
  Task<ApiResult<AttesterRef>> attester_at(Slot, eth::CommitteeIndex, std::uint64_t) override {
    if (attester_) co_return *attester_;
    co_return std::unexpected(ApiError{404, "no attester"});
  }
  Task<ApiResult<eth::BLSPubkey>> proposer_of(Slot slot) override {
    if (auto it = proposers_.find(slot.value); it != proposers_.end()) co_return it->second;
    co_return std::unexpected(ApiError{404, "no proposer"});
  }
  Task<ApiResult<eth::phase0::AttestationData>> attestation_data(Slot, eth::CommitteeIndex) override {
    co_return std::unexpected(ApiError{500, "unused"});
  }
  Task<ApiResult<ProduceBlockV3Response>> produce_block(BlockRequest req) override {
    randao_ok_ = true;
    (void)req;
    auto j = load("produceBlockV2-200.json");
    auto blk = ssz::from_json<eth::altair::BeaconBlock>(j["response"]["body"]["data"]);
    EXPECT_TRUE(blk.has_value());
    ProduceBlockV3Response r;
    if (blk) r.block.emplace<0>(VersionedProducedBlock::make<eth::Fork::kAltair>(*blk));
    co_return r;
  }
  Task<ApiResult<VersionedAttestation>> aggregate_attestation(Slot, Root, std::optional<eth::CommitteeIndex>) override {
    co_return std::unexpected(ApiError{500, "unused"});
  }
  Task<ApiResult<eth::altair::SyncCommitteeContribution>> sync_contribution(Slot, std::uint64_t, Root) override {
    co_return std::unexpected(ApiError{500, "unused"});
  }
  Task<ApiResult<std::vector<BeaconCommitteeSelection>>> beacon_committee_selections(
      std::vector<VerifiedSelection<BeaconCommitteeSelection>>) override {
    co_return std::unexpected(ApiError{500, "unused"});
  }
  Task<ApiResult<std::vector<SyncCommitteeSelection>>> sync_committee_selections(
      std::vector<VerifiedSelection<SyncCommitteeSelection>>) override {
    co_return std::unexpected(ApiError{500, "unused"});
  }
  Task<ApiResult<void>> submit_partials(PartialKind kind, std::vector<PartialSignature> partials) override {
    for (auto& p : partials) submitted_.emplace_back(kind, std::move(p));
    co_return ApiResult<void>{};
  }

  eth::ChainConfig config_;
  std::map<ValidatorIndex, eth::BLSPubkey> by_index_;
  std::map<std::uint64_t, eth::BLSPubkey> proposers_;
  std::optional<AttesterRef> attester_;
  bool randao_ok_ = false;
  std::vector<std::pair<PartialKind, PartialSignature>> submitted_;
};

/// Sends a captured request (method, url, JSON body) to the VAPI.
Task<http::ClientResponse> replay(std::uint16_t port, const Json& fixture) {
  const auto& r = fixture["request"];
  http::ClientRequest req;
  req.method = r["method"] == "POST" ? http::Method::kPost : http::Method::kGet;
  req.target = r["url"].get<std::string>();
  if (!r["body"].is_null()) req.body = r["body"].dump();
  http::Endpoint ep{"127.0.0.1", port};
  auto res = co_await http::send_request(ep, std::move(req), 10s);
  EXPECT_TRUE(res.has_value());
  if (!res) co_return http::ClientResponse{};
  co_return std::move(*res);
}

TEST(LodestarReplay, EverySignedSubmissionVerifiesWithPhalanxDomains) {
  run([]() -> Task<void> {
    auto ex = co_await asio::this_coro::executor;
    ReplayBackend backend;
    EXPECT_EQ(backend.by_index_.size(), 8u);
    // The captured attestation names its attester only by bit position; find which key signed it (none would
    // verify if the attester domain or signing root were wrong).
    auto att_fx = load("submitPoolAttestations-200.json");
    auto att = ssz::from_json<eth::phase0::Attestation>(att_fx["request"]["body"][0]);
    EXPECT_TRUE(att.has_value());
    if (att) {
      auto root = eth::attestation_signing_root(backend.config_, att->data);
      auto sig = bls::Signature::from_bytes(att->signature);
      for (const auto& [vi, pk] : backend.by_index_) {
        if (sig && bls::verify(*bls::PublicKey::from_bytes(pk), root, *sig)) backend.attester_ = AttesterRef{pk, vi};
      }
    }
    EXPECT_TRUE(backend.attester_.has_value()) << "no interop key verifies the captured attestation";

    ManualClock clock;
    clock.set(TimePoint{} + std::chrono::seconds(backend.config_.genesis_time + 200));
    Options o;
    o.beacon_nodes.push_back(http::Endpoint{"127.0.0.1", 1});
    ValidatorApi vapi(ex, backend, o, clock);
    EXPECT_TRUE(vapi.start().has_value());

    struct Case {
      const char* file;
      PartialKind kind;
    };
    const Case cases[] = {
        {"submitPoolAttestations-200.json", PartialKind::kAttestation},
        {"publishBlock-200.json", PartialKind::kBlock},
        {"publishAggregateAndProofs-200.json", PartialKind::kAggregateAndProof},
        {"submitPoolSyncCommitteeSignatures-200.json", PartialKind::kSyncMessage},
        {"publishContributionAndProofs-200.json", PartialKind::kContributionAndProof},
    };
    for (const auto& c : cases) {
      auto fx = load(c.file);
      std::size_t items = fx["request"]["body"].is_array() ? fx["request"]["body"].size() : 1;
      std::size_t before = backend.submitted_.size();
      auto res = co_await replay(vapi.port(), fx);
      EXPECT_EQ(res.status, 200u) << c.file << ": " << res.body;
      EXPECT_EQ(backend.submitted_.size() - before, items) << c.file;
      for (std::size_t i = before; i < backend.submitted_.size(); ++i) EXPECT_EQ(backend.submitted_[i].first, c.kind);
    }
    // The block request carries the proposer's RANDAO reveal and text graffiti.
    auto blk = co_await replay(vapi.port(), load("produceBlockV2-200.json"));
    EXPECT_EQ(blk.status, 200u) << blk.body;
    EXPECT_TRUE(backend.randao_ok_);
    EXPECT_EQ(vapi.stats().partials_rejected, 0u);
    co_await vapi.stop();
  });
}

}  // namespace
}  // namespace phx::beaconapi::vapi
