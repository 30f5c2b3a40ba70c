// Beacon API HTTP layer benchmarks: request parsing, routing, and a full loopback round trip (new connection
// per request, as BeaconNodeClient does today).
#include <benchmark/benchmark.h>

#include <boost/asio/io_context.hpp>

#include "beaconapi/http/client.hpp"
#include "beaconapi/http/server.hpp"

namespace {

using namespace phx::beaconapi::http;
using phx::runtime::Task;

Router make_router() {
  Router r;
  auto h = [](const Request&, const PathParams&) -> Task<Response> {
    co_return Response::json(phx::ssz::Json::object());
  };
  for (const char* t :
       {"/eth/v1/beacon/genesis", "/eth/v1/config/spec", "/eth/v1/config/fork_schedule",
        "/eth/v1/node/syncing", "/eth/v1/node/version", "/eth/v1/beacon/states/{state_id}/validators",
        "/eth/v1/validator/duties/proposer/{epoch}", "/eth/v1/validator/attestation_data",
        "/eth/v2/beacon/pool/attestations", "/eth/v1/beacon/pool/attestations"}) {
    r.add(Method::kGet, t, h);
  }
  r.add(Method::kPost, "/eth/v1/validator/duties/attester/{epoch}", h);
  return r;
}

const std::string kRaw =
    "POST /eth/v1/validator/duties/attester/1234 HTTP/1.1\r\nHost: 127.0.0.1:5052\r\n"
    "Content-Type: application/json\r\nAccept: application/json\r\nContent-Length: 23\r\n\r\n"
    "[\"1\",\"2\",\"3\",\"4\",\"5\"]  ";

void BM_ParseRequest(benchmark::State& state) {
  for (auto _ : state) {
    auto r = parse_request(kRaw, Limits{});
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_ParseRequest);

void BM_RouterMatch(benchmark::State& state) {
  Router r = make_router();
  for (auto _ : state) {
    auto m = r.match(Method::kPost, "/eth/v1/validator/duties/attester/1234");
    benchmark::DoNotOptimize(m);
  }
}
BENCHMARK(BM_RouterMatch);

Task<void> one_get(Endpoint ep, bool* ok) {
  ClientRequest req;
  req.target = "/eth/v1/node/syncing";
  auto r = co_await send_request(ep, req, std::chrono::seconds(2));
  *ok = r && r->status == 200;
}

void BM_LoopbackRoundTrip(benchmark::State& state) {
  boost::asio::io_context io;
  Router router = make_router();
  Server server(io.get_executor(), router, ServerOptions{});
  if (!server.start()) {
    state.SkipWithError("bind failed");
    return;
  }
  Endpoint ep{"127.0.0.1", server.port()};
  for (auto _ : state) {
    bool ok = false;
    bool done = false;
    boost::asio::co_spawn(io, one_get(ep, &ok), [&](std::exception_ptr) { done = true; });
    while (!done) io.run_one();
    if (!ok) {
      state.SkipWithError("request failed");
      break;
    }
  }
  bool stopped = false;
  boost::asio::co_spawn(io, server.stop(), [&](std::exception_ptr) { stopped = true; });
  while (!stopped) io.run_one();
}
BENCHMARK(BM_LoopbackRoundTrip)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
