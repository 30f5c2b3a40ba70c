// The duty ring buffer, the explain API's query/path parsers and the reader of duty-report lines.
#include "core/explain_log.hpp"

#include <algorithm>
#include <cmath>

namespace phx::core {

using ssz::Json;

namespace {

/// A slot: a decimal without sign or leading '+', below 2^63 (what Slot arithmetic tolerates).
Result<std::uint64_t, std::string> parse_u64(std::string_view name, std::string_view text) {
  auto v = ssz::dec_to_u64(text);
  if (!v || *v >= (std::uint64_t{1} << 62))
    return std::unexpected(std::string(name) + ": expected a decimal slot number, got \"" +
                           std::string(text.substr(0, 40)) + "\"");
  return *v;
}

std::string type_names() {
  std::string out;
  for (std::uint8_t t = 1; t <= kDutyTypeCount; ++t) {
    if (t != 1) out += ", ";
    out += to_string(static_cast<DutyType>(t));
  }
  return out;
}

Result<std::optional<std::string>, std::string> single(const std::multimap<std::string, std::string>& params,
                                                       const std::string& name) {
  auto [lo, hi] = params.equal_range(name);
  if (lo == hi) return std::optional<std::string>{};
  if (std::next(lo) != hi) return std::unexpected(name + ": given more than once");
  return std::optional<std::string>{lo->second};
}

/// Milliseconds as a Duration; non-finite or absurd values (beyond ±10^9 ms) are refused.
std::optional<Duration> from_ms(const Json& j) {
  if (!j.is_number()) return std::nullopt;
  const double v = j.get<double>();
  if (!std::isfinite(v) || std::abs(v) > 1e12) return std::nullopt;
  return std::chrono::duration_cast<Duration>(std::chrono::duration<double, std::milli>(v));
}

std::optional<std::uint32_t> small_u32(const Json& j) {
  if (!j.is_number_unsigned()) return std::nullopt;
  const auto v = j.get<std::uint64_t>();
  if (v > 1'000'000) return std::nullopt;
  return static_cast<std::uint32_t>(v);
}

std::optional<Step> step_from_string(std::string_view s) {
  for (std::uint8_t i = 0; i <= static_cast<std::uint8_t>(Step::kBroadcast); ++i)
    if (s == to_string(static_cast<Step>(i))) return static_cast<Step>(i);
  return std::nullopt;
}

}  // namespace

std::optional<DutyType> duty_type_from_string(std::string_view name) {
  for (std::uint8_t t = 1; t <= kDutyTypeCount; ++t)
    if (name == to_string(static_cast<DutyType>(t))) return static_cast<DutyType>(t);
  return std::nullopt;
}

Result<DutyQuery, std::string> parse_duty_query(const std::multimap<std::string, std::string>& params) {
  DutyQuery q;
  for (const auto& [name, value] : params) {
    if (name != "from_slot" && name != "to_slot" && name != "type" && name != "outcome" && name != "reason" &&
        name != "limit")
      return std::unexpected("unknown query parameter \"" + name.substr(0, 40) +
                             "\" (known: from_slot, to_slot, type, outcome, reason, limit)");
  }
  for (const char* name : {"from_slot", "to_slot"}) {
    auto v = single(params, name);
    if (!v) return std::unexpected(v.error());
    if (!*v) continue;
    auto s = parse_u64(name, **v);
    if (!s) return std::unexpected(s.error());
    (std::string_view(name) == "from_slot" ? q.from_slot : q.to_slot) = Slot{*s};
  }
  if (q.from_slot && q.to_slot && q.from_slot->value > q.to_slot->value)
    return std::unexpected("from_slot " + std::to_string(q.from_slot->value) + " is after to_slot " +
                           std::to_string(q.to_slot->value));
  auto type = single(params, "type");
  if (!type) return std::unexpected(type.error());
  if (*type) {
    q.type = duty_type_from_string(**type);
    if (!q.type) return std::unexpected("type: unknown duty type (known: " + type_names() + ")");
  }
  auto outcome = single(params, "outcome");
  if (!outcome) return std::unexpected(outcome.error());
  if (*outcome) {
    q.outcome = outcome_from_string(**outcome);
    if (!q.outcome) return std::unexpected(std::string("outcome: expected success, failed or expected"));
  }
  auto reason = single(params, "reason");
  if (!reason) return std::unexpected(reason.error());
  if (*reason) {
    q.reason = reason_from_code(**reason);
    if (!q.reason) return std::unexpected(std::string("reason: unknown reason code (see docs/reasons.md)"));
  }
  auto limit = single(params, "limit");
  if (!limit) return std::unexpected(limit.error());
  if (*limit) {
    auto v = ssz::dec_to_u64(**limit);
    if (!v || *v == 0 || *v > DutyQuery::kMaxLimit)
      return std::unexpected("limit: expected 1.." + std::to_string(DutyQuery::kMaxLimit));
    q.limit = static_cast<std::size_t>(*v);
  }
  return q;
}

bool matches(const DutyQuery& q, const DutyResult& res) {
  const DutyReport& r = res.report;
  if (q.from_slot && r.duty.slot.value < q.from_slot->value) return false;
  if (q.to_slot && r.duty.slot.value > q.to_slot->value) return false;
  if (q.type && r.duty.type != *q.type) return false;
  if (q.outcome && outcome_of(r) != *q.outcome) return false;
  if (q.reason && (r.success ? Reason::kNone : r.code) != *q.reason) return false;
  return true;
}

Result<ExplainRequest, std::string> parse_explain_request(std::string_view slot, std::string_view type,
                                                          const std::multimap<std::string, std::string>& params) {
  ExplainRequest out;
  auto s = parse_u64("slot", slot);
  if (!s) return std::unexpected(s.error());
  auto t = duty_type_from_string(type);
  if (!t) return std::unexpected("type: unknown duty type \"" + std::string(type.substr(0, 40)) +
                                 "\" (known: " + type_names() + ")");
  out.duty = Duty{Slot{*s}, *t, 0};
  for (const auto& [name, value] : params)
    if (name != "validator" && name != "subcommittee")
      return std::unexpected("unknown query parameter \"" + name.substr(0, 40) + "\" (known: validator, subcommittee)");
  auto sub = single(params, "subcommittee");
  if (!sub) return std::unexpected(sub.error());
  if (*sub) {
    auto v = ssz::dec_to_u64(**sub);
    if (!is_per_subcommittee(*t)) return std::unexpected("subcommittee: only for sync-contribution duties");
    if (!v || *v >= kSyncSubcommitteeCount) return std::unexpected(std::string("subcommittee: expected 0..3"));
    out.duty.subcommittee = *v;
  }
  auto val = single(params, "validator");
  if (!val) return std::unexpected(val.error());
  if (*val) {
    const std::string& v = **val;
    const bool pubkey = v.size() == 98 && v.rfind("0x", 0) == 0 &&
                        std::all_of(v.begin() + 2, v.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; });
    if (!pubkey && !ssz::dec_to_u64(v))
      return std::unexpected(std::string("validator: expected a validator index or a 0x-prefixed 48-byte pubkey"));
    out.validator = v;
  }
  return out;
}

Result<DutyResult, std::string> parse_duty_line(std::string_view line) {
  auto j = ssz::parse_json(line);
  if (!j) return std::unexpected("not JSON: " + j.error().message());
  if (!j->is_object()) return std::unexpected(std::string("not a JSON object"));
  DutyResult res;
  DutyReport& r = res.report;
  auto type = j->find("duty");
  if (type == j->end() || !type->is_string()) return std::unexpected(std::string("duty: expected a duty type name"));
  auto t = duty_type_from_string(type->get_ref<const std::string&>());
  if (!t) return std::unexpected(std::string("duty: unknown duty type"));
  auto slot = j->find("slot");
  if (slot == j->end() || !slot->is_number_unsigned() || slot->get<std::uint64_t>() >= (std::uint64_t{1} << 62))
    return std::unexpected(std::string("slot: expected a slot number"));
  r.duty = Duty{Slot{slot->get<std::uint64_t>()}, *t, 0};
  if (auto s = j->find("subcommittee"); s != j->end()) {
    if (!is_per_subcommittee(*t) || !s->is_number_unsigned() || s->get<std::uint64_t>() >= kSyncSubcommitteeCount)
      return std::unexpected(std::string("subcommittee: expected 0..3 on a sync-contribution duty"));
    r.duty.subcommittee = s->get<std::uint64_t>();
  }
  auto ok = j->find("success");
  if (ok == j->end() || !ok->is_boolean()) return std::unexpected(std::string("success: expected true or false"));
  r.success = ok->get<bool>();
  if (auto s = j->find("last_step"); s != j->end() && s->is_string())
    r.last_step = step_from_string(s->get_ref<const std::string&>()).value_or(Step::kScheduled);
  if (auto s = j->find("failed_step"); s != j->end() && s->is_string())
    r.failed_step = step_from_string(s->get_ref<const std::string&>());
  if (auto s = j->find("reason"); s != j->end() && s->is_string()) r.reason = s->get<std::string>();
  if (auto s = j->find("expected"); s != j->end() && s->is_boolean()) r.expected = s->get<bool>();
  r.code = r.success ? Reason::kNone : Reason::kUnknown;
  if (auto s = j->find("code"); s != j->end() && s->is_string())
    if (auto c = reason_from_code(s->get_ref<const std::string&>())) r.code = *c;
  auto shares = [&](const char* name, std::vector<ShareIdx>& to) -> Result<void, std::string> {
    auto a = j->find(name);
    if (a == j->end()) return {};
    if (!a->is_array() || a->size() > 1024) return std::unexpected(std::string(name) + ": expected share indices");
    for (const auto& x : *a) {
      auto v = small_u32(x);
      if (!v || *v == 0) return std::unexpected(std::string(name) + ": expected share indices");
      to.push_back(ShareIdx{*v});
    }
    return {};
  };
  if (auto s = shares("missing", r.missing); !s) return std::unexpected(s.error());
  if (auto s = shares("blamed", r.blamed); !s) return std::unexpected(s.error());
  if (auto v = j->find("validators"); v != j->end() && v->is_number_unsigned())
    res.validators = static_cast<std::size_t>(std::min<std::uint64_t>(v->get<std::uint64_t>(), 1u << 30));
  if (auto v = j->find("consensus_ms"); v != j->end()) res.consensus = from_ms(*v);
  if (auto v = j->find("e2e_ms"); v != j->end()) res.partial_to_submit = from_ms(*v);
  if (auto v = j->find("finished_ms"); v != j->end()) r.finished = from_ms(*v).value_or(Duration{0});
  if (auto v = j->find("round"); v != j->end()) r.round = small_u32(*v).value_or(0);
  if (auto v = j->find("round_decided"); v != j->end() && v->is_boolean()) r.round_decided = v->get<bool>();
  if (auto tl = j->find("timeline"); tl != j->end()) {
    if (!tl->is_array()) return std::unexpected(std::string("timeline: expected an array"));
    for (const auto& e : *tl) {
      if (r.timeline.size() >= 256) break;
      if (!e.is_object() || !e.contains("t_ms") || !e.contains("event") || !e["event"].is_string())
        return std::unexpected(std::string("timeline: expected {\"t_ms\",\"event\"} entries"));
      auto ev = event_from_string(e["event"].get_ref<const std::string&>());
      auto at = from_ms(e["t_ms"]);
      if (!ev || !at) return std::unexpected(std::string("timeline: unknown event or bad t_ms"));
      TimelineEvent te{*at, *ev, 0};
      if (e.contains("share")) te.share = small_u32(e["share"]).value_or(0);
      r.timeline.push_back(te);
    }
  }
  if (auto ps = j->find("partials"); ps != j->end()) {
    if (!ps->is_array()) return std::unexpected(std::string("partials: expected an array"));
    for (const auto& p : *ps) {
      if (r.partials.size() >= 1024) break;
      if (!p.is_object() || !p.contains("share") || !p.contains("t_ms"))
        return std::unexpected(std::string("partials: expected {\"share\",\"t_ms\"} entries"));
      auto share = small_u32(p["share"]);
      auto at = from_ms(p["t_ms"]);
      if (!share || *share == 0 || !at) return std::unexpected(std::string("partials: bad share or t_ms"));
      PartialArrival a{ShareIdx{*share}, *at, 0, false};
      if (p.contains("count")) a.count = small_u32(p["count"]).value_or(0);
      if (p.contains("late") && p["late"].is_boolean()) a.late = p["late"].get<bool>();
      r.partials.push_back(a);
    }
  }
  return res;
}

void DutyLog::add(DutyResult r) {
  const Duty duty = r.report.duty;
  if (!r.report.success) {
    const auto t = static_cast<std::size_t>(duty.type);
    const auto c = static_cast<std::size_t>(r.report.code);
    if (t < failures_.size() && c < kReasonCount) ++failures_[t][c];
  }
  auto [it, added] = by_duty_.insert_or_assign(duty, std::move(r));
  if (!added) order_.erase(std::find(order_.begin(), order_.end(), duty));
  order_.push_back(duty);
  while (order_.size() > capacity_) {
    by_duty_.erase(order_.front());
    order_.pop_front();
  }
}

bool DutyLog::on_late_partial(const Duty& duty, ShareIdx share, Duration offset) {
  auto it = by_duty_.find(duty);
  if (it == by_duty_.end()) return false;
  auto& partials = it->second.report.partials;
  for (auto& p : partials) {
    if (p.share != share) continue;
    if (p.late) ++p.count;
    return false;
  }
  partials.push_back(PartialArrival{share, offset, 1, true});
  return true;
}

const DutyResult* DutyLog::find(const Duty& duty) const {
  auto it = by_duty_.find(duty);
  return it == by_duty_.end() ? nullptr : &it->second;
}

std::vector<const DutyResult*> DutyLog::query(const DutyQuery& q) const {
  std::vector<const DutyResult*> out;
  // Newest first while collecting (the limit keeps the newest), then back in ascending order.
  auto begin = q.to_slot ? by_duty_.upper_bound(Duty{Slot{q.to_slot->value}, DutyType::kSyncContribution, 99})
                         : by_duty_.end();
  for (auto it = std::make_reverse_iterator(begin); it != by_duty_.rend() && out.size() < q.limit; ++it) {
    if (q.from_slot && it->first.slot.value < q.from_slot->value) break;
    if (matches(q, it->second)) out.push_back(&it->second);
  }
  std::reverse(out.begin(), out.end());
  return out;
}

std::optional<Slot> DutyLog::oldest_slot() const {
  if (by_duty_.empty()) return std::nullopt;
  return by_duty_.begin()->first.slot;
}

}  // namespace phx::core
