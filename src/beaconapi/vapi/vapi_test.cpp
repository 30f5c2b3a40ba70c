// Validator API tests: a BackendDouble (the node's duty workflow), a beacon-node double (an http::Server with a
// small router, plus a raw socket server for the event stream) and a VC played by the test with real BLS keys
// (the DV key, this node's share and another operator's share are independent keys: the VAPI only verifies
// against Backend::share_of).
#include <gtest/gtest.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>

#include "beaconapi/http/client.hpp"
#include "beaconapi/http/server.hpp"
#include "beaconapi/vapi/codec.hpp"
#include "beaconapi/vapi/validator_api.hpp"
#include "eth/duty_signing.hpp"

namespace phx::beaconapi::vapi {
namespace {

namespace asio = boost::asio;
namespace bls = crypto::bls;
using runtime::Task;
using ssz::Json;
using namespace std::chrono_literals;
using namespace std::string_literals;

template <class F>
void run(F f) {
  asio::io_context io;
  asio::co_spawn(io, f(), [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
  });
  io.run();
}

bls::SecretKey key(std::uint8_t seed) {
  Bytes ikm(32, seed);
  return std::move(*bls::SecretKey::keygen(ikm));
}

eth::BLSSignature sign(const bls::SecretKey& sk, const Root& root) {
  return sk.sign(root).to_bytes();
}

constexpr std::uint64_t kGenesis = 1'000'000;
constexpr ValidatorIndex kIndex{7};

/// The node's duty workflow, as the VAPI sees it: fixed answers, records what it is given.
class BackendDouble final : public Backend {
 public:
  explicit BackendDouble(eth::Fork fork)
      : config_(eth::devnet_config(fork, kGenesis, Root{})),
        dv_sk_(key(1)),
        own_sk_(key(2)),
        other_sk_(key(3)),
        dv_(dv_sk_.public_key().to_bytes()),
        own_(own_sk_.public_key().to_bytes()),
        other_(other_sk_.public_key().to_bytes()) {}

  const eth::ChainConfig& chain_config() const override { return config_; }
  std::optional<ShareRef> dv_of(const eth::BLSPubkey& pubshare) const override {
    if (pubshare == own_) return ShareRef{dv_, true};
    if (pubshare == other_) return ShareRef{dv_, false};
    return std::nullopt;
  }
  std::optional<bls::PublicKey> share_of(const eth::BLSPubkey& dv) const override {
    if (dv == dv_) return own_sk_.public_key();
    return std::nullopt;
  }
  Task<ApiResult<eth::BLSPubkey>> pubkey_by_index(ValidatorIndex index) override {
    if (index == kIndex) co_return dv_;
    co_return std::unexpected(ApiError{404, "unknown validator index"});
  }
  Task<ApiResult<eth::BLSPubkey>> proposer_of(Slot slot) override {
    if (slot == Slot{34}) co_return dv_;
    co_return std::unexpected(ApiError{404, "no cluster proposer"});
  }
  Task<ApiResult<eth::phase0::AttestationData>> attestation_data(Slot slot, eth::CommitteeIndex ci) override {
    if (hang_) co_await runtime::sleep_for(10s);
    if (fail_status_ != 0) co_return std::unexpected(ApiError{fail_status_, "not decided yet"});
    co_return att_data(slot, ci);
  }
  Task<ApiResult<ProduceBlockV3Response>> produce_block(BlockRequest req) override {
    randao_.push_back(req.randao_partial.to_bytes());
    graffiti_ = req.graffiti;
    preference_ = req.preference;
    eth::altair::BeaconBlock blk{};
    blk.slot = req.slot;
    blk.proposer_index = kIndex;
    ProduceBlockV3Response r;
    r.block.emplace<0>(VersionedProducedBlock::make<eth::Fork::kAltair>(blk));
    r.consensus_block_value = ssz::Uint256{};
    co_return r;
  }
  Task<ApiResult<VersionedAttestation>> aggregate_attestation(Slot slot, Root,
                                                              std::optional<eth::CommitteeIndex>) override {
    eth::phase0::Attestation a{};
    a.aggregation_bits = ssz::Bitlist<eth::preset::kMaxValidatorsPerCommittee>(10);
    a.aggregation_bits.set(1, true);
    a.data = att_data(slot, 3);
    co_return VersionedAttestation::make<eth::Fork::kAltair>(a);
  }
  Task<ApiResult<eth::altair::SyncCommitteeContribution>> sync_contribution(Slot slot, std::uint64_t sub,
                                                                            Root root) override {
    eth::altair::SyncCommitteeContribution c{};
    c.slot = slot;
    c.subcommittee_index = sub;
    c.beacon_block_root = root;
    co_return c;
  }
  Task<ApiResult<std::vector<BeaconCommitteeSelection>>> beacon_committee_selections(
      std::vector<VerifiedSelection<BeaconCommitteeSelection>> partials) override {
    std::vector<BeaconCommitteeSelection> out;
    for (auto& p : partials) {
      auto s = p.selection;
      s.selection_proof = sign(dv_sk_, eth::selection_proof_signing_root(config_, s.slot));
      out.push_back(s);
    }
    co_return out;
  }
  Task<ApiResult<std::vector<SyncCommitteeSelection>>> sync_committee_selections(
      std::vector<VerifiedSelection<SyncCommitteeSelection>> partials) override {
    std::vector<SyncCommitteeSelection> out;
    for (auto& p : partials) out.push_back(p.selection);
    co_return out;
  }
  Task<ApiResult<void>> submit_partials(PartialKind kind, std::vector<PartialSignature> partials) override {
    for (auto& p : partials) submitted_.emplace_back(kind, std::move(p));
    co_return ApiResult<void>{};
  }

  static eth::phase0::AttestationData att_data(Slot slot, eth::CommitteeIndex ci) {
    eth::phase0::AttestationData d{};
    d.slot = slot;
    d.index = ci;
    d.beacon_block_root[0] = 0xAB;
    d.target.epoch = Epoch{slot.value / 32};
    return d;
  }

  eth::ChainConfig config_;
  bls::SecretKey dv_sk_, own_sk_, other_sk_;
  eth::BLSPubkey dv_, own_, other_;
  bool hang_ = false;
  unsigned fail_status_ = 0;
  std::vector<eth::BLSSignature> randao_;
  Root graffiti_{};
  BlockPreference preference_ = BlockPreference::kAny;
  std::vector<std::pair<PartialKind, PartialSignature>> submitted_;
};

/// What the beacon-node double last received.
struct BnLog {
  std::string path, body, content_type, accept, consensus_version, query;
  int requests = 0;
};

/// A beacon node double: duties and validators with DV keys, an echo route, an error route.
http::Router bn_router(BnLog& log, const eth::BLSPubkey& dv) {
  using http::Method;
  using http::PathParams;
  using http::Request;
  using http::Response;
  http::Router r;
  auto record = [&log](const Request& req) {
    ++log.requests;
    log.path = req.path;
    log.body = req.body;
    log.content_type = req.content_type;
    log.accept = req.accept;
    log.consensus_version = req.consensus_version;
    log.query.clear();
    for (const auto& [k, v] : req.query) log.query += k + "=" + v + ";";
  };
  std::string dv_hex = to_hex(dv);
  r.add(Method::kPost, "/eth/v1/validator/duties/attester/{epoch}",
        [record, dv_hex](const Request& req, const PathParams&) -> Task<Response> {
          record(req);
          Json d = Json::object();
          d["pubkey"] = dv_hex;
          d["validator_index"] = "7";
          d["committee_index"] = "3";
          d["committee_length"] = "10";
          d["committees_at_slot"] = "4";
          d["validator_committee_index"] = "5";
          d["slot"] = "33";
          Json body = Json::object();
          body["dependent_root"] = to_hex(Root{});
          body["execution_optimistic"] = false;
          body["data"] = Json::array({d});
          co_return Response::json(body);
        });
  r.add(Method::kGet, "/eth/v1/validator/duties/proposer/{epoch}",
        [record, dv_hex](const Request& req, const PathParams&) -> Task<Response> {
          record(req);
          Json a = Json::object();
          a["pubkey"] = dv_hex;
          a["validator_index"] = "7";
          a["slot"] = "34";
          Json b = Json::object();
          b["pubkey"] = to_hex(eth::BLSPubkey{});
          b["validator_index"] = "9";
          b["slot"] = "35";
          Json body = Json::object();
          body["dependent_root"] = to_hex(Root{});
          body["data"] = Json::array({a, b});
          co_return Response::json(body);
        });
  r.add(Method::kPost, "/eth/v1/beacon/states/{state}/validators",
        [record](const Request& req, const PathParams&) -> Task<Response> {
          record(req);
          auto j = ssz::parse_json(req.body);
          Json entry = Json::object();
          entry["index"] = "7";
          entry["balance"] = "32000000000";
          entry["status"] = "active_ongoing";
          Json v = Json::object();
          v["pubkey"] = (*j)["ids"][0];
          entry["validator"] = v;
          Json body = Json::object();
          body["data"] = Json::array({entry});
          co_return Response::json(body);
        });
  r.add(Method::kGet, "/eth/v1/beacon/states/{state}/validators",
        [record](const Request& req, const PathParams&) -> Task<Response> {
          record(req);
          Json v = Json::object();
          v["pubkey"] = req.query_values("id").at(0);
          Json entry = Json::object();
          entry["index"] = "7";
          entry["validator"] = v;
          Json body = Json::object();
          body["data"] = Json::array({entry});
          co_return Response::json(body);
        });
  r.add(Method::kGet, "/eth/v1/beacon/states/{state}/validators/{id}",
        [record](const Request& req, const PathParams& p) -> Task<Response> {
          record(req);
          Json v = Json::object();
          v["pubkey"] = p.at("id");
          Json entry = Json::object();
          entry["index"] = "7";
          entry["validator"] = v;
          Json body = Json::object();
          body["data"] = entry;
          co_return Response::json(body);
        });
  r.add(Method::kPost, "/eth/v1/test/echo", [record](const Request& req, const PathParams&) -> Task<Response> {
    record(req);
    Response res;
    res.status = 202;
    res.content_type = "application/octet-stream";
    res.consensus_version = "deneb";
    res.body = "echo:" + req.body;
    co_return res;
  });
  r.add(Method::kGet, "/eth/v1/node/version", [record](const Request& req, const PathParams&) -> Task<Response> {
    record(req);
    co_return Response::json(Json::parse(R"({"data":{"version":"bn-double/1.0"}})"));
  });
  r.add(Method::kGet, "/eth/v1/test/teapot", [record](const Request& req, const PathParams&) -> Task<Response> {
    record(req);
    co_return Response::error(418, "short and stout");
  });
  return r;
}

/// One test environment: backend double, BN double, VAPI.
struct Env {
  Env(runtime::Executor ex, eth::Fork fork, Duration backend_timeout = 5s)
      : backend(fork), router(bn_router(log, backend.dv_)), bn(ex, router, http::ServerOptions{}) {
    EXPECT_TRUE(bn.start().has_value());
    clock.set(TimePoint{} + std::chrono::seconds(kGenesis + 100 * 12));
    Options o;
    o.beacon_nodes.push_back(http::Endpoint{"127.0.0.1", bn.port()});
    o.backend_timeout = backend_timeout;
    o.proxy_timeout = 2s;
    vapi = std::make_unique<ValidatorApi>(ex, backend, o, clock);
    EXPECT_TRUE(vapi->start().has_value());
  }
  Task<void> stop() {
    co_await vapi->stop();
    co_await bn.stop();
  }

  /// One request to the VAPI.
  Task<http::ClientResponse> call(http::Method m, std::string target, std::string body = "",
                                  std::string version = "", std::string content_type = "application/json",
                                  std::string accept = "application/json") {
    http::ClientRequest req;
    req.method = m;
    req.target = std::move(target);
    req.body = std::move(body);
    req.consensus_version = std::move(version);
    req.content_type = std::move(content_type);
    req.accept = std::move(accept);
    http::Endpoint ep{"127.0.0.1", vapi->port()};
    auto r = co_await http::send_request(ep, std::move(req), 10s);
    EXPECT_TRUE(r.has_value());
    if (!r) co_return http::ClientResponse{};
    co_return std::move(*r);
  }

  const eth::ChainConfig& config() const { return backend.config_; }

  BackendDouble backend;
  BnLog log;
  http::Router router;
  http::Server bn;
  ManualClock clock;
  std::unique_ptr<ValidatorApi> vapi;
};

/// `[json(v)]` as text.
template <class T>
std::string array_of(const T& v) {
  return Json::array({ssz::to_json(v)}).dump();
}

Json body_json(const http::ClientResponse& r) {
  auto j = ssz::parse_json(r.body);
  EXPECT_TRUE(j.has_value()) << r.body;
  return j ? *j : Json();
}

std::string first_failure(const http::ClientResponse& r) {
  auto j = body_json(r);
  if (!j.is_object() || !j.contains("failures") || j["failures"].empty()) return "";
  return j["failures"][0]["message"].get<std::string>();
}

/// A phase0 attestation of the validator at position `pos` of committee 3 at slot 33, signed by `sk`.
std::string attestation_body(const BackendDouble& b, const bls::SecretKey& sk, std::size_t pos) {
  eth::phase0::Attestation a{};
  a.aggregation_bits = ssz::Bitlist<eth::preset::kMaxValidatorsPerCommittee>(10);
  a.aggregation_bits.set(pos, true);
  a.data = BackendDouble::att_data(Slot{33}, 3);
  a.signature = sign(sk, eth::attestation_signing_root(b.config_, a.data));
  return array_of(a);
}

// ---------------------------------------------------------------------------------------------------------------

TEST(ValidatorApi, AttestationDataComesFromTheBackend) {
  run([]() -> Task<void> {
    Env env(co_await asio::this_coro::executor, eth::Fork::kAltair);
    auto r = co_await env.call(http::Method::kGet, "/eth/v1/validator/attestation_data?slot=33&committee_index=3");
    EXPECT_EQ(r.status, 200u) << r.body;
    auto d = ssz::from_json<eth::phase0::AttestationData>(body_json(r)["data"]);
    EXPECT_TRUE(d.has_value());
    if (d) {
      EXPECT_EQ(*d, BackendDouble::att_data(Slot{33}, 3));
    }
    auto ssz_r = co_await env.call(http::Method::kGet, "/eth/v1/validator/attestation_data?slot=33&committee_index=3",
                                   "", "", "application/json", "application/octet-stream");
    EXPECT_EQ(ssz_r.content_type, "application/octet-stream");
    EXPECT_EQ(ssz_r.body.size(), 128u);
    auto bad = co_await env.call(http::Method::kGet, "/eth/v1/validator/attestation_data?slot=x&committee_index=3");
    EXPECT_EQ(bad.status, 400u);
    EXPECT_NE(bad.body.find("slot"), std::string::npos);
    EXPECT_EQ(env.log.requests, 0);  // never reached the beacon node
    co_await env.stop();
  });
}

TEST(ValidatorApi, BackendTimeoutIs503) {
  run([]() -> Task<void> {
    Env env(co_await asio::this_coro::executor, eth::Fork::kAltair, 100ms);
    env.backend.hang_ = true;
    auto r = co_await env.call(http::Method::kGet, "/eth/v1/validator/attestation_data?slot=33&committee_index=3");
    EXPECT_EQ(r.status, 503u);
    EXPECT_EQ(body_json(r)["code"], 503);
    co_await env.stop();
  });
}

TEST(ValidatorApi, AttestationV1VerifiedAgainstOwnShareAndMappedByDuties) {
  run([]() -> Task<void> {
    Env env(co_await asio::this_coro::executor, eth::Fork::kAltair);
    auto& b = env.backend;
    // The VC fetches its duties first (the VAPI learns committee positions from the answer).
    auto duties = co_await env.call(http::Method::kPost, "/eth/v1/validator/duties/attester/1", R"(["7"])");
    EXPECT_EQ(duties.status, 200u);
    EXPECT_EQ(body_json(duties)["data"][0]["pubkey"], to_hex(b.own_));  // DV key rewritten to the share
    EXPECT_EQ(env.log.body, R"(["7"])");

    auto ok = co_await env.call(http::Method::kPost, "/eth/v1/beacon/pool/attestations", attestation_body(b, b.own_sk_, 5));
    EXPECT_EQ(ok.status, 200u) << ok.body;
    EXPECT_EQ(b.submitted_.size(), 1u);
    if (b.submitted_.size() == 1) {
      const auto& [kind, p] = b.submitted_[0];
      EXPECT_EQ(kind, PartialKind::kAttestation);
      EXPECT_EQ(p.dv_pubkey, b.dv_);
      EXPECT_EQ(p.validator_index, kIndex);
      EXPECT_EQ(p.committee_index, 3u);
      EXPECT_EQ(std::get<eth::phase0::AttestationData>(p.message), BackendDouble::att_data(Slot{33}, 3));
    }
    // Another operator's signature does not verify against this node's share.
    auto wrong = co_await env.call(http::Method::kPost, "/eth/v1/beacon/pool/attestations",
                                   attestation_body(b, b.other_sk_, 5));
    EXPECT_EQ(wrong.status, 400u);
    EXPECT_NE(first_failure(wrong).find("invalid signature"), std::string::npos) << wrong.body;
    // A committee position no cluster validator holds.
    auto unknown = co_await env.call(http::Method::kPost, "/eth/v1/beacon/pool/attestations",
                                     attestation_body(b, b.own_sk_, 6));
    EXPECT_EQ(unknown.status, 400u);
    EXPECT_NE(first_failure(unknown).find("unknown validator"), std::string::npos) << unknown.body;
    EXPECT_EQ(b.submitted_.size(), 1u);
    EXPECT_EQ(env.vapi->stats().partials_accepted, 1u);
    co_await env.stop();
  });
}

TEST(ValidatorApi, MixedBatchPassesGoodItemsAndListsBadOnes) {
  run([]() -> Task<void> {
    Env env(co_await asio::this_coro::executor, eth::Fork::kAltair);
    auto& b = env.backend;
    (void)co_await env.call(http::Method::kPost, "/eth/v1/validator/duties/attester/1", R"(["7"])");
    auto good = ssz::parse_json(attestation_body(b, b.own_sk_, 5));
    auto bad = ssz::parse_json(attestation_body(b, b.other_sk_, 5));
    Json both = Json::array({(*good)[0], (*bad)[0]});
    auto r = co_await env.call(http::Method::kPost, "/eth/v1/beacon/pool/attestations", both.dump());
    EXPECT_EQ(r.status, 400u);
    auto j = body_json(r);
    EXPECT_EQ(j["code"], 400);
    EXPECT_EQ(j["failures"].size(), 1u);
    EXPECT_EQ(j["failures"][0]["index"], 1);
    EXPECT_EQ(b.submitted_.size(), 1u);
    co_await env.stop();
  });
}

TEST(ValidatorApi, MalformedBodiesAre400) {
  run([]() -> Task<void> {
    Env env(co_await asio::this_coro::executor, eth::Fork::kAltair);
    auto r1 = co_await env.call(http::Method::kPost, "/eth/v1/beacon/pool/attestations", "[{not json");
    EXPECT_EQ(r1.status, 400u);
    auto r2 = co_await env.call(http::Method::kPost, "/eth/v1/beacon/pool/attestations", R"([{"data":{}}])");
    EXPECT_EQ(r2.status, 400u);
    EXPECT_NE(r2.body.find("aggregation_bits"), std::string::npos) << r2.body;
    auto r3 = co_await env.call(http::Method::kPost, "/eth/v2/beacon/pool/attestations", "\x01\x02\x03", "altair",
                                "application/octet-stream");
    EXPECT_EQ(r3.status, 400u);
    EXPECT_NE(r3.body.find("SSZ"), std::string::npos) << r3.body;
    auto r4 = co_await env.call(http::Method::kPost, "/eth/v2/beacon/pool/attestations", "[]");
    EXPECT_EQ(r4.status, 400u);  // missing Eth-Consensus-Version
    auto r5 = co_await env.call(http::Method::kPost, "/eth/v1/beacon/blocks", R"({"message":{"slot":"1"}})");
    EXPECT_EQ(r5.status, 400u);
    auto r6 = co_await env.call(http::Method::kPost, "/eth/v2/beacon/pool/attestations", "[]", "\xff\xfe");
    EXPECT_EQ(r6.status, 400u) << r6.body;  // a non-UTF-8 header echoed in the message is still a clean 400
    EXPECT_TRUE(env.backend.submitted_.empty());
    co_await env.stop();
  });
}

TEST(ValidatorApi, ElectraSingleAttestationUsesAttesterIndex) {
  run([]() -> Task<void> {
    Env env(co_await asio::this_coro::executor, eth::Fork::kElectra);
    auto& b = env.backend;
    eth::electra::SingleAttestation a{};
    a.committee_index = 3;
    a.attester_index = kIndex;
    a.data = BackendDouble::att_data(Slot{33}, 0);
    a.signature = sign(b.own_sk_, eth::attestation_signing_root(b.config_, a.data));
    Bytes ssz_list = ssz::serialize(ssz::List<eth::electra::SingleAttestation, 4>{a});
    auto r = co_await env.call(http::Method::kPost, "/eth/v2/beacon/pool/attestations",
                               std::string(ssz_list.begin(), ssz_list.end()), "electra", "application/octet-stream");
    EXPECT_EQ(r.status, 200u) << r.body;
    EXPECT_EQ(b.submitted_.size(), 1u);
    if (!b.submitted_.empty()) {
      EXPECT_EQ(b.submitted_[0].second.committee_index, 3u);
    }
    co_await env.stop();
  });
}

TEST(ValidatorApi, RegistrationsNeedThisNodesShare) {
  run([]() -> Task<void> {
    Env env(co_await asio::this_coro::executor, eth::Fork::kAltair);
    auto& b = env.backend;
    auto reg_body = [&b](const eth::BLSPubkey& share, const bls::SecretKey& sk) {
      eth::phase0::ValidatorRegistrationV1 m{};
      m.gas_limit = 30'000'000;
      m.timestamp = kGenesis;
      m.pubkey = b.dv_;  // signed over the DV key: what the cluster registers
      eth::phase0::SignedValidatorRegistrationV1 s{};
      s.signature = sign(sk, eth::registration_signing_root(b.config_, m));
      m.pubkey = share;  // the VC names itself by its share
      s.message = m;
      return array_of(s);
    };
    auto other = co_await env.call(http::Method::kPost, "/eth/v1/validator/register_validator",
                                   reg_body(b.other_, b.other_sk_));
    EXPECT_EQ(other.status, 400u);
    EXPECT_NE(first_failure(other).find("another operator"), std::string::npos) << other.body;
    auto unknown = co_await env.call(http::Method::kPost, "/eth/v1/validator/register_validator",
                                     reg_body(eth::BLSPubkey{}, b.own_sk_));
    EXPECT_NE(first_failure(unknown).find("unknown validator"), std::string::npos) << unknown.body;
    auto ok = co_await env.call(http::Method::kPost, "/eth/v1/validator/register_validator",
                                reg_body(b.own_, b.own_sk_));
    EXPECT_EQ(ok.status, 200u) << ok.body;
    EXPECT_EQ(b.submitted_.size(), 1u);
    // A VC that overrides the registration key with the DV key.
    auto by_dv = co_await env.call(http::Method::kPost, "/eth/v1/validator/register_validator",
                                   reg_body(b.dv_, b.own_sk_));
    EXPECT_EQ(by_dv.status, 200u) << by_dv.body;
    // Signed over its own share key instead of the DV key: cannot be combined.
    eth::phase0::ValidatorRegistrationV1 own_msg{};
    own_msg.pubkey = b.own_;
    eth::phase0::SignedValidatorRegistrationV1 own_signed{};
    own_signed.message = own_msg;
    own_signed.signature = sign(b.own_sk_, eth::registration_signing_root(b.config_, own_msg));
    auto wrong = co_await env.call(http::Method::kPost, "/eth/v1/validator/register_validator", array_of(own_signed));
    EXPECT_NE(first_failure(wrong).find("invalid signature"), std::string::npos) << wrong.body;
    EXPECT_EQ(b.submitted_.size(), 2u);
    if (!b.submitted_.empty()) {
      EXPECT_EQ(std::get<eth::phase0::ValidatorRegistrationV1>(b.submitted_[0].second.message).pubkey, b.dv_);
    }
    co_await env.stop();
  });
}

TEST(ValidatorApi, ValidatorLookupsRewriteKeysBothWays) {
  run([]() -> Task<void> {
    Env env(co_await asio::this_coro::executor, eth::Fork::kAltair);
    auto& b = env.backend;
    Json req = Json::object();
    req["ids"] = Json::array({to_hex(b.own_), "12"});
    auto r = co_await env.call(http::Method::kPost, "/eth/v1/beacon/states/head/validators", req.dump());
    EXPECT_EQ(r.status, 200u) << r.body;
    auto sent = ssz::parse_json(env.log.body);
    EXPECT_EQ((*sent)["ids"][0], to_hex(b.dv_));  // the BN sees the DV key
    EXPECT_EQ((*sent)["ids"][1], "12");
    EXPECT_EQ(body_json(r)["data"][0]["validator"]["pubkey"], to_hex(b.own_));  // the VC sees its share
    std::string get_target = "/eth/v1/beacon/states/head/validators?status=active_ongoing&id=" + to_hex(b.own_) + ",12";
    auto listed = co_await env.call(http::Method::kGet, get_target);
    EXPECT_EQ(listed.status, 200u) << listed.body;
    EXPECT_EQ(env.log.query, "id=" + to_hex(b.dv_) + ";id=12;status=active_ongoing;");  // repeated id=
    EXPECT_EQ(body_json(listed)["data"][0]["validator"]["pubkey"], to_hex(b.own_));
    auto one = co_await env.call(http::Method::kGet, "/eth/v1/beacon/states/head/validators/" + to_hex(b.own_));
    EXPECT_EQ(one.status, 200u);
    EXPECT_EQ(env.log.path, "/eth/v1/beacon/states/head/validators/" + to_hex(b.dv_));
    EXPECT_EQ(body_json(one)["data"]["validator"]["pubkey"], to_hex(b.own_));
    auto other = co_await env.call(http::Method::kGet, "/eth/v1/beacon/states/head/validators/" + to_hex(b.other_));
    EXPECT_EQ(other.status, 400u);
    EXPECT_NE(other.body.find("another operator"), std::string::npos);
    // Proposer duties: the cluster's DV key becomes the share, a foreign key stays.
    auto duties = co_await env.call(http::Method::kGet, "/eth/v1/validator/duties/proposer/1");
    auto dj = body_json(duties);
    EXPECT_EQ(dj["data"][0]["pubkey"], to_hex(b.own_));
    EXPECT_EQ(dj["data"][1]["pubkey"], to_hex(eth::BLSPubkey{}));
    co_await env.stop();
  });
}

TEST(ValidatorApi, ProduceBlockVerifiesThePartialRandao) {
  run([]() -> Task<void> {
    Env env(co_await asio::this_coro::executor, eth::Fork::kAltair);
    auto& b = env.backend;
    auto root = eth::randao_signing_root(b.config_, Epoch{1});
    std::string good = to_hex(sign(b.own_sk_, root));
    auto r = co_await env.call(http::Method::kGet, "/eth/v3/validator/blocks/34?randao_reveal=" + good);
    EXPECT_EQ(r.status, 200u) << r.body;
    EXPECT_EQ(r.consensus_version, "altair");
    auto j = body_json(r);
    EXPECT_EQ(j["version"], "altair");
    EXPECT_EQ(j["execution_payload_blinded"], false);
    EXPECT_EQ(j["data"]["slot"], "34");
    EXPECT_EQ(b.randao_.size(), 1u);
    std::string v2_target = "/eth/v2/validator/blocks/34?randao_reveal=" + good + "&graffiti=" + to_hex(Root{});
    auto v2 = co_await env.call(http::Method::kGet, v2_target);
    EXPECT_EQ(v2.status, 200u) << v2.body;
    EXPECT_EQ(b.preference_, BlockPreference::kFull);
    EXPECT_EQ(body_json(v2)["version"], "altair");
    EXPECT_EQ(body_json(v2)["block_value"], "0");  // Lodestar 1.5.1's client requires it
    // Lodestar 1.5.1 sends graffiti as URL-encoded text.
    auto text = co_await env.call(http::Method::kGet,
                                  "/eth/v2/validator/blocks/34?graffiti=Lodestar-v1.5.1%2F2115aa7&randao_reveal=" + good);
    EXPECT_EQ(text.status, 200u) << text.body;
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(b.graffiti_.data()), 24), "Lodestar-v1.5.1/2115aa7\0"s);
    auto too_long = co_await env.call(http::Method::kGet, "/eth/v2/validator/blocks/34?graffiti=" +
                                                              std::string(33, 'x') + "&randao_reveal=" + good);
    EXPECT_EQ(too_long.status, 400u);
    auto bad = co_await env.call(http::Method::kGet,
                                 "/eth/v3/validator/blocks/34?randao_reveal=" + to_hex(sign(b.other_sk_, root)));
    EXPECT_EQ(bad.status, 400u);
    EXPECT_NE(bad.body.find("randao_reveal"), std::string::npos);
    auto not_ours = co_await env.call(http::Method::kGet, "/eth/v3/validator/blocks/35?randao_reveal=" + good);
    EXPECT_EQ(not_ours.status, 404u);
    EXPECT_EQ(b.randao_.size(), 3u);
    co_await env.stop();
  });
}

TEST(ValidatorApi, SignedBlockV1WithoutHeaderTakesTheForkFromTheSlot) {
  run([]() -> Task<void> {
    Env env(co_await asio::this_coro::executor, eth::Fork::kAltair);
    auto& b = env.backend;
    eth::altair::BeaconBlock blk{};
    blk.slot = Slot{34};
    blk.proposer_index = kIndex;
    eth::altair::SignedBeaconBlock sb{};
    sb.message = blk;
    sb.signature = sign(b.own_sk_, eth::block_signing_root(b.config_, blk));
    auto r = co_await env.call(http::Method::kPost, "/eth/v1/beacon/blocks", ssz::to_json(sb).dump());
    EXPECT_EQ(r.status, 200u) << r.body;
    EXPECT_EQ(b.submitted_.size(), 1u);
    if (!b.submitted_.empty()) {
      EXPECT_EQ(b.submitted_[0].first, PartialKind::kBlock);
      const auto& blk_msg = std::get<VersionedBeaconBlock>(b.submitted_[0].second.message);
      EXPECT_EQ(blk_msg.fork(), eth::Fork::kAltair);
    }
    sb.signature = sign(b.other_sk_, eth::block_signing_root(b.config_, blk));
    auto bad = co_await env.call(http::Method::kPost, "/eth/v2/beacon/blocks", ssz::to_json(sb).dump(), "altair");
    EXPECT_EQ(bad.status, 400u);
    co_await env.stop();
  });
}

TEST(ValidatorApi, AggregationFlowV1) {
  run([]() -> Task<void> {
    Env env(co_await asio::this_coro::executor, eth::Fork::kAltair);
    auto& b = env.backend;
    // Selection: partial in, combined out.
    BeaconCommitteeSelection sel{};
    sel.validator_index = kIndex;
    sel.slot = Slot{33};
    sel.selection_proof = sign(b.own_sk_, eth::selection_proof_signing_root(b.config_, Slot{33}));
    auto sr = co_await env.call(http::Method::kPost, "/eth/v1/validator/beacon_committee_selections",
                                array_of(sel));
    EXPECT_EQ(sr.status, 200u) << sr.body;
    auto combined = ssz::from_json<BeaconCommitteeSelection>(body_json(sr)["data"][0]);
    EXPECT_TRUE(combined.has_value());
    if (combined) {
      EXPECT_EQ(combined->selection_proof, sign(b.dv_sk_, eth::selection_proof_signing_root(b.config_, Slot{33})));
    }
    sel.selection_proof = sign(b.other_sk_, eth::selection_proof_signing_root(b.config_, Slot{33}));
    auto bad_sel = co_await env.call(http::Method::kPost, "/eth/v1/validator/beacon_committee_selections",
                                     array_of(sel));
    EXPECT_EQ(bad_sel.status, 400u);
    // Aggregate (v1 answers the phase0 layout) and the signed aggregate.
    std::string agg_target = "/eth/v1/validator/aggregate_attestation?slot=33&attestation_data_root=" + to_hex(Root{});
    auto ar = co_await env.call(http::Method::kGet, agg_target);
    EXPECT_EQ(ar.status, 200u) << ar.body;
    auto att = ssz::from_json<eth::phase0::Attestation>(body_json(ar)["data"]);
    EXPECT_TRUE(att.has_value());
    if (att) {
      eth::phase0::AggregateAndProof aap{};
      aap.aggregator_index = kIndex;
      aap.aggregate = *att;
      if (combined) aap.selection_proof = combined->selection_proof;
      eth::phase0::SignedAggregateAndProof s{};
      s.message = aap;
      s.signature = sign(b.own_sk_, eth::aggregate_and_proof_signing_root(b.config_, aap));
      auto pr = co_await env.call(http::Method::kPost, "/eth/v1/validator/aggregate_and_proofs",
                                  array_of(s));
      EXPECT_EQ(pr.status, 200u) << pr.body;
      EXPECT_EQ(b.submitted_.size(), 1u);
      // A VC without the DVT selection endpoints puts its partial selection proof in the message.
      aap.selection_proof = sign(b.own_sk_, eth::selection_proof_signing_root(b.config_, Slot{33}));
      s.message = aap;
      s.signature = sign(b.own_sk_, eth::aggregate_and_proof_signing_root(b.config_, aap));
      auto partial = co_await env.call(http::Method::kPost, "/eth/v1/validator/aggregate_and_proofs", array_of(s));
      EXPECT_EQ(partial.status, 400u);
      EXPECT_NE(first_failure(partial).find("partial selection proof"), std::string::npos) << partial.body;
      EXPECT_EQ(b.submitted_.size(), 1u);
      if (!b.submitted_.empty()) {
        EXPECT_EQ(b.submitted_[0].first, PartialKind::kAggregateAndProof);
        EXPECT_EQ(std::get<VersionedAggregateAndProof>(b.submitted_[0].second.message).fork(), eth::Fork::kAltair);
      }
    }
    co_await env.stop();
  });
}

TEST(ValidatorApi, SyncCommitteeAndExitFlows) {
  run([]() -> Task<void> {
    Env env(co_await asio::this_coro::executor, eth::Fork::kAltair);
    auto& b = env.backend;
    Root head{};
    head[0] = 0x11;
    eth::altair::SyncCommitteeMessage m{};
    m.slot = Slot{40};
    m.beacon_block_root = head;
    m.validator_index = kIndex;
    m.signature = sign(b.own_sk_, eth::sync_committee_message_signing_root(b.config_, Slot{40}, head));
    auto r1 = co_await env.call(http::Method::kPost, "/eth/v1/beacon/pool/sync_committees",
                                array_of(m));
    EXPECT_EQ(r1.status, 200u) << r1.body;
    SyncCommitteeSelection sel{};
    sel.validator_index = kIndex;
    sel.slot = Slot{40};
    sel.subcommittee_index = 1;
    eth::altair::SyncAggregatorSelectionData sd{};
    sd.slot = Slot{40};
    sd.subcommittee_index = 1;
    sel.selection_proof = sign(b.own_sk_, eth::sync_selection_proof_signing_root(b.config_, sd));
    auto r2 = co_await env.call(http::Method::kPost, "/eth/v1/validator/sync_committee_selections",
                                array_of(sel));
    EXPECT_EQ(r2.status, 200u) << r2.body;
    auto r3 = co_await env.call(http::Method::kGet, "/eth/v1/validator/sync_committee_contribution?slot=40&"
                                                    "subcommittee_index=1&beacon_block_root=" + to_hex(head));
    EXPECT_EQ(r3.status, 200u) << r3.body;
    auto contrib = ssz::from_json<eth::altair::SyncCommitteeContribution>(body_json(r3)["data"]);
    EXPECT_TRUE(contrib.has_value());
    if (contrib) {
      eth::altair::ContributionAndProof cap{};
      cap.aggregator_index = kIndex;
      cap.contribution = *contrib;
      cap.selection_proof = sign(b.dv_sk_, eth::sync_selection_proof_signing_root(b.config_, sd));  // combined
      eth::altair::SignedContributionAndProof s{};
      s.message = cap;
      s.signature = sign(b.own_sk_, eth::contribution_and_proof_signing_root(b.config_, cap));
      auto r4 = co_await env.call(http::Method::kPost, "/eth/v1/validator/contribution_and_proofs",
                                  array_of(s));
      EXPECT_EQ(r4.status, 200u) << r4.body;
    }
    // Voluntary exit: the VAPI's clock says epoch 3.
    eth::phase0::VoluntaryExit exit{};
    exit.epoch = Epoch{2};
    exit.validator_index = kIndex;
    eth::phase0::SignedVoluntaryExit se{};
    se.message = exit;
    se.signature = sign(b.own_sk_, eth::voluntary_exit_signing_root(b.config_, exit, Epoch{3}));
    auto r5 = co_await env.call(http::Method::kPost, "/eth/v1/beacon/pool/voluntary_exits", ssz::to_json(se).dump());
    EXPECT_EQ(r5.status, 200u) << r5.body;
    se.message.validator_index = ValidatorIndex{99};
    auto r6 = co_await env.call(http::Method::kPost, "/eth/v1/beacon/pool/voluntary_exits", ssz::to_json(se).dump());
    EXPECT_EQ(r6.status, 400u);
    EXPECT_NE(r6.body.find("unknown validator"), std::string::npos);
    EXPECT_EQ(b.submitted_.size(), 3u);
    if (b.submitted_.size() == 3) {
      EXPECT_EQ(b.submitted_[0].first, PartialKind::kSyncMessage);
      EXPECT_EQ(b.submitted_[1].first, PartialKind::kContributionAndProof);
      EXPECT_EQ(b.submitted_[2].first, PartialKind::kExit);
      EXPECT_EQ(std::get<ExitMessage>(b.submitted_[2].second.message).current_epoch, Epoch{3});
    }
    co_await env.stop();
  });
}

TEST(ValidatorApi, ProxyPassesStatusBodyAndHeadersThrough) {
  run([]() -> Task<void> {
    Env env(co_await asio::this_coro::executor, eth::Fork::kAltair);
    auto r = co_await env.call(http::Method::kPost, "/eth/v1/test/echo?x=1&y=a%2Fb", "payload", "capella",
                               "application/octet-stream", "application/octet-stream;q=1");
    EXPECT_EQ(r.status, 202u);
    EXPECT_EQ(r.body, "echo:payload");
    EXPECT_EQ(r.content_type, "application/octet-stream");
    EXPECT_EQ(r.consensus_version, "deneb");
    EXPECT_EQ(env.log.path, "/eth/v1/test/echo");
    EXPECT_EQ(env.log.query, "x=1;y=a/b;");
    EXPECT_EQ(env.log.content_type, "application/octet-stream");
    EXPECT_EQ(env.log.accept, "application/octet-stream;q=1");
    EXPECT_EQ(env.log.consensus_version, "capella");
    auto t = co_await env.call(http::Method::kGet, "/eth/v1/test/teapot");
    EXPECT_EQ(t.status, 418u);
    EXPECT_EQ(body_json(t)["message"], "short and stout");
    EXPECT_EQ(env.vapi->stats().proxied, 2u);
    co_await env.stop();
  });
}

TEST(ValidatorApi, ProxyFailsOverAndAnswers502WithoutABeaconNode) {
  run([]() -> Task<void> {
    auto ex = co_await asio::this_coro::executor;
    BackendDouble backend(eth::Fork::kAltair);
    BnLog log;
    http::Router router = bn_router(log, backend.dv_);
    http::Server bn(ex, router, http::ServerOptions{});
    EXPECT_TRUE(bn.start().has_value());
    // A port nobody listens on: bind, read the port, close.
    asio::ip::tcp::acceptor probe(ex, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    std::uint16_t dead = probe.local_endpoint().port();
    probe.close();
    ManualClock clock;
    Options o;
    o.beacon_nodes.push_back(http::Endpoint{"127.0.0.1", dead});
    o.beacon_nodes.push_back(http::Endpoint{"127.0.0.1", bn.port()});
    ValidatorApi vapi(ex, backend, o, clock);
    EXPECT_TRUE(vapi.start().has_value());
    http::ClientRequest req;
    req.target = "/eth/v1/node/version";
    http::Endpoint ep{"127.0.0.1", vapi.port()};
    auto r = co_await http::send_request(ep, req, 5s);
    EXPECT_TRUE(r && r->status == 200);
    if (r) {
      EXPECT_NE(r->body.find("bn-double"), std::string::npos);
    }
    co_await vapi.stop();

    Options only_dead;
    only_dead.beacon_nodes.push_back(http::Endpoint{"127.0.0.1", dead});
    ValidatorApi vapi2(ex, backend, only_dead, clock);
    EXPECT_TRUE(vapi2.start().has_value());
    http::Endpoint ep2{"127.0.0.1", vapi2.port()};
    auto r2 = co_await http::send_request(ep2, req, 5s);
    EXPECT_TRUE(r2 && r2->status == 502);
    EXPECT_EQ(vapi2.stats().proxy_failures, 1u);
    co_await vapi2.stop();
    co_await bn.stop();
  });
}

/// A raw event-stream server: answers one request with headers, then `events` one by one, then closes.
Task<void> sse_server(asio::ip::tcp::acceptor& acc, std::vector<std::string> events, std::string* request_seen,
                      Duration hold_open = 0s) {
  auto sock = co_await acc.async_accept(asio::use_awaitable);
  std::string req;
  auto rr = co_await asio::async_read_until(sock, asio::dynamic_buffer(req), "\r\n\r\n",
                                            asio::as_tuple(asio::use_awaitable));
  (void)rr;
  *request_seen = req;
  std::string head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n\r\n";
  co_await asio::async_write(sock, asio::buffer(head), asio::use_awaitable);
  for (const auto& e : events) {
    co_await runtime::sleep_for(50ms);
    co_await asio::async_write(sock, asio::buffer(e), asio::use_awaitable);
  }
  if (hold_open > 0s) co_await runtime::sleep_for(hold_open);
  boost::system::error_code ec;
  sock.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  sock.close(ec);
}

TEST(ValidatorApi, EventStreamIsPipedUntilTheBeaconNodeCloses) {
  run([]() -> Task<void> {
    auto ex = co_await asio::this_coro::executor;
    BackendDouble backend(eth::Fork::kAltair);
    asio::ip::tcp::acceptor acc(ex, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    std::vector<std::string> events = {"event: head\ndata: {\"slot\":\"1\"}\n\n",
                                       "event: head\ndata: {\"slot\":\"2\"}\n\n"};
    std::string seen;
    runtime::TaskGroup group(ex);
    group.spawn(sse_server(acc, events, &seen));
    ManualClock clock;
    Options o;
    o.beacon_nodes.push_back(http::Endpoint{"127.0.0.1", acc.local_endpoint().port()});
    ValidatorApi vapi(ex, backend, o, clock);
    EXPECT_TRUE(vapi.start().has_value());

    asio::ip::tcp::socket s(ex);
    asio::ip::tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), vapi.port());
    co_await s.async_connect(ep, asio::use_awaitable);
    std::string req = "GET /eth/v1/events?topics=head HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n";
    co_await asio::async_write(s, asio::buffer(req), asio::use_awaitable);
    std::string got;
    auto rr = co_await asio::async_read(s, asio::dynamic_buffer(got), asio::as_tuple(asio::use_awaitable));
    (void)rr;  // EOF once the BN closed
    EXPECT_NE(got.find("text/event-stream"), std::string::npos);
    EXPECT_NE(got.find(events[0]), std::string::npos) << got;
    EXPECT_NE(got.find(events[1]), std::string::npos) << got;
    EXPECT_NE(seen.find("GET /eth/v1/events?topics=head"), std::string::npos) << seen;
    EXPECT_NE(seen.find("text/event-stream"), std::string::npos) << seen;
    co_await group.join();
    co_await vapi.stop();
  });
}

TEST(ValidatorApi, EventStreamErrorAnswerEndsTheConnection) {
  run([]() -> Task<void> {
    Env env(co_await asio::this_coro::executor, eth::Fork::kAltair);  // the BN double has no events route
    asio::ip::tcp::socket s(co_await asio::this_coro::executor);
    asio::ip::tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), env.vapi->port());
    co_await s.async_connect(ep, asio::use_awaitable);
    std::string req = "GET /eth/v1/events?topics=head HTTP/1.1\r\nHost: x\r\n\r\n";
    co_await asio::async_write(s, asio::buffer(req), asio::use_awaitable);
    std::string got;
    auto read_all = [&s, &got]() -> Task<void> {
      (void)co_await asio::async_read(s, asio::dynamic_buffer(got), asio::as_tuple(asio::use_awaitable));
    };
    auto done = co_await runtime::with_timeout(read_all(), 3s);
    EXPECT_TRUE(done.has_value()) << "connection left open after the BN's error answer";
    EXPECT_NE(got.find("404"), std::string::npos) << got;
    co_await env.stop();
  });
}

TEST(ValidatorApi, StopClosesAnOpenEventStream) {
  run([]() -> Task<void> {
    auto ex = co_await asio::this_coro::executor;
    BackendDouble backend(eth::Fork::kAltair);
    asio::ip::tcp::acceptor acc(ex, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    std::string seen;
    runtime::TaskGroup group(ex);
    // One event, then the BN keeps the stream open for a long time.
    group.spawn([](asio::ip::tcp::acceptor& a, std::string* s) -> Task<void> {
      std::vector<std::string> ev = {"data: x\n\n"};
      co_await sse_server(a, ev, s, 30s);
    }(acc, &seen));
    ManualClock clock;
    Options o;
    o.beacon_nodes.push_back(http::Endpoint{"127.0.0.1", acc.local_endpoint().port()});
    ValidatorApi vapi(ex, backend, o, clock);
    EXPECT_TRUE(vapi.start().has_value());
    asio::ip::tcp::socket s(ex);
    asio::ip::tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), vapi.port());
    co_await s.async_connect(ep, asio::use_awaitable);
    std::string req = "GET /eth/v1/events?topics=head HTTP/1.1\r\nHost: x\r\n\r\n";
    co_await asio::async_write(s, asio::buffer(req), asio::use_awaitable);
    std::string got;
    auto rr = co_await asio::async_read_until(s, asio::dynamic_buffer(got), "data: x",
                                              asio::as_tuple(asio::use_awaitable));
    EXPECT_FALSE(std::get<0>(rr)) << std::get<0>(rr).message();
    auto t0 = std::chrono::steady_clock::now();
    co_await vapi.stop();
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);  // not held open by the stream
    group.stop();
    co_await group.join();
  });
}

TEST(ValidatorApi, EverySubmissionEndpointRejectsMalformedAndEmptyBodies) {
  run([]() -> Task<void> {
    Env env(co_await asio::this_coro::executor, eth::Fork::kAltair);
    const char* paths[] = {"/eth/v1/beacon/pool/attestations",          "/eth/v1/beacon/blocks",
                           "/eth/v1/beacon/blinded_blocks",             "/eth/v1/validator/aggregate_and_proofs",
                           "/eth/v1/beacon/pool/sync_committees",       "/eth/v1/validator/contribution_and_proofs",
                           "/eth/v1/validator/register_validator",      "/eth/v1/beacon/pool/voluntary_exits",
                           "/eth/v1/validator/beacon_committee_selections",
                           "/eth/v1/validator/sync_committee_selections"};
    for (const char* path : paths) {
      auto bad = co_await env.call(http::Method::kPost, path, "{");
      EXPECT_EQ(bad.status, 400u) << path << ": " << bad.body;
      EXPECT_EQ(body_json(bad)["code"], 400) << path;
      auto empty = co_await env.call(http::Method::kPost, path, "[]");
      EXPECT_EQ(empty.status, 400u) << path << ": " << empty.body;
    }
    EXPECT_TRUE(env.backend.submitted_.empty());
    EXPECT_EQ(env.log.requests, 0);
    co_await env.stop();
  });
}

TEST(ValidatorApi, UnknownValidatorIndexIsReportedPerItem) {
  run([]() -> Task<void> {
    Env env(co_await asio::this_coro::executor, eth::Fork::kAltair);
    auto& b = env.backend;
    eth::altair::SyncCommitteeMessage m{};
    m.slot = Slot{40};
    m.validator_index = ValidatorIndex{99};
    m.signature = sign(b.own_sk_, eth::sync_committee_message_signing_root(b.config_, Slot{40}, Root{}));
    auto r = co_await env.call(http::Method::kPost, "/eth/v1/beacon/pool/sync_committees", array_of(m));
    EXPECT_EQ(r.status, 400u);
    EXPECT_NE(first_failure(r).find("unknown validator"), std::string::npos) << r.body;
    BeaconCommitteeSelection sel{};
    sel.validator_index = ValidatorIndex{99};
    sel.slot = Slot{33};
    sel.selection_proof = sign(b.own_sk_, eth::selection_proof_signing_root(b.config_, Slot{33}));
    auto s = co_await env.call(http::Method::kPost, "/eth/v1/validator/beacon_committee_selections", array_of(sel));
    EXPECT_EQ(s.status, 400u);
    EXPECT_NE(first_failure(s).find("unknown validator"), std::string::npos) << s.body;
    EXPECT_TRUE(b.submitted_.empty());
    co_await env.stop();
  });
}

TEST(ValidatorApi, BackendErrorsKeepTheirStatus) {
  run([]() -> Task<void> {
    Env env(co_await asio::this_coro::executor, eth::Fork::kAltair);
    env.backend.fail_status_ = 404;
    auto r = co_await env.call(http::Method::kGet, "/eth/v1/validator/attestation_data?slot=33&committee_index=3");
    EXPECT_EQ(r.status, 404u);
    EXPECT_EQ(body_json(r)["message"], "not decided yet");
    env.backend.fail_status_ = 200;  // not an error status: answered as 500
    auto r2 = co_await env.call(http::Method::kGet, "/eth/v1/validator/attestation_data?slot=33&committee_index=3");
    EXPECT_EQ(r2.status, 500u);
    // A full block decided, but the VC asked for a blinded one.
    auto root = eth::randao_signing_root(env.config(), Epoch{1});
    std::string target = "/eth/v1/validator/blinded_blocks/34?randao_reveal=" + to_hex(sign(env.backend.own_sk_, root));
    auto blinded = co_await env.call(http::Method::kGet, target);
    EXPECT_EQ(blinded.status, 500u);
    EXPECT_EQ(env.backend.preference_, BlockPreference::kBlinded);
    co_await env.stop();
  });
}

TEST(ValidatorApi, SignedBlockAsSszNeedsTheVersionHeader) {
  run([]() -> Task<void> {
    Env env(co_await asio::this_coro::executor, eth::Fork::kAltair);
    auto& b = env.backend;
    eth::altair::BeaconBlock blk{};
    blk.slot = Slot{34};
    blk.proposer_index = kIndex;
    eth::altair::SignedBeaconBlock sb{};
    sb.message = blk;
    sb.signature = sign(b.own_sk_, eth::block_signing_root(b.config_, blk));
    Bytes bytes = ssz::serialize(sb);
    std::string body(bytes.begin(), bytes.end());
    auto no_header = co_await env.call(http::Method::kPost, "/eth/v2/beacon/blocks", body, "", "application/octet-stream");
    EXPECT_EQ(no_header.status, 400u);
    EXPECT_NE(no_header.body.find("Eth-Consensus-Version"), std::string::npos) << no_header.body;
    auto ok = co_await env.call(http::Method::kPost, "/eth/v2/beacon/blocks", body, "altair", "application/octet-stream");
    EXPECT_EQ(ok.status, 200u) << ok.body;
    EXPECT_EQ(b.submitted_.size(), 1u);
    co_await env.stop();
  });
}

TEST(ValidatorApi, AggregateV2IsVersioned) {
  run([]() -> Task<void> {
    Env env(co_await asio::this_coro::executor, eth::Fork::kAltair);
    std::string target = "/eth/v2/validator/aggregate_attestation?slot=33&committee_index=3&attestation_data_root=" +
                         to_hex(Root{});
    auto r = co_await env.call(http::Method::kGet, target);
    EXPECT_EQ(r.status, 200u) << r.body;
    EXPECT_EQ(r.consensus_version, "altair");
    EXPECT_EQ(body_json(r)["version"], "altair");
    auto missing = co_await env.call(http::Method::kGet, "/eth/v2/validator/aggregate_attestation?slot=33");
    EXPECT_EQ(missing.status, 400u);
    co_await env.stop();
  });
}

// ---- codec (pure) ----

TEST(VapiCodec, RewritesOnlyMappedKeys) {
  eth::BLSPubkey a{}, b{};
  a[0] = 1;
  b[0] = 2;
  KeyMap map = [&](const eth::BLSPubkey& k) -> std::optional<eth::BLSPubkey> {
    if (k == a) return b;
    return std::nullopt;
  };
  Json j = Json::parse(R"({"data":[{"pubkey":")" + to_hex(a) + R"("},{"validator":{"pubkey":")" + to_hex(a) +
                       R"("}},{"pubkey":"0x12"}]})");
  auto n = rewrite_answer_pubkeys(j, map);
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(*n, 2u);
  EXPECT_EQ(j["data"][0]["pubkey"], to_hex(b));
  EXPECT_EQ(j["data"][1]["validator"]["pubkey"], to_hex(b));
  EXPECT_EQ(j["data"][2]["pubkey"], "0x12");
  Json no_data = Json::parse(R"({"x":1})");
  EXPECT_FALSE(rewrite_answer_pubkeys(no_data, map).has_value());
  auto ids = rewrite_ids({to_hex(a), "5", to_hex(b)}, map);
  EXPECT_EQ(ids, (std::vector<std::string>{to_hex(b), "5", to_hex(b)}));
  EXPECT_FALSE(rewrite_validators_body(R"({"ids":[1]})", map).has_value());
  EXPECT_FALSE(rewrite_validators_body("nope", map).has_value());
}

TEST(VapiCodec, IndexedErrorBodyHasTheSpecShape) {
  auto s = indexed_error_body(400, "bad", {{2, "invalid signature"}});
  auto j = Json::parse(s);
  EXPECT_EQ(j["code"], 400);
  EXPECT_EQ(j["message"], "bad");
  EXPECT_EQ(j["failures"][0]["index"], 2);
  EXPECT_EQ(j["failures"][0]["message"], "invalid signature");
}

TEST(VapiCodec, AggregatesV1RejectElectraSlots) {
  auto config = eth::devnet_config(eth::Fork::kElectra, 0, Root{});
  eth::phase0::SignedAggregateAndProof s{};
  auto body = array_of(s);
  EXPECT_FALSE(decode_aggregates(body, false, false, "", config).has_value());
  EXPECT_FALSE(decode_aggregates(body, false, true, "", config).has_value());  // v2 needs the header
  auto v2 = decode_aggregates(body, false, true, "deneb", config);
  ASSERT_TRUE(v2.has_value());
  EXPECT_EQ((*v2)[0].fork(), eth::Fork::kDeneb);
}

}  // namespace
}  // namespace phx::beaconapi::vapi
