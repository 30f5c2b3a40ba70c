#pragma once
// Validator API test doubles and fixture: BackendDouble, a beacon-node double, the Env, VC-side helpers.
#include <gtest/gtest.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>
#include <functional>

#include "beaconapi/http/client.hpp"
#include "beaconapi/http/server.hpp"
#include "beaconapi/vapi/codec.hpp"
#include "beaconapi/vapi/validator_api.hpp"
#include "eth/duty_signing.hpp"

namespace phx::beaconapi::vapi::testing {

namespace asio = boost::asio;
namespace bls = crypto::bls;
using runtime::Task;
using ssz::Json;
using namespace std::chrono_literals;
using namespace std::string_literals;

// The VC is played by the test with real BLS keys: the DV key, this node's share and another operator's
// share are independent keys (the VAPI only verifies against Backend::share_of).

template <class F>
void run(F f) {
  asio::io_context io;
  asio::co_spawn(io, f(), [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
  });
  io.run();
}

inline bls::SecretKey key(std::uint8_t seed) {
  Bytes ikm(32, seed);
  return std::move(*bls::SecretKey::keygen(ikm));
}

inline eth::BLSSignature sign(const bls::SecretKey& sk, const Root& root) {
  return sk.sign(root).to_bytes();
}

inline constexpr std::uint64_t kGenesis = 1'000'000;
inline constexpr ValidatorIndex kIndex{7};

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
  std::map<ValidatorIndex, eth::ExecutionAddress> fee_recipients() const override { return fee_recipients_; }
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
    if (submit_error_) co_return std::unexpected(*submit_error_);
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
  std::optional<ApiError> submit_error_;  ///< set: submit_partials answers it (the workflow refused the batch)
  std::vector<eth::BLSSignature> randao_;
  Root graffiti_{};
  BlockPreference preference_ = BlockPreference::kAny;
  std::vector<std::pair<PartialKind, PartialSignature>> submitted_;
  std::map<ValidatorIndex, eth::ExecutionAddress> fee_recipients_;  ///< the lock's, by index
};

/// What the beacon-node double last received.
struct BnLog {
  std::string path, body, content_type, accept, consensus_version, query;
  int requests = 0;
};

/// A beacon node double: duties and validators with DV keys, an echo route, an error route.
inline http::Router bn_router(BnLog& log, const eth::BLSPubkey& dv) {
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
  r.add(Method::kPost, "/eth/v1/validator/prepare_beacon_proposer",
        [record](const Request& req, const PathParams&) -> Task<Response> {
          record(req);
          co_return Response::json(Json::object());
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
  /// `adjust` changes the VAPI's options before it starts (e.g. a smaller proxy cap).
  Env(runtime::Executor ex, eth::Fork fork, Duration backend_timeout = 5s,
      const std::function<void(Options&)>& adjust = {})
      : backend(fork), router(bn_router(log, backend.dv_)), bn(ex, router, http::ServerOptions{}) {
    EXPECT_TRUE(bn.start().has_value());
    clock.set(TimePoint{} + std::chrono::seconds(kGenesis + 100 * 12));
    Options o;
    o.beacon_nodes.push_back(http::Endpoint{"127.0.0.1", bn.port()});
    o.backend_timeout = backend_timeout;
    o.proxy_timeout = 2s;
    if (adjust) adjust(o);
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

inline Json body_json(const http::ClientResponse& r) {
  auto j = ssz::parse_json(r.body);
  EXPECT_TRUE(j.has_value()) << r.body;
  return j ? *j : Json();
}

inline std::string first_failure(const http::ClientResponse& r) {
  auto j = body_json(r);
  if (!j.is_object() || !j.contains("failures") || j["failures"].empty()) return "";
  return j["failures"][0]["message"].get<std::string>();
}

/// A phase0 attestation of the validator at position `pos` of committee 3 at slot 33, signed by `sk`.
inline std::string attestation_body(const BackendDouble& b, const bls::SecretKey& sk, std::size_t pos) {
  eth::phase0::Attestation a{};
  a.aggregation_bits = ssz::Bitlist<eth::preset::kMaxValidatorsPerCommittee>(10);
  a.aggregation_bits.set(pos, true);
  a.data = BackendDouble::att_data(Slot{33}, 3);
  a.signature = sign(sk, eth::attestation_signing_root(b.config_, a.data));
  return array_of(a);
}

}  // namespace phx::beaconapi::vapi::testing
