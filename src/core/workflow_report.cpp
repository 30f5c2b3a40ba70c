// The duty workflow's reporting: per-step tracking, DutyResults (complete, failed, expired), JSON lines.
#include "core/workflow_detail.hpp"

namespace phx::core {

std::string to_json_line(const DutyResult& result) {
  const DutyReport& r = result.report;
  std::string out = "{\"duty\":\"";
  out += to_string(r.duty.type);
  out += "\",\"slot\":" + std::to_string(r.duty.slot.value);
  if (is_per_subcommittee(r.duty.type)) out += ",\"subcommittee\":" + std::to_string(r.duty.subcommittee);
  out += ",\"success\":";
  out += r.success ? "true" : "false";
  out += ",\"last_step\":\"";
  out += to_string(r.last_step);
  out += "\",\"failed_step\":";
  if (r.failed_step) {  // appended piecewise: g++ 12 reports a bogus -Wrestrict on "\"" + … + "\""
    out += '"';
    out += to_string(*r.failed_step);
    out += '"';
  } else {
    out += "null";
  }
  out += ",\"reason\":\"";
  for (const char c : r.reason) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\u00";
      out += kHex[u >> 4];
      out += kHex[u & 15];
    } else {
      out += c;
    }
  }
  out += "\"";
  auto list = [&](const char* name, const std::vector<ShareIdx>& v) {
    out += ",\"";
    out += name;
    out += "\":[";
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (i != 0) out += ',';
      out += std::to_string(v[i].value);
    }
    out += ']';
  };
  list("missing", r.missing);
  list("blamed", r.blamed);
  out += ",\"validators\":" + std::to_string(result.validators);
  auto ms = [&](const char* name, const std::optional<Duration>& d) {
    out += ",\"";
    out += name;
    out += "\":";
    if (!d) {
      out += "null";
      return;
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3f", std::chrono::duration<double, std::milli>(*d).count());
    out += buf;
  };
  ms("consensus_ms", result.consensus);
  ms("e2e_ms", result.partial_to_submit);
  if (r.expected) out += ",\"expected\":true";
  out += ",\"code\":\"";
  out += reason_info(r.code).code;
  out += '"';
  auto offset = [&](Duration d) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3f", std::chrono::duration<double, std::milli>(d).count());
    out += buf;
  };
  out += ",\"finished_ms\":";
  offset(r.finished);
  if (r.round != 0) {
    out += ",\"round\":" + std::to_string(r.round);
    out += r.round_decided ? ",\"round_decided\":true" : ",\"round_decided\":false";
  }
  out += ",\"timeline\":[";
  for (std::size_t i = 0; i < r.timeline.size(); ++i) {
    const TimelineEvent& e = r.timeline[i];
    if (i != 0) out += ',';
    out += "{\"t_ms\":";
    offset(e.offset);
    out += ",\"event\":\"";
    out += to_string(e.event);
    out += '"';
    if (e.share != 0) out += ",\"share\":" + std::to_string(e.share);
    out += '}';
  }
  out += "],\"partials\":[";
  for (std::size_t i = 0; i < r.partials.size(); ++i) {
    const PartialArrival& p = r.partials[i];
    if (i != 0) out += ',';
    out += "{\"share\":" + std::to_string(p.share.value) + ",\"t_ms\":";
    offset(p.offset);
    out += ",\"count\":" + std::to_string(p.count);
    if (p.late) out += ",\"late\":true";
    out += '}';
  }
  out += "]}";
  return out;
}

void Workflow::track(const Duty& duty, Step step) {
  auto it = duties_.find(duty);
  if (it == duties_.end() || !it->second->tracked || it->second->reported) return;
  tracker_.on_step(duty, step);
}

void Workflow::note_vc_request(const Duty& duty) {
  // Up to an epoch ahead (as for peers' partials): the tracker drops entries of duties that never start once
  // later duties expire (Tracker::kStaleSlots), so what a VC can make it hold stays bounded.
  if (duty.slot.value > scheduler_.clock().slot_at(ports_.clock.now()).value + config_.slots_per_epoch) return;
  tracker_.on_event(duty, Event::kVcRequest);
}

void Workflow::fail_duty(const Duty& duty, Reason code, std::string reason) {
  auto it = duties_.find(duty);
  if (it == duties_.end() || !it->second->tracked || it->second->reported) return;
  log::warn("workflow: {} failed ({}): {}", to_string(duty), reason_info(code).code, reason);
  finish(*it->second, tracker_.on_failure(duty, code, std::move(reason)));
}

void Workflow::finish(DutyState& st, DutyReport report) {
  st.reported = true;
  DutyResult res;
  res.report = std::move(report);
  res.validators = std::max(st.expected.size(), st.defs.size());
  res.consensus = st.consensus;
  const auto type = static_cast<std::size_t>(st.duty.type);
  if (res.report.success) {
    ++metrics_.duties_succeeded[type];
    if (st.first_own_partial) {
      res.partial_to_submit = ports_.clock.now() - *st.first_own_partial;
      ++metrics_.partial_latency_count;
      metrics_.partial_latency_sum += *res.partial_to_submit;
    }
  } else {
    ++metrics_.duties_failed[type];
  }
  for (const auto& fn : subscribers_) fn(res);
}

}  // namespace phx::core
