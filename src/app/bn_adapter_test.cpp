// BeaconNodeAdapter's bulk calls against a counting, optionally slow or failing Beacon API server: batches of
// the sizes beacon nodes accept, deadlines that grow with the batch, the validator cache and the backoff.
#include "app/bn_adapter.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "base/bytes.hpp"
#include "beaconapi/http/server.hpp"
#include "ssz/json.hpp"

namespace phx::app {
namespace {

namespace asio = boost::asio;
namespace http = beaconapi::http;
using ssz::Json;

/// A beacon node double over HTTP: knows validators 0..n-1 (pubkey = the index in the first 8 bytes), answers
/// validator lookups and attester duties, records each request's item count, and can be slow or failing.
struct CountingBn {
  std::size_t known = 0;
  std::chrono::microseconds delay_per_item{0};  ///< answer time per requested item (a slow BN)
  bool fail = false;                            ///< answer 500
  std::vector<std::size_t> validator_batches;   ///< ids per validators request
  std::vector<std::size_t> duty_batches;        ///< indices per attester duties request
  std::size_t root_changes_after = SIZE_MAX;    ///< duties requests after which the dependent root changes

  static eth::BLSPubkey pubkey(std::uint64_t i) {
    eth::BLSPubkey pk{};
    pk[0] = 0xa0;
    put_le64(pk.data() + 8, i);
    return pk;
  }

  http::Router router() {
    http::Router r;
    r.add(http::Method::kPost, "/eth/v1/beacon/states/{state}/validators",
          [this](const http::Request& req, const http::PathParams&) -> runtime::Task<http::Response> {
            auto j = ssz::parse_json(req.body);
            const Json ids = j ? (*j)["ids"] : Json::array();
            validator_batches.push_back(ids.size());
            if (fail) co_return http::Response::error(500, "busy");
            co_await runtime::sleep_for(delay_per_item * static_cast<std::int64_t>(ids.size()));
            Json data = Json::array();
            for (const auto& id : ids) {
              auto pk = from_hex_fixed<48>(id.get<std::string>());
              if (!pk) continue;
              const std::uint64_t i = get_le64(pk->data() + 8);
              if (i >= known || *pk != pubkey(i)) continue;
              http::ValidatorInfo info;
              info.index = ValidatorIndex{i};
              info.status = "active_ongoing";
              info.validator.pubkey = *pk;
              data.push_back(http::validator_info_to_json(info));
            }
            Json body = Json::object();
            body["data"] = std::move(data);
            co_return http::Response::json(body);
          });
    r.add(http::Method::kPost, "/eth/v1/validator/duties/attester/{epoch}",
          [this](const http::Request& req, const http::PathParams&) -> runtime::Task<http::Response> {
            auto j = ssz::parse_json(req.body);
            const std::size_t n = j && j->is_array() ? j->size() : 0;
            duty_batches.push_back(n);
            if (fail) co_return http::Response::error(500, "busy");
            Root root{};
            if (duty_batches.size() > root_changes_after) root[0] = 1;
            Json data = Json::array();
            for (const auto& id : *j) {
              http::AttesterDuty d{};
              d.validator_index = ValidatorIndex{std::stoull(id.get<std::string>())};
              d.pubkey = pubkey(d.validator_index.value);
              d.committee_length = 4;
              d.committees_at_slot = 1;
              data.push_back(ssz::to_json(d));
            }
            Json body = Json::object();
            body["dependent_root"] = to_hex(root);
            body["data"] = std::move(data);
            co_return http::Response::json(body);
          });
    return r;
  }
};

/// Runs body(adapter) against `bn` served on loopback.
template <class Body>
void with_adapter(CountingBn& bn, http::BnClientOptions copts, BulkCallOptions aopts, Body body) {
  asio::io_context io;
  const http::Router router = bn.router();
  auto top = [&]() -> runtime::Task<void> {
    http::Server server(io.get_executor(), router, http::ServerOptions{});
    EXPECT_TRUE(server.start().has_value());
    http::BeaconNodeClient client({http::Endpoint{"127.0.0.1", server.port()}}, copts);
    BeaconNodeAdapter adapter(client, aopts);
    co_await body(adapter);
    co_await server.stop();
  };
  asio::co_spawn(io, top(), [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
  });
  io.run();
}

std::vector<core::PubKey> keys(std::size_t n) {
  std::vector<core::PubKey> out;
  for (std::size_t i = 0; i < n; ++i) out.push_back(CountingBn::pubkey(i));
  return out;
}

TEST(BeaconNodeAdapterBulk, ValidatorsAreAskedInBatchesThenServedFromTheCache) {
  CountingBn bn;
  bn.known = 2400;  // 100 of the 2,500 asked are not on chain yet
  with_adapter(bn, {}, {}, [&](BeaconNodeAdapter& a) -> runtime::Task<void> {
    auto r = co_await a.validators(keys(2500));
    EXPECT_TRUE(r.has_value());
    if (r) {
      EXPECT_EQ(r->size(), 2400u);
    }
    EXPECT_EQ(bn.validator_batches, (std::vector<std::size_t>{1000, 1000, 500}));
    // Within the cache's lifetime only the unknown keys are asked again.
    auto again = co_await a.validators(keys(2500));
    EXPECT_TRUE(again.has_value());
    if (again) {
      EXPECT_EQ(again->size(), 2400u);
    }
    EXPECT_EQ(bn.validator_batches, (std::vector<std::size_t>{1000, 1000, 500, 100}));
  });
}

TEST(BeaconNodeAdapterBulk, ASlowBeaconNodeStillAnswersBecauseDeadlinesFitTheBatch) {
  CountingBn bn;
  bn.known = 4000;
  bn.delay_per_item = std::chrono::microseconds(500);  // 2 s for all 4,000, above the 1 s base deadline
  http::BnClientOptions copts;
  copts.timeout = std::chrono::seconds(1);
  copts.timeout_per_item = std::chrono::milliseconds(1);  // a 1,000-key batch may take 2 s; it needs 0.5 s
  with_adapter(bn, copts, {}, [&](BeaconNodeAdapter& a) -> runtime::Task<void> {
    auto r = co_await a.validators(keys(4000));
    EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message());
    if (r) {
      EXPECT_EQ(r->size(), 4000u);
    }
    EXPECT_EQ(bn.validator_batches.size(), 4u);
  });
}

TEST(BeaconNodeAdapterBulk, FailuresBackOffAndOlderAnswersStandIn) {
  CountingBn bn;
  bn.known = 10;
  BulkCallOptions opts;
  opts.validator_cache_ttl = Duration{0};  // every call refreshes
  opts.backoff_initial = std::chrono::milliseconds(200);
  with_adapter(bn, {}, opts, [&](BeaconNodeAdapter& a) -> runtime::Task<void> {
    bn.fail = true;
    auto r = co_await a.validators(keys(10));
    EXPECT_FALSE(r.has_value());
    EXPECT_EQ(bn.validator_batches.size(), 1u);
    // Right after a failure nothing is sent: the call fails at once.
    auto quick = co_await a.validators(keys(10));
    EXPECT_FALSE(quick.has_value());
    if (!quick) {
      EXPECT_EQ(quick.error(), make_error_code(BeaconError::kBackoff));
    }
    EXPECT_EQ(bn.validator_batches.size(), 1u);
    // After the backoff the BN is asked again; it answers.
    co_await runtime::sleep_for(std::chrono::milliseconds(250));
    bn.fail = false;
    auto ok = co_await a.validators(keys(10));
    EXPECT_TRUE(ok.has_value());
    EXPECT_EQ(bn.validator_batches.size(), 2u);
    // A failed refresh falls back to those answers.
    bn.fail = true;
    auto stale = co_await a.validators(keys(10));
    EXPECT_TRUE(stale.has_value());
    if (stale) {
      EXPECT_EQ(stale->size(), 10u);
    }
    EXPECT_EQ(bn.validator_batches.size(), 3u);
    // ... but not for a key never answered.
    auto more = co_await a.validators(keys(11));
    EXPECT_FALSE(more.has_value());
  });
}

TEST(BeaconNodeAdapterBulk, AttesterDutiesAreBatchedAndMustShareOneDependentRoot) {
  CountingBn bn;
  BulkCallOptions opts;
  opts.backoff_initial = Duration{0};
  with_adapter(bn, {}, opts, [&](BeaconNodeAdapter& a) -> runtime::Task<void> {
    std::vector<ValidatorIndex> indices;
    for (std::uint64_t i = 0; i < 2100; ++i) indices.push_back(ValidatorIndex{i});
    auto r = co_await a.attester_duties(Epoch{3}, indices);
    EXPECT_TRUE(r.has_value());
    if (r) {
      EXPECT_EQ(r->duties.size(), 2100u);
    }
    EXPECT_EQ(bn.duty_batches, (std::vector<std::size_t>{1000, 1000, 100}));
    // The chain moves between two batches: the answer is refused (the scheduler asks again).
    bn.root_changes_after = 4;
    auto moved = co_await a.attester_duties(Epoch{3}, indices);
    EXPECT_FALSE(moved.has_value());
  });
}

}  // namespace
}  // namespace phx::app
