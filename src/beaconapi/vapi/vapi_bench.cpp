// Validator API latency over loopback: an intercepted produceAttestationData, an attestation submission (decode,
// key lookup, BLS verification of the partial against the node's share, hand-over to the backend) and both in
// sequence, as a VC does per attester duty. Each request is sent on a fresh connection (http::send_request).
// The backend answers at once, so the figures are the VAPI's own cost plus loopback HTTP.
#include <benchmark/benchmark.h>

#include <boost/asio/io_context.hpp>

#include "beaconapi/http/client.hpp"
#include "beaconapi/vapi/validator_api.hpp"
#include "eth/duty_signing.hpp"

namespace {

using namespace phx;
using namespace phx::beaconapi;
using namespace phx::beaconapi::vapi;
namespace asio = boost::asio;
namespace bls = crypto::bls;
using runtime::Task;

bls::SecretKey key(std::uint8_t seed) {
  Bytes ikm(32, seed);
  return std::move(*bls::SecretKey::keygen(ikm));
}

eth::phase0::AttestationData att_data(Slot slot, eth::CommitteeIndex ci) {
  eth::phase0::AttestationData d{};
  d.slot = slot;
  d.index = ci;
  d.target.epoch = Epoch{slot.value / 32};
  return d;
}

/// Answers immediately; one validator at committee 3, position 5.
class BenchBackend final : public Backend {
 public:
  BenchBackend()
      : config_(eth::devnet_config(eth::Fork::kAltair, 0, Root{})),
        dv_sk_(key(1)),
        own_sk_(key(2)),
        dv_(dv_sk_.public_key().to_bytes()),
        own_pk_(own_sk_.public_key()) {}
  const eth::ChainConfig& chain_config() const override { return config_; }
  std::optional<ShareRef> dv_of(const eth::BLSPubkey&) const override { return std::nullopt; }
  std::optional<bls::PublicKey> share_of(const eth::BLSPubkey& dv) const override {
    if (dv == dv_) return own_pk_;
    return std::nullopt;
  }
  Task<ApiResult<AttesterRef>> attester_at(Slot, eth::CommitteeIndex ci, std::uint64_t pos) override {
    if (ci == 3 && pos == 5) co_return AttesterRef{dv_, ValidatorIndex{7}};
    co_return std::unexpected(ApiError{404, "none"});
  }
  Task<ApiResult<eth::phase0::AttestationData>> attestation_data(Slot slot, eth::CommitteeIndex ci) override {
    co_return att_data(slot, ci);
  }
  Task<ApiResult<ProduceBlockV3Response>> produce_block(BlockRequest) override {
    co_return std::unexpected(ApiError{500, "unused"});
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
  Task<ApiResult<void>> submit_partials(PartialKind, std::vector<PartialSignature> partials) override {
    accepted_ += partials.size();
    co_return ApiResult<void>{};
  }

  eth::ChainConfig config_;
  bls::SecretKey dv_sk_, own_sk_;
  eth::BLSPubkey dv_;
  bls::PublicKey own_pk_;
  std::size_t accepted_ = 0;
};

struct Rig {
  Rig() : vapi(io.get_executor(), backend, options(), clock) {
    (void)vapi.start();
    eth::phase0::Attestation a{};
    a.aggregation_bits = ssz::Bitlist<eth::preset::kMaxValidatorsPerCommittee>(10);
    a.aggregation_bits.set(5, true);
    a.data = att_data(Slot{33}, 3);
    a.signature = backend.own_sk_.sign(eth::attestation_signing_root(backend.config_, a.data)).to_bytes();
    submit_body = ssz::Json::array({ssz::to_json(a)}).dump();
  }
  ~Rig() {
    drive(vapi.stop());
  }
  static Options options() {
    Options o;
    o.beacon_nodes.push_back(http::Endpoint{"127.0.0.1", 1});  // never used: only intercepted routes
    return o;
  }
  void drive(Task<void> t) {
    bool done = false;
    asio::co_spawn(io, std::move(t), [&done](std::exception_ptr) { done = true; });
    while (!done) io.run_one();
  }
  Task<void> get_data(bool& ok) {
    http::ClientRequest req;
    req.target = "/eth/v1/validator/attestation_data?slot=33&committee_index=3";
    http::Endpoint ep{"127.0.0.1", vapi.port()};
    auto r = co_await http::send_request(ep, std::move(req), std::chrono::seconds(5));
    ok = r && r->status == 200;
  }
  Task<void> submit(bool& ok) {
    http::ClientRequest req;
    req.method = http::Method::kPost;
    req.target = "/eth/v1/beacon/pool/attestations";
    req.body = submit_body;
    http::Endpoint ep{"127.0.0.1", vapi.port()};
    auto r = co_await http::send_request(ep, std::move(req), std::chrono::seconds(5));
    ok = r && r->status == 200;
  }
  Task<void> round(bool& ok) {
    bool a = false, b = false;
    co_await get_data(a);
    co_await submit(b);
    ok = a && b;
  }

  asio::io_context io;
  BenchBackend backend;
  ManualClock clock;
  ValidatorApi vapi;
  std::string submit_body;
};

void BM_AttestationData(benchmark::State& state) {
  Rig rig;
  for (auto _ : state) {
    bool ok = false;
    rig.drive(rig.get_data(ok));
    if (!ok) state.SkipWithError("request failed");
  }
}
BENCHMARK(BM_AttestationData)->Unit(benchmark::kMicrosecond);

void BM_AttestationSubmit(benchmark::State& state) {
  Rig rig;
  for (auto _ : state) {
    bool ok = false;
    rig.drive(rig.submit(ok));
    if (!ok) state.SkipWithError("request failed");
  }
}
BENCHMARK(BM_AttestationSubmit)->Unit(benchmark::kMicrosecond);

void BM_AttesterDutyRound(benchmark::State& state) {
  Rig rig;
  for (auto _ : state) {
    bool ok = false;
    rig.drive(rig.round(ok));
    if (!ok) state.SkipWithError("request failed");
  }
}
BENCHMARK(BM_AttesterDutyRound)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
