// Fuzz target: the beacon-node simulator's Beacon API handlers. Raw bytes are parsed as an HTTP request
// (parse_request, small limits) and dispatched to BeaconSim's router: every duty endpoint decodes JSON/SSZ
// bodies, query parameters and headers from untrusted bytes. Any input must give a 2xx/4xx answer (never a
// crash, and never a 500, which would mean a handler threw).
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>

#include "beaconapi/http/router.hpp"
#include "crypto/bls/bls.hpp"
#include "sim/beacon_sim.hpp"

namespace {
using namespace phx;

struct Target {
  ManualClock clock{TimePoint{} + std::chrono::seconds(1'700'000'000 + 12 * 40)};
  sim::BeaconSim sim;
  static sim::BeaconSimConfig config() {
    sim::BeaconSimConfig c;
    c.chain = eth::devnet_config(eth::Fork::kElectra, 1'700'000'000, Root{});
    for (std::uint8_t i = 0; i < 4; ++i) {
      Bytes ikm(32, static_cast<std::uint8_t>(i + 1));
      auto sk = crypto::bls::SecretKey::keygen(ikm);
      c.validators.push_back({sk->public_key().to_bytes(), ValidatorIndex{100u + i}});
    }
    c.builder_blocks = true;
    return c;
  }
  Target() : sim(config(), clock) {}
};

Target& target() {
  static Target t;
  return t;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view raw(reinterpret_cast<const char*>(data), size);
  beaconapi::http::Limits limits{.header_limit = 2048, .body_limit = 16 * 1024};
  auto req = beaconapi::http::parse_request(raw, limits);
  if (!req) return 0;
  // Only the simulator's handlers are the target here (the router's own 404/405 path is http_request_fuzz's).
  if (target().sim.router().match(req->method, req->path).handler == nullptr) return 0;
  boost::asio::io_context io;
  unsigned status = 0;
  std::string body;
  boost::asio::co_spawn(io, target().sim.router().dispatch(*req),
                        [&](std::exception_ptr e, beaconapi::http::Response r) {
                          if (e) {
                            try {
                              std::rethrow_exception(e);
                            } catch (const std::exception& x) {
                              std::fprintf(stderr, "exception: %s\n", x.what());
                            }
                            std::abort();
                          }
                          status = r.status;
                          body = r.body;
                        });
  io.run();
  if (status < 200 || status >= 500) {
    std::fprintf(stderr, "status %u for %s: %s\n", status, req->path.c_str(), body.c_str());
    std::abort();
  }
  return 0;
}
