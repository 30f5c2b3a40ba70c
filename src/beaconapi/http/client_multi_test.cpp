// BeaconNodeClient over several beacon nodes: hedged duty data (a slow BN does not delay the answer,
// disagreeing answers are chosen by the documented score), syncing BNs skipped, submissions to every BN,
// block_known's three answers.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "beaconapi/http/client.hpp"
#include "beaconapi/http/server.hpp"

namespace phx::beaconapi::http {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using runtime::Task;

void run(std::function<Task<void>()> body) {
  asio::io_context io;
  asio::co_spawn(io, body(), [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
  });
  io.run();
}

eth::phase0::AttestationData att(std::uint64_t target_epoch, std::uint8_t head) {
  eth::phase0::AttestationData d{};
  d.slot = Slot{70};
  d.source.epoch = Epoch{1};
  d.target.epoch = Epoch{target_epoch};
  d.beacon_block_root[0] = head;
  return d;
}

/// A beacon node serving `data` as attestation data after `delay`, syncing or not, counting requests.
struct FakeBn {
  eth::phase0::AttestationData data{};
  Duration delay{};
  bool syncing = false;
  int attestation_requests = 0;
  int attestation_answers = 0;
  int submissions = 0;
  Router router;

  FakeBn(eth::phase0::AttestationData d, Duration wait = {}) : data(d), delay(wait) {
    router.add(Method::kGet, "/eth/v1/validator/attestation_data",
               [this](const Request&, const PathParams&) -> Task<Response> {
                 ++attestation_requests;
                 if (delay > Duration{}) co_await runtime::sleep_for(delay);
                 ++attestation_answers;
                 ssz::Json body = ssz::Json::object();
                 body["data"] = ssz::to_json(data);
                 co_return Response::json(body);
               });
    router.add(Method::kGet, "/eth/v1/node/syncing", [this](const Request&, const PathParams&) -> Task<Response> {
      SyncStatus s{Slot{70}, syncing ? 40u : 0u, syncing, false, false};
      ssz::Json body = ssz::Json::object();
      body["data"] = ssz::to_json(s);
      co_return Response::json(body);
    });
    router.add(Method::kPost, "/eth/v1/beacon/pool/sync_committees",
               [this](const Request&, const PathParams&) -> Task<Response> {
                 ++submissions;
                 if (delay > Duration{}) co_await runtime::sleep_for(delay);
                 co_return Response::json(ssz::Json::object());
               });
    router.add(Method::kGet, "/eth/v1/beacon/blocks/{id}/root",
               [](const Request&, const PathParams& p) -> Task<Response> {
                 const auto& id = p.at("id");
                 if (id == "0x" + std::string(64, '1')) {
                   ssz::Json body = ssz::Json::object();
                   body["data"] = ssz::Json::object();
                   body["data"]["root"] = id;
                   co_return Response::json(body);
                 }
                 if (id == "0x" + std::string(64, '2')) co_return Response::error(404, "block not found");
                 co_return Response::error(500, "internal error");
               });
  }
};

/// Serves every fake on loopback and runs body(client, fakes).
void with_bns(std::vector<FakeBn*> bns, BnClientOptions opts, std::function<Task<void>(BeaconNodeClient&)> body) {
  run([&]() -> Task<void> {
    auto ex = co_await asio::this_coro::executor;
    ServerOptions so;
    so.stop_grace = 50ms;
    std::vector<std::unique_ptr<Server>> servers;
    std::vector<Endpoint> eps;
    for (auto* bn : bns) {
      servers.push_back(std::make_unique<Server>(ex, bn->router, so));
      EXPECT_TRUE(servers.back()->start().has_value());
      eps.push_back(Endpoint{"127.0.0.1", servers.back()->port()});
    }
    {
      BeaconNodeClient client(eps, opts);
      co_await body(client);
    }
    for (auto& s : servers) co_await s->stop();
  });
}

TEST(BeaconNodeClientMulti, OneSlowBeaconNodeDoesNotDelayTheAnswer) {
  FakeBn slow(att(2, 1), 20s);  // far beyond the grace, within the call's deadline
  FakeBn fast(att(2, 1));
  std::vector<std::size_t> won;
  BnClientOptions opts{.timeout = 30s};
  opts.on_selected = [&](std::size_t bn, std::string_view call) {
    EXPECT_EQ(call, "attestation_data");
    won.push_back(bn);
  };
  with_bns({&slow, &fast}, opts, [&](BeaconNodeClient& client) -> Task<void> {
    auto d = co_await client.attestation_data(Slot{70}, 0);
    EXPECT_TRUE(d.has_value());
    if (d) {
      EXPECT_EQ(*d, att(2, 1));
    }
    // The slow BN was asked (hedged) but has not answered: the call did not wait for it.
    EXPECT_EQ(slow.attestation_requests, 1);
    EXPECT_EQ(slow.attestation_answers, 0);
    EXPECT_EQ(won, std::vector<std::size_t>{1});
    EXPECT_EQ(client.last_used(), 1u);
  });
}

TEST(BeaconNodeClientMulti, DisagreeingAnswersArePickedByTheScore) {
  FakeBn a(att(2, 1)), b(att(3, 2)), c(att(2, 1));
  std::vector<std::size_t> won;
  BnClientOptions opts{.timeout = 30s};
  opts.hedge_grace = 30s;  // wait for every answer (all three answer at once)
  opts.on_selected = [&](std::size_t bn, std::string_view) { won.push_back(bn); };
  with_bns({&a, &b, &c}, opts, [&](BeaconNodeClient& client) -> Task<void> {
    auto d = co_await client.attestation_data(Slot{70}, 0);
    EXPECT_TRUE(d.has_value());
    if (d) {
      EXPECT_EQ(*d, att(3, 2));
    }  // the higher target epoch beats two agreeing answers
    EXPECT_EQ(won, std::vector<std::size_t>{1});
  });
}

TEST(BeaconNodeClientMulti, SyncingBeaconNodeServesNoDutyData) {
  FakeBn syncing(att(9, 9)), fine(att(2, 1));
  syncing.syncing = true;
  with_bns({&syncing, &fine}, BnClientOptions{.timeout = 30s}, [&](BeaconNodeClient& client) -> Task<void> {
    co_await client.check_health();
    EXPECT_EQ(client.duty_data_eligible(), (std::vector<bool>{false, true}));
    EXPECT_TRUE(client.sync_views()[0].is_syncing);
    auto d = co_await client.attestation_data(Slot{70}, 0);
    EXPECT_TRUE(d.has_value());
    if (d) {
      EXPECT_EQ(*d, att(2, 1));
    }
    EXPECT_EQ(syncing.attestation_requests, 0);
  });
}

TEST(BeaconNodeClientMulti, SubmissionsReachEveryBeaconNode) {
  FakeBn a(att(2, 1), 200ms), b(att(2, 1)), syncing(att(2, 1));
  syncing.syncing = true;  // a syncing BN still gets submissions (it gossips them)
  with_bns({&a, &b, &syncing}, BnClientOptions{.timeout = 30s}, [&](BeaconNodeClient& client) -> Task<void> {
    co_await client.check_health();
    std::vector<eth::altair::SyncCommitteeMessage> msgs(1);
    auto r = co_await client.submit_sync_committee_messages(std::move(msgs));
    EXPECT_TRUE(r.has_value());
    // The call returned with the first acceptance; the slow BN still gets (and answers) its copy.
    for (int i = 0; i < 2000 && a.submissions == 0; ++i) co_await runtime::sleep_for(10ms);
    EXPECT_EQ(a.submissions, 1);
    EXPECT_EQ(b.submissions, 1);
    EXPECT_EQ(syncing.submissions, 1);
  });
}

TEST(BeaconNodeClientMulti, BlockKnownSaysYesNoOrNothing) {
  FakeBn bn(att(2, 1));
  Root known{}, unknown{}, broken{};
  std::fill(known.begin(), known.end(), std::uint8_t{0x11});
  std::fill(unknown.begin(), unknown.end(), std::uint8_t{0x22});
  std::fill(broken.begin(), broken.end(), std::uint8_t{0x33});
  with_bns({&bn}, BnClientOptions{.timeout = 30s}, [&](BeaconNodeClient& client) -> Task<void> {
    auto k = co_await client.block_known(known, 5s);
    EXPECT_TRUE(k.has_value() && *k);
    auto u = co_await client.block_known(unknown, 5s);
    EXPECT_TRUE(u.has_value() && !*u);
    auto b = co_await client.block_known(broken, 5s);
    EXPECT_FALSE(b.has_value());  // a 500 is no evidence either way
  });
}

TEST(BeaconNodeClientMulti, NoBeaconNodeAnsweringIsAnError) {
  FakeBn a(att(2, 1), 20s), b(att(2, 1), 20s);
  with_bns({&a, &b}, BnClientOptions{.timeout = 200ms}, [&](BeaconNodeClient& client) -> Task<void> {
    auto d = co_await client.attestation_data(Slot{70}, 0);
    EXPECT_FALSE(d.has_value());
  });
}

}  // namespace
}  // namespace phx::beaconapi::http
