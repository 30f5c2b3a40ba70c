// Validator API tests of what goes to the BN: key-rewriting lookups, proxy and failover, events, codec.
#include <gtest/gtest.h>

#include "beaconapi/http/http_testing_test.hpp"
#include "beaconapi/vapi/vapi_doubles_test.hpp"

namespace phx::beaconapi::vapi {
namespace {

using namespace testing;

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
    // By route (the status page's VC panel): both went to the BN, the teapot's 418 is an error.
    const auto& routes = env.vapi->stats().routes;
    auto count = [&routes](const std::string& route) {  // {0, 0} when the route was not counted
      auto it = routes.find(route);
      return it == routes.end() ? Stats::RouteCount{} : it->second;
    };
    EXPECT_EQ(count(Stats::kProxiedRoute).requests, 2u);
    EXPECT_EQ(count(Stats::kProxiedRoute).errors, 1u);
    // An intercepted route is counted under its pattern, a 400 answer as an error.
    auto bad = co_await env.call(http::Method::kGet, "/eth/v1/validator/attestation_data?slot=x&committee_index=0");
    EXPECT_EQ(bad.status, 400u);
    EXPECT_EQ(count("GET /eth/v1/validator/attestation_data").requests, 1u);
    EXPECT_EQ(count("GET /eth/v1/validator/attestation_data").errors, 1u);
    EXPECT_EQ(routes.size(), 2u);
    co_await env.stop();
  });
}

TEST(ValidatorApi, KeepsTheLastUserAgentPrintableAndShort) {
  run([]() -> Task<void> {
    Env env(co_await asio::this_coro::executor, eth::Fork::kAltair);
    EXPECT_EQ(env.vapi->stats().user_agent, "");
    asio::ip::tcp::socket sock(co_await asio::this_coro::executor);
    co_await sock.async_connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), env.vapi->port()),
                                asio::use_awaitable);
    const std::string ua = "Lighthouse/v7.0.1-e42406d (x86_64-linux) \xc3\xa9" + std::string(200, 'x');
    const std::string shown = ("Lighthouse/v7.0.1-e42406d (x86_64-linux) ??" + std::string(200, 'x')).substr(0, 128);
    const std::string raw = "GET /eth/v1/node/version HTTP/1.1\r\nHost: vc\r\nUser-Agent: " + ua +
                            "\r\nConnection: close\r\n\r\n";
    co_await asio::async_write(sock, asio::buffer(raw), asio::use_awaitable);
    std::string answer;
    char buf[4096];
    for (;;) {
      auto [ec, n] = co_await sock.async_read_some(asio::buffer(buf), asio::as_tuple(asio::use_awaitable));
      answer.append(buf, n);
      if (ec) break;
    }
    EXPECT_NE(answer.find("200"), std::string::npos);
    EXPECT_EQ(env.vapi->stats().user_agent, shown);
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

// The validator API reads requests itself (not through http::Server): a header above 16 KiB and a body above 8 MiB
// are answered 413, bytes that are not HTTP 400, and a VC still sending its oversized body reads the 413 (the
// connection lingers while the rest arrives) instead of a reset. The node serves the next request as before.
TEST(ValidatorApi, ItsOwnReadLoopAnswers413And400AndAVcStillSendingReadsThem) {
  run([]() -> Task<void> {
    Env env(co_await asio::this_coro::executor, eth::Fork::kAltair);
    const http::Limits lim{};
    EXPECT_EQ(lim.header_limit, 16u * 1024);
    EXPECT_EQ(lim.body_limit, 8u * 1024 * 1024);
    // Above 8 MiB, sent whole by the client before it reads the answer.
    auto big = co_await env.call(http::Method::kPost, "/eth/v1/beacon/pool/attestations",
                                 std::string(lim.body_limit + 1024 * 1024, ' '));
    EXPECT_EQ(big.status, 413u);
    EXPECT_NE(big.body.find("size limit"), std::string::npos) << big.body;
    auto long_target = co_await env.call(http::Method::kGet,
                                         "/eth/v1/node/version?x=" + std::string(lim.header_limit, 'a'));
    EXPECT_EQ(long_target.status, 413u);
    auto garbage = co_await http::raw_exchange(env.vapi->port(), "NOT HTTP AT ALL\r\n\r\n");
    EXPECT_EQ(garbage.rfind("HTTP/1.1 400", 0), 0u) << garbage;
    EXPECT_NE(garbage.find("malformed HTTP request"), std::string::npos) << garbage;
    EXPECT_TRUE(env.backend.submitted_.empty());
    auto ok = co_await env.call(http::Method::kGet, "/eth/v1/node/version");
    EXPECT_EQ(ok.status, 200u);
    co_await env.stop();
  });
}

// A proxied answer above Options::proxy_body_limit (64 MiB by default) counts as that beacon node failing: with
// no other beacon node the VC gets a 502; an answer within the cap passes.
TEST(ValidatorApi, AProxiedAnswerAboveTheCapCountsAsThatBeaconNodeFailing) {
  EXPECT_EQ(Options{}.proxy_body_limit, std::size_t{64} << 20);
  run([]() -> Task<void> {
    Env env(co_await asio::this_coro::executor, eth::Fork::kAltair, 5s, [](Options& o) { o.proxy_body_limit = 1024; });
    // The double's echo route answers "echo:" + the body.
    auto within = co_await env.call(http::Method::kPost, "/eth/v1/test/echo", std::string(1000, 'x'));
    EXPECT_EQ(within.status, 202u);
    auto above = co_await env.call(http::Method::kPost, "/eth/v1/test/echo", std::string(1100, 'x'));
    EXPECT_EQ(above.status, 502u);
    EXPECT_EQ(env.vapi->stats().proxy_failures, 1u);
    co_await env.stop();
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
