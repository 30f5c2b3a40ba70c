// GET /api/v1/status (the status JSON) and its parameters; the HTML page is in status_page.cpp.
#include "app/status.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace phx::app {

using ssz::Json;

namespace {

double round1(double v) { return std::round(v * 10) / 10; }

Json share(std::uint64_t part, std::uint64_t whole) {
  if (whole == 0) return Json();
  return round1(100.0 * double(part) / double(whole));
}

Json operator_window(const Tally& t) {
  const std::uint64_t expected = t.ok + t.missing + t.blamed;
  Json o = Json::object();
  o["expected"] = expected;
  o["ok"] = t.ok;
  o["missing"] = t.missing;
  o["late"] = t.late;
  o["blamed"] = t.blamed;
  o["missed_pct"] = share(t.missing > t.late ? t.missing - t.late : 0, expected);
  o["late_pct"] = share(t.late, expected);
  o["blamed_pct"] = share(t.blamed, expected);
  return o;
}

Json duty_window(const Tally& t) {
  Json o = Json::object();
  o["success"] = t.success;
  o["failed"] = t.failed;
  o["expected_failures"] = t.expected;
  o["success_pct"] = share(t.success, t.success + t.failed);
  return o;
}

std::string explain_url(const core::Duty& d) {
  std::string url = "/api/v1/duties/" + std::to_string(d.slot.value) + "/" + core::to_string(d.type) + "/explain";
  if (core::is_per_subcommittee(d.type)) url += "?subcommittee=" + std::to_string(d.subcommittee);
  return url;
}

std::int64_t seconds_between(TimePoint a, TimePoint b) {
  return std::chrono::duration_cast<std::chrono::seconds>(b - a).count();
}

/// The upper bound of the bucket holding quantile `q` of a histogram (nullopt: empty, or beyond the last bound).
Json quantile_le(const metrics::Histogram& h, double q) {
  if (h.count() == 0) return Json();
  const auto target = static_cast<std::uint64_t>(std::ceil(q * double(h.count())));
  std::uint64_t seen = 0;
  const auto& counts = h.bucket_counts();
  for (std::size_t i = 0; i < h.bounds().size() && i < counts.size(); ++i) {
    seen += counts[i];
    if (seen >= std::max<std::uint64_t>(target, 1)) return h.bounds()[i];
  }
  return Json();
}

Json histogram_json(std::string duty, std::string stage, const metrics::Histogram& h) {
  Json o = Json::object();
  o["duty"] = std::move(duty);
  o["stage"] = std::move(stage);
  o["count"] = h.count();
  o["mean_s"] = h.count() == 0 ? Json() : Json(std::round(h.sum() / double(h.count()) * 1000) / 1000);
  o["p50_le_s"] = quantile_le(h, 0.5);
  o["p90_le_s"] = quantile_le(h, 0.9);
  Json buckets = Json::array();  // non-cumulative; the last one is +Inf (le null)
  const auto& counts = h.bucket_counts();
  for (std::size_t i = 0; i < counts.size(); ++i) {
    Json b = Json::object();
    b["le"] = i < h.bounds().size() ? Json(h.bounds()[i]) : Json();
    b["count"] = counts[i];
    buckets.push_back(std::move(b));
  }
  o["buckets"] = std::move(buckets);
  return o;
}

Json vc_json(const NodeMonitor& m, const StatusInfo& info, TimePoint now) {
  Json vc = Json::object();
  const beaconapi::vapi::Stats* st = info.vc_stats ? info.vc_stats() : nullptr;
  if (!m.options().vc_mode || st == nullptr) {
    vc["mode"] = "embedded";
    vc["summary"] = "embedded signer: this node signs with its key shares, no validator client";
    return vc;
  }
  vc["mode"] = "vc";
  const bool seen = st->last_request != TimePoint{};
  vc["user_agent"] = st->user_agent.empty() ? Json() : Json(st->user_agent);
  vc["last_request_time"] = seen ? Json(std::chrono::duration_cast<std::chrono::seconds>(
                                            st->last_request.time_since_epoch()).count())
                                 : Json();
  vc["last_request_s_ago"] = seen ? Json(std::max<std::int64_t>(0, seconds_between(st->last_request, now))) : Json();
  vc["dvt_selections"] = st->selection_requests > 0;
  vc["selection_requests"] = st->selection_requests;
  vc["partials_accepted"] = st->partials_accepted;
  vc["partials_rejected"] = st->partials_rejected;
  std::uint64_t requests = 0, errors = 0;
  Json routes = Json::array();
  for (const auto& [route, c] : st->routes) {
    Json r = Json::object();
    r["route"] = route;
    r["requests"] = c.requests;
    r["errors"] = c.errors;
    requests += c.requests;
    errors += c.errors;
    routes.push_back(std::move(r));
  }
  vc["requests"] = requests;
  vc["errors"] = errors;
  vc["routes"] = std::move(routes);
  vc["summary"] = !seen ? std::string("no request from the validator client yet")
                        : (st->user_agent.empty() ? std::string("a validator client") : st->user_agent) +
                              (st->selection_requests > 0 ? ", uses the DVT selection endpoints"
                                                          : ", no DVT selection requests (aggregation needs them)");
  return vc;
}

/// Why an operator is shown as it is: "connected", or since when and how it is disconnected.
std::string peer_state(const NodeMonitor& m, std::size_t i, TimePoint now) {
  const auto& p = m.peers()[i];
  if (p.connected) return "connected";
  const std::string dials = std::to_string(p.dial_failures) + " failed dial" + (p.dial_failures == 1 ? "" : "s");
  if (const auto seen = m.last_seen(i))
    return "disconnected: last seen " + std::to_string(std::max<std::int64_t>(0, seconds_between(*seen, now))) +
           " s ago (" + dials + ")";
  return "disconnected: never connected since this node started (" + dials + ")";
}

}  // namespace

Result<ValidatorPage, std::string> parse_validator_page(const std::multimap<std::string, std::string>& query) {
  ValidatorPage page;
  for (const auto& [key, value] : query) {
    std::size_t v = 0;
    auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
    const bool number = ec == std::errc() && ptr == value.data() + value.size() && !value.empty();
    if (key == "page") {
      if (!number || v > 1'000'000) return std::unexpected(std::string("page: expected a page number from 0"));
      page.page = v;
    } else if (key == "per_page") {
      if (!number || v < 1 || v > 500) return std::unexpected(std::string("per_page: expected 1 to 500"));
      page.per_page = v;
    } else {
      return std::unexpected("unknown parameter \"" + key + "\" (known: page, per_page)");
    }
  }
  return page;
}

ssz::Json status_json(const NodeMonitor& m, const core::DutyLog& duties, const StatusInfo& info,
                      const std::vector<ValidatorRow>& validators, const ValidatorPage& page, TimePoint now) {
  const auto& o = m.options();
  const auto unix_now = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  Json out = Json::object();

  Json node = Json::object();
  node["cluster_name"] = info.cluster_name;
  node["network"] = info.network;
  node["lock_hash"] = info.lock_hash;
  node["operator"] = o.self;
  node["operators"] = o.operators;
  node["threshold"] = o.threshold;
  node["validators"] = o.validators;
  node["version"] = o.version;
  node["signer"] = o.vc_mode ? "vc" : "embedded";
  node["start_time"] = m.start_time();
  node["uptime_s"] = std::max<std::int64_t>(0, unix_now - static_cast<std::int64_t>(m.start_time()));
  out["node"] = std::move(node);

  Json chain = Json::object();
  if (info.chain && info.chain->seconds_per_slot != 0) {
    const auto& c = *info.chain;
    chain["genesis_time"] = c.genesis_time;
    chain["seconds_per_slot"] = c.seconds_per_slot;
    chain["slots_per_epoch"] = c.slots_per_epoch;
    if (unix_now >= static_cast<std::int64_t>(c.genesis_time)) {
      const std::uint64_t slot = (static_cast<std::uint64_t>(unix_now) - c.genesis_time) / c.seconds_per_slot;
      chain["slot"] = slot;
      chain["epoch"] = slot / std::max<std::uint64_t>(c.slots_per_epoch, 1);
    } else {
      chain["slot"] = Json();
      chain["epoch"] = Json();
      chain["genesis_in_s"] = static_cast<std::int64_t>(c.genesis_time) - unix_now;
    }
  }
  out["chain"] = std::move(chain);

  const auto& v = m.verdict();
  Json ready = Json::object();
  ready["state"] = health::to_string(v.readiness);
  ready["value"] = static_cast<int>(v.readiness);
  ready["ready"] = v.readiness == health::Readiness::kReady;
  std::string reason = v.readiness == health::Readiness::kUnknown ? std::string("starting") : v.reason;
  if (v.readiness == health::Readiness::kWaitingGenesis && info.chain)  // the time left now, not at the last slot
    reason = health::waiting_reason(TimePoint{std::chrono::seconds(info.chain->genesis_time)} - now);
  ready["reason"] = reason;
  ready["since_slot"] = v.since_slot;
  ready["runbook"] = v.readiness == health::Readiness::kReady || v.readiness == health::Readiness::kUnknown
                         ? Json()
                         : Json(std::string("docs/runbook.md#") + health::to_string(v.readiness));
  out["readiness"] = std::move(ready);

  Json checks = Json::array();
  for (const auto& f : v.failing) {
    const auto& spec = health::spec(f.id);
    Json c = Json::object();
    c["code"] = spec.code;
    c["severity"] = health::to_string(spec.severity);
    c["detail"] = f.detail;
    c["since_slot"] = f.since_slot;
    c["action"] = spec.runbook;
    c["runbook"] = std::string("docs/runbook.md#") + spec.code;
    checks.push_back(std::move(c));
  }
  out["failing_checks"] = std::move(checks);

  const auto hour = m.operator_tallies(std::chrono::minutes(60));
  const auto day = m.operator_tallies(std::chrono::minutes(24 * 60));
  Json ops = Json::array();
  for (std::size_t i = 0; i < o.operators; ++i) {
    Json r = Json::object();
    r["index"] = i;
    r["self"] = i == o.self;
    if (i == o.self) {
      r["connected"] = true;
      r["state"] = "this node";
      r["version"] = o.version;
      r["lock_match"] = true;
      r["readiness"] = health::to_string(v.readiness);
      r["bn_client"] = m.bn().version ? Json(*m.bn().version) : Json();
      const auto* st = o.vc_mode && info.vc_stats ? info.vc_stats() : nullptr;
      r["vc_client"] = !o.vc_mode ? Json("embedded signer")
                       : st && !st->user_agent.empty() ? Json(st->user_agent)
                                                       : Json();
    } else if (i < m.peers().size()) {
      const auto& p = m.peers()[i];
      r["connected"] = p.connected;
      r["state"] = peer_state(m, i, now);
      r["rtt_ms"] = p.rtt_ms ? Json(round1(*p.rtt_ms)) : Json();
      r["clock_offset_ms"] = p.clock_offset_ms ? Json(round1(*p.clock_offset_ms)) : Json();
      r["version"] = p.version ? Json(*p.version) : Json();
      r["lock_match"] = p.lock_match ? Json(*p.lock_match) : Json();
      r["readiness"] = p.readiness && *p.readiness < health::kReadinessCount
                           ? Json(health::to_string(static_cast<health::Readiness>(*p.readiness)))
                           : Json();
      r["start_time"] = p.start_time ? Json(*p.start_time) : Json();
      r["bn_client"] = p.bn_client ? Json(*p.bn_client) : Json();
      r["vc_client"] = p.vc_client ? Json(*p.vc_client) : Json();
      r["dial_failures"] = p.dial_failures;
      r["disconnects"] = p.disconnects;
    }
    r["last_1h"] = operator_window(i < hour.size() ? hour[i] : Tally{});
    r["last_24h"] = operator_window(i < day.size() ? day[i] : Tally{});
    ops.push_back(std::move(r));
  }
  out["operators"] = std::move(ops);

  const auto dhour = m.duty_tallies(std::chrono::minutes(60));
  const auto dday = m.duty_tallies(std::chrono::minutes(24 * 60));
  std::uint64_t current_epoch = 0;
  if (info.chain && info.chain->seconds_per_slot != 0 && unix_now >= static_cast<std::int64_t>(info.chain->genesis_time))
    current_epoch = (static_cast<std::uint64_t>(unix_now) - info.chain->genesis_time) / info.chain->seconds_per_slot /
                    std::max<std::uint64_t>(info.chain->slots_per_epoch, 1);
  const auto strips = m.epoch_strips(current_epoch, kStatusStripEpochs);
  Json board = Json::array();
  for (std::uint8_t t = 1; t <= core::kDutyTypeCount; ++t) {
    if (dday[t].success + dday[t].failed + dday[t].expected == 0) continue;
    Json r = Json::object();
    r["type"] = core::to_string(static_cast<core::DutyType>(t));
    r["last_1h"] = duty_window(dhour[t]);
    r["last_24h"] = duty_window(dday[t]);
    Json strip = Json::array();  // oldest first, the current epoch last
    for (const auto& e : strips[t]) {
      Json x = Json::object();
      x["epoch"] = e.epoch;
      x["success"] = e.success;
      x["failed"] = e.failed;
      x["expected_failures"] = e.expected;
      strip.push_back(std::move(x));
    }
    r["epochs"] = std::move(strip);
    board.push_back(std::move(r));
  }
  out["duties"] = std::move(board);

  core::DutyQuery q;
  q.outcome = core::Outcome::kFailed;
  q.limit = 20;
  const auto failed = duties.query(q);
  Json failures = Json::array();
  for (auto it = failed.rbegin(); it != failed.rend(); ++it) {  // newest first
    const auto& r = **it;
    Json f = core::duty_summary(r);
    f["text"] = core::reason_info(r.report.code).text;
    f["explain"] = explain_url(r.report.duty);
    failures.push_back(std::move(f));
  }
  out["failures"] = std::move(failures);

  Json bns = Json::object();
  const auto& bn = m.bn();
  bns["reachable"] = bn.reachable;
  bns["syncing"] = bn.syncing;
  bns["sync_distance"] = bn.sync_distance;
  bns["head_slot"] = bn.head_slot ? Json(*bn.head_slot) : Json();
  bns["peers"] = bn.peers ? Json(*bn.peers) : Json();
  bns["version"] = bn.version ? Json(*bn.version) : Json();
  Json endpoints = Json::array();
  for (std::size_t b = 0; b < info.beacon_nodes.size(); ++b) {
    Json e = Json::object();
    e["index"] = b;
    e["address"] = info.beacon_nodes[b];
    e["role"] = b == 0 ? "primary" : "fallback";
    e["in_use"] = bn.last_used == b;
    if (b < m.bn_calls().size()) {
      const auto& c = m.bn_calls()[b];
      e["calls"] = c.calls;
      e["errors"] = c.errors;
      e["error_pct"] = share(c.errors, c.calls);
      e["mean_latency_ms"] = c.calls == 0 ? Json() : Json(round1(c.seconds / double(c.calls) * 1000));
    }
    endpoints.push_back(std::move(e));
  }
  bns["endpoints"] = std::move(endpoints);
  out["beacon_nodes"] = std::move(bns);

  out["validator_client"] = vc_json(m, info, now);

  Json timing = Json::array();  // time in the slot at which duties reach each stage, and head events arrive
  std::vector<std::string> timed;  // duty types with marks, in label order; their stages in workflow order
  for (const auto& [labels, h] : m.marks().children())
    if (labels.size() == 2 && (timed.empty() || timed.back() != labels[0])) timed.push_back(labels[0]);
  for (const auto& duty : timed)
    for (const char* stage : NodeMonitor::kStages) {
      const auto it = m.marks().children().find({duty, stage});
      if (it != m.marks().children().end() && it->second->count() > 0)
        timing.push_back(histogram_json(duty, stage, *it->second));
    }
  timing.push_back(histogram_json("head event", "arrival", m.head_delay()));
  out["timing"] = std::move(timing);

  Json vals = Json::object();
  vals["total"] = validators.size();
  vals["page"] = page.page;
  vals["per_page"] = page.per_page;
  Json items = Json::array();
  const std::size_t from = std::min(validators.size(), page.page * page.per_page);
  const std::size_t to = std::min(validators.size(), from + page.per_page);
  for (std::size_t i = from; i < to; ++i) {
    Json r = Json::object();
    r["pubkey"] = validators[i].pubkey;
    r["index"] = validators[i].index ? Json(*validators[i].index) : Json();
    r["status"] = validators[i].index ? "known" : "unknown to the beacon node";
    items.push_back(std::move(r));
  }
  vals["items"] = std::move(items);
  out["validators"] = std::move(vals);
  return out;
}

}  // namespace phx::app
