// Beacon API event stream, the pure half: the text/event-stream parser and the head / chain_reorg decoders.
#include "beaconapi/http/events.hpp"

#include <algorithm>
#include <utility>

namespace phx::beaconapi::http {

using ssz::Json;
using ssz::JsonError;

// ---- SseParser (WHATWG HTML §9.2.6 "Interpreting an event stream") ----

SseParser::SseParser(std::size_t max_event_bytes) : max_(max_event_bytes) {}

void SseParser::reset() {
  line_.clear();
  type_.clear();
  data_.clear();
  has_data_ = false;
  last_event_id_.clear();
  after_cr_ = false;
  started_ = false;
  pending_.clear();
  failed_ = false;
}

bool SseParser::line(std::string_view l, std::vector<SseEvent>& out) {
  if (l.empty()) {  // blank line: dispatch
    if (has_data_) {
      if (!data_.empty() && data_.back() == '\n') data_.pop_back();
      out.push_back(SseEvent{type_.empty() ? std::string("message") : std::move(type_), std::move(data_)});
    }
    type_.clear();
    data_.clear();
    has_data_ = false;
    return true;
  }
  if (l.front() == ':') return true;  // comment (keep-alive)
  std::string_view field = l;
  std::string_view value;
  if (auto colon = l.find(':'); colon != std::string_view::npos) {
    field = l.substr(0, colon);
    value = l.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  }
  if (field == "event") {
    type_.assign(value);
  } else if (field == "data") {
    data_.append(value);
    data_.push_back('\n');
    has_data_ = true;
  } else if (field == "id") {
    if (value.find('\0') == std::string_view::npos) last_event_id_.assign(value);
  }
  // "retry" and unknown fields are ignored.
  return type_.size() + data_.size() <= max_;
}

Result<std::vector<SseEvent>> SseParser::feed(std::string_view bytes) {
  if (failed_) return fail(HttpError::kTooLarge);
  std::vector<SseEvent> out;
  if (!started_) {
    // A UTF-8 BOM may open the stream, possibly split over feeds: hold the first bytes until they decide.
    constexpr std::string_view kBom = "\xEF\xBB\xBF";
    const std::size_t take = std::min(bytes.size(), kBom.size() - pending_.size());
    pending_.append(bytes.substr(0, take));
    bytes.remove_prefix(take);
    if (pending_.size() < kBom.size() && kBom.starts_with(pending_)) return out;
    started_ = true;
    std::string first = std::move(pending_);
    pending_.clear();
    if (first == kBom) first.clear();
    if (!scan(first, out)) return fail(HttpError::kTooLarge);
  }
  if (!scan(bytes, out)) return fail(HttpError::kTooLarge);
  return out;
}

bool SseParser::scan(std::string_view bytes, std::vector<SseEvent>& out) {
  std::size_t i = 0;
  while (i < bytes.size()) {
    if (after_cr_) {
      after_cr_ = false;
      if (bytes[i] == '\n') {
        ++i;
        continue;
      }
    }
    const std::size_t end = bytes.find_first_of("\r\n", i);
    if (end == std::string_view::npos) {
      if (line_.size() + (bytes.size() - i) > max_) return failed();
      line_.append(bytes.substr(i));
      break;
    }
    const std::string_view piece = bytes.substr(i, end - i);
    bool ok;
    if (line_.empty()) {
      ok = piece.size() <= max_ && line(piece, out);
    } else {
      line_.append(piece);
      ok = line_.size() <= max_ && line(line_, out);
      line_.clear();
    }
    if (!ok) return failed();
    after_cr_ = bytes[end] == '\r';
    i = end + 1;
  }
  return true;
}

// ---- decoders ----

namespace {

template <class T>
Result<void, JsonError> field(const Json& j, const char* name, T& out) {
  auto it = j.find(name);
  if (it == j.end()) return std::unexpected(JsonError{name, "missing field"});
  auto v = ssz::from_json<T>(*it, name);
  if (!v) return std::unexpected(v.error());
  out = std::move(*v);
  return {};
}

/// `execution_optimistic`: absent on older nodes (false), otherwise a boolean.
Result<void, JsonError> optimistic(const Json& j, bool& out) {
  if (j.find("execution_optimistic") == j.end()) return {};
  return field(j, "execution_optimistic", out);
}

Result<Json, JsonError> object_of(std::string_view text) {
  auto j = ssz::parse_json(text);
  if (!j) return std::unexpected(j.error());
  if (!j->is_object()) return std::unexpected(JsonError{"", "expected an object"});
  return std::move(*j);
}

}  // namespace

Result<HeadEvent, JsonError> head_event_from_json(std::string_view json) {
  auto j = object_of(json);
  if (!j) return std::unexpected(j.error());
  HeadEvent e;
  Result<void, JsonError> r{};
  if (r) r = field(*j, "slot", e.slot);
  if (r) r = field(*j, "block", e.block);
  if (r) r = field(*j, "state", e.state);
  if (r) r = field(*j, "epoch_transition", e.epoch_transition);
  if (r) r = field(*j, "previous_duty_dependent_root", e.previous_duty_dependent_root);
  if (r) r = field(*j, "current_duty_dependent_root", e.current_duty_dependent_root);
  if (r) r = optimistic(*j, e.execution_optimistic);
  if (!r) return std::unexpected(r.error());
  return e;
}

Result<ChainReorgEvent, JsonError> chain_reorg_event_from_json(std::string_view json) {
  auto j = object_of(json);
  if (!j) return std::unexpected(j.error());
  ChainReorgEvent e;
  Result<void, JsonError> r{};
  if (r) r = field(*j, "slot", e.slot);
  if (r) r = field(*j, "depth", e.depth);
  if (r) r = field(*j, "old_head_block", e.old_head_block);
  if (r) r = field(*j, "new_head_block", e.new_head_block);
  if (r) r = field(*j, "old_head_state", e.old_head_state);
  if (r) r = field(*j, "new_head_state", e.new_head_state);
  if (r) r = field(*j, "epoch", e.epoch);
  if (r) r = optimistic(*j, e.execution_optimistic);
  if (!r) return std::unexpected(r.error());
  return e;
}

Result<HeadEvent> decode_head_event(std::string_view json) {
  auto e = head_event_from_json(json);
  if (!e) return fail(HttpError::kMalformed);
  return *e;
}

Result<ChainReorgEvent> decode_chain_reorg_event(std::string_view json) {
  auto e = chain_reorg_event_from_json(json);
  if (!e) return fail(HttpError::kMalformed);
  return *e;
}

Json head_event_to_json(const HeadEvent& e) {
  Json j = Json::object();
  j["slot"] = ssz::u64_to_dec(e.slot.value);
  j["block"] = to_hex(e.block);
  j["state"] = to_hex(e.state);
  j["epoch_transition"] = e.epoch_transition;
  j["previous_duty_dependent_root"] = to_hex(e.previous_duty_dependent_root);
  j["current_duty_dependent_root"] = to_hex(e.current_duty_dependent_root);
  j["execution_optimistic"] = e.execution_optimistic;
  return j;
}

Json chain_reorg_event_to_json(const ChainReorgEvent& e) {
  Json j = Json::object();
  j["slot"] = ssz::u64_to_dec(e.slot.value);
  j["depth"] = ssz::u64_to_dec(e.depth);
  j["old_head_block"] = to_hex(e.old_head_block);
  j["new_head_block"] = to_hex(e.new_head_block);
  j["old_head_state"] = to_hex(e.old_head_state);
  j["new_head_state"] = to_hex(e.new_head_state);
  j["epoch"] = ssz::u64_to_dec(e.epoch.value);
  j["execution_optimistic"] = e.execution_optimistic;
  return j;
}

}  // namespace phx::beaconapi::http
