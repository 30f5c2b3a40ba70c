#include <gtest/gtest.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include "beaconapi/http/client.hpp"
#include "beaconapi/http/http_testing_test.hpp"
#include "beaconapi/http/server.hpp"

namespace phx::beaconapi::http {
namespace {

namespace asio = boost::asio;
using runtime::Task;
using namespace std::chrono_literals;

template <class F>
void run(F f) {
  asio::io_context io;
  asio::co_spawn(io, f(), [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
  });
  io.run();
}

Handler ok_json(std::string text) {
  return [text](const Request&, const PathParams&) -> Task<Response> {
    Response r;
    r.body = text;
    co_return r;
  };
}

Router test_router() {
  Router r;
  r.add(Method::kGet, "/eth/v1/node/syncing", ok_json(R"({"data":{}})"));
  r.add(Method::kPost, "/eth/v1/validator/duties/attester/{epoch}",
        [](const Request& req, const PathParams& p) -> Task<Response> {
          ssz::Json j = ssz::Json::object();
          j["epoch"] = p.at("epoch");
          j["body"] = req.body;
          co_return Response::json(j);
        });
  r.add(Method::kGet, "/eth/v1/validator/duties/attester/special", ok_json(R"({"literal":true})"));
  r.add(Method::kGet, "/ssz", [](const Request& req, const PathParams&) -> Task<Response> {
    if (req.wants_ssz()) co_return Response::ssz(std::string("\x01\x02", 2));
    co_return Response::json(ssz::Json::array());
  });
  r.add(Method::kGet, "/throw", [](const Request&, const PathParams&) -> Task<Response> {
    throw std::runtime_error("boom");
    co_return Response{};
  });
  r.add(Method::kGet, "/slow", [](const Request&, const PathParams&) -> Task<Response> {
    co_await runtime::sleep_for(400ms);
    co_return Response::json(ssz::Json::object());
  });
  return r;
}

std::size_t count_of(const std::string& s, std::string_view needle) {
  std::size_t n = 0;
  for (auto p = s.find(needle); p != std::string::npos; p = s.find(needle, p + 1)) ++n;
  return n;
}

TEST(HttpRouter, BindsTemplateParametersAndPrefersLiterals) {
  Router r = test_router();
  auto m = r.match(Method::kPost, "/eth/v1/validator/duties/attester/42");
  ASSERT_NE(m.handler, nullptr);
  EXPECT_EQ(m.params.at("epoch"), "42");
  auto lit = r.match(Method::kGet, "/eth/v1/validator/duties/attester/special");
  ASSERT_NE(lit.handler, nullptr);
  EXPECT_TRUE(lit.params.empty());
  auto wrong_method = r.match(Method::kGet, "/eth/v1/validator/duties/attester/42");
  EXPECT_EQ(wrong_method.handler, nullptr);
  EXPECT_TRUE(wrong_method.path_known);
  auto none = r.match(Method::kGet, "/eth/v1/nothing");
  EXPECT_EQ(none.handler, nullptr);
  EXPECT_FALSE(none.path_known);
}

TEST(HttpParse, ParsesQueryHeadersAndBody) {
  auto req = parse_request(
      "POST /eth/v1/beacon/states/head/validators?id=1,2&id=0xab&x=%2F HTTP/1.1\r\nHost: a\r\n"
      "Content-Type: application/json; charset=utf-8\r\nEth-Consensus-Version: Electra\r\n"
      "Accept: application/octet-stream;q=1,application/json;q=0.9\r\nContent-Length: 2\r\n\r\n{}",
      Limits{});
  ASSERT_TRUE(req.has_value()) << req.error().message();
  EXPECT_EQ(req->method, Method::kPost);
  EXPECT_EQ(req->path, "/eth/v1/beacon/states/head/validators");
  EXPECT_EQ(req->query_values("id"), (std::vector<std::string>{"1", "2", "0xab"}));
  EXPECT_EQ(req->query_value("x"), "/");
  EXPECT_EQ(req->content_type, "application/json");
  EXPECT_EQ(req->consensus_version, "electra");
  EXPECT_TRUE(req->wants_ssz());
  EXPECT_EQ(req->body, "{}");
}

TEST(HttpParse, RejectsIncompleteOversizedAndMalformed) {
  EXPECT_EQ(parse_request("GET /x HTTP/1.1\r\nHost: a\r\n", Limits{}).error(), HttpError::kIncomplete);
  EXPECT_EQ(parse_request("POST /x HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc", Limits{}).error(),
            HttpError::kIncomplete);
  EXPECT_EQ(parse_request("POST /x HTTP/1.1\r\nContent-Length: 100\r\n\r\n" + std::string(100, 'a'),
                          Limits{.header_limit = 1024, .body_limit = 10})
                .error(),
            HttpError::kTooLarge);
  EXPECT_EQ(parse_request("GET /x HTTP/1.1\r\nX: " + std::string(3000, 'a') + "\r\n\r\n",
                          Limits{.header_limit = 1024, .body_limit = 10})
                .error(),
            HttpError::kTooLarge);
  EXPECT_EQ(parse_request("GARBAGE\r\n\r\n", Limits{}).error(), HttpError::kMalformed);
  EXPECT_EQ(parse_request("DELETE /x HTTP/1.1\r\n\r\n", Limits{}).error(), HttpError::kMalformed);
}

TEST(HttpServer, RoutesAndAnswersErrorBodies) {
  Router router = test_router();
  run([&]() -> Task<void> {
    auto ex = co_await asio::this_coro::executor;
    Server server(ex, router, ServerOptions{});
    EXPECT_TRUE(server.start().has_value());
    Endpoint ep{"127.0.0.1", server.port()};
    // Named request: GCC 12 destroys aggregate temporaries inside co_await expressions twice.
    ClientRequest post;
    post.method = Method::kPost;
    post.target = "/eth/v1/validator/duties/attester/7";
    post.body = R"(["1"])";
    auto r = co_await send_request(ep, post, 2s);
    EXPECT_TRUE(r.has_value());
    if (r) {
      EXPECT_EQ(r->status, 200u);
      auto j = ssz::parse_json(r->body);
      EXPECT_TRUE(j && (*j)["epoch"] == "7" && (*j)["body"] == R"(["1"])");
    }
    ClientRequest missing;
    missing.target = "/eth/v1/none";
    auto nf = co_await send_request(ep, missing, 2s);
    EXPECT_TRUE(nf && nf->status == 404);
    if (nf) {
      auto j = ssz::parse_json(nf->body);
      EXPECT_TRUE(j && (*j)["code"] == 404 && (*j)["message"].is_string());
    }
    ClientRequest wrong;
    wrong.target = "/eth/v1/validator/duties/attester/7";
    auto wm = co_await send_request(ep, wrong, 2s);
    EXPECT_TRUE(wm && wm->status == 405);
    ClientRequest thrower;
    thrower.target = "/throw";
    auto th = co_await send_request(ep, thrower, 2s);
    EXPECT_TRUE(th && th->status == 500);
    ClientRequest ssz_req;
    ssz_req.target = "/ssz";
    ssz_req.accept = "application/octet-stream";
    auto sz = co_await send_request(ep, ssz_req, 2s);
    EXPECT_TRUE(sz && sz->content_type == "application/octet-stream" &&
                sz->body == std::string("\x01\x02", 2));
    co_await server.stop();
  });
}

TEST(HttpServer, EnforcesSizeLimitsAndRejectsMalformedRequests) {
  Router router = test_router();
  run([&]() -> Task<void> {
    auto ex = co_await asio::this_coro::executor;
    ServerOptions opts;
    opts.limits.body_limit = 64;
    Server server(ex, router, opts);
    EXPECT_TRUE(server.start().has_value());
    Endpoint ep{"127.0.0.1", server.port()};
    ClientRequest big;
    big.method = Method::kPost;
    big.target = "/eth/v1/validator/duties/attester/1";
    big.body = std::string(1000, '1');
    auto r = co_await send_request(ep, big, 2s);
    EXPECT_TRUE(r && r->status == 413);
    auto bad = co_await raw_exchange(server.port(), "NOT HTTP AT ALL\r\n\r\n");
    EXPECT_NE(bad.find("400"), std::string::npos) << bad;
    co_await server.stop();
  });
}

TEST(HttpServer, KeepsConnectionsAliveAndStopsGracefully) {
  Router router = test_router();
  run([&]() -> Task<void> {
    auto ex = co_await asio::this_coro::executor;
    Server server(ex, router, ServerOptions{});
    EXPECT_TRUE(server.start().has_value());
    // Two requests on one connection: the first keeps it alive, the second closes it.
    auto out =
        co_await raw_exchange(server.port(),
                              "GET /eth/v1/node/syncing HTTP/1.1\r\nHost: a\r\n\r\n"
                              "GET /eth/v1/node/syncing HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
    EXPECT_EQ(count_of(out, "HTTP/1.1 200"), 2u) << out;
    EXPECT_EQ(server.requests_served(), 2u);
    // An idle keep-alive connection is closed by stop(); new connections are refused afterwards.
    asio::ip::tcp::socket idle(ex);
    asio::ip::tcp::endpoint idle_ep(asio::ip::make_address("127.0.0.1"), server.port());
    co_await idle.async_connect(idle_ep, asio::use_awaitable);
    co_await runtime::sleep_for(20ms);
    EXPECT_EQ(server.open_connections(), 1u);
    auto port = server.port();
    co_await server.stop();
    EXPECT_EQ(server.open_connections(), 0u);
    ClientRequest req;
    req.target = "/eth/v1/node/syncing";
    Endpoint gone{"127.0.0.1", port};
    auto after = co_await send_request(gone, req, 1s);
    EXPECT_FALSE(after.has_value());
  });
}

Task<void> fetch_into(std::optional<Result<ClientResponse>>* out, std::uint16_t port, std::string target) {
  ClientRequest req;
  req.target = std::move(target);
  Endpoint ep{"127.0.0.1", port};
  *out = co_await send_request(ep, req, 2s);
}

TEST(HttpServer, StopLetsInFlightRequestFinish) {
  Router router = test_router();
  run([&]() -> Task<void> {
    auto ex = co_await asio::this_coro::executor;
    Server server(ex, router, ServerOptions{});
    EXPECT_TRUE(server.start().has_value());
    runtime::TaskGroup g(ex);
    std::optional<Result<ClientResponse>> got;
    g.spawn(fetch_into(&got, server.port(), "/slow"));
    co_await runtime::sleep_for(100ms);
    co_await server.stop();
    co_await g.join();
    EXPECT_TRUE(got && *got && (*got)->status == 200);
  });
}

TEST(HttpServer, StopCancelsRequestsBeyondTheGracePeriod) {
  Router router;
  router.add(Method::kGet, "/stuck", [](const Request&, const PathParams&) -> Task<Response> {
    co_await runtime::sleep_for(5s);
    co_return Response::json(ssz::Json::object());
  });
  run([&]() -> Task<void> {
    auto ex = co_await asio::this_coro::executor;
    ServerOptions opts;
    opts.stop_grace = 50ms;
    Server server(ex, router, opts);
    EXPECT_TRUE(server.start().has_value());
    runtime::TaskGroup g(ex);
    std::optional<Result<ClientResponse>> got;
    g.spawn(fetch_into(&got, server.port(), "/stuck"));
    co_await runtime::sleep_for(50ms);
    auto t0 = std::chrono::steady_clock::now();
    co_await server.stop();
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);
    EXPECT_EQ(server.open_connections(), 0u);
    co_await g.join();
    EXPECT_TRUE(got && !*got);  // the connection was closed without an answer
  });
}

TEST(HttpEndpoint, ParsesUrls) {
  auto e = Endpoint::parse("http://127.0.0.1:5052/");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->host, "127.0.0.1");
  EXPECT_EQ(e->port, 5052);
  EXPECT_FALSE(Endpoint::parse("https://x:1"));
  EXPECT_FALSE(Endpoint::parse("http://x"));
  EXPECT_FALSE(Endpoint::parse("http://x:99999"));
}

/// A port with nothing listening (bound then released).
std::uint16_t dead_port(asio::any_io_executor ex) {
  asio::ip::tcp::acceptor a(ex, {asio::ip::make_address("127.0.0.1"), 0});
  auto p = a.local_endpoint().port();
  a.close();
  return p;
}

// A beacon node answer above 64 MiB (the client's default cap) fails the call as too large, whatever it holds; the
// same route just under the cap is read.
TEST(BeaconNodeClient, AnAnswerAbove64MiBIsRefused) {
  constexpr std::size_t kCap = 64u << 20;
  Router router;
  router.add(Method::kGet, "/big", ok_json(std::string(kCap + 1, ' ')));
  router.add(Method::kGet, "/fits", ok_json(std::string(kCap - 1024, ' ')));
  run([&]() -> Task<void> {
    auto ex = co_await asio::this_coro::executor;
    Server server(ex, router, ServerOptions{});
    EXPECT_TRUE(server.start().has_value());
    // (Named locals, not temporaries, in co_await expressions: GCC 12 coroutines mishandle class temporaries.)
    const Endpoint ep{"127.0.0.1", server.port()};
    ClientRequest req;
    req.target = "/big";
    auto big = co_await send_request(ep, req, 30s);
    EXPECT_FALSE(big.has_value());
    if (!big) {
      EXPECT_EQ(big.error(), make_error_code(HttpError::kTooLarge));
    }
    req.target = "/fits";
    auto fits = co_await send_request(ep, req, 30s);
    EXPECT_TRUE(fits.has_value());
    if (fits) {
      EXPECT_EQ(fits->body.size(), kCap - 1024);
    }
    co_await server.stop();
  });
}

TEST(BeaconNodeClient, FailsOverWhenFirstEndpointIsDown) {
  Router router = test_router();
  run([&]() -> Task<void> {
    auto ex = co_await asio::this_coro::executor;
    Server server(ex, router, ServerOptions{});
    EXPECT_TRUE(server.start().has_value());
    BeaconNodeClient client({Endpoint{"127.0.0.1", dead_port(ex)}, Endpoint{"127.0.0.1", server.port()}},
                            BnClientOptions{.timeout = 1s, .recheck_after = 10s});
    ClientRequest req;
    req.target = "/eth/v1/node/syncing";
    auto r = co_await client.call(req);
    EXPECT_TRUE(r.has_value());
    EXPECT_EQ(client.last_used(), 1u);
    EXPECT_FALSE(client.healthy(0));
    EXPECT_TRUE(client.healthy(1));
    // A 4xx is the request's fault: returned at once, no failover, endpoint stays healthy.
    req.target = "/eth/v1/none";
    auto nf = co_await client.call(req);
    EXPECT_FALSE(nf.has_value());
    if (!nf) {
      EXPECT_EQ(nf.error().status, 404u);
      EXPECT_EQ(nf.error().code, HttpError::kStatus);
    }
    EXPECT_TRUE(client.healthy(1));
    co_await server.stop();
  });
}

TEST(BeaconNodeClient, FailsOverWhenFirstEndpointIsSlowerThanTheTimeout) {
  Router slow_router;
  slow_router.add(Method::kGet, "/eth/v1/node/syncing",
                  [](const Request&, const PathParams&) -> Task<Response> {
                    co_await runtime::sleep_for(300ms);
                    co_return Response::json(ssz::Json::object());
                  });
  Router fast_router = test_router();
  run([&]() -> Task<void> {
    auto ex = co_await asio::this_coro::executor;
    ServerOptions opts;
    opts.stop_grace = 50ms;
    Server slow(ex, slow_router, opts);
    Server fast(ex, fast_router, ServerOptions{});
    EXPECT_TRUE(slow.start().has_value());
    EXPECT_TRUE(fast.start().has_value());
    BeaconNodeClient client({Endpoint{"127.0.0.1", slow.port()}, Endpoint{"127.0.0.1", fast.port()}},
                            BnClientOptions{.timeout = 100ms, .recheck_after = 10s});
    ClientRequest req;
    req.target = "/eth/v1/node/syncing";
    auto r = co_await client.call(req);
    EXPECT_TRUE(r.has_value());
    EXPECT_EQ(client.last_used(), 1u);
    EXPECT_FALSE(client.healthy(0));
    // The periodic re-check runs in the owner's group and keeps the fast endpoint healthy.
    runtime::TaskGroup checks(ex);
    checks.spawn(client.run_health_checks(20ms));
    co_await runtime::sleep_for(50ms);
    EXPECT_TRUE(client.healthy(1));
    checks.stop();
    co_await checks.join();
    // Every endpoint down: kNoEndpoint.
    co_await fast.stop();
    auto none = co_await client.call(req);
    EXPECT_FALSE(none.has_value());
    if (!none) {
      EXPECT_EQ(none.error().code, HttpError::kNoEndpoint);
    }
    // Health re-check with a generous timeout marks the slow node healthy again.
    BeaconNodeClient patient({Endpoint{"127.0.0.1", slow.port()}}, BnClientOptions{.timeout = 2s});
    co_await patient.check_health();
    EXPECT_TRUE(patient.healthy(0));
    co_await slow.stop();
  });
}

}  // namespace
}  // namespace phx::beaconapi::http
