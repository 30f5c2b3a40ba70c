#include "sim/beacon_sim.hpp"

#include <algorithm>
#include <cctype>

#include "base/assert.hpp"
#include "crypto/hash/sha256.hpp"
#include "eth/duty_signing.hpp"
#include "ssz/json.hpp"

namespace phx::sim {

using http::Method;
using http::PathParams;
using http::Request;
using http::Response;
using runtime::Task;
using ssz::Json;

const char* to_string(AttestationReject r) {
  switch (r) {
    case AttestationReject::kWrongFormat:
      return "wrong attestation format for the fork";
    case AttestationReject::kUnknownValidator:
      return "unknown validator";
    case AttestationReject::kNoDuty:
      return "no attester duty at this slot and committee";
    case AttestationReject::kBadAggregationBits:
      return "aggregation bits must select exactly one committee member";
    case AttestationReject::kWrongData:
      return "attestation data differs from the served data";
    case AttestationReject::kBadSignature:
      return "invalid signature";
  }
  return "unknown";
}

namespace {

std::string dec(std::uint64_t v) {
  return ssz::u64_to_dec(v);
}

/// Upper bound on attestations in one pool submission (one per validator of a slot's committees).
constexpr std::size_t kMaxPoolItems =
    eth::preset::kMaxValidatorsPerCommittee * eth::preset::kMaxCommitteesPerSlot;

Json data_body(Json data) {
  Json j = Json::object();
  j["data"] = std::move(data);
  return j;
}

std::uint64_t u64_of(const Root& r) {
  return get_le64(r.data());
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

BeaconSim::BeaconSim(BeaconSimConfig config, const Clock& clock) : config_(std::move(config)), clock_(clock) {
  PHX_ASSERT(config_.chain.valid());
  PHX_ASSERT(config_.committees_per_slot >= 1);
  for (std::size_t i = 0; i < config_.validators.size(); ++i) {
    auto pk = crypto::bls::PublicKey::from_bytes(config_.validators[i].pubkey);
    PHX_ASSERT(pk.has_value());
    keys_.push_back(*pk);
    PHX_ASSERT(by_index_.emplace(config_.validators[i].index, i).second);
  }
  add_routes();
}

Root BeaconSim::derive(std::string_view label, std::uint64_t a, std::uint64_t b) const {
  Bytes buf(24);
  put_le64(buf.data(), config_.seed);
  put_le64(buf.data() + 8, a);
  put_le64(buf.data() + 16, b);
  append(buf, as_bytes(label));
  return crypto::hash::sha256(buf);
}

Slot BeaconSim::current_slot() const {
  auto now = std::chrono::duration_cast<std::chrono::seconds>(clock_.now().time_since_epoch()).count();
  auto t = static_cast<std::uint64_t>(now < 0 ? 0 : now);
  if (t < config_.chain.genesis_time) return Slot{0};
  return Slot{(t - config_.chain.genesis_time) / config_.chain.seconds_per_slot};
}

const std::map<ValidatorIndex, BeaconSim::Assignment>& BeaconSim::assignments(Epoch epoch) const {
  auto it = assignment_cache_.find(epoch);
  if (it != assignment_cache_.end()) return it->second;
  const auto spe = config_.chain.slots_per_epoch;
  std::map<std::pair<std::uint64_t, std::uint64_t>, std::vector<ValidatorIndex>> committees;
  std::map<ValidatorIndex, Assignment> out;
  for (const auto& v : config_.validators) {
    auto r = derive("attester", epoch.value, v.index.value);
    Assignment a;
    a.slot = Slot{epoch.value * spe + u64_of(r) % spe};
    a.committee_index = get_le64(r.data() + 8) % config_.committees_per_slot;
    committees[{a.slot.value, a.committee_index}].push_back(v.index);
    out.emplace(v.index, a);
  }
  for (auto& [key, members] : committees) {
    std::sort(members.begin(), members.end());
    for (std::size_t p = 0; p < members.size(); ++p) {
      auto& a = out[members[p]];
      a.committee_length = members.size();
      a.position = p;
    }
  }
  if (assignment_cache_.size() > 16) assignment_cache_.erase(assignment_cache_.begin());
  return assignment_cache_.emplace(epoch, std::move(out)).first->second;
}

std::vector<http::AttesterDuty> BeaconSim::attester_duties(Epoch epoch,
                                                           const std::vector<ValidatorIndex>& indices) const {
  const auto& as = assignments(epoch);
  std::vector<http::AttesterDuty> out;
  for (auto idx : indices) {
    auto it = as.find(idx);
    if (it == as.end()) continue;
    const auto& a = it->second;
    out.push_back(http::AttesterDuty{config_.validators[by_index_.at(idx)].pubkey, idx, a.committee_index,
                                     a.committee_length, config_.committees_per_slot, a.position, a.slot});
  }
  return out;
}

std::vector<http::ProposerDuty> BeaconSim::proposer_duties(Epoch epoch) const {
  std::vector<http::ProposerDuty> out;
  if (config_.validators.empty()) return out;
  const auto spe = config_.chain.slots_per_epoch;
  for (std::uint64_t s = epoch.value * spe; s < (epoch.value + 1) * spe; ++s) {
    const auto& v = config_.validators[u64_of(derive("proposer", s)) % config_.validators.size()];
    out.push_back(http::ProposerDuty{v.pubkey, v.index, Slot{s}});
  }
  return out;
}

eth::phase0::AttestationData BeaconSim::attestation_data(Slot slot, std::uint64_t committee_index) const {
  auto epoch = config_.chain.epoch_at(slot);
  bool electra = config_.chain.fork_at(epoch) >= eth::Fork::kElectra;
  eth::phase0::AttestationData d;
  d.slot = slot;
  d.index = electra ? 0 : committee_index;
  d.beacon_block_root = derive("block", slot.value);
  Epoch source{epoch.value == 0 ? 0 : epoch.value - 1};
  d.source = {source, derive("checkpoint", source.value)};
  d.target = {epoch, derive("checkpoint", epoch.value)};
  return d;
}

Root BeaconSim::dependent_root(Epoch epoch) const {
  return derive("dependent", epoch.value == 0 ? 0 : epoch.value - 1);
}

Result<void, AttestationReject> BeaconSim::count(Result<void, AttestationReject> r) {
  if (r) {
    ++stats_.accepted;
  } else {
    ++stats_.rejected;
    ++stats_.by_reason[r.error()];
  }
  return r;
}

Result<void, AttestationReject> BeaconSim::check(ValidatorIndex v, const eth::phase0::AttestationData& data,
                                                 const eth::BLSSignature& sig,
                                                 std::uint64_t committee_index) {
  auto vit = by_index_.find(v);
  if (vit == by_index_.end()) return std::unexpected(AttestationReject::kUnknownValidator);
  const auto& as = assignments(config_.chain.epoch_at(data.slot));
  auto a = as.find(v);
  if (a == as.end() || a->second.slot != data.slot || a->second.committee_index != committee_index) {
    return std::unexpected(AttestationReject::kNoDuty);
  }
  if (!(data == attestation_data(data.slot, committee_index)))
    return std::unexpected(AttestationReject::kWrongData);
  auto s = crypto::bls::Signature::from_bytes(sig);
  if (!s) return std::unexpected(AttestationReject::kBadSignature);
  auto root = eth::attestation_signing_root(config_.chain, data);
  if (!crypto::bls::verify(keys_[vit->second], root, *s))
    return std::unexpected(AttestationReject::kBadSignature);
  return {};
}

Result<void, AttestationReject> BeaconSim::submit(const eth::phase0::Attestation& att) {
  if (config_.chain.fork_at(config_.chain.epoch_at(att.data.slot)) >= eth::Fork::kElectra) {
    return count(std::unexpected(AttestationReject::kWrongFormat));
  }
  std::optional<std::size_t> bit;
  std::size_t set = 0;
  for (std::size_t i = 0; i < att.aggregation_bits.size(); ++i) {
    if (att.aggregation_bits.get(i)) {
      ++set;
      bit = i;
    }
  }
  if (set != 1) return count(std::unexpected(AttestationReject::kBadAggregationBits));
  const auto& as = assignments(config_.chain.epoch_at(att.data.slot));
  for (const auto& [v, a] : as) {
    if (a.slot == att.data.slot && a.committee_index == att.data.index && a.position == *bit) {
      if (a.committee_length != att.aggregation_bits.size()) {
        return count(std::unexpected(AttestationReject::kBadAggregationBits));
      }
      return count(check(v, att.data, att.signature, att.data.index));
    }
  }
  return count(std::unexpected(AttestationReject::kNoDuty));
}

Result<void, AttestationReject> BeaconSim::submit(const eth::electra::SingleAttestation& att) {
  if (config_.chain.fork_at(config_.chain.epoch_at(att.data.slot)) < eth::Fork::kElectra ||
      att.data.index != 0) {
    return count(std::unexpected(AttestationReject::kWrongFormat));
  }
  return count(check(att.attester_index, att.data, att.signature, att.committee_index));
}

// ---- handlers: one small function per endpoint ----

void BeaconSim::add_routes() {
  auto& r = router_;
  r.add(Method::kGet, "/eth/v1/beacon/genesis", [this](const Request&, const PathParams&) -> Task<Response> {
    Json d = Json::object();
    d["genesis_time"] = dec(config_.chain.genesis_time);
    d["genesis_validators_root"] = to_hex(config_.chain.genesis_validators_root);
    d["genesis_fork_version"] = to_hex(config_.chain.genesis_fork_version());
    co_return Response::json(data_body(std::move(d)));
  });

  r.add(Method::kGet, "/eth/v1/config/spec", [this](const Request&, const PathParams&) -> Task<Response> {
    const auto& c = config_.chain;
    Json d = Json::object();
    d["CONFIG_NAME"] = c.name;
    d["PRESET_BASE"] = std::string(eth::preset_name(c.preset));
    d["GENESIS_FORK_VERSION"] = to_hex(c.genesis_fork_version());
    for (std::size_t i = 1; i < eth::kForkCount; ++i) {
      auto up = upper(eth::fork_name(static_cast<eth::Fork>(i)));
      d[up + "_FORK_VERSION"] = to_hex(c.forks[i].version);
      d[up + "_FORK_EPOCH"] = dec(c.forks[i].epoch.value);
    }
    d["SECONDS_PER_SLOT"] = dec(c.seconds_per_slot);
    d["SLOTS_PER_EPOCH"] = dec(c.slots_per_epoch);
    d["DOMAIN_BEACON_ATTESTER"] = to_hex(eth::domain::kBeaconAttester);
    co_return Response::json(data_body(std::move(d)));
  });

  r.add(Method::kGet, "/eth/v1/config/fork_schedule",
        [this](const Request&, const PathParams&) -> Task<Response> {
          const auto& c = config_.chain;
          Json a = Json::array();
          for (std::size_t i = 0; i < eth::kForkCount; ++i) {
            if (c.forks[i].epoch == eth::kFarFutureEpoch) continue;
            eth::phase0::Fork f{i == 0 ? c.forks[0].version : c.forks[i - 1].version, c.forks[i].version,
                                c.forks[i].epoch};
            a.push_back(ssz::to_json(f));
          }
          co_return Response::json(data_body(std::move(a)));
        });

  r.add(Method::kGet, "/eth/v1/node/syncing", [this](const Request&, const PathParams&) -> Task<Response> {
    http::SyncStatus s{current_slot(), 0, false, false, false};
    co_return Response::json(data_body(ssz::to_json(s)));
  });

  r.add(Method::kGet, "/eth/v1/node/version", [this](const Request&, const PathParams&) -> Task<Response> {
    Json d = Json::object();
    d["version"] = config_.node_version;
    co_return Response::json(data_body(std::move(d)));
  });

  // Validators by index or pubkey (GET ?id=… or POST {"ids":[…]}).
  auto validators = [this](const Request& req, const PathParams& p) -> Task<Response> {
    const auto& state = p.at("state_id");
    if (state != "head" && state != "genesis" && state != "finalized" && state != "justified" &&
        !http::parse_u64(state)) {
      co_return Response::error(400, "invalid state_id \"" + state + "\"");
    }
    std::vector<std::string> ids;
    if (req.method == Method::kPost && !req.body.empty()) {
      auto j = ssz::parse_json(req.body);
      if (!j || !j->is_object()) co_return Response::error(400, "body must be a JSON object");
      if (auto it = j->find("ids"); it != j->end()) {
        if (!it->is_array()) co_return Response::error(400, "ids: expected an array");
        for (const auto& e : *it) {
          if (!e.is_string()) co_return Response::error(400, "ids: expected strings");
          ids.push_back(e.get<std::string>());
        }
      }
    } else {
      ids = req.query_values("id");
    }
    Json a = Json::array();
    for (std::size_t i = 0; i < config_.validators.size(); ++i) {
      const auto& v = config_.validators[i];
      bool wanted = ids.empty();
      for (const auto& id : ids) {
        if (id.starts_with("0x")) {
          auto pk = from_hex_fixed<48>(id);
          if (!pk) co_return Response::error(400, "invalid pubkey \"" + id + "\"");
          wanted = wanted || *pk == v.pubkey;
        } else {
          auto n = http::parse_u64(id);
          if (!n) co_return Response::error(400, "invalid validator id \"" + id + "\"");
          wanted = wanted || *n == v.index.value;
        }
      }
      if (!wanted) continue;
      http::ValidatorInfo info;
      info.index = v.index;
      info.balance = 32'000'000'000;
      info.status = "active_ongoing";
      info.validator = {v.pubkey, Root{},   32'000'000'000,       false,
                        Epoch{0}, Epoch{0}, eth::kFarFutureEpoch, eth::kFarFutureEpoch};
      info.validator.withdrawal_credentials[0] = 0x01;
      a.push_back(http::validator_info_to_json(info));
    }
    Json body = data_body(std::move(a));
    body["execution_optimistic"] = false;
    body["finalized"] = false;
    co_return Response::json(body);
  };
  r.add(Method::kGet, "/eth/v1/beacon/states/{state_id}/validators", validators);
  r.add(Method::kPost, "/eth/v1/beacon/states/{state_id}/validators", validators);

  r.add(Method::kPost, "/eth/v1/validator/duties/attester/{epoch}",
        [this](const Request& req, const PathParams& p) -> Task<Response> {
          auto epoch = http::parse_u64(p.at("epoch"));
          if (!epoch) co_return Response::error(400, "invalid epoch \"" + p.at("epoch") + "\"");
          auto j = ssz::parse_json(req.body);
          if (!j || !j->is_array()) co_return Response::error(400, "body must be a JSON array of indices");
          std::vector<ValidatorIndex> indices;
          for (const auto& e : *j) {
            auto n = e.is_string() ? http::parse_u64(e.get<std::string>()) : std::nullopt;
            if (!n) co_return Response::error(400, "invalid validator index " + e.dump());
            indices.push_back(ValidatorIndex{*n});
          }
          Json a = Json::array();
          for (const auto& d : attester_duties(Epoch{*epoch}, indices)) a.push_back(ssz::to_json(d));
          Json body = Json::object();
          body["dependent_root"] = to_hex(dependent_root(Epoch{*epoch}));
          body["execution_optimistic"] = false;
          body["data"] = std::move(a);
          co_return Response::json(body);
        });

  r.add(Method::kGet, "/eth/v1/validator/duties/proposer/{epoch}",
        [this](const Request&, const PathParams& p) -> Task<Response> {
          auto epoch = http::parse_u64(p.at("epoch"));
          if (!epoch) co_return Response::error(400, "invalid epoch \"" + p.at("epoch") + "\"");
          Json a = Json::array();
          for (const auto& d : proposer_duties(Epoch{*epoch})) a.push_back(ssz::to_json(d));
          Json body = Json::object();
          body["dependent_root"] = to_hex(dependent_root(Epoch{*epoch}));
          body["execution_optimistic"] = false;
          body["data"] = std::move(a);
          co_return Response::json(body);
        });

  r.add(Method::kGet, "/eth/v1/validator/attestation_data",
        [this](const Request& req, const PathParams&) -> Task<Response> {
          auto slot = http::parse_u64(req.query_value("slot").value_or(""));
          auto ci = http::parse_u64(req.query_value("committee_index").value_or(""));
          if (!slot) co_return Response::error(400, "slot: expected a decimal query parameter");
          if (!ci) co_return Response::error(400, "committee_index: expected a decimal query parameter");
          if (*ci >= config_.committees_per_slot)
            co_return Response::error(400, "committee_index out of range");
          auto d = attestation_data(Slot{*slot}, *ci);
          if (req.wants_ssz()) {
            auto b = ssz::serialize(d);
            co_return Response::ssz(std::string(b.begin(), b.end()));
          }
          co_return Response::json(data_body(ssz::to_json(d)));
        });

  // Pool submissions: v1 (phase0 Attestation) and v2 (fork in Eth-Consensus-Version).
  auto pool = [this](const Request& req, bool v2) -> Response {
    std::optional<eth::Fork> fork = eth::Fork::kPhase0;
    if (v2) {
      fork = eth::fork_from_name(req.consensus_version);
      if (!fork) return Response::error(400, "missing or unknown Eth-Consensus-Version header");
    }
    Json failures = Json::array();
    auto fail_at = [&failures](std::size_t i, std::string message) {
      Json f = Json::object();
      f["index"] = i;
      f["message"] = std::move(message);
      failures.push_back(std::move(f));
    };
    auto verify_all = [&](auto tag) -> std::optional<Response> {
      using T = decltype(tag);
      std::vector<T> items;
      std::vector<std::string> decode_errors;
      if (req.body_is_ssz()) {
        auto list = ssz::deserialize<ssz::List<T, kMaxPoolItems>>(as_bytes(req.body));
        if (!list) return Response::error(400, "SSZ body: " + list.error().message());
        items.assign(list->begin(), list->end());
        decode_errors.resize(items.size());
      } else {
        auto j = ssz::parse_json(req.body);
        if (!j || !j->is_array()) return Response::error(400, "body must be a JSON array of attestations");
        for (std::size_t i = 0; i < j->size(); ++i) {
          auto a = ssz::from_json<T>((*j)[i], "[" + std::to_string(i) + "]");
          items.push_back(a ? std::move(*a) : T{});
          decode_errors.push_back(a ? std::string() : a.error().message());
        }
      }
      for (std::size_t i = 0; i < items.size(); ++i) {
        if (!decode_errors[i].empty()) {
          fail_at(i, decode_errors[i]);
        } else if (auto res = submit(items[i]); !res) {
          fail_at(i, to_string(res.error()));
        }
      }
      return std::nullopt;
    };
    std::optional<Response> early = *fork >= eth::Fork::kElectra
                                        ? verify_all(eth::electra::SingleAttestation{})
                                        : verify_all(eth::phase0::Attestation{});
    if (early) return *early;
    if (failures.empty()) return Response{};
    Json body = Json::object();
    body["code"] = 400;
    body["message"] = "some attestations failed validation";
    body["failures"] = std::move(failures);
    return Response::json(body, 400);
  };
  r.add(Method::kPost, "/eth/v1/beacon/pool/attestations",
        [pool](const Request& req, const PathParams&) -> Task<Response> { co_return pool(req, false); });
  r.add(Method::kPost, "/eth/v2/beacon/pool/attestations",
        [pool](const Request& req, const PathParams&) -> Task<Response> { co_return pool(req, true); });
}

}  // namespace phx::sim
