// Fuzz target: the Beacon API server's request path. Raw bytes go through Beast's parser with small limits
// (parse_request), then the router (match by method and path template) and the query helpers. Any input must
// give a Request or an error value, never a crash; a parsed request must respect the limits.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "beaconapi/http/router.hpp"

namespace {
using namespace phx::beaconapi::http;

const Router& router() {
  static const Router r = [] {
    Router x;
    auto h = [](const Request&, const PathParams&) -> phx::runtime::Task<Response> { co_return Response{}; };
    x.add(Method::kPost, "/eth/v1/validator/duties/attester/{epoch}", h);
    x.add(Method::kGet, "/eth/v1/validator/duties/proposer/{epoch}", h);
    x.add(Method::kGet, "/eth/v1/beacon/states/{state_id}/validators", h);
    x.add(Method::kPost, "/eth/v1/beacon/states/{state_id}/validators", h);
    x.add(Method::kGet, "/eth/v1/node/syncing", h);
    return x;
  }();
  return r;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view raw(reinterpret_cast<const char*>(data), size);
  Limits limits{.header_limit = 1024, .body_limit = 512};
  auto req = parse_request(raw, limits);
  if (!req) {
    if (req.error().message().empty()) std::abort();
    return 0;
  }
  if (req->body.size() > limits.body_limit) std::abort();
  if (req->path.empty() || req->path.front() != '/') std::abort();
  auto m = router().match(req->method, req->path);
  if (m.handler && !m.path_known) std::abort();
  for (const auto& [k, v] : m.params) {
    if (v.empty()) std::abort();
    (void)k;
  }
  (void)req->query_values("id");
  (void)req->wants_ssz();
  if (auto e = req->query_value("epoch")) (void)parse_u64(*e);
  return 0;
}
