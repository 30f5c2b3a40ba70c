// The operator API: POST/GET /phalanx/v1/exits, the bounded exit record, exits.json and re-requests at start.
#include "app/operator_api.hpp"

#include <boost/asio/ip/address.hpp>

#include "app/fs.hpp"
#include "base/bytes.hpp"
#include "base/log.hpp"
#include "core/scheduler.hpp"

namespace phx::app {

namespace http = beaconapi::http;
using ssz::Json;

namespace {

constexpr std::size_t kMaxExitsFile = 16u << 20;
constexpr std::size_t kMaxPartialsFile = 64u << 20;
constexpr std::size_t kMaxPubkeys =
    100'000;  // a request naming more validators than any cluster has is refused

Result<core::PubKey, std::string> parse_pubkey(const Json& j, std::string_view where) {
  return pubkey_from_json(j, where);
}

Result<Epoch, std::string> parse_epoch(const Json& j, std::string_view where) {
  auto v = u64_from_json(j, where);
  if (!v) return std::unexpected(v.error());
  return Epoch{*v};
}

}  // namespace

Result<ExitRequest, std::string> parse_exit_request(std::string_view body) {
  auto j = ssz::parse_json(body);
  if (!j) return std::unexpected("body is not JSON: " + j.error().message());
  if (!j->is_object()) return std::unexpected(std::string("body: expected a JSON object"));
  ExitRequest out;
  for (const auto& [key, value] : j->items()) {
    if (key == "pubkeys") {
      if (!value.is_array()) return std::unexpected(std::string("pubkeys: expected an array"));
      if (value.size() > kMaxPubkeys) return std::unexpected(std::string("pubkeys: too many entries"));
      for (std::size_t i = 0; i < value.size(); ++i) {
        auto pk = parse_pubkey(value[i], "pubkeys[" + std::to_string(i) + "]");
        if (!pk) return std::unexpected(pk.error());
        out.pubkeys.push_back(*pk);
      }
    } else if (key == "all") {
      if (!value.is_boolean()) return std::unexpected(std::string("all: expected true or false"));
      out.all = value.get<bool>();
    } else if (key == "epoch") {
      auto e = parse_epoch(value, "epoch");
      if (!e) return std::unexpected(e.error());
      out.epoch = *e;
    } else {
      return std::unexpected("unknown field \"" + key + "\" (expected pubkeys, all, epoch)");
    }
  }
  if (out.all && !out.pubkeys.empty())
    return std::unexpected(std::string("give either pubkeys or all, not both"));
  if (!out.all && out.pubkeys.empty())
    return std::unexpected(std::string("no validator: give a non-empty pubkeys array or \"all\": true"));
  return out;
}

Result<std::vector<StoredExit>, std::string> parse_exits_file(std::string_view text) {
  auto j = parse_v1_file(text, "exits", "");
  if (!j) return std::unexpected(j.error());
  const Json& exits = (*j)["exits"];
  if (!exits.is_array()) return std::unexpected(std::string("exits: expected an array"));
  std::vector<StoredExit> out;
  for (std::size_t i = 0; i < exits.size(); ++i) {
    const std::string where = "exits[" + std::to_string(i) + "]";
    const Json& e = exits[i];
    if (!e.is_object() || !e.contains("pubkey") || !e.contains("epoch") || !e.contains("requested_at"))
      return std::unexpected(where + ": expected pubkey, epoch and requested_at");
    StoredExit s;
    auto pk = parse_pubkey(e["pubkey"], where + ".pubkey");
    if (!pk) return std::unexpected(pk.error());
    s.pubkey = *pk;
    auto ep = parse_epoch(e["epoch"], where + ".epoch");
    if (!ep) return std::unexpected(ep.error());
    s.epoch = *ep;
    if (!e["requested_at"].is_number_unsigned())
      return std::unexpected(where + ".requested_at: expected unix seconds");
    s.requested_at = e["requested_at"].get<std::uint64_t>();
    out.push_back(s);
  }
  return out;
}

std::string exits_file_text(const std::vector<StoredExit>& exits) {
  Json arr = Json::array();
  for (const auto& e : exits) {
    Json o = Json::object();
    o["pubkey"] = to_hex(e.pubkey);
    o["epoch"] = ssz::u64_to_dec(e.epoch.value);
    o["requested_at"] = e.requested_at;
    arr.push_back(std::move(o));
  }
  Json j = Json::object();
  j["version"] = 1;
  j["exits"] = std::move(arr);
  return j.dump(2) + "\n";
}

bool is_loopback_host(std::string_view host) {
  if (host == "localhost") return true;
  std::string h(host);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  boost::system::error_code ec;
  auto a = boost::asio::ip::make_address(h, ec);
  return !ec && a.is_loopback();
}

OperatorApi::OperatorApi(const eth::ChainConfig& config, const core::KeyBook& keys, const Clock& clock,
                         RequestExitFn request, OperatorApiOptions options)
    : config_(config),
      keys_(keys),
      clock_(clock),
      request_(std::move(request)),
      options_(std::move(options)),
      duties_(options_.duty_log_capacity),
      book_(config_, keys_) {}

Epoch OperatorApi::current_epoch() const {
  return config_.epoch_at(core::SlotClock(config_).slot_at(clock_.now()));
}

bool OperatorApi::expired(Epoch epoch) const {
  // The workflow keeps an exit duty until the end of its epoch + 1 (core/deadliner.hpp).
  return current_epoch().value > epoch.value + 1;
}

std::uint64_t OperatorApi::unix_now() const {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::seconds>(clock_.now().time_since_epoch()).count());
}

OperatorApi::Record& OperatorApi::record(const core::PubKey& pubkey, Epoch epoch) {
  auto [it, added] = records_.try_emplace(Key{pubkey, epoch.value});
  if (added && records_.size() > options_.max_records) {
    // Bounded: drop the record with the lowest epoch other than the one just made.
    auto lowest = records_.end();
    for (auto i = records_.begin(); i != records_.end(); ++i)
      if (i != it && (lowest == records_.end() || i->first.second < lowest->first.second)) lowest = i;
    if (lowest != records_.end()) records_.erase(lowest);
  }
  return it->second;
}

Result<void, std::string> OperatorApi::save() const {
  std::vector<StoredExit> all;
  for (const auto& [pk, e] : stored_) all.push_back(e);
  const std::string text = exits_file_text(all);
  if (auto w = write_file_atomic(options_.exits_file, as_bytes(text), 0600, true); !w)
    return std::unexpected(options_.exits_file.string() + ": " + w.error().message());
  return {};
}

std::string OperatorApi::explain(const std::error_code& ec, Epoch epoch) const {
  if (ec == make_error_code(core::CoreError::kUnknownPubkey))
    return "the beacon node does not list this validator (yet): not deposited, or the node has not resolved "
           "its "
           "validators since it started; try again in a slot";
  if (ec == make_error_code(core::CoreError::kExpired))
    return "exit epoch " + std::to_string(epoch.value) +
           " is over: a node keeps an exit until the end of the next epoch; sign again with a later "
           "--exit-epoch";
  return ec.message();
}

Result<void, std::string> OperatorApi::load_partials() {
  std::error_code ec;
  if (options_.partials_file.empty() || !std::filesystem::exists(options_.partials_file, ec)) return {};
  const std::string name = options_.partials_file.string();
  auto raw = read_file(options_.partials_file, kMaxPartialsFile);
  if (!raw) return std::unexpected(name + ": " + raw.error().message());
  auto file = parse_partial_exits(std::string_view(reinterpret_cast<const char*>(raw->data()), raw->size()));
  if (!file)
    return std::unexpected(name + ": " + file.error() +
                           " (fix or remove the file; it keeps the partial exits this node signed or received)");
  std::size_t kept = 0;
  for (const auto& p : file->partials) {
    auto added = book_.add(p, /*verify_now=*/false);  // checked when recombined (one pairing per exit)
    if (!added) {
      log::warn("exits: {}: dropped a kept partial: {}", name, added.error());
      continue;
    }
    ++kept;
    Record& r = record(p.pubkey, p.exit.epoch);
    r.partials.insert(p.share_idx.value);
  }
  for (const auto& why : book_.take_rejections()) log::warn("exits: {}: {}", name, why);
  if (kept > 0) log::info("exits: {} partial exit(s) kept from before the restart ({})", kept, name);
  return {};
}

Result<void, std::string> OperatorApi::load() {
  if (auto ok = load_partials(); !ok) return ok;
  std::error_code ec;
  if (!std::filesystem::exists(options_.exits_file, ec)) return {};
  auto raw = read_file(options_.exits_file, kMaxExitsFile);
  if (!raw) return std::unexpected(options_.exits_file.string() + ": " + raw.error().message());
  auto exits = parse_exits_file(std::string_view(reinterpret_cast<const char*>(raw->data()), raw->size()));
  if (!exits)
    return std::unexpected(options_.exits_file.string() + ": " + exits.error() +
                           " (fix or remove the file; it lists the exits this node requested)");
  for (const auto& e : *exits) {
    if (keys_.find(e.pubkey) == nullptr) {
      log::warn("exits: {} lists {}, which is not a validator of this cluster; ignored",
                options_.exits_file.string(), to_hex(e.pubkey));
      continue;
    }
    stored_[e.pubkey] = e;
    pending_[e.pubkey] = e;
  }
  if (!pending_.empty())
    log::info("exits: {} exit(s) requested before the restart will be requested again", pending_.size());
  return {};
}

std::size_t OperatorApi::retry_pending() {
  for (auto it = pending_.begin(); it != pending_.end();) {
    const StoredExit& e = it->second;
    Record& r = record(e.pubkey, e.epoch);
    r.restored = true;
    if (!options_.embedded) {
      r.request_error = "not requested again: the node runs with a validator client (--signer vc)";
      it = pending_.erase(it);
      continue;
    }
    if (expired(e.epoch)) {
      r.request_error = explain(make_error_code(core::CoreError::kExpired), e.epoch);
      log::warn("exits: exit of {} at epoch {} not requested again: {}", to_hex(e.pubkey), e.epoch.value,
                r.request_error);
      it = pending_.erase(it);
      continue;
    }
    auto ok = request_(e.pubkey, e.epoch);
    if (!ok && ok.error() == make_error_code(core::CoreError::kUnknownPubkey)) {
      ++it;  // the scheduler has not resolved the validators yet
      continue;
    }
    if (ok) {
      r.requested_at = e.requested_at;
      r.partials.insert(options_.share_idx.value);
      r.request_error.clear();
      log::info("exits: requested again the exit of {} at epoch {}", to_hex(e.pubkey), e.epoch.value);
    } else {
      r.request_error = explain(ok.error(), e.epoch);
      log::warn("exits: exit of {} at epoch {} not requested again: {}", to_hex(e.pubkey), e.epoch.value,
                r.request_error);
    }
    it = pending_.erase(it);
  }
  return pending_.size();
}

runtime::Task<void> OperatorApi::run_background() {
  auto last_retry = clock_.now();
  bool retrying = retry_pending() > 0;
  for (;;) {
    co_await runtime::sleep_for(std::chrono::seconds(1));
    save_partials();
    if (retrying && clock_.now() - last_retry >= std::chrono::seconds(config_.seconds_per_slot)) {
      last_retry = clock_.now();
      retrying = retry_pending() > 0;
    }
  }
}

void OperatorApi::on_result(const core::DutyResult& result) {
  duties_.add(result);
  if (result.report.duty.type != core::DutyType::kExit || result.report.success) return;
  const Epoch epoch = config_.epoch_at(result.report.duty.slot);
  for (auto& [key, r] : records_)
    if (key.second == epoch.value && r.requested_at && !r.submitted_at) r.failure = result.report.reason;
}

bool OperatorApi::on_partial(const core::Duty& duty, const core::PubKey& pubkey,
                             const core::ParSignedData& partial) {
  if (partial.share_idx.value < 1 || partial.share_idx.value > keys_.share_count()) return false;
  bool late = false;
  if (duties_.find(duty) != nullptr) {
    // After this node finished the duty: too late to help (the transport bound the share to its sender).
    const TimePoint start{std::chrono::seconds(config_.genesis_time + duty.slot.value * config_.seconds_per_slot)};
    late = duties_.on_late_partial(duty, partial.share_idx, std::chrono::duration_cast<Duration>(clock_.now() - start));
  }
  if (duty.type != core::DutyType::kExit || keys_.find(pubkey) == nullptr) return late;
  keep_partial(duty, pubkey, partial);
  const Epoch epoch = config_.epoch_at(duty.slot);
  // Bound what peers can make this node remember: nothing for epochs far from now.
  const Epoch now = current_epoch();
  if (epoch.value > now.value + 1 || epoch.value + 2 < now.value) return late;
  record(pubkey, epoch).partials.insert(partial.share_idx.value);
  return late;
}

void OperatorApi::on_sent(const core::Duty& duty, const core::PubKey& pubkey, const core::ParSignedData& partial) {
  if (duty.type == core::DutyType::kExit) keep_partial(duty, pubkey, partial);
}

void OperatorApi::keep_partial(const core::Duty& duty, const core::PubKey& pubkey,
                               const core::ParSignedData& partial) {
  const auto* msg = std::get_if<core::ExitMessage>(&partial.data.message);
  if (msg == nullptr || keys_.find(pubkey) == nullptr) return;
  const Epoch epoch = msg->exit.epoch;
  // An exit is valid only from its epoch on, and the duty is the epoch's first slot: nothing else is kept.
  if (epoch.value > current_epoch().value + 1 || duty.slot != core::SlotClock(config_).epoch_start(epoch)) return;
  PartialExit p{pubkey, msg->exit, partial.share_idx, partial.data.signature.to_bytes()};
  // Verified when t are there (one pairing check per exit): a mass exit stays cheap on the io thread.
  auto added = book_.add(p, /*verify_now=*/false);
  for (const auto& why : book_.take_rejections()) log::warn("exits: {}", why);
  if (!added) {
    log::warn("exits: {}", added.error());
    return;
  }
  if (*added == ExitBook::Added::kKnown) return;
  Record& r = record(pubkey, epoch);
  r.partials.insert(partial.share_idx.value);
  if (*added == ExitBook::Added::kReady)
    log::info("exits: the exit of {} at epoch {} is recombined and verified (`phalanx exit broadcast` submits it)",
              to_hex(pubkey), epoch.value);
  partials_dirty_ = true;
  // Written at once (a partial this node lists as held must survive a kill -9 right after), up to 16 writes a
  // second; beyond that (a mass exit: thousands of partials) run_background() writes it within a second, so a
  // burst costs a few rewrites, not one per partial.
  constexpr std::uint32_t kImmediateWritesPerSecond = 16;
  const auto now = clock_.now();
  if (now - write_window_start_ >= std::chrono::seconds(1)) {
    write_window_start_ = now;
    window_writes_ = 0;
  }
  if (window_writes_ < kImmediateWritesPerSecond) {
    ++window_writes_;
    save_partials();
  }
}

void OperatorApi::save_partials() {
  if (!partials_dirty_ || options_.partials_file.empty()) return;
  partials_dirty_ = false;
  const std::string text = partial_exits_text(PartialExitsFile{std::nullopt, book_.partials()});
  if (auto w = write_file_atomic(options_.partials_file, as_bytes(text), 0600, true); !w)
    log::error("exits: cannot keep the partial exits in {}: {} (a restart forgets them)",
               options_.partials_file.string(), w.error().message());
}

void OperatorApi::on_submitted(const core::PubKey& pubkey, Epoch epoch, std::string_view error) {
  Record& r = record(pubkey, epoch);
  if (error.empty()) {
    r.submitted_at = unix_now();
    r.submit_error.clear();
    r.failure.clear();
  } else {
    r.submit_error = std::string(error);
  }
}

http::Response OperatorApi::post_exits(std::string_view body) {
  auto req = parse_exit_request(body);
  if (!req) return http::Response::error(400, req.error());
  if (!options_.embedded)
    return http::Response::error(
        400,
        "this node runs with a validator client (--signer vc): the validator client signs the partial exit "
        "(POST /eth/v1/beacon/pool/voluntary_exits through this node's validator API)");
  const Epoch now = current_epoch();
  const Epoch epoch = req->epoch.value_or(now);
  if (epoch.value > now.value)
    return http::Response::error(400, "exit epoch " + std::to_string(epoch.value) +
                                          " is in the future (current epoch " + std::to_string(now.value) +
                                          "): a beacon node accepts an exit only from its epoch on");
  std::vector<core::PubKey> pubkeys = req->pubkeys;
  if (req->all)
    for (const auto& [pk, v] : keys_.validators()) pubkeys.push_back(pk);
  Json data = Json::array();
  bool changed = false;
  for (const auto& pk : pubkeys) {
    Json o = Json::object();
    o["pubkey"] = to_hex(pk);
    std::string error;
    if (keys_.find(pk) == nullptr) {
      error = "not a validator of this cluster";
    } else if (auto ok = request_(pk, epoch); !ok) {
      error = explain(ok.error(), epoch);
    }
    if (error.empty()) {
      Record& r = record(pk, epoch);
      const std::uint64_t t = unix_now();
      if (!r.requested_at) r.requested_at = t;
      r.partials.insert(options_.share_idx.value);
      r.request_error.clear();
      pending_.erase(pk);
      auto& s = stored_[pk];
      if (s.epoch != epoch || s.requested_at == 0) {
        s = StoredExit{pk, epoch, *r.requested_at};
        changed = true;
      }
      log::info("exits: signed and sent this node's partial exit of {} at epoch {}", to_hex(pk), epoch.value);
      o["ok"] = true;
    } else {
      log::warn("exits: exit of {} at epoch {} not requested: {}", to_hex(pk), epoch.value, error);
      o["ok"] = false;
      o["error"] = error;
    }
    data.push_back(std::move(o));
  }
  Json out = Json::object();
  out["epoch"] = ssz::u64_to_dec(epoch.value);
  out["data"] = std::move(data);
  if (changed) {
    if (auto s = save(); !s) {
      log::error("exits: cannot persist the requests: {}", s.error());
      out["warning"] = "requested, but not saved (a restart forgets them): " + s.error();
    }
  }
  return http::Response::json(out);
}

Json OperatorApi::list() const {
  Json data = Json::array();
  for (const auto& [key, r] : records_) {
    Json o = Json::object();
    o["pubkey"] = to_hex(key.first);
    o["epoch"] = ssz::u64_to_dec(key.second);
    o["requested"] = r.requested_at.has_value();
    if (r.requested_at) o["requested_at"] = *r.requested_at;
    if (r.restored) o["restored"] = true;
    Json parts = Json::array();
    for (auto s : r.partials) parts.push_back(s);
    o["partials"] = std::move(parts);
    o["submitted"] = r.submitted_at.has_value();
    if (r.submitted_at) o["submitted_at"] = *r.submitted_at;
    const ExitBook::Entry* kept = book_.find(key.first, Epoch{key.second});
    Json signers = Json::array();
    if (kept != nullptr) {
      for (const auto& [idx, sig] : kept->partials) signers.push_back(idx);
      o["validator_index"] = ssz::u64_to_dec(kept->exit.validator_index.value);
    }
    o["signers"] = std::move(signers);
    o["ready"] = kept != nullptr && kept->full.has_value();
    if (kept != nullptr && kept->full)
      o["signed_exit"] = ssz::to_json(eth::phase0::SignedVoluntaryExit{kept->exit, *kept->full});
    std::string status;
    std::string error;
    if (r.submitted_at) {
      status = "submitted";
    } else if (kept != nullptr && kept->full) {
      status = "ready";
      error = !r.submit_error.empty() ? r.submit_error : r.failure;
    } else if (!r.submit_error.empty()) {
      status = "submit_failed";
      error = r.submit_error;
    } else if (!r.failure.empty()) {
      status = "failed";
      error = r.failure;
    } else if (!r.request_error.empty() && !r.requested_at) {
      status = "not_requested";
      error = r.request_error;
    } else if (r.partials.size() >= keys_.threshold()) {
      status = "threshold_reached";
    } else if (r.requested_at) {
      status = "waiting_for_peers";
    } else {
      status = "requested_by_peers";
    }
    o["status"] = status;
    if (!error.empty()) o["error"] = error;
    data.push_back(std::move(o));
  }
  for (const auto& [pk, e] : pending_) {
    if (records_.contains(Key{pk, e.epoch.value})) continue;
    Json o = Json::object();
    o["pubkey"] = to_hex(pk);
    o["epoch"] = ssz::u64_to_dec(e.epoch.value);
    o["requested"] = true;
    o["requested_at"] = e.requested_at;
    o["restored"] = true;
    o["partials"] = Json::array();
    o["submitted"] = false;
    o["status"] = "pending_restart";
    data.push_back(std::move(o));
  }
  Json out = Json::object();
  out["current_epoch"] = ssz::u64_to_dec(current_epoch().value);
  out["threshold"] = keys_.threshold();
  out["share_idx"] = options_.share_idx.value;
  out["data"] = std::move(data);
  return out;
}

void OperatorApi::add_routes(http::Router& router) {
  auto denied = [this]() -> std::optional<http::Response> {
    if (options_.loopback) return std::nullopt;
    return http::Response::error(403,
                                 "the operator API is served only when --monitoring-address is a loopback "
                                 "address (127.0.0.1, ::1); run the command on the node's machine");
  };
  router.add(
      http::Method::kPost, "/phalanx/v1/exits",
      [this, denied](const http::Request& req, const http::PathParams&) -> runtime::Task<http::Response> {
        if (auto d = denied()) co_return *d;
        if (req.content_type != http::kJson)
          co_return http::Response::error(415, "Content-Type must be application/json");
        co_return post_exits(req.body);
      });
  add_duty_routes(router);
  router.add(http::Method::kGet, "/phalanx/v1/exits",
             [this, denied](const http::Request&, const http::PathParams&) -> runtime::Task<http::Response> {
               if (auto d = denied()) co_return *d;
               co_return http::Response::json(list());
             });
}

}  // namespace phx::app
