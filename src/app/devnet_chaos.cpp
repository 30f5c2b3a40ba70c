// `phalanx devnet --chaos`: fault schedule, faulty beacon-node proxy, the runner and the chaos verdict.
#include "app/devnet_chaos.hpp"

#include <signal.h>

#include <algorithm>
#include <boost/asio/this_coro.hpp>
#include <cstdio>
#include <set>

#include "beaconapi/http/client.hpp"
#include "beaconapi/http/server.hpp"
#include "consensus/qbft/leader.hpp"
#include "core/codec.hpp"
#include "core/deadliner.hpp"
#include "core/scheduler.hpp"

namespace phx::app {

namespace http = beaconapi::http;
using runtime::Task;
using std::chrono::milliseconds;

std::string_view to_string(ChaosKind k) {
  switch (k) {
    case ChaosKind::kKill:
      return "kill";
    case ChaosKind::kFreeze:
      return "freeze";
    case ChaosKind::kBnDown:
      return "bn-down";
    case ChaosKind::kBnSlow:
      return "bn-slow";
    case ChaosKind::kBnErrors:
      return "bn-errors";
    case ChaosKind::kBnSyncing:
      return "bn-syncing";
    case ChaosKind::kBnLying:
      return "bn-lying";
    case ChaosKind::kClockSkew:
      return "clock-skew";
    case ChaosKind::kIsolate:
      return "isolate";
    case ChaosKind::kSplit:
      return "split";
  }
  return "?";
}

bool is_net_kind(ChaosKind k) { return k == ChaosKind::kIsolate || k == ChaosKind::kSplit; }

std::optional<ChaosKind> chaos_kind_from_string(std::string_view s) {
  for (auto k : kAllChaosKinds)
    if (to_string(k) == s) return k;
  for (auto k : kNetChaosKinds)
    if (to_string(k) == s) return k;
  return std::nullopt;
}

Result<std::vector<ChaosKind>, std::string> parse_chaos_kinds(std::string_view text, bool net) {
  if (text == "all") {
    std::vector<ChaosKind> all(std::begin(kAllChaosKinds), std::end(kAllChaosKinds));
    if (net) all.insert(all.end(), std::begin(kNetChaosKinds), std::end(kNetChaosKinds));
    return all;
  }
  std::vector<ChaosKind> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto end = text.find(',', start);
    auto item = text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    auto k = chaos_kind_from_string(item);
    if (!k) {
      std::string all;
      for (auto a : kAllChaosKinds) all += (all.empty() ? "" : ", ") + std::string(to_string(a));
      for (auto a : kNetChaosKinds) all += ", " + std::string(to_string(a));
      return std::unexpected("unknown chaos fault \"" + std::string(item) + "\", expected all or some of " +
                             all);
    }
    if (std::find(out.begin(), out.end(), *k) != out.end())
      return std::unexpected("chaos fault \"" + std::string(item) + "\" listed twice");
    out.push_back(*k);
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// The schedule.

namespace {

/// splitmix64: a fixed generator, so that a seed gives the same schedule with every standard library.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : s_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (s_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  /// Uniform in [0, n) (n > 0; the modulo bias is irrelevant for a schedule).
  std::uint64_t below(std::uint64_t n) { return next() % n; }
  milliseconds ms_below(milliseconds n) {
    return milliseconds(
        static_cast<std::int64_t>(below(static_cast<std::uint64_t>(std::max<std::int64_t>(n.count(), 1)))));
  }

 private:
  std::uint64_t s_;
};

}  // namespace

std::vector<ChaosFault> plan_chaos(const ChaosPlanOptions& o) {
  std::vector<ChaosFault> out;
  if (o.threshold >= o.nodes || o.kinds.empty() || o.slots == 0) return out;
  const std::uint32_t f = o.nodes - o.threshold;
  const milliseconds slot = o.slot_duration;
  const auto total = slot * static_cast<std::int64_t>(o.slots);
  // Every fault is lifted, and its node has recovered, before the last slot.
  const auto last_end = total - slot * static_cast<std::int64_t>(o.recovery_slots + 1);
  Rng rng(o.seed);
  std::vector<ChaosKind> deck;
  auto deal = [&] {
    if (deck.empty()) {
      deck = o.kinds;
      for (std::size_t i = deck.size(); i > 1; --i) std::swap(deck[i - 1], deck[rng.below(i)]);
    }
    auto k = deck.back();
    deck.pop_back();
    return k;
  };
  std::vector<milliseconds> next(f);
  std::vector<std::optional<std::uint32_t>> prev(f);
  std::vector<bool> done(f, false);
  for (std::uint32_t l = 0; l < f; ++l)
    next[l] = slot * static_cast<std::int64_t>(o.warmup_slots) + rng.ms_below(slot);
  for (;;) {
    // The lane whose next fault starts first (ties: the lower lane).
    std::optional<std::uint32_t> lane;
    for (std::uint32_t l = 0; l < f; ++l)
      if (!done[l] && (!lane || next[l] < next[*lane])) lane = l;
    if (!lane) break;
    const std::uint32_t l = *lane;
    ChaosFault fault;
    fault.kind = deal();
    fault.lane = l;
    std::vector<std::uint32_t> nodes;
    for (std::uint32_t i = l; i < o.nodes; i += f) nodes.push_back(i);
    // A different node than the lane's last one when the lane has several.
    if (nodes.size() > 1 && prev[l])
      nodes.erase(std::remove(nodes.begin(), nodes.end(), *prev[l]), nodes.end());
    fault.node = nodes[rng.below(nodes.size())];
    fault.start = next[l];
    const auto length = fault.kind == ChaosKind::kKill      ? slot / 2 + rng.ms_below(slot)
                        : fault.kind == ChaosKind::kIsolate ? slot * 2 + rng.ms_below(slot * 2)
                                                            : slot + rng.ms_below(slot * 3 / 2);
    if (fault.kind == ChaosKind::kSplit) fault.cluster_nodes = o.nodes;
    fault.end = fault.start + length;
    if (fault.kind == ChaosKind::kClockSkew) {
      static constexpr std::int64_t kOffsets[] = {500, -500, 2000, -2000};
      fault.clock_offset = milliseconds(kOffsets[rng.below(4)]);
    }
    if (fault.end > last_end) {
      done[l] = true;
      continue;
    }
    prev[l] = fault.node;
    next[l] = fault.end + slot * static_cast<std::int64_t>(o.recovery_slots) + rng.ms_below(slot / 2);
    out.push_back(fault);
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const ChaosFault& a, const ChaosFault& b) { return a.start < b.start; });
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// The verdict.

std::vector<std::uint32_t> disrupted_per_slot(const std::vector<ChaosEpisode>& episodes, std::uint64_t slots,
                                              milliseconds slot_duration) {
  auto nodes = disrupted_nodes_per_slot(episodes, slots, slot_duration);
  std::vector<std::uint32_t> out(slots);
  for (std::uint64_t s = 0; s < slots; ++s) out[s] = static_cast<std::uint32_t>(nodes[s].size());
  return out;
}

std::vector<std::set<std::uint32_t>> disrupted_nodes_per_slot(const std::vector<ChaosEpisode>& episodes,
                                                              std::uint64_t slots,
                                                              milliseconds slot_duration) {
  std::vector<std::set<std::uint32_t>> nodes(slots);
  const auto slot_of = [&](milliseconds t) {
    return t.count() < 0 ? std::uint64_t{0} : static_cast<std::uint64_t>(t / slot_duration);
  };
  for (const auto& e : episodes) {
    if (!e.began) continue;
    const std::uint64_t first = slot_of(*e.began);
    const std::uint64_t last = e.recovered ? slot_of(*e.recovered) + 1 : slots;
    for (std::uint64_t s = first; s <= last && s < slots; ++s) {
      nodes[s].insert(e.fault.node);
      if (e.fault.kind == ChaosKind::kSplit)
        for (std::uint32_t n = 0; n < e.fault.cluster_nodes; ++n) nodes[s].insert(n);
    }
  }
  return nodes;
}

bool ChaosSummary::asserts(const std::string& kind, std::uint64_t slot) const {
  if (slot >= covered.size() || !covered[slot]) return false;
  auto it = excused.find(kind);
  return it == excused.end() || slot >= it->second.size() || !it->second[slot];
}

namespace {

std::string fmt_ms(milliseconds t) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1fs", static_cast<double>(t.count()) / 1000.0);
  return buf;
}

}  // namespace

ChaosSummary summarize_chaos(const ChaosInputs& in) {
  ChaosSummary out;
  const std::uint32_t f = in.nodes > in.threshold ? in.nodes - in.threshold : 0;
  for (const auto& e : in.episodes)
    if (e.began) ++out.faults_by_kind[std::string(to_string(e.fault.kind))];
  auto disrupted = disrupted_nodes_per_slot(in.episodes, in.slots, in.slot_duration);
  out.covered.resize(in.slots);
  for (std::uint64_t s = 0; s < in.slots; ++s) {
    out.covered[s] = disrupted[s].size() <= f;
    if (out.covered[s]) ++out.covered_slots;
  }
  for (const auto& [kind, leaders] : in.round1_leaders) {
    auto& ex = out.excused[kind];
    ex.assign(in.slots, false);
    for (std::uint64_t s = 0; s < in.slots && s < leaders.size(); ++s)
      for (auto l : leaders[s]) ex[s] = ex[s] || disrupted[s].contains(l);
  }
  // Completed per (slot, duty type): the largest validator count any node reported; then summed per kind.
  std::map<std::pair<std::uint64_t, std::string>, std::uint64_t> best;
  for (const auto& lines : in.node_lines)
    for (const auto& l : lines)
      if (l.success && l.slot < in.slots && !sim_kind_of_duty(l.duty).empty()) {
        auto& b = best[{l.slot, l.duty}];
        b = std::max(b, l.validators);
      }
  std::map<std::string, std::vector<std::uint64_t>> completed;
  for (const auto& [k, v] : in.expected_per_slot) completed[k].assign(in.slots, 0);
  for (const auto& [key, count] : best) {
    auto kind = std::string(sim_kind_of_duty(key.second));
    if (auto it = completed.find(kind); it != completed.end()) it->second[key.first] += count;
  }
  std::vector<std::string> shortfalls;
  std::uint64_t asserted_expected = 0, asserted_completed = 0;
  for (const auto& [kind, expected] : in.expected_per_slot) {
    ChaosSummary::Row row;
    row.duty = kind;
    std::vector<std::uint64_t> short_slots;
    for (std::uint64_t s = 0; s < in.slots && s < expected.size(); ++s) {
      const auto done = std::min(completed[kind][s], expected[s]);
      row.expected_all += expected[s];
      row.completed_all += done;
      if (!out.covered[s]) continue;
      if (!out.asserts(kind, s)) {
        row.excused += expected[s];
        continue;
      }
      row.expected_covered += expected[s];
      row.completed_covered += done;
      if (done < expected[s]) short_slots.push_back(s);
    }
    if (!short_slots.empty()) {
      std::string list;
      for (std::size_t i = 0; i < short_slots.size() && i < 10; ++i)
        list += (i ? ", " : "") + std::to_string(short_slots[i]);
      if (short_slots.size() > 10) list += ", …";
      shortfalls.push_back("chaos: " + kind + " duties missing in " + std::to_string(short_slots.size()) +
                             " slot(s) with at most f = " + std::to_string(f) +
                             " node(s) disrupted and no disrupted round-1 leader: slots " + list);
    }
    asserted_expected += row.expected_covered;
    asserted_completed += row.completed_covered;
    out.rows.push_back(std::move(row));
  }
  const bool tolerated = static_cast<double>(asserted_expected - asserted_completed) <=
                         in.missing_tolerance * static_cast<double>(asserted_expected);
  for (auto& m : shortfalls) (tolerated ? out.warnings : out.problems).push_back(std::move(m));
  // Recovery of each lifted fault: slots until the node's own report shows a successful duty again.
  std::vector<double> ready_ms;
  std::vector<std::uint64_t> rec_slots;
  for (const auto& e : in.episodes) {
    if (!e.error.empty())
      out.problems.push_back("chaos: " + std::string(to_string(e.fault.kind)) + " of node " +
                             std::to_string(e.fault.node) + ": " + e.error);
    if (!e.lifted) continue;
    const auto lifted_slot =
        static_cast<std::uint64_t>(std::max<std::int64_t>(0, *e.lifted / in.slot_duration));
    std::optional<std::uint64_t> first;
    for (std::size_t n = 0; n < in.node_lines.size(); ++n) {
      if (n != e.fault.node && e.fault.kind != ChaosKind::kSplit) continue;
      for (const auto& l : in.node_lines[n])
        if (l.success && l.slot >= lifted_slot && !sim_kind_of_duty(l.duty).empty() &&
            (!first || l.slot < *first))
          first = l.slot;
    }
    out.recovery_slots.push_back(first ? std::optional<std::uint64_t>(*first - lifted_slot) : std::nullopt);
    if (first) {
      rec_slots.push_back(*first - lifted_slot);
      out.recovery_slots_by_kind[std::string(to_string(e.fault.kind))].push_back(*first - lifted_slot);
    }
    if (e.recovered) {
      out.recovery_ms.push_back(static_cast<double>((*e.recovered - *e.lifted).count()));
      ready_ms.push_back(out.recovery_ms.back().value());
    } else {
      out.recovery_ms.push_back(std::nullopt);
      if (first)
        continue;  // its duties came back; the readiness probe just never saw it (e.g. the run ended)
      out.problems.push_back("chaos: node " + std::to_string(e.fault.node) + " never recovered after its " +
                             std::string(to_string(e.fault.kind)) + " was lifted at " + fmt_ms(*e.lifted));
    }
  }
  // Text and JSON.
  std::string t = "chaos: " +
                  std::to_string(std::count_if(in.episodes.begin(), in.episodes.end(),
                                               [](const ChaosEpisode& e) { return e.began.has_value(); })) +
                  " faults (";
  bool first_kind = true;
  for (const auto& [k, n] : out.faults_by_kind) {
    t += (first_kind ? "" : ", ") + k + " " + std::to_string(n);
    first_kind = false;
  }
  t += "); " + std::to_string(out.covered_slots) + " of " + std::to_string(in.slots) +
       " slots had at most f = " + std::to_string(f) +
       " node(s) disrupted: their duties must complete, but for those whose round-1 leader was " +
       "disrupted and whose round change ends past the deadline (excused)\n";
  for (const auto& r : out.rows) {
    char line[200];
    const double pa = r.expected_all
                          ? 100.0 * static_cast<double>(r.completed_all) / static_cast<double>(r.expected_all)
                          : 100.0;
    const double pc = r.expected_covered ? 100.0 * static_cast<double>(r.completed_covered) /
                                               static_cast<double>(r.expected_covered)
                                         : 100.0;
    std::snprintf(
        line, sizeof line,
        "  %-14s all slots %5llu/%-5llu (%6.2f %%)   asserted %5llu/%-5llu (%6.2f %%)   excused %llu\n",
        r.duty.c_str(), static_cast<unsigned long long>(r.completed_all),
        static_cast<unsigned long long>(r.expected_all), pa,
        static_cast<unsigned long long>(r.completed_covered),
        static_cast<unsigned long long>(r.expected_covered), pc, static_cast<unsigned long long>(r.excused));
    t += line;
  }
  auto rp = percentiles(ready_ms);
  std::vector<double> rs(rec_slots.begin(), rec_slots.end());
  auto sp = percentiles(rs);
  char line[240];
  std::snprintf(
      line, sizeof line,
      "  recovery after restart/thaw/heal: node ready p50 %.0f ms, max %.0f ms (n=%zu); its duties succeed "
      "again after p50 %.0f, max %.0f slots (n=%zu)\n",
      rp.p50, rp.max, rp.count, sp.p50, sp.max, sp.count);
  t += line;
  ssz::Json by_kind = ssz::Json::object();
  for (const auto& [kind, v] : out.recovery_slots_by_kind) {
    auto kp = percentiles(std::vector<double>(v.begin(), v.end()));
    by_kind[kind] = {{"count", kp.count}, {"p50", kp.p50}, {"max", kp.max}};
    if (!is_net_kind(*chaos_kind_from_string(kind))) continue;
    std::snprintf(line, sizeof line, "  after %s heals: duties succeed again after p50 %.0f, max %.0f slots (n=%zu)\n",
                  kind.c_str(), kp.p50, kp.max, kp.count);
    t += line;
  }
  for (const auto& e : in.episodes) {
    if (!e.began) continue;
    t += "  " + fmt_ms(*e.began) + " " + std::string(to_string(e.fault.kind)) + " node " +
         std::to_string(e.fault.node);
    if (e.fault.kind == ChaosKind::kClockSkew)
      t += " (" + std::to_string(e.fault.clock_offset.count()) + " ms)";
    t += e.lifted ? " lifted " + fmt_ms(*e.lifted) : std::string(" never lifted");
    t += e.recovered ? ", recovered " + fmt_ms(*e.recovered) : std::string(", not seen recovered");
    if (!e.error.empty()) t += " — " + e.error;
    t += "\n";
  }
  out.text = std::move(t);
  ssz::Json j = ssz::Json::object();
  ssz::Json kinds = ssz::Json::object();
  for (const auto& [k, n] : out.faults_by_kind) kinds[k] = n;
  j["faults_by_kind"] = std::move(kinds);
  j["f"] = f;
  j["covered_slots"] = out.covered_slots;
  j["slots"] = in.slots;
  ssz::Json rows = ssz::Json::array();
  for (const auto& r : out.rows)
    rows.push_back({{"duty", r.duty},
                    {"expected_all", r.expected_all},
                    {"completed_all", r.completed_all},
                    {"expected_covered", r.expected_covered},
                    {"completed_covered", r.completed_covered},
                    {"excused", r.excused}});
  j["duties"] = std::move(rows);
  j["recovery_ready_ms"] = {{"count", rp.count}, {"p50", rp.p50}, {"p90", rp.p90}, {"max", rp.max}};
  j["recovery_slots"] = {{"count", sp.count}, {"p50", sp.p50}, {"p90", sp.p90}, {"max", sp.max}};
  j["recovery_slots_by_kind"] = std::move(by_kind);
  ssz::Json eps = ssz::Json::array();
  for (std::size_t i = 0, r = 0; i < in.episodes.size(); ++i) {
    const auto& e = in.episodes[i];
    if (!e.began) continue;
    ssz::Json x = {{"kind", std::string(to_string(e.fault.kind))},
                   {"node", e.fault.node},
                   {"scheduled_ms", {e.fault.start.count(), e.fault.end.count()}},
                   {"began_ms", e.began->count()}};
    if (e.fault.kind == ChaosKind::kClockSkew) x["clock_offset_ms"] = e.fault.clock_offset.count();
    x["lifted_ms"] = e.lifted ? ssz::Json(e.lifted->count()) : ssz::Json();
    x["recovered_ms"] = e.recovered ? ssz::Json(e.recovered->count()) : ssz::Json();
    if (e.lifted) {
      x["recovery_slots"] = out.recovery_slots[r] ? ssz::Json(*out.recovery_slots[r]) : ssz::Json();
      ++r;
    }
    if (!e.error.empty()) x["error"] = e.error;
    eps.push_back(std::move(x));
  }
  j["episodes"] = std::move(eps);
  ssz::Json uncovered = ssz::Json::array();
  for (std::uint64_t s = 0; s < in.slots; ++s)
    if (!out.covered[s]) uncovered.push_back(s);
  j["uncovered_slots"] = std::move(uncovered);
  out.json = std::move(j);
  return out;
}

std::map<std::string, std::vector<std::vector<std::uint32_t>>> round1_leaders_of_late_kinds(
    const eth::ChainConfig& chain, std::uint32_t nodes, std::uint64_t slot_count) {
  std::map<std::string, std::vector<std::vector<std::uint32_t>>> out;
  const auto round2_end = std::chrono::nanoseconds(consensus::qbft::RoundTimer{}.deadline_ns(2));
  const core::SlotClock slots(chain);
  ManualClock clock;
  core::DeadlinePolicy policy;  // the workflow's: a third of a slot after the slot
  policy.margin = std::chrono::duration_cast<Duration>(std::chrono::seconds(chain.seconds_per_slot)) / 3;
  const core::Deadliner deadliner(chain, clock, policy);
  struct Kind {
    const char* name;
    core::DutyType type;
    std::uint64_t subcommittees;
    std::optional<core::DutyType> builds_on;
  };
  const Kind kinds[] = {
      {"attestation", core::DutyType::kAttester, 1, std::nullopt},
      {"proposal", core::DutyType::kProposer, 1, std::nullopt},
      {"aggregation", core::DutyType::kAggregator, 1, core::DutyType::kAttester},
      {"sync_message", core::DutyType::kSyncMessage, 1, std::nullopt},
      {"sync_contribution", core::DutyType::kSyncContribution, 4, core::DutyType::kSyncMessage}};
  // A round change of `of` ends after the deadline of `for_type`.
  auto too_late = [&](core::DutyType of, core::DutyType for_type) {
    const auto start = slots.tick_time(Slot{1}, core::tick_of(of));
    return start + round2_end + std::chrono::milliseconds(500) >
           deadliner.deadline(core::Duty{Slot{1}, for_type, 0});
  };
  auto leaders = [&](core::DutyType type, std::uint64_t subcommittees, std::uint64_t slot,
                     std::vector<std::uint32_t>& into) {
    for (std::uint64_t sub = 0; sub < subcommittees; ++sub) {
      const Bytes id = core::encode_duty(core::Duty{Slot{slot}, type, sub});
      into.push_back(consensus::qbft::leader(id, 1, nodes).value);
    }
  };
  for (const auto& k : kinds) {
    const bool own = too_late(k.type, k.type);
    const bool base = k.builds_on && too_late(*k.builds_on, k.type);
    if (!own && !base) continue;
    auto& per_slot = out[k.name];
    for (std::uint64_t s = 0; s < slot_count; ++s) {
      per_slot.emplace_back();
      if (own) leaders(k.type, k.subcommittees, s, per_slot.back());
      if (base) leaders(*k.builds_on, 1, s, per_slot.back());
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// The beacon-node proxy.

namespace {

std::string_view mode_name(BnMode m) {
  switch (m) {
    case BnMode::kHealthy:
      return "healthy";
    case BnMode::kDown:
      return "down";
    case BnMode::kSlow:
      return "slow";
    case BnMode::kErrors:
      return "errors";
    case BnMode::kSyncing:
      return "syncing";
    case BnMode::kLying:
      return "lying";
  }
  return "?";
}

bool starts_with(std::string_view s, std::string_view p) {
  return s.substr(0, p.size()) == p;
}

/// Validator endpoints, which a syncing beacon node refuses (503), as Lighthouse and Teku do.
bool validator_route(std::string_view path) {
  return starts_with(path, "/eth/v1/validator/") || starts_with(path, "/eth/v2/validator/") ||
         starts_with(path, "/eth/v3/validator/");
}

}  // namespace

BnFaultProxy::BnFaultProxy(runtime::Executor ex, const http::Router& upstream, std::uint16_t port,
                           std::string address)
    : ex_(ex), upstream_(upstream), port_(port), address_(std::move(address)) {
  // Every path of up to 12 segments, both methods: templates of parameters only match anything.
  std::string path;
  for (int depth = 1; depth <= 12; ++depth) {
    path += "/{s" + std::to_string(depth) + "}";
    for (auto m : {http::Method::kGet, http::Method::kPost})
      router_.add(m, path, [this](const http::Request& req, const http::PathParams&) { return handle(req); });
  }
}

BnFaultProxy::~BnFaultProxy() = default;

Result<void, std::string> BnFaultProxy::start() {
  http::ServerOptions so;
  so.port = port_;
  so.address = address_;
  server_ = std::make_unique<http::Server>(ex_, router_, so);
  if (auto s = server_->start(); !s) {
    server_.reset();
    return std::unexpected("beacon-node proxy on " + address_ + ":" + std::to_string(port_) + ": " +
                           s.error().message());
  }
  port_ = server_->port();
  return {};
}

Task<Result<void, std::string>> BnFaultProxy::set_mode(BnMode mode) {
  const BnMode old = mode_;
  mode_ = mode;
  if (mode == BnMode::kDown && server_) {
    co_await server_->stop();
    server_.reset();
  }
  if (old == BnMode::kDown && mode != BnMode::kDown && !server_) {
    // The port was ours a moment ago; a failed bind is reported and retried by nobody (the run will show it).
    co_return start();
  }
  co_return Result<void, std::string>{};
}

Task<void> BnFaultProxy::stop() {
  if (server_) co_await server_->stop();
  server_.reset();
}

Task<http::Response> BnFaultProxy::handle(const http::Request& req) {
  const BnMode mode = mode_;
  ++counts_[std::string(mode_name(mode))];
  switch (mode) {
    case BnMode::kHealthy:
    case BnMode::kDown:  // a request that was already in flight
      break;
    case BnMode::kSlow:
      co_await runtime::sleep_for(std::chrono::seconds(3));
      break;
    case BnMode::kErrors:
      co_return http::Response::error(503, "chaos: beacon node failing");
    case BnMode::kSyncing: {
      if (validator_route(req.path)) co_return http::Response::error(503, "beacon node is syncing");
      if (req.path == "/eth/v1/node/syncing") {
        auto r = co_await upstream_.dispatch(req);
        auto j = ssz::parse_json(r.body);
        if (r.status == 200 && j && j->contains("data") && (*j)["data"].is_object()) {
          (*j)["data"]["is_syncing"] = true;
          (*j)["data"]["sync_distance"] = "64";
          co_return http::Response::json(*j);
        }
        co_return r;
      }
      break;
    }
    case BnMode::kLying:
      if (req.path == "/eth/v1/validator/attestation_data") {
        // A beacon node on a minority fork: the same slot and head, another target checkpoint.
        auto r = co_await upstream_.dispatch(req);
        auto j = ssz::parse_json(r.body);
        if (r.status == 200 && j && j->contains("data") && (*j)["data"].contains("target") &&
            (*j)["data"]["target"].contains("root") && (*j)["data"]["target"]["root"].is_string()) {
          std::string root = (*j)["data"]["target"]["root"].get<std::string>();
          if (!root.empty()) root.back() = root.back() == '5' ? 'a' : '5';
          (*j)["data"]["target"]["root"] = root;
          co_return http::Response::json(*j);
        }
        co_return r;
      }
      break;
  }
  co_return co_await upstream_.dispatch(req);
}

// ---------------------------------------------------------------------------------------------------------
// The runner.

ChaosRunner::ChaosRunner(std::vector<ChaosFault> schedule, std::vector<BnFaultProxy*> proxies,
                         std::vector<std::string> monitoring_hosts, std::vector<std::uint16_t> monitoring_ports,
                         ChaosHooks hooks, const Clock& clock, TimePoint genesis, milliseconds slot_duration)
    : schedule_(std::move(schedule)),
      proxies_(std::move(proxies)),
      monitoring_hosts_(std::move(monitoring_hosts)),
      monitoring_ports_(std::move(monitoring_ports)),
      hooks_(std::move(hooks)),
      clock_(clock),
      genesis_(genesis),
      slot_duration_(slot_duration) {
  for (const auto& f : schedule_)
    episodes_.push_back(ChaosEpisode{f, std::nullopt, std::nullopt, std::nullopt, {}});
}

milliseconds ChaosRunner::now() const {
  return std::chrono::duration_cast<milliseconds>(clock_.now() - genesis_);
}

Task<bool> ChaosRunner::sleep_until(milliseconds t, const bool* stop) {
  while (!*stop) {
    auto left = t - now();
    if (left <= milliseconds(0)) co_return true;
    co_await runtime::sleep_for(std::min(left, milliseconds(50)));
  }
  co_return false;
}

Task<void> ChaosRunner::run(const bool* stop) {
  std::set<std::uint32_t> lanes;
  for (const auto& f : schedule_) lanes.insert(f.lane);
  runtime::TaskGroup group(co_await boost::asio::this_coro::executor);
  for (auto l : lanes) group.spawn(lane(l, stop));
  co_await group.join();
}

Task<void> ChaosRunner::lane(std::uint32_t lane_idx, const bool* stop) {
  std::optional<milliseconds> free_from;  // the lane's previous node recovered, plus a slot
  for (auto& e : episodes_) {
    if (e.fault.lane != lane_idx) continue;
    auto at = std::max(e.fault.start, free_from.value_or(milliseconds(0)));
    if (!co_await sleep_until(at, stop)) co_return;
    // A split needs every other lane idle, and no fault begins during one (f > 1 only: one lane otherwise).
    while (!*stop && blocked(e)) co_await runtime::sleep_for(milliseconds(50));
    if (*stop) co_return;
    co_await begin(e);
    // Keep the scheduled length even when the start was late.
    if (!co_await sleep_until(*e.began + (e.fault.end - e.fault.start), stop)) {
      co_await lift(e);
      co_return;
    }
    co_await lift(e);
    while (!*stop) {
      if (co_await recovered(e)) {
        e.recovered = now();
        break;
      }
      co_await runtime::sleep_for(milliseconds(200));
    }
    if (!e.recovered) co_return;
    // disrupted_per_slot counts the node to the end of the slot after the one it recovered in.
    const auto slot = e.recovered->count() / slot_duration_.count();
    free_from = slot_duration_ * (slot + 2);
  }
}

Task<void> ChaosRunner::begin(ChaosEpisode& e) {
  const auto node = e.fault.node;
  e.began = now();
  std::printf("devnet: chaos %s node %u\n", std::string(to_string(e.fault.kind)).c_str(), node);
  std::fflush(stdout);
  auto set = [&](BnMode m) -> Task<void> {
    if (node >= proxies_.size() || proxies_[node] == nullptr) co_return;
    if (auto r = co_await proxies_[node]->set_mode(m); !r) e.error = r.error();
  };
  switch (e.fault.kind) {
    case ChaosKind::kKill:
      hooks_.kill(node);
      break;
    case ChaosKind::kFreeze:
      hooks_.signal(node, SIGSTOP);
      break;
    case ChaosKind::kClockSkew:
      if (auto r = hooks_.restart(node, e.fault.clock_offset); !r) e.error = r.error();
      break;
    case ChaosKind::kBnDown:
      co_await set(BnMode::kDown);
      break;
    case ChaosKind::kBnSlow:
      co_await set(BnMode::kSlow);
      break;
    case ChaosKind::kBnErrors:
      co_await set(BnMode::kErrors);
      break;
    case ChaosKind::kBnSyncing:
      co_await set(BnMode::kSyncing);
      break;
    case ChaosKind::kBnLying:
      co_await set(BnMode::kLying);
      break;
    case ChaosKind::kIsolate:
      if (hooks_.isolate) hooks_.isolate(node, true);
      else e.error = "isolate needs --chaos-net";
      break;
    case ChaosKind::kSplit:
      if (hooks_.split) hooks_.split(true);
      else e.error = "split needs --chaos-net";
      break;
  }
}

bool ChaosRunner::blocked(const ChaosEpisode& e) const {
  for (const auto& o : episodes_) {
    if (&o == &e || !o.began || o.recovered) continue;
    if (e.fault.kind == ChaosKind::kSplit || o.fault.kind == ChaosKind::kSplit) return true;
  }
  return false;
}

Task<void> ChaosRunner::lift(ChaosEpisode& e) {
  const auto node = e.fault.node;
  switch (e.fault.kind) {
    case ChaosKind::kKill:
    case ChaosKind::kClockSkew:
      if (auto r = hooks_.restart(node, milliseconds(0)); !r) e.error = r.error();
      break;
    case ChaosKind::kFreeze:
      hooks_.signal(node, SIGCONT);
      break;
    case ChaosKind::kIsolate:
      if (hooks_.isolate) hooks_.isolate(node, false);
      break;
    case ChaosKind::kSplit:
      if (hooks_.split) hooks_.split(false);
      break;
    default:
      if (node < proxies_.size() && proxies_[node] != nullptr)
        if (auto r = co_await proxies_[node]->set_mode(BnMode::kHealthy); !r) e.error = r.error();
      break;
  }
  e.lifted = now();
}

Task<bool> ChaosRunner::recovered(const ChaosEpisode& e) {
  if (e.fault.kind == ChaosKind::kSplit) {
    for (std::uint32_t n = 0; n < monitoring_ports_.size(); ++n)
      if (!co_await node_recovered(n, 0)) co_return false;
    co_return true;
  }
  const auto node = e.fault.node;
  // Connected to every peer that is not itself disrupted right now (another lane's node).
  std::uint32_t busy = 0;
  for (const auto& o : episodes_)
    if (o.fault.node != node && o.began && !o.recovered) ++busy;
  co_return co_await node_recovered(node, busy);
}

Task<bool> ChaosRunner::node_recovered(std::uint32_t node, std::uint32_t busy) {
  if (node >= monitoring_ports_.size()) co_return true;
  http::Endpoint ep;
  ep.host = node < monitoring_hosts_.size() ? monitoring_hosts_[node] : std::string("127.0.0.1");
  ep.port = monitoring_ports_[node];
  http::ClientRequest ready;
  ready.target = "/readyz";
  auto r = co_await http::send_request(ep, ready, std::chrono::seconds(1));
  if (!r || r->status != 200) co_return false;
  http::ClientRequest metrics;
  metrics.target = "/metrics";
  metrics.accept = "text/plain";
  auto m = co_await http::send_request(ep, metrics, std::chrono::seconds(1));
  if (!m || m->status != 200) co_return false;
  const std::string key = "\nphalanx_peers_connected ";
  auto pos = m->body.find(key);
  if (pos == std::string::npos) co_return false;
  const auto peers = std::strtoull(m->body.c_str() + pos + key.size(), nullptr, 10);
  co_return peers + 1 + busy >= monitoring_ports_.size();
}

}  // namespace phx::app
