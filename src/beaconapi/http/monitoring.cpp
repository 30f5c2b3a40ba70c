#include "beaconapi/http/monitoring.hpp"

#include <utility>

namespace phx::beaconapi::http {

namespace {

constexpr std::string_view kPlainText = "text/plain; charset=utf-8";

Response plain(unsigned status, std::string body) {
  Response r;
  r.status = status;
  r.content_type = std::string(kPlainText);
  r.body = std::move(body);
  return r;
}

}  // namespace

Router make_monitoring_router(const metrics::Registry& registry, std::function<bool()> live,
                              std::function<ReadyState()> ready) {
  Router router;
  const metrics::Registry* reg = &registry;
  router.add(Method::kGet, "/metrics", [reg](const Request&, const PathParams&) -> runtime::Task<Response> {
    Response r;
    r.status = 200;
    r.content_type = std::string(metrics::kContentType);
    r.body = reg->render();
    co_return r;
  });
  router.add(Method::kGet, "/livez",
             [live = std::move(live)](const Request&, const PathParams&) -> runtime::Task<Response> {
               if (!live || live()) co_return plain(200, "ok");
               co_return plain(503, "not live");
             });
  router.add(Method::kGet, "/readyz",
             [ready = std::move(ready)](const Request&, const PathParams&) -> runtime::Task<Response> {
               ReadyState s = ready ? ready() : ReadyState::ok();
               if (s.ready) co_return plain(200, "ok");
               co_return plain(503, s.reason.empty() ? std::string("not ready") : std::move(s.reason));
             });
  return router;
}

}  // namespace phx::beaconapi::http
