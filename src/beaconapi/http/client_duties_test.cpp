// BeaconNodeClient duty calls against small hand-written routers: request shape (path, query, headers, body)
// and strict decoding of odd answers (errors name the field, code kBadBody).
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "beaconapi/http/client.hpp"
#include "beaconapi/http/server.hpp"

namespace phx::beaconapi::http {
namespace {

namespace asio = boost::asio;
using runtime::Task;

/// Serves `router` on loopback and runs body(client).
template <class Body>
void with_client(const Router& router, Body body) {
  asio::io_context io;
  auto top = [&]() -> Task<void> {
    Server server(io.get_executor(), router, ServerOptions{});
    EXPECT_TRUE(server.start().has_value());
    BeaconNodeClient client({Endpoint{"127.0.0.1", server.port()}});
    co_await body(client, server);
    co_await server.stop();
  };
  asio::co_spawn(io, top(), [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
  });
  io.run();
}

Handler answer(std::string text, std::string version = "") {
  return [text, version](const Request&, const PathParams&) -> Task<Response> {
    Response r;
    r.body = text;
    r.consensus_version = version;
    co_return r;
  };
}

TEST(BeaconNodeClientDuties, BlockRootNeedsDataRoot) {
  Router r;
  r.add(Method::kGet, "/eth/v1/beacon/blocks/{id}/root", answer(R"({"data":{}})"));
  with_client(r, [](BeaconNodeClient& client, Server&) -> Task<void> {
    auto root = co_await client.block_root("head");
    EXPECT_FALSE(root.has_value());
    if (!root) {
      EXPECT_EQ(root.error().code, HttpError::kBadBody);
      EXPECT_NE(root.error().message.find("data.root"), std::string::npos) << root.error().message;
    }
  });
}

TEST(BeaconNodeClientDuties, SyncDutiesDecodeStrictly) {
  Router r;
  const std::string pk = "0x" + std::string(96, 'a');
  r.add(Method::kPost, "/eth/v1/validator/duties/sync/{epoch}",
        [pk](const Request& req, const PathParams& p) -> Task<Response> {
          // Echo checks: epoch in the path, indices as decimal strings in the body.
          if (p.at("epoch") != "3" || req.body != R"(["5","9"])") co_return Response::error(400, "bad request");
          Response res;
          res.body = R"({"execution_optimistic":false,"data":[{"pubkey":")" + pk +
                     R"(","validator_index":"5","validator_sync_committee_indices":["1","511"]}]})";
          co_return res;
        });
  r.add(Method::kPost, "/eth/v1/validator/duties/sync/4",
        answer(R"({"data":[{"pubkey":")" + pk + R"(","validator_index":"5","validator_sync_committee_indices":[1]}]})"));
  with_client(r, [](BeaconNodeClient& client, Server&) -> Task<void> {
    const std::vector<ValidatorIndex> indices{ValidatorIndex{5}, ValidatorIndex{9}};
    const Epoch three{3};
    auto d = co_await client.sync_committee_duties(three, indices);
    EXPECT_TRUE(d.has_value()) << (d ? "" : d.error().message);
    EXPECT_TRUE(d && d->size() == 1u);
    if (d && d->size() == 1u) {
      EXPECT_EQ((*d)[0].validator_index.value, 5u);
      EXPECT_EQ((*d)[0].validator_sync_committee_indices, (ssz::List<std::uint64_t, 512>{1, 511}));
    }
    const Epoch four{4};
    auto bad = co_await client.sync_committee_duties(four, indices);  // a number, not a decimal string
    EXPECT_TRUE(!bad && bad.error().code == HttpError::kBadBody);
  });
}

TEST(BeaconNodeClientDuties, ProduceBlockV3ChecksVersionHeaderAndQuery) {
  Router r;
  // The query must carry randao_reveal, graffiti and builder_boost_factor (answered with 418 when it does).
  r.add(Method::kGet, "/eth/v3/validator/blocks/{slot}", [](const Request& req, const PathParams&) -> Task<Response> {
    const bool ok = req.query_value("randao_reveal").value_or("").size() == 194 &&
                    req.query_value("graffiti").value_or("").size() == 66 &&
                    req.query_value("builder_boost_factor") == std::optional<std::string>("0");
    if (!ok) co_return Response::error(400, "query");
    co_return Response::error(418, "checked");
  });
  r.add(Method::kGet, "/eth/v3/validator/blocks/7",
        answer(R"({"version":"phase0","execution_payload_blinded":false,"execution_payload_value":"1",)"
               R"("consensus_block_value":"2","data":{}})",
               "altair"));
  with_client(r, [](BeaconNodeClient& client, Server&) -> Task<void> {
    const Slot slot{9};
    const eth::BLSSignature randao{};
    const Root graffiti{};
    std::optional<std::uint64_t> boost = 0;
    auto q = co_await client.produce_block_v3(slot, randao, graffiti, boost);
    EXPECT_TRUE(!q && q.error().status == 418u) << (q ? "" : q.error().message);  // the query was complete
    const Slot seven{7};
    auto b = co_await client.produce_block_v3(seven, randao, graffiti);
    EXPECT_TRUE(!b && b.error().code == HttpError::kBadBody);  // data {} does not decode as a block
  });
}

TEST(BeaconNodeClientDuties, ProduceBlockV3IgnoresUnknownEnvelopeFieldsButNotUnknownBlockFields) {
  // Lodestar 1.23 adds `execution_payload_source` next to the spec's metadata.
  eth::deneb::BlockContents contents;
  contents.block.slot = Slot{7};
  ssz::Json j = encode_versioned_json(VersionedProducedBlock::make<eth::Fork::kDeneb>(contents));
  j["execution_payload_blinded"] = false;
  j["execution_payload_value"] = "1";
  j["consensus_block_value"] = "2";
  j["execution_payload_source"] = "engine";
  ssz::Json inner = j;
  inner["data"]["block"]["surprise"] = "1";
  Router r;
  r.add(Method::kGet, "/eth/v3/validator/blocks/7", answer(j.dump(), "deneb"));
  r.add(Method::kGet, "/eth/v3/validator/blocks/8", answer(inner.dump(), "deneb"));
  with_client(r, [](BeaconNodeClient& client, Server&) -> Task<void> {
    const eth::BLSSignature randao{};
    const Root graffiti{};
    auto b = co_await client.produce_block_v3(Slot{7}, randao, graffiti);
    EXPECT_TRUE(b.has_value()) << (b ? "" : b.error().message);
    if (b) {
      EXPECT_EQ(b->fork(), eth::Fork::kDeneb);
      EXPECT_FALSE(b->blinded());
    }
    auto bad = co_await client.produce_block_v3(Slot{8}, randao, graffiti);
    EXPECT_TRUE(!bad && bad.error().code == HttpError::kBadBody);
    if (!bad) {
      EXPECT_NE(bad.error().message.find("data.block.surprise: unknown field"), std::string::npos) << bad.error().message;
    }
  });
}

TEST(BeaconNodeClientDuties, ARouteMissingIsToldApartFromAResourceMissing) {
  EXPECT_TRUE(route_not_served(405, "anything"));
  EXPECT_TRUE(route_not_served(404, "Route GET:/eth/v2/validator/aggregate_attestation?slot=1 not found"));
  EXPECT_TRUE(route_not_served(404, "NOT_FOUND"));
  EXPECT_TRUE(route_not_served(404, "404 page not found\n"));
  EXPECT_TRUE(route_not_served(404, ""));
  EXPECT_TRUE(route_not_served(404, "no route for /eth/v2/beacon/pool/attestations"));
  EXPECT_FALSE(route_not_served(404, "No aggregated attestation for slot=94, dataRoot=0xab"));
  EXPECT_FALSE(route_not_served(404, "NOT_FOUND: no matching aggregate found"));
  EXPECT_FALSE(route_not_served(500, "Route GET:/x not found"));
}

TEST(BeaconNodeClientDuties, NoAggregateYetOnV2DoesNotFallBackToV1) {
  Router r;
  int v1_calls = 0;
  r.add(Method::kGet, "/eth/v2/validator/aggregate_attestation", [](const Request&, const PathParams&) -> Task<Response> {
    co_return Response::error(404, "No aggregated attestation for slot=94, dataRoot=0xab");
  });
  r.add(Method::kGet, "/eth/v1/validator/aggregate_attestation",
        [&v1_calls](const Request&, const PathParams&) -> Task<Response> {
          ++v1_calls;
          co_return Response::error(404, "No aggregated attestation");
        });
  with_client(r, [&](BeaconNodeClient& client, Server&) -> Task<void> {
    auto a = co_await client.aggregate_attestation(Slot{94}, Root{}, 0);
    EXPECT_TRUE(!a && a.error().status == 404u);
    EXPECT_EQ(v1_calls, 0);
  });
}

TEST(BeaconNodeClientDuties, PublishAndAggregateSubmissionsCarryTheForkHeader) {
  Router r;
  std::vector<std::string> seen;
  auto record = [&seen](const Request& req, const PathParams&) -> Task<Response> {
    seen.push_back(req.path + " " + req.consensus_version + " " + req.body.substr(0, 1));
    co_return Response{};
  };
  r.add(Method::kPost, "/eth/v2/beacon/blocks", record);
  r.add(Method::kPost, "/eth/v2/validator/aggregate_and_proofs", record);
  r.add(Method::kPost, "/eth/v1/beacon/pool/voluntary_exits", record);
  with_client(r, [&](BeaconNodeClient& client, Server& server) -> Task<void> {
    eth::deneb::SignedBlockContents contents;
    contents.signed_block.message.slot = Slot{3};
    auto block = VersionedSignedProducedBlock::make<eth::Fork::kDeneb>(contents);
    auto p = co_await client.publish_block(block);
    EXPECT_TRUE(p.has_value());
    eth::phase0::SignedAggregateAndProof agg;
    std::vector<VersionedSignedAggregateAndProof> items{
        VersionedSignedAggregateAndProof::make<eth::Fork::kCapella>(agg)};
    auto a = co_await client.submit_aggregate_and_proofs(eth::Fork::kCapella, items);
    EXPECT_TRUE(a.has_value());
    const auto before = server.requests_served();
    auto mismatch = co_await client.submit_aggregate_and_proofs(eth::Fork::kDeneb, items);
    EXPECT_TRUE(!mismatch && mismatch.error().code == HttpError::kBadBody);
    EXPECT_EQ(server.requests_served(), before);  // refused before sending
    eth::phase0::SignedVoluntaryExit exit;
    auto e = co_await client.submit_voluntary_exit(exit);
    EXPECT_TRUE(e.has_value());
  });
  EXPECT_EQ(seen, (std::vector<std::string>{"/eth/v2/beacon/blocks deneb {",
                                            "/eth/v2/validator/aggregate_and_proofs capella [",
                                            "/eth/v1/beacon/pool/voluntary_exits  {"}));
}

TEST(BeaconNodeClientDuties, SubmissionTheNodeAlreadyHasCountsAsPublished) {
  Router r;
  auto fastify = [](std::string message) {
    return [message](const Request&, const PathParams&) -> Task<Response> {
      ssz::Json b = {{"statusCode", 500}, {"error", "Internal Server Error"}, {"message", message}};
      co_return Response::json(b, 500);
    };
  };
  // Lodestar 1.5.1 after another cluster node published the same contributions through this BN.
  r.add(Method::kPost, "/eth/v1/validator/contribution_and_proofs",
        fastify("Multiple errors on publishContributionAndProofs\nPublishError.Duplicate\nPublishError.Duplicate"));
  // One real failure among duplicates is a failure.
  r.add(Method::kPost, "/eth/v1/beacon/pool/sync_committees",
        fastify("Multiple errors on publishSyncCommitteeMessages\nPublishError.Duplicate\nINVALID_SIGNATURE"));
  with_client(r, [&](BeaconNodeClient& client, Server&) -> Task<void> {
    auto c = co_await client.submit_contribution_and_proofs(std::vector<eth::altair::SignedContributionAndProof>(2));
    EXPECT_TRUE(c.has_value()) << (c ? "" : c.error().message);
    auto m = co_await client.submit_sync_committee_messages(std::vector<eth::altair::SyncCommitteeMessage>(2));
    EXPECT_FALSE(m.has_value());
  });
}

TEST(BeaconNodeClientDuties, AMissingNewerEndpointIsProbedOnceThenSkipped) {
  Router r;  // an older node: v1 pool attestations only
  int v1_calls = 0;
  r.add(Method::kPost, "/eth/v1/beacon/pool/attestations", [&v1_calls](const Request&, const PathParams&) -> Task<Response> {
    ++v1_calls;
    co_return Response{};
  });
  with_client(r, [&](BeaconNodeClient& client, Server& server) -> Task<void> {
    for (int i = 0; i < 3; ++i) {
      auto a = co_await client.submit_attestations(eth::Fork::kAltair, std::vector<eth::phase0::Attestation>(1));
      EXPECT_TRUE(a.has_value()) << (a ? "" : a.error().message);
    }
    EXPECT_EQ(server.requests_served(), 4u);  // one v2 probe (404), then v1 only
  });
  EXPECT_EQ(v1_calls, 3);
}

TEST(BeaconNodeClientDuties, ValidatorLookupFallsBackToChunkedGetWithRepeatedIds) {
  Router r;  // no POST route: an older node
  std::vector<std::size_t> ids_per_request;
  r.add(Method::kGet, "/eth/v1/beacon/states/{state_id}/validators",
        [&ids_per_request](const Request& req, const PathParams&) -> Task<Response> {
          auto ids = req.query_values("id");
          ids_per_request.push_back(ids.size());
          ssz::Json data = ssz::Json::array();
          for (const auto& id : ids) {
            ValidatorInfo v;
            v.index = ValidatorIndex{ids_per_request.size()};
            v.status = "active_ongoing";
            v.validator.pubkey = *from_hex_fixed<48>(id);
            data.push_back(validator_info_to_json(v));
          }
          ssz::Json body = ssz::Json::object();
          body["data"] = std::move(data);
          co_return Response::json(body);
        });
  std::vector<eth::BLSPubkey> pubkeys(150);  // kValidatorsPerGet (64) per request: 64 + 64 + 22
  for (std::size_t i = 0; i < pubkeys.size(); ++i) pubkeys[i][0] = static_cast<std::uint8_t>(i);
  with_client(r, [&](BeaconNodeClient& client, Server&) -> Task<void> {
    auto vals = co_await client.validators_by_pubkey("head", pubkeys);
    EXPECT_TRUE(vals.has_value()) << (vals ? "" : vals.error().message);
    if (!vals) co_return;
    EXPECT_EQ(vals->size(), 150u);
    for (std::size_t i = 0; i < vals->size(); ++i) EXPECT_EQ((*vals)[i].validator.pubkey, pubkeys[i]);
  });
  EXPECT_EQ(ids_per_request, (std::vector<std::size_t>{64, 64, 22}));
}

}  // namespace
}  // namespace phx::beaconapi::http
