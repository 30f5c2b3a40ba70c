// The operator API's duty routes: GET /api/v1/duties and GET /api/v1/duties/{slot}/{type}/explain.
#include <fstream>

#include "app/operator_api.hpp"
#include "base/log.hpp"

namespace phx::app {

namespace http = beaconapi::http;
using ssz::Json;

namespace {

/// The report file is read from its end, at most this much (older lines are out of reach of the API).
constexpr std::uintmax_t kMaxReportRead = 8u << 20;

}  // namespace

core::ExplainContext OperatorApi::explain_context() const {
  core::ExplainContext c;
  c.share_count = keys_.share_count();
  c.threshold = keys_.threshold();
  c.self = options_.share_idx;
  c.vc_mode = !options_.embedded;
  c.slot_duration = std::chrono::seconds(config_.seconds_per_slot);
  if (peers_) c.peers = peers_();
  return c;
}

std::vector<core::DutyResult> OperatorApi::from_report_file(const core::DutyQuery& q, std::optional<Slot> below) const {
  std::vector<core::DutyResult> out;
  if (!options_.duty_report_file) return out;
  std::ifstream in(*options_.duty_report_file, std::ios::binary);
  if (!in) return out;
  in.seekg(0, std::ios::end);
  const auto size = static_cast<std::uintmax_t>(std::max<std::streamoff>(in.tellg(), 0));
  const std::uintmax_t start = size > kMaxReportRead ? size - kMaxReportRead : 0;
  in.seekg(static_cast<std::streamoff>(start));
  std::string text(static_cast<std::size_t>(size - start), '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  std::size_t pos = 0;
  if (start != 0) pos = text.find('\n') == std::string::npos ? text.size() : text.find('\n') + 1;  // partial line
  std::map<core::Duty, core::DutyResult> found;  // a duty written twice: the later line wins
  std::size_t bad = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    const std::string_view line(text.data() + pos, end - pos);
    pos = end + 1;
    if (line.empty()) continue;
    auto r = core::parse_duty_line(line);
    if (!r) {
      ++bad;
      continue;
    }
    if (below && r->report.duty.slot.value >= below->value) continue;
    if (core::matches(q, *r)) found.insert_or_assign(r->report.duty, std::move(*r));
  }
  if (bad != 0)
    log::debug("operator api: {} unreadable line(s) in {} skipped", bad, options_.duty_report_file->string());
  for (auto& [d, r] : found) out.push_back(std::move(r));
  return out;
}

http::Response OperatorApi::list_duties(const std::multimap<std::string, std::string>& query) const {
  auto q = core::parse_duty_query(query);
  if (!q) return http::Response::error(400, q.error());
  const std::vector<const core::DutyResult*> held = duties_.query(*q);
  // Older slots than memory holds come from the report file (when the query reaches below memory).
  std::vector<core::DutyResult> older;
  const std::optional<Slot> oldest = duties_.oldest_slot();
  if (!oldest || !q->from_slot || q->from_slot->value < oldest->value) older = from_report_file(*q, oldest);
  Json data = Json::array();
  const std::size_t total = older.size() + held.size();
  const std::size_t skip = total > q->limit ? total - q->limit : 0;  // keep the newest
  std::size_t i = 0, from_file = 0;
  for (const auto& r : older) {
    if (i++ < skip) continue;
    Json s = core::duty_summary(r);
    s["source"] = "file";
    data.push_back(std::move(s));
    ++from_file;
  }
  for (const auto* r : held) {
    if (i++ < skip) continue;
    data.push_back(core::duty_summary(*r));
  }
  Json out = Json::object();
  out["data"] = std::move(data);
  Json mem = Json::object();
  mem["duties"] = duties_.size();
  mem["capacity"] = duties_.capacity();
  mem["oldest_slot"] = oldest ? Json(oldest->value) : Json();
  out["memory"] = std::move(mem);
  out["from_file"] = from_file;
  out["truncated"] = skip != 0;
  return http::Response::json(out);
}

http::Response OperatorApi::explain_duty(std::string_view slot, std::string_view type,
                                         const std::multimap<std::string, std::string>& query) const {
  auto req = core::parse_explain_request(slot, type, query);
  if (!req) return http::Response::error(400, req.error());
  const core::DutyResult* held = duties_.find(req->duty);
  std::optional<core::DutyResult> from_file;
  if (held == nullptr) {
    core::DutyQuery q;
    q.from_slot = q.to_slot = req->duty.slot;
    q.type = req->duty.type;
    for (auto& r : from_report_file(q, std::nullopt))
      if (r.report.duty == req->duty) from_file = std::move(r);
  }
  if (held == nullptr && !from_file) {
    std::string msg = "no finished duty " + core::to_string(req->duty) + " on this node: it keeps the last " +
                      std::to_string(duties_.capacity()) + " finished duties in memory";
    const auto oldest = duties_.oldest_slot();
    if (oldest) msg += " (from slot " + std::to_string(oldest->value) + ")";
    msg += options_.duty_report_file ? " and reads older ones from --duty-report-file"
                                     : "; run with --duty-report-file to keep older ones";
    msg += ". A duty appears once it is broadcast, fails or reaches its deadline; not every slot has every duty "
           "type for this cluster's validators";
    return http::Response::error(404, msg);
  }
  Json out = core::explain_duty(held != nullptr ? *held : *from_file, explain_context());
  out["source"] = held != nullptr ? "memory" : "file";
  if (from_file) out["operators_now"] = "peer state (connected, rtt, clock offset) is as of now, not of the duty";
  if (req->validator) {
    Json v = Json::object();
    v["requested"] = *req->validator;
    v["note"] = "outcomes are tracked per duty, not per validator: the explanation covers every validator of "
                "the duty";
    out["validator"] = std::move(v);
  }
  return http::Response::json(out);
}

void OperatorApi::add_duty_routes(http::Router& router) {
  router.add(http::Method::kGet, "/api/v1/duties",
             [this](const http::Request& req, const http::PathParams&) -> runtime::Task<http::Response> {
               co_return list_duties(req.query);
             });
  router.add(http::Method::kGet, "/api/v1/duties/{slot}/{type}/explain",
             [this](const http::Request& req, const http::PathParams& p) -> runtime::Task<http::Response> {
               co_return explain_duty(p.at("slot"), p.at("type"), req.query);
             });
}

}  // namespace phx::app
