// Building the explanation of a finished duty: verdict, named operators, next action, timeline, partials.
#include "core/explain.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>

#include "consensus/qbft/leader.hpp"
#include "core/codec.hpp"
#include "core/scheduler.hpp"

namespace phx::core {

using ssz::Json;

namespace {

double ms(Duration d) {
  return std::round(std::chrono::duration<double, std::milli>(d).count() * 1000.0) / 1000.0;
}

const PeerView* peer(const ExplainContext& ctx, OperatorIdx op) {
  return op.value < ctx.peers.size() ? &ctx.peers[op.value] : nullptr;
}

const PartialArrival* arrival(const DutyReport& r, ShareIdx s) {
  for (const auto& p : r.partials)
    if (p.share == s) return &p;
  return nullptr;
}

/// "operator 2" / "operators 1, 3".
std::string operator_list(const std::vector<OperatorIdx>& ops) {
  std::string out = ops.size() == 1 ? "operator " : "operators ";
  for (std::size_t i = 0; i < ops.size(); ++i) {
    if (i != 0) out += ", ";
    out += std::to_string(ops[i].value);
  }
  return out;
}

/// What is known of a peer now, for the next action: "disconnected" / "connected (rtt 12 ms)".
std::string peer_state(const ExplainContext& ctx, OperatorIdx op) {
  const PeerView* p = peer(ctx, op);
  if (p == nullptr) return "state unknown";
  if (!p->connected) return "not connected now";
  std::string out = "connected now";
  char buf[64];
  if (p->rtt_ms) {
    std::snprintf(buf, sizeof buf, ", rtt %.0f ms", *p->rtt_ms);
    out += buf;
  }
  if (p->clock_offset_ms && std::abs(*p->clock_offset_ms) >= 200) {
    std::snprintf(buf, sizeof buf, ", clock off by %.0f ms", *p->clock_offset_ms);
    out += buf;
  }
  return out;
}

}  // namespace

const char* to_string(Outcome o) {
  switch (o) {
    case Outcome::kSuccess:
      return "success";
    case Outcome::kFailed:
      return "failed";
    case Outcome::kExpected:
      return "expected";
  }
  return "unknown";
}

std::optional<Outcome> outcome_from_string(std::string_view name) {
  for (auto o : {Outcome::kSuccess, Outcome::kFailed, Outcome::kExpected})
    if (name == to_string(o)) return o;
  return std::nullopt;
}

Outcome outcome_of(const DutyReport& r) {
  if (r.success) return Outcome::kSuccess;
  return r.expected ? Outcome::kExpected : Outcome::kFailed;
}

std::string offset_text(Duration d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%+.3f", std::chrono::duration<double>(d).count());
  return buf;
}

OperatorIdx round_leader(const Duty& duty, std::uint32_t round, std::uint32_t n) {
  const Bytes id = encode_duty(duty);
  return consensus::qbft::leader(id, std::max<std::uint32_t>(round, 1), std::max<std::uint32_t>(n, 1));
}

std::vector<OperatorIdx> named_operators(const DutyResult& res, const ExplainContext& ctx) {
  const DutyReport& r = res.report;
  const Reason code = r.success ? Reason::kNone : r.code;
  std::set<std::uint32_t> out;
  const std::uint32_t self_op = ctx.self.value - 1;
  auto disconnected = [&] {
    for (std::uint32_t i = 0; i < ctx.peers.size(); ++i)
      if (i != self_op && !ctx.peers[i].connected) out.insert(i);
  };
  switch (code) {
    case Reason::kNoPeerPartials:
    case Reason::kInsufficientPeerPartials:
      for (std::uint32_t s = 1; s <= ctx.share_count; ++s)
        if (s != ctx.self.value && arrival(r, ShareIdx{s}) == nullptr) out.insert(s - 1);
      break;
    case Reason::kInvalidPeerPartials:
      for (const ShareIdx s : r.blamed)
        if (s.value >= 1 && s.value <= ctx.share_count) out.insert(s.value - 1);
      break;
    case Reason::kNoConsensus:
      // The leaders of the rounds that passed without a decision, and the peers that are not connected.
      for (std::uint32_t round = 1; round <= std::min<std::uint32_t>(r.round, 16); ++round) {
        const OperatorIdx l = round_leader(r.duty, round, ctx.share_count);
        if (l.value != self_op) out.insert(l.value);
      }
      disconnected();
      break;
    case Reason::kSubmitNotDecided:
      disconnected();
      break;
    default:
      break;
  }
  std::vector<OperatorIdx> v;
  for (auto i : out) v.push_back(OperatorIdx{i});
  return v;
}

Json duty_summary(const DutyResult& res) {
  const DutyReport& r = res.report;
  Json o = Json::object();
  o["slot"] = r.duty.slot.value;
  o["type"] = to_string(r.duty.type);
  if (is_per_subcommittee(r.duty.type)) o["subcommittee"] = r.duty.subcommittee;
  o["outcome"] = to_string(outcome_of(r));
  o["failed_step"] = r.failed_step ? Json(to_string(*r.failed_step)) : Json();
  const Reason code = r.success ? Reason::kNone : r.code;
  o["reason"] = reason_info(code).code;
  o["verdict"] = to_string(reason_info(code).verdict);
  o["validators"] = res.validators;
  Json missing = Json::array();
  for (const ShareIdx s : r.missing) missing.push_back(s.value);
  o["missing_shares"] = std::move(missing);
  Json blamed = Json::array();
  for (const ShareIdx s : r.blamed) blamed.push_back(s.value);
  o["blamed_shares"] = std::move(blamed);
  return o;
}

Json explain_duty(const DutyResult& res, const ExplainContext& ctx) {
  const DutyReport& r = res.report;
  const Reason code = r.success ? Reason::kNone : r.code;
  const ReasonInfo& info = reason_info(code);
  const std::uint32_t n = std::max<std::uint32_t>(ctx.share_count, 1);
  const std::uint32_t self_op = ctx.self.value - 1;
  Json out = Json::object();
  Json duty = Json::object();
  duty["slot"] = r.duty.slot.value;
  duty["type"] = to_string(r.duty.type);
  if (is_per_subcommittee(r.duty.type)) duty["subcommittee"] = r.duty.subcommittee;
  duty["id"] = to_string(r.duty);
  out["duty"] = std::move(duty);
  out["outcome"] = to_string(outcome_of(r));
  out["last_step"] = to_string(r.last_step);
  out["failed_step"] = r.failed_step ? Json(to_string(*r.failed_step)) : Json();
  Json reason = Json::object();
  reason["code"] = info.code;
  reason["text"] = info.text;
  if (!r.reason.empty()) reason["detail"] = r.reason;
  out["reason"] = std::move(reason);
  out["verdict"] = to_string(info.verdict);
  const std::vector<OperatorIdx> named = named_operators(res, ctx);
  Json named_j = Json::array();
  for (const OperatorIdx o : named) named_j.push_back(o.value);
  out["operators_named"] = std::move(named_j);

  std::string action = info.action;
  if (!named.empty()) {
    action += " Named: " + operator_list(named) + " (";
    for (std::size_t i = 0; i < named.size(); ++i) {
      if (i != 0) action += "; ";
      action += std::to_string(named[i].value) + ": " + peer_state(ctx, named[i]);
    }
    action += ").";
  }
  out["next_action"] = action;

  // Partials: the first arrival decides the reference for "delay".
  std::optional<Duration> first;
  for (const auto& p : r.partials)
    if (!p.late && (!first || p.offset < *first)) first = p.offset;
  Json ops = Json::array();
  for (std::uint32_t i = 0; i < n; ++i) {
    const ShareIdx share{i + 1};
    Json o = Json::object();
    o["idx"] = i;
    o["share_idx"] = share.value;
    if (i == self_op) o["self"] = true;
    const PartialArrival* a = arrival(r, share);
    const bool blamed = std::find(r.blamed.begin(), r.blamed.end(), share) != r.blamed.end();
    if (blamed) {
      o["partial"] = "blamed";
    } else if (a == nullptr) {
      o["partial"] = r.last_step >= Step::kDecided || r.success ? "missing" : "not_due";
    } else if (a->late) {
      o["partial"] = "late";
      o["late_ms"] = ms(a->offset - r.finished);
    } else {
      o["partial"] = "ok";
    }
    if (a != nullptr) {
      o["t"] = offset_text(a->offset);
      o["t_ms"] = ms(a->offset);
      if (first) o["delay_ms"] = ms(a->offset - *first);
      o["validators"] = a->count;
    }
    if (const PeerView* p = peer(ctx, OperatorIdx{i}); p != nullptr && i != self_op) {
      o["connected"] = p->connected;
      if (p->rtt_ms) o["rtt_ms"] = *p->rtt_ms;
      if (p->clock_offset_ms) o["clock_offset_ms"] = *p->clock_offset_ms;
    }
    ops.push_back(std::move(o));
  }

  // Timeline: slot start, the tracker's events, late partials; each with its offset.
  struct Row {
    Duration t;
    Json j;
  };
  std::vector<Row> rows;
  auto row = [&](Duration t, const char* event) {
    Json j = Json::object();
    j["t"] = offset_text(t);
    j["t_ms"] = ms(t);
    j["event"] = event;
    rows.push_back(Row{t, std::move(j)});
    return &rows.back().j;
  };
  row(Duration{0}, "slot_start");
  for (const auto& e : r.timeline) {
    Json* j = row(e.offset, to_string(e.event));
    if (e.share != 0) {
      (*j)["operator"] = e.share - 1;
      (*j)["share"] = e.share;
      if (e.event == Event::kPartialIn && first) (*j)["delay_ms"] = ms(e.offset - *first);
    }
    if (e.event == Event::kConsensusStart) (*j)["leader"] = round_leader(r.duty, 1, n).value;
    if (e.event == Event::kDecided && r.round != 0 && r.round_decided) {
      (*j)["round"] = r.round;
      (*j)["leader"] = round_leader(r.duty, r.round, n).value;
    }
    if (e.event == Event::kFailure || e.event == Event::kDeadline) (*j)["reason"] = info.code;
  }
  // Round changes happen at the round timer's deadlines (since the slot start, the same on every node).
  const std::uint32_t rounds_shown = std::min<std::uint32_t>(r.round, 16);
  // Same origin as the consensus adapter: the tick of the duty type (SlotClock::tick_time).
  const Duration origin = ctx.slot_duration / 3 * static_cast<int>(tick_of(r.duty.type));
  auto round_end = [&](std::uint32_t round) {
    return origin + std::chrono::duration_cast<Duration>(std::chrono::nanoseconds(
                        std::min<std::uint64_t>(ctx.round_timer.deadline_ns(round), std::uint64_t{1} << 62)));
  };
  for (std::uint32_t round = 1; round < rounds_shown; ++round) {
    Json* j = row(round_end(round), "round_change");
    (*j)["round"] = round + 1;
    (*j)["leader"] = round_leader(r.duty, round + 1, n).value;
  }
  for (const auto& p : r.partials) {
    if (!p.late) continue;
    Json* j = row(p.offset, "partial_in");
    (*j)["operator"] = p.share.value - 1;
    (*j)["share"] = p.share.value;
    (*j)["late"] = true;
  }
  std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.t < b.t; });
  Json timeline = Json::array();
  for (auto& rw : rows) timeline.push_back(std::move(rw.j));
  out["timeline"] = std::move(timeline);
  out["operators"] = std::move(ops);

  Json cons = Json::object();
  if (r.round != 0) {
    cons["round"] = r.round;
    cons["decided"] = r.round_decided;
    Json rounds = Json::array();
    for (std::uint32_t round = 1; round <= rounds_shown; ++round) {
      Json o = Json::object();
      o["round"] = round;
      o["leader"] = round_leader(r.duty, round, n).value;
      o["start"] = offset_text(round == 1 ? origin : round_end(round - 1));
      o["timeout"] = offset_text(round_end(round));
      o["outcome"] = round == r.round ? (r.round_decided ? "decided" : "current") : "timed_out";
      rounds.push_back(std::move(o));
    }
    cons["rounds"] = std::move(rounds);
  } else {
    cons["round"] = Json();
  }
  if (res.consensus) cons["duration_ms"] = ms(*res.consensus);
  out["consensus"] = std::move(cons);
  out["validators"] = res.validators;
  out["finished"] = offset_text(r.finished);
  if (res.partial_to_submit) out["e2e_ms"] = ms(*res.partial_to_submit);
  out["onchain"] = Json::object({{"checked", false}});
  return out;
}

}  // namespace phx::core
