// `phalanx devnet`'s report: duty-report lines parsed, counts and latency percentiles, table and JSON.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <sstream>
#include <tuple>

#include "app/devnet.hpp"
#include "sim/beacon_sim.hpp"
#include "ssz/json.hpp"

namespace phx::app {

Result<DutyLine, std::string> parse_duty_line(std::string_view line) {
  auto j = ssz::parse_json(line);
  if (!j) return std::unexpected("not JSON: " + j.error().message());
  if (!j->is_object()) return std::unexpected("not a JSON object");
  DutyLine d;
  auto slot = j->find("slot");
  if (slot == j->end()) return std::unexpected("missing slot");
  if (slot->is_number_unsigned()) {
    d.slot = slot->get<std::uint64_t>();
  } else if (slot->is_string()) {
    auto v = ssz::dec_to_u64(slot->get_ref<const std::string&>());
    if (!v) return std::unexpected("slot: " + v.error());
    d.slot = *v;
  } else {
    return std::unexpected("slot: expected a number or decimal string");
  }
  auto duty = j->find("duty");
  if (duty == j->end() || !duty->is_string() || duty->get_ref<const std::string&>().empty())
    return std::unexpected("duty: expected a non-empty string");
  d.duty = duty->get<std::string>();
  auto ok = j->find("success");
  if (ok == j->end() || !ok->is_boolean()) return std::unexpected("success: expected true or false");
  d.success = ok->get<bool>();
  if (auto v = j->find("validators"); v != j->end() && v->is_number_unsigned())
    d.validators = v->get<std::uint64_t>();
  if (auto r = j->find("reason"); r != j->end() && r->is_string()) d.reason = r->get<std::string>();
  if (auto b = j->find("blamed"); b != j->end() && b->is_array()) {
    for (const auto& x : *b)
      if (x.is_number_unsigned() && x.get<std::uint64_t>() <= UINT32_MAX)
        d.blamed.push_back(static_cast<std::uint32_t>(x.get<std::uint64_t>()));
  }
  auto latency = [&](const char* key) -> std::optional<double> {
    auto it = j->find(key);
    if (it == j->end() || !it->is_number()) return std::nullopt;
    double v = it->get<double>();
    if (!std::isfinite(v) || v < 0) return std::nullopt;
    return v;
  };
  d.consensus_ms = latency("consensus_ms");
  d.e2e_ms = latency("e2e_ms");
  if (auto sc = j->find("subcommittee"); sc != j->end() && sc->is_number_unsigned())
    d.subcommittee = sc->get<std::uint64_t>();
  if (auto t = j->find("timeline"); t != j->end() && t->is_array()) {
    for (const auto& e : *t) {
      if (!e.is_object()) continue;
      auto ev = e.find("event"), at = e.find("t_ms");
      if (ev == e.end() || at == e.end() || !ev->is_string() || !at->is_number()) continue;
      const double v = at->get<double>();
      if (!std::isfinite(v) || v < 0) continue;
      const auto& name = ev->get_ref<const std::string&>();
      if (name == "broadcast") d.broadcast_ms = v;
      else if (name == "consensus_start" && !d.consensus_start_ms) d.consensus_start_ms = v;
      else if (name == "decided") d.decided_ms = v;
    }
  }
  return d;
}

std::vector<DutyLine> parse_duty_lines(std::string_view text, std::size_t* bad_lines) {
  std::vector<DutyLine> out;
  std::size_t bad = 0, pos = 0;
  while (pos < text.size()) {
    auto end = text.find('\n', pos);
    auto line = text.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
    pos = end == std::string_view::npos ? text.size() : end + 1;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    auto d = parse_duty_line(line);
    if (d)
      out.push_back(std::move(*d));
    else
      ++bad;
  }
  if (bad_lines != nullptr) *bad_lines = bad;
  return out;
}

Percentiles percentiles(std::vector<double> values) {
  Percentiles p;
  p.count = values.size();
  if (values.empty()) return p;
  std::sort(values.begin(), values.end());
  auto rank = [&](double q) {
    // Nearest rank: the smallest value with at least q of the sample at or below it.
    auto n = static_cast<double>(values.size());
    auto k = static_cast<std::size_t>(std::ceil(q * n));
    return values[std::clamp<std::size_t>(k, 1, values.size()) - 1];
  };
  p.p50 = rank(0.50);
  p.p90 = rank(0.90);
  p.p99 = rank(0.99);
  p.max = values.back();
  return p;
}

std::string_view sim_kind_of_duty(std::string_view d) {
  if (d == "attester") return "attestation";
  if (d == "proposer" || d == "builder_proposer") return "proposal";
  if (d == "aggregator") return "aggregation";
  if (d == "sync_message") return "sync_message";
  if (d == "sync_contribution") return "sync_contribution";
  if (d == "builder_registration") return "registration";
  if (d == "exit") return "exit";
  return "";
}

DevnetReport build_report(const ReportInputs& in) {
  DevnetReport r;
  auto faulty = [&](std::size_t node) { return node < in.node_faulty.size() && in.node_faulty[node]; };
  // Failure reasons per kind from honest nodes, de-duplicated per (slot, duty, reason). A duty that one
  // honest node failed (e.g. its own broadcast) but another completed is a warning, not a failure.
  std::map<std::string, std::set<std::string>> reasons;
  std::set<std::string> warnings;
  std::map<std::pair<std::uint64_t, std::string>, std::uint64_t> done;  ///< (slot, duty) → validators
  std::set<std::pair<std::uint64_t, std::string>> succeeded;            ///< every successful (slot, duty)
  std::vector<double> consensus, e2e;
  std::map<std::string, std::pair<std::vector<double>, std::vector<double>>> by_type;  ///< consensus, broadcast
  // One duty instance across the honest nodes: each node's consensus start and decision (ms in the slot).
  struct Instance {
    double last_start = -1;
    std::vector<double> decided;
  };
  std::map<std::tuple<std::uint64_t, std::string, std::uint64_t>, Instance> instances;
  for (std::size_t n = 0; n < in.node_lines.size(); ++n) {
    if (faulty(n)) continue;
    for (const auto& l : in.node_lines[n]) {
      if (!l.success) continue;
      succeeded.insert({l.slot, l.duty});
      if (sim_kind_of_duty(l.duty).empty()) continue;
      auto& v = done[{l.slot, l.duty}];
      v = std::max(v, l.validators);
      if (l.consensus_ms) consensus.push_back(*l.consensus_ms);
      if (l.e2e_ms) e2e.push_back(*l.e2e_ms);
      if (l.consensus_ms) by_type[l.duty].first.push_back(*l.consensus_ms);
      if (l.broadcast_ms) by_type[l.duty].second.push_back(*l.broadcast_ms);
      if (l.consensus_start_ms && l.decided_ms) {
        auto& inst = instances[{l.slot, l.duty, l.subcommittee}];
        inst.last_start = std::max(inst.last_start, *l.consensus_start_ms);
        inst.decided.push_back(*l.decided_ms);
      }
    }
  }
  std::map<std::string, std::vector<double>> after_last_by_type;
  std::vector<double> after_last;
  for (const auto& [key, inst] : instances)
    for (double at : inst.decided) {
      const double v = std::max(0.0, at - inst.last_start);
      after_last_by_type[std::get<1>(key)].push_back(v);
      after_last.push_back(v);
    }
  r.after_last_start_ms = percentiles(std::move(after_last));
  for (std::size_t n = 0; n < in.node_lines.size(); ++n) {
    if (faulty(n)) continue;
    for (const auto& l : in.node_lines[n]) {
      if (l.success) continue;
      std::string text = "slot " + std::to_string(l.slot) + " " + l.duty + ": " +
                         (l.reason.empty() ? "failed" : l.reason);
      if (succeeded.contains({l.slot, l.duty})) {
        warnings.insert("node " + std::to_string(n) + ": " + text + " (another node completed it)");
        continue;
      }
      std::string kind(sim_kind_of_duty(l.duty));
      if (kind.empty()) kind = l.duty;  // an internal step failing is reported under its own name
      reasons[kind].insert(std::move(text));
    }
  }
  r.warnings.assign(warnings.begin(), warnings.end());
  r.consensus_ms = percentiles(std::move(consensus));
  r.e2e_ms = percentiles(std::move(e2e));
  for (auto& [type, v] : by_type)
    r.timing[type] = DutyTiming{percentiles(std::move(v.first)), percentiles(std::move(v.second)),
                                percentiles(std::move(after_last_by_type[type]))};
  auto get = [](const std::map<std::string, std::uint64_t>& m, const std::string& k) {
    auto it = m.find(k);
    return it == m.end() ? std::uint64_t{0} : it->second;
  };
  std::map<std::string, std::uint64_t> completed;
  for (const auto& [key, v] : done) completed[std::string(sim_kind_of_duty(key.second))] += v;
  // Uncompleted exact duties within the tolerance are warnings (--chaos-net: lossy links, the ≥ 99 % target).
  std::uint64_t exact_expected = 0, exact_failed = 0;
  for (const auto& [kind, exp] : in.expected)
    if (exp.second) {
      exact_expected += exp.first;
      const auto c = get(completed, kind);
      exact_failed += exp.first > c ? exp.first - c : 0;
    }
  const bool within_tolerance =
      exact_failed > 0 && static_cast<double>(exact_failed) <= in.missing_tolerance * static_cast<double>(exact_expected);
  for (const auto& [kind, exp] : in.expected) {
    DutyRow row;
    row.duty = kind;
    row.expected = exp.first;
    row.exact = exp.second;
    row.completed = get(completed, kind);
    row.sim_accepted = get(in.accepted, kind);
    row.rejected = get(in.rejected, kind);
    row.failed = row.exact && row.expected > row.completed ? row.expected - row.completed : 0;
    if (auto it = reasons.find(kind); it != reasons.end()) {
      row.reasons.assign(it->second.begin(), it->second.end());
      reasons.erase(it);
    }
    std::string first_reason = row.reasons.empty() ? "" : " (" + row.reasons.front() + ")";
    if (row.failed > 0)
      (within_tolerance ? r.warnings : r.problems)
          .push_back(kind + ": " + std::to_string(row.failed) + " of " + std::to_string(row.expected) +
                     " not completed" + first_reason + (within_tolerance ? " (within the tolerance)" : ""));
    if (row.exact && row.completed > row.expected)
      r.problems.push_back(kind + ": the nodes report " + std::to_string(row.completed) + " done but only " +
                           std::to_string(row.expected) + " were expected");
    if (row.exact && row.sim_accepted < row.completed)
      r.problems.push_back(kind + ": the nodes report " + std::to_string(row.completed) +
                           " done but the beacon simulator accepted only " + std::to_string(row.sim_accepted));
    if (row.rejected > 0)
      r.problems.push_back(kind + ": " + std::to_string(row.rejected) + " submissions rejected by the beacon simulator");
    if (row.failed == 0 && !row.reasons.empty())
      (in.failures_warn_only.contains(kind) ? r.warnings : r.problems)
          .push_back(kind + ": an honest node reported " + std::to_string(row.reasons.size()) + " failed duties" +
                     first_reason);
    r.rows.push_back(std::move(row));
  }
  for (const auto& [kind, set] : reasons)
    (in.failures_warn_only.contains(kind) ? r.warnings : r.problems)
        .push_back(kind + ": an honest node reported " + std::to_string(set.size()) + " failed duties (" +
                   *set.begin() + ")");
  r.ok = r.problems.empty();
  return r;
}

std::string render_table(const DevnetReport& report) {
  std::ostringstream o;
  char buf[256];
  std::snprintf(buf, sizeof buf, "%-18s | %9s | %9s | %12s | %8s | %6s\n", "duty", "expected", "completed",
                "sim accepted", "rejected", "failed");
  o << buf << std::string(79, '-') << "\n";
  for (const auto& row : report.rows) {
    std::string expected = (row.exact ? "" : "<=") + std::to_string(row.expected);
    std::snprintf(buf, sizeof buf, "%-18s | %9s | %9llu | %12llu | %8llu | %6llu\n", row.duty.c_str(),
                  expected.c_str(), static_cast<unsigned long long>(row.completed),
                  static_cast<unsigned long long>(row.sim_accepted), static_cast<unsigned long long>(row.rejected),
                  static_cast<unsigned long long>(row.failed));
    o << buf;
  }
  auto line = [&](const char* name, const Percentiles& p) {
    std::snprintf(buf, sizeof buf, "%-18s   p50 %8.1f ms   p90 %8.1f ms   p99 %8.1f ms   (n=%zu)\n", name, p.p50,
                  p.p90, p.p99, p.count);
    o << buf;
  };
  o << "\n";
  line("consensus", report.consensus_ms);
  line("end-to-end", report.e2e_ms);
  if (!report.timing.empty()) {
    // Per duty type: consensus from the node's own start and from the last node's start (→ decided), and the
    // broadcast's time in the slot.
    const double d = report.link_delay_ms;
    const char* unit = d > 0 ? "(in d)" : "(ms)  ";
    o << "\nper duty type        own start → decided p50 / p90 " << unit << "   last start → decided p50 / p90 "
      << unit << "   broadcast in slot p50 / p90 (ms)\n";
    for (const auto& [type, t] : report.timing) {
      const double k = d > 0 ? 1.0 / d : 1.0;
      std::snprintf(buf, sizeof buf, "%-20s %7.2f / %7.2f  (n=%4zu)              %7.2f / %7.2f  (n=%4zu)            %8.1f / %8.1f  (n=%zu)\n",
                    type.c_str(), t.consensus_ms.p50 * k, t.consensus_ms.p90 * k, t.consensus_ms.count,
                    t.after_last_start_ms.p50 * k, t.after_last_start_ms.p90 * k, t.after_last_start_ms.count,
                    t.broadcast_ms.p50, t.broadcast_ms.p90, t.broadcast_ms.count);
      o << buf;
    }
  }
  if (report.link_delay_ms > 0) {
    // Consensus latency in units of the emulated one-way link delay d (QBFT: 3 d; the fast path: 2 d).
    const double d = report.link_delay_ms;
    std::snprintf(buf, sizeof buf, "consensus in units of the link delay d = %.0f ms: p50 %.2f d   p90 %.2f d   p99 %.2f d\n",
                  d, report.consensus_ms.p50 / d, report.consensus_ms.p90 / d, report.consensus_ms.p99 / d);
    o << buf;
    std::snprintf(buf, sizeof buf, "  from the last node's start (every node has its data): p50 %.2f d   p90 %.2f d   p99 %.2f d\n",
                  report.after_last_start_ms.p50 / d, report.after_last_start_ms.p90 / d,
                  report.after_last_start_ms.p99 / d);
    o << buf;
  }
  o << "\n" << (report.ok ? "OK: every duty that should have succeeded did" : "FAILED:") << "\n";
  for (const auto& p : report.problems) o << "  - " << p << "\n";
  if (!report.warnings.empty()) {
    o << "warnings (" << report.warnings.size() << "):\n";
    std::size_t shown = 0;
    for (const auto& w : report.warnings) {
      if (++shown > 5) {
        o << "  … " << report.warnings.size() - 5 << " more in the JSON report\n";
        break;
      }
      o << "  - " << w << "\n";
    }
  }
  return o.str();
}

ssz::Json report_to_json(const DevnetReport& report) {
  ssz::Json j = ssz::Json::object();
  j["ok"] = report.ok;
  ssz::Json rows = ssz::Json::array();
  for (const auto& row : report.rows) {
    ssz::Json x = ssz::Json::object();
    x["duty"] = row.duty;
    x["expected"] = row.expected;
    x["expected_is_upper_bound"] = !row.exact;
    x["completed"] = row.completed;
    x["sim_accepted"] = row.sim_accepted;
    x["rejected"] = row.rejected;
    x["failed"] = row.failed;
    x["reasons"] = row.reasons;
    rows.push_back(std::move(x));
  }
  j["duties"] = std::move(rows);
  auto pj = [](const Percentiles& p) {
    ssz::Json x = ssz::Json::object();
    x["count"] = p.count;
    x["p50"] = p.p50;
    x["p90"] = p.p90;
    x["p99"] = p.p99;
    x["max"] = p.max;
    return x;
  };
  j["latency_ms"] = {{"consensus", pj(report.consensus_ms)},
                     {"consensus_after_last_start", pj(report.after_last_start_ms)},
                     {"end_to_end", pj(report.e2e_ms)}};
  ssz::Json timing = ssz::Json::object();
  for (const auto& [type, t] : report.timing)
    timing[type] = {{"consensus_ms", pj(t.consensus_ms)},
                    {"consensus_after_last_start_ms", pj(t.after_last_start_ms)},
                    {"broadcast_in_slot_ms", pj(t.broadcast_ms)}};
  j["timing_by_duty"] = std::move(timing);
  if (report.link_delay_ms > 0) j["link_delay_ms"] = report.link_delay_ms;
  j["problems"] = report.problems;
  j["warnings"] = report.warnings;
  for (auto it = report.extra.begin(); it != report.extra.end(); ++it) j[it.key()] = it.value();
  return j;
}

std::string sim_kind_name(sim::SimDuty d) {
  switch (d) {
    case sim::SimDuty::kAttestation:
      return "attestation";
    case sim::SimDuty::kProposal:
    case sim::SimDuty::kBlindedProposal:
      return "proposal";
    case sim::SimDuty::kAggregate:
      return "aggregation";
    case sim::SimDuty::kSyncMessage:
      return "sync_message";
    case sim::SimDuty::kSyncContribution:
      return "sync_contribution";
    case sim::SimDuty::kBuilderRegistration:
      return "registration";
    case sim::SimDuty::kVoluntaryExit:
      return "exit";
    case sim::SimDuty::kPrepareProposer:
      return "prepare_proposer";
    case sim::SimDuty::kCommitteeSubscription:
      return "committee_subscription";
    case sim::SimDuty::kSyncSubscription:
      return "sync_subscription";
  }
  return "unknown";
}

void set_expected_rows(ReportInputs& in, const DevnetOptions& o, const sim::ExpectedDuties& e) {
  in.expected["attestation"] = {e.attestations, true};
  // Like a real BN, the simulator lists a proposer for slot 0 (the genesis block); nodes skip it and
  // expected_duties leaves it out.
  in.expected["proposal"] = {e.proposals, true};
  in.expected["aggregation"] = {e.aggregations_max, e.aggregations_min == e.aggregations_max};
  if (o.fork >= eth::Fork::kAltair) {
    in.expected["sync_message"] = {e.sync_messages, true};
    in.expected["sync_contribution"] = {e.contributions_max, false};
  }
  if (o.builder) in.expected["registration"] = {o.validators, false};
}

std::string add_blame(DevnetReport& r, const ReportInputs& in, const DevnetOptions& o) {
  // Which share indices the honest nodes blamed (bad partial signatures, equivocation).
  std::map<std::uint32_t, std::uint64_t> blamed;
  for (std::size_t i = 0; i < in.node_lines.size(); ++i)
    if (i >= in.node_faulty.size() || !in.node_faulty[i])
      for (const auto& l : in.node_lines[i])
        for (auto b : l.blamed) ++blamed[b];
  ssz::Json bj = ssz::Json::object();
  for (const auto& [share, count] : blamed) bj[std::to_string(share)] = count;
  r.extra["blamed_shares"] = std::move(bj);
  if (o.fault == DevnetFault::kByzantineOne && !blamed.contains(o.nodes))
    r.problems.push_back("the byzantine node (share " + std::to_string(o.nodes) + ") was never blamed");
  if (blamed.empty()) return {};
  std::string line = "blamed share indices (count over honest nodes' duty reports):";
  for (const auto& [share, count] : blamed) {
    line += ' ';
    line += std::to_string(share);
    line += 'x';
    line += std::to_string(count);
  }
  return line;
}

std::string add_slashing_offences(DevnetReport& r, const sim::SlashingOracle& oracle) {
  // Any slashable pair among the validly signed messages the simulator received fails the run, whoever sent them
  // (the nodes' own slashing databases are not consulted).
  const auto& offences = oracle.offences();
  ssz::Json oj = ssz::Json::array();
  for (const auto& off : offences) {
    oj.push_back({{"kind", std::string(sim::to_string(off.kind))}, {"validator", off.validator.value},
                  {"detail", off.detail}});
    if (r.problems.size() < 20)
      r.problems.push_back(std::string("slashable: ") + sim::to_string(off.kind) + " by validator " +
                           std::to_string(off.validator.value) + " (" + off.detail + ")");
  }
  r.extra["slashable_offences"] = std::move(oj);
  return "slashing oracle: " + std::to_string(offences.size()) +
         " slashable pairs among the signed messages the beacon simulator received";
}

}  // namespace phx::app
