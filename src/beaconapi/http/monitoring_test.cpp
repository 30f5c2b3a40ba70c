// Tests of the monitoring endpoint over loopback: /metrics renders the registry in the Prometheus text
// format, /livez and /readyz follow their callbacks with the operator-facing reason.
#include <gtest/gtest.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include "beaconapi/http/client.hpp"
#include "beaconapi/http/http_testing_test.hpp"
#include "beaconapi/http/monitoring.hpp"
#include "beaconapi/http/server.hpp"

namespace phx::beaconapi::http {
namespace {

namespace asio = boost::asio;
using runtime::Task;
using namespace std::chrono_literals;

template <class F>
void run(F f) {
  asio::io_context io;
  asio::co_spawn(io, f(io.get_executor()), [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
  });
  io.run();
}

Task<Result<ClientResponse>> get(Endpoint ep, std::string target) {
  ClientRequest req;
  req.target = std::move(target);
  req.accept = "*/*";
  co_return co_await send_request(ep, req, 2s);
}

TEST(Monitoring, ServesMetricsLivenessAndReadiness) {
  metrics::Registry reg;
  auto& duties = reg.counter_family("phalanx_duties_total", "Duties by type.", {"type"});
  duties.labels({"attester"}).inc(3);
  bool live = true;
  ReadyState ready = ReadyState::not_ready("beacon node syncing");
  Router router = make_monitoring_router(reg, [&live] { return live; }, [&ready] { return ready; });
  run([&](runtime::Executor ex) -> Task<void> {
    Server server(ex, router, ServerOptions{});
    EXPECT_TRUE(server.start().has_value());
    Endpoint ep{"127.0.0.1", server.port()};

    auto m = co_await get(ep, "/metrics");
    EXPECT_TRUE(m.has_value());
    if (m) {
      EXPECT_EQ(m->status, 200u);
      EXPECT_EQ(m->content_type, "text/plain");  // the client keeps the media type only
      EXPECT_EQ(m->body,
                "# HELP phalanx_duties_total Duties by type.\n"
                "# TYPE phalanx_duties_total counter\n"
                "phalanx_duties_total{type=\"attester\"} 3\n");
    }
    auto raw = co_await raw_exchange(server.port(), "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    EXPECT_NE(raw.find("Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"), std::string::npos) << raw;
    // The registry is rendered per request: later updates show up.
    duties.labels({"proposer"}).inc();
    auto m2 = co_await get(ep, "/metrics");
    EXPECT_TRUE(m2 && m2->body.find("phalanx_duties_total{type=\"proposer\"} 1\n") != std::string::npos);

    auto l = co_await get(ep, "/livez");
    EXPECT_TRUE(l && l->status == 200u && l->body == "ok");
    live = false;
    auto l2 = co_await get(ep, "/livez");
    EXPECT_TRUE(l2 && l2->status == 503u && l2->body == "not live");

    auto r = co_await get(ep, "/readyz");
    EXPECT_TRUE(r && r->status == 503u && r->body == "beacon node syncing");
    ready = ReadyState::not_ready("insufficient peers for quorum");
    auto r2 = co_await get(ep, "/readyz");
    EXPECT_TRUE(r2 && r2->status == 503u && r2->body == "insufficient peers for quorum");
    ready = ReadyState::ok();
    auto r3 = co_await get(ep, "/readyz");
    EXPECT_TRUE(r3 && r3->status == 200u && r3->body == "ok");

    auto nf = co_await get(ep, "/nothing");
    EXPECT_TRUE(nf && nf->status == 404u);
    ClientRequest post;
    post.method = Method::kPost;
    post.target = "/metrics";
    auto wm = co_await send_request(ep, post, 2s);
    EXPECT_TRUE(wm && wm->status == 405u);
    co_await server.stop();
  });
}

TEST(Monitoring, EmptyCallbacksMeanLiveAndReady) {
  metrics::Registry reg;
  Router router = make_monitoring_router(reg, {}, {});
  run([&](runtime::Executor ex) -> Task<void> {
    Server server(ex, router, ServerOptions{});
    EXPECT_TRUE(server.start().has_value());
    Endpoint ep{"127.0.0.1", server.port()};
    auto l = co_await get(ep, "/livez");
    EXPECT_TRUE(l && l->status == 200u);
    auto r = co_await get(ep, "/readyz");
    EXPECT_TRUE(r && r->status == 200u && r->body == "ok");
    auto m = co_await get(ep, "/metrics");
    EXPECT_TRUE(m && m->status == 200u && m->body.empty());
    co_await server.stop();
  });
}

}  // namespace
}  // namespace phx::beaconapi::http
