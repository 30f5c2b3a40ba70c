// Beacon-node simulator, the HTTP side: one Beacon API handler per endpoint over the model and checks.
#include <algorithm>
#include <cctype>
#include <type_traits>
#include <utility>
#include <variant>

#include "eth/duty_signing.hpp"
#include "sim/beacon_sim.hpp"
#include "sim/beacon_sim_detail.hpp"
#include "ssz/json.hpp"

namespace phx::sim {

using http::Method;
using http::PathParams;
using http::Request;
using http::Response;
using runtime::Task;
using ssz::Json;
using namespace detail;

namespace {

std::string dec(std::uint64_t v) {
  return ssz::u64_to_dec(v);
}

Json data_body(Json data) {
  Json j = Json::object();
  j["data"] = std::move(data);
  return j;
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

/// A POST duties request (attester, sync): the `{epoch}` path parameter and the body's JSON array of
/// decimal-string validator indices, or the 400 response that names what is wrong.
Result<std::pair<Epoch, std::vector<ValidatorIndex>>, Response> duties_request(const Request& req,
                                                                               const PathParams& p) {
  auto epoch = http::parse_u64(p.at("epoch"));
  if (!epoch) return std::unexpected(error_response(400, "invalid epoch \"" + p.at("epoch") + "\""));
  auto j = ssz::parse_json(req.body);
  if (!j || !j->is_array()) return std::unexpected(error_response(400, "body must be a JSON array of indices"));
  std::vector<ValidatorIndex> indices;
  for (const auto& e : *j) {
    auto n = e.is_string() ? http::parse_u64(e.get<std::string>()) : std::nullopt;
    if (!n) return std::unexpected(error_response(400, "invalid validator index " + e.dump()));
    indices.push_back(ValidatorIndex{*n});
  }
  return std::pair{Epoch{*epoch}, std::move(indices)};
}

}  // namespace

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
    d["DOMAIN_BEACON_PROPOSER"] = to_hex(eth::domain::kBeaconProposer);
    d["DOMAIN_BEACON_ATTESTER"] = to_hex(eth::domain::kBeaconAttester);
    d["DOMAIN_RANDAO"] = to_hex(eth::domain::kRandao);
    d["DOMAIN_DEPOSIT"] = to_hex(eth::domain::kDeposit);
    d["DOMAIN_VOLUNTARY_EXIT"] = to_hex(eth::domain::kVoluntaryExit);
    d["DOMAIN_SELECTION_PROOF"] = to_hex(eth::domain::kSelectionProof);
    d["DOMAIN_AGGREGATE_AND_PROOF"] = to_hex(eth::domain::kAggregateAndProof);
    d["DOMAIN_SYNC_COMMITTEE"] = to_hex(eth::domain::kSyncCommittee);
    d["DOMAIN_SYNC_COMMITTEE_SELECTION_PROOF"] = to_hex(eth::domain::kSyncCommitteeSelectionProof);
    d["DOMAIN_CONTRIBUTION_AND_PROOF"] = to_hex(eth::domain::kContributionAndProof);
    d["DOMAIN_APPLICATION_BUILDER"] = to_hex(eth::domain::kApplicationBuilder);
    d["EPOCHS_PER_SYNC_COMMITTEE_PERIOD"] = dec(config_.epochs_per_sync_committee_period);
    d["SYNC_COMMITTEE_SIZE"] = dec(eth::preset::kSyncCommitteeSize);
    d["SYNC_COMMITTEE_SUBNET_COUNT"] = dec(eth::preset::kSyncCommitteeSubnetCount);
    d["TARGET_AGGREGATORS_PER_COMMITTEE"] = dec(kTargetAggregatorsPerCommittee);
    d["TARGET_AGGREGATORS_PER_SYNC_SUBCOMMITTEE"] = dec(kTargetAggregatorsPerSyncSubcommittee);
    d["MAX_COMMITTEES_PER_SLOT"] = dec(eth::preset::kMaxCommitteesPerSlot);
    d["MAX_VALIDATORS_PER_COMMITTEE"] = dec(eth::preset::kMaxValidatorsPerCommittee);
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

  // getPeerCount: a simulated node is well connected (`phalanx test beacon` checks a minimum) unless a test set
  // another count (POST /sim/v1/peer_count: readiness says bn_no_peers at 0).
  r.add(Method::kGet, "/eth/v1/node/peer_count", [this](const Request&, const PathParams&) -> Task<Response> {
    Json d = Json::object();
    d["disconnected"] = "0";
    d["connecting"] = "0";
    d["connected"] = dec(peer_count_);
    d["disconnecting"] = "0";
    co_return Response::json(data_body(std::move(d)));
  });
  r.add(Method::kPost, "/sim/v1/peer_count", [this](const Request& req, const PathParams&) -> Task<Response> {
    auto j = ssz::parse_json(req.body);
    const Json* c = j && j->is_object() && j->contains("connected") ? &(*j)["connected"] : nullptr;
    auto n = c && c->is_string() ? http::parse_u64(c->get<std::string>()) : std::nullopt;
    if (!n) co_return error_response(400, "body must be {\"connected\": \"<decimal peer count>\"}");
    peer_count_ = *n;
    co_return Response::json(data_body(Json::object()));
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
      co_return error_response(400, "invalid state_id \"" + state + "\"");
    }
    std::vector<std::string> ids;
    if (req.method == Method::kPost && !req.body.empty()) {
      auto j = ssz::parse_json(req.body);
      if (!j || !j->is_object()) co_return error_response(400, "body must be a JSON object");
      if (auto it = j->find("ids"); it != j->end()) {
        if (!it->is_array()) co_return error_response(400, "ids: expected an array");
        for (const auto& e : *it) {
          if (!e.is_string()) co_return error_response(400, "ids: expected strings");
          ids.push_back(e.get<std::string>());
        }
      }
    } else {
      ids = req.query_values("id");
    }
    // Each id is parsed once and looked up in the indexes (a 10,000-key request is 10,000 lookups, not
    // 10,000 × validators comparisons); the answer keeps the validator-set order and lists a validator once.
    std::vector<std::size_t> positions;
    if (ids.empty()) {
      positions.resize(config_.validators.size());
      for (std::size_t i = 0; i < positions.size(); ++i) positions[i] = i;
    } else {
      positions.reserve(ids.size());
      for (const auto& id : ids) {
        std::optional<ValidatorIndex> idx;
        if (id.starts_with("0x")) {
          auto pk = from_hex_fixed<48>(id);
          if (!pk) co_return error_response(400, "invalid pubkey \"" + id + "\"");
          if (auto it = by_pubkey_.find(*pk); it != by_pubkey_.end()) idx = it->second;
        } else {
          auto n = http::parse_u64(id);
          if (!n) co_return error_response(400, "invalid validator id \"" + id + "\"");
          idx = ValidatorIndex{*n};
        }
        if (!idx) continue;
        if (auto it = by_index_.find(*idx); it != by_index_.end()) positions.push_back(it->second);
      }
      std::sort(positions.begin(), positions.end());
      positions.erase(std::unique(positions.begin(), positions.end()), positions.end());
    }
    Json a = Json::array();
    for (const std::size_t i : positions) {
      const auto& v = config_.validators[i];
      http::ValidatorInfo info;
      info.index = v.index;
      info.balance = 32'000'000'000;
      info.status = "active_ongoing";
      info.validator = {v.pubkey, Root{},   32'000'000'000,       false,
                        Epoch{0}, Epoch{0}, eth::kFarFutureEpoch, eth::kFarFutureEpoch};
      info.validator.withdrawal_credentials[0] = 0x01;
      if (auto ex = exit_epochs_.find(v.index); ex != exit_epochs_.end()) {
        constexpr std::uint64_t kMinWithdrawabilityDelay = 256;
        info.status = current_epoch().value >= ex->second.value ? "exited_unslashed" : "active_exiting";
        info.validator.exit_epoch = ex->second;
        info.validator.withdrawable_epoch = Epoch{ex->second.value + kMinWithdrawabilityDelay};
      }
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
          auto q = duties_request(req, p);
          if (!q) co_return std::move(q.error());
          const auto& [epoch, indices] = *q;
          Json a = Json::array();
          for (const auto& d : attester_duties(epoch, indices)) a.push_back(ssz::to_json(d));
          Json body = Json::object();
          body["dependent_root"] = to_hex(attester_dependent_root(epoch));
          body["execution_optimistic"] = false;
          body["data"] = std::move(a);
          co_return Response::json(body);
        });

  // Liveness (doppelganger protection): a validator is live in an epoch when the simulator received a validly
  // signed attestation with that target or a block of a slot in it (the slashing oracle's records), any epoch.
  r.add(Method::kPost, "/eth/v1/validator/liveness/{epoch}",
        [this](const Request& req, const PathParams& p) -> Task<Response> {
          auto epoch = http::parse_u64(p.at("epoch"));
          if (!epoch) co_return error_response(400, "invalid epoch \"" + p.at("epoch") + "\"");
          auto j = ssz::parse_json(req.body);
          if (!j || !j->is_array()) co_return error_response(400, "body must be a JSON array of validator indices");
          Json a = Json::array();
          for (const auto& e : *j) {
            auto idx = e.is_string() ? http::parse_u64(e.get<std::string>()) : std::nullopt;
            if (!idx) co_return error_response(400, "invalid validator index " + e.dump());
            Json item = Json::object();
            item["index"] = std::to_string(*idx);
            item["is_live"] = oracle_.live(ValidatorIndex{*idx}, Epoch{*epoch}, config_.chain.slots_per_epoch);
            a.push_back(std::move(item));
          }
          co_return Response::json(data_body(std::move(a)));
        });

  r.add(Method::kGet, "/eth/v1/validator/duties/proposer/{epoch}",
        [this](const Request&, const PathParams& p) -> Task<Response> {
          auto epoch = http::parse_u64(p.at("epoch"));
          if (!epoch) co_return error_response(400, "invalid epoch \"" + p.at("epoch") + "\"");
          Json a = Json::array();
          for (const auto& d : proposer_duties(Epoch{*epoch})) a.push_back(ssz::to_json(d));
          Json body = Json::object();
          body["dependent_root"] = to_hex(proposer_dependent_root(Epoch{*epoch}));
          body["execution_optimistic"] = false;
          body["data"] = std::move(a);
          co_return Response::json(body);
        });

  r.add(Method::kGet, "/eth/v1/validator/attestation_data",
        [this](const Request& req, const PathParams&) -> Task<Response> {
          auto slot = http::parse_u64(req.query_value("slot").value_or(""));
          auto ci = http::parse_u64(req.query_value("committee_index").value_or(""));
          if (!slot) co_return error_response(400, "slot: expected a decimal query parameter");
          if (!ci) co_return error_response(400, "committee_index: expected a decimal query parameter");
          if (*ci >= config_.committees_per_slot)
            co_return error_response(400, "committee_index out of range");
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
      if (!fork) return error_response(400, "missing or unknown Eth-Consensus-Version header");
    }
    Json failures = Json::array();
    auto fail_at = [&failures](std::size_t i, std::string message) {
      Json f = Json::object();
      f["index"] = i;
      f["message"] = printable(message);
      failures.push_back(std::move(f));
    };
    auto verify_all = [&](auto tag) -> std::optional<Response> {
      using T = decltype(tag);
      std::vector<T> items;
      std::vector<std::string> decode_errors;
      if (req.body_is_ssz()) {
        auto list = ssz::deserialize<ssz::List<T, kMaxPoolItems>>(as_bytes(req.body));
        if (!list) return error_response(400, "SSZ body: " + list.error().message());
        items.assign(list->begin(), list->end());
        decode_errors.resize(items.size());
      } else {
        auto j = ssz::parse_json(req.body);
        if (!j || !j->is_array()) {
          count_malformed(SimDuty::kAttestation);
          return error_response(400, "body must be a JSON array of attestations");
        }
        for (std::size_t i = 0; i < j->size(); ++i) {
          auto a = ssz::from_json<T>((*j)[i], "[" + std::to_string(i) + "]");
          items.push_back(a ? std::move(*a) : T{});
          decode_errors.push_back(a ? std::string() : a.error().message());
        }
      }
      std::vector<T> good;
      std::vector<std::size_t> positions;
      for (std::size_t i = 0; i < items.size(); ++i) {
        if (!decode_errors[i].empty()) {
          count_malformed(SimDuty::kAttestation);
          fail_at(i, decode_errors[i]);
        } else {
          good.push_back(std::move(items[i]));
          positions.push_back(i);
        }
      }
      auto results = submit_attestations(std::span<const T>(good));
      for (std::size_t k = 0; k < results.size(); ++k) {
        if (!results[k]) fail_at(positions[k], to_string(results[k].error()));
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

// ---- duty routes beyond attestations ----

namespace {

/// `{"code":400,"message":…,"failures":[{"index":i,"message":…}]}` or 200 when nothing failed.
Response failures_response(Json failures, std::string_view what) {
  if (failures.empty()) return Response{};
  Json body = Json::object();
  body["code"] = 400;
  body["message"] = "some " + std::string(what) + " failed validation";
  body["failures"] = std::move(failures);
  return Response::json(body, 400);
}

void add_failure(Json& failures, std::size_t i, std::string message) {
  Json f = Json::object();
  f["index"] = i;
  f["message"] = printable(message);
  failures.push_back(std::move(f));
}

template <std::size_t N>
std::optional<ByteArray<N>> hex_query(const Request& req, std::string_view key) {
  auto v = req.query_value(key);
  if (!v) return std::nullopt;
  auto b = from_hex_fixed<N>(*v);
  if (!b) return std::nullopt;
  return *b;
}

/// Finds `slot` of a signed block JSON (phase0 … capella: message.slot; deneb on: signed_block.message.slot).
std::optional<std::uint64_t> signed_block_slot(const Json& j) {
  const Json* m = &j;
  if (m->is_object() && m->contains("signed_block")) m = &(*m)["signed_block"];
  if (!m->is_object() || !m->contains("message")) return std::nullopt;
  const auto& msg = (*m)["message"];
  if (!msg.is_object() || !msg.contains("slot") || !msg["slot"].is_string()) return std::nullopt;
  return http::parse_u64(msg["slot"].get<std::string>());
}

}  // namespace

void BeaconSim::add_duty_routes() {
  auto& r = router_;
  // Decodes a JSON array body item by item (a bad item is counted as malformed and reported), submits the rest.
  auto batch = [this](const Request& req, SimDuty kind, std::string_view what, auto decode,
                      auto submit_one) -> Response {
    if (req.body_is_ssz()) return error_response(415, "only JSON bodies are supported here");
    auto j = ssz::parse_json(req.body);
    if (!j || !j->is_array()) {
      count_malformed(kind);
      return error_response(400, "body must be a JSON array");
    }
    Json failures = Json::array();
    for (std::size_t i = 0; i < j->size(); ++i) {
      auto v = decode((*j)[i], "[" + std::to_string(i) + "]");
      if (!v) {
        count_malformed(kind);
        add_failure(failures, i, v.error().message());
      } else if (auto res = submit_one(*v); !res) {
        add_failure(failures, i, to_string(res.error()));
      }
    }
    return failures_response(std::move(failures), what);
  };

  r.add(Method::kPost, "/eth/v1/validator/duties/sync/{epoch}",
        [this](const Request& req, const PathParams& p) -> Task<Response> {
          auto q = duties_request(req, p);
          if (!q) co_return std::move(q.error());
          const auto& [epoch, indices] = *q;
          Json a = Json::array();
          for (const auto& d : sync_committee_duties(epoch, indices)) a.push_back(ssz::to_json(d));
          Json body = data_body(std::move(a));
          body["execution_optimistic"] = false;
          co_return Response::json(body);
        });

  // produceBlockV3, and the older forms Lodestar 1.5.1 uses: v2/v1 (full blocks), v1 blinded_blocks.
  enum class Produce { kV3, kFull, kBlinded, kFullV1, kBlindedV1 };
  auto produce = [this](const Request& req, const PathParams& p, Produce mode) -> Response {
    auto slot = http::parse_u64(p.at("slot"));
    if (!slot) return error_response(400, "invalid slot \"" + p.at("slot") + "\"");
    auto randao = hex_query<96>(req, "randao_reveal");
    if (!randao) return error_response(400, "randao_reveal: expected a 0x-prefixed 96-byte hex query parameter");
    Root graffiti{};
    if (auto g = req.query_value("graffiti")) {
      // 0x-prefixed bytes32, or (as Lodestar's BN accepts) text of at most 32 bytes, zero padded.
      if (auto hex = hex_query<32>(req, "graffiti"); hex && g->starts_with("0x")) {
        graffiti = *hex;
      } else if (g->size() <= graffiti.size()) {
        std::copy(g->begin(), g->end(), graffiti.begin());
      } else {
        return error_response(400, "graffiti: expected 32 bytes of hex or at most 32 bytes of text");
      }
    }
    std::optional<std::uint64_t> boost;
    if (auto b = req.query_value("builder_boost_factor")) {
      boost = http::parse_u64(*b);
      if (!boost) return error_response(400, "builder_boost_factor: expected a decimal");
    }
    const bool v1 = mode == Produce::kFullV1 || mode == Produce::kBlindedV1;
    if (mode == Produce::kFullV1) mode = Produce::kFull;
    if (mode == Produce::kBlindedV1) mode = Produce::kBlinded;
    if (mode == Produce::kFull) boost = 0;
    if (mode == Produce::kBlinded) {
      if (!config_.builder_blocks) return error_response(400, "no builder configured");
      boost = std::nullopt;
    }
    auto res = produce_block(Slot{*slot}, *randao, graffiti, boost);
    if (!res) return error_response(400, res.error());
    if (mode == Produce::kBlinded && !res->blinded()) return error_response(400, "no blinded blocks before bellatrix");
    Json body = std::visit([](const auto& b) { return beaconapi::encode_versioned_json(b); }, res->block);
    if (v1) body.erase("version");  // v1 answers {"data": …}
    if (mode == Produce::kV3) {
      body["execution_payload_blinded"] = res->blinded();
      body["execution_payload_value"] = ssz::to_json(res->execution_payload_value);
      body["consensus_block_value"] = ssz::to_json(res->consensus_block_value);
    }
    Response out = Response::json(body);
    out.consensus_version = std::string(eth::fork_name(res->fork()));
    if (mode == Produce::kV3) {  // the spec's v3 headers (the only source of these for SSZ answers)
      out.headers.emplace_back("Eth-Execution-Payload-Blinded", res->blinded() ? "true" : "false");
      out.headers.emplace_back("Eth-Execution-Payload-Value", ssz::u256_to_dec(res->execution_payload_value));
      out.headers.emplace_back("Eth-Consensus-Block-Value", ssz::u256_to_dec(res->consensus_block_value));
    }
    return out;
  };
  r.add(Method::kGet, "/eth/v3/validator/blocks/{slot}", [produce](const Request& req, const PathParams& p) -> Task<Response> {
    co_return produce(req, p, Produce::kV3);
  });
  r.add(Method::kGet, "/eth/v2/validator/blocks/{slot}", [produce](const Request& req, const PathParams& p) -> Task<Response> {
    co_return produce(req, p, Produce::kFull);
  });
  r.add(Method::kGet, "/eth/v1/validator/blocks/{slot}", [produce](const Request& req, const PathParams& p) -> Task<Response> {
    co_return produce(req, p, Produce::kFullV1);
  });
  r.add(Method::kGet, "/eth/v1/validator/blinded_blocks/{slot}",
        [produce](const Request& req, const PathParams& p) -> Task<Response> { co_return produce(req, p, Produce::kBlindedV1); });

  // publishBlockV2 / publishBlindedBlockV2 (fork in Eth-Consensus-Version) and v1 (fork from the slot).
  auto publish = [this](const Request& req, bool blinded, bool v2) -> Response {
    const SimDuty kind = blinded ? SimDuty::kBlindedProposal : SimDuty::kProposal;
    std::optional<eth::Fork> fork;
    std::optional<Json> j;
    if (!req.body_is_ssz()) {
      auto parsed = ssz::parse_json(req.body);
      if (!parsed) {
        count_malformed(kind);
        return error_response(400, "body: " + parsed.error().message());
      }
      j = std::move(*parsed);
    }
    if (v2) {
      fork = eth::fork_from_name(req.consensus_version);
      if (!fork) {
        count_malformed(kind);
        return error_response(400, "missing or unknown Eth-Consensus-Version header");
      }
    } else {
      auto slot = j ? signed_block_slot(*j) : std::nullopt;
      if (!slot) {
        count_malformed(kind);
        return error_response(400, "v1 block bodies must be JSON with message.slot");
      }
      fork = config_.chain.fork_at(config_.chain.epoch_at(Slot{*slot}));
    }
    auto decode = [&](auto tag) -> Result<decltype(tag), std::string> {
      using V = decltype(tag);
      if (j) {
        auto v = beaconapi::decode_versioned_data<V>(*fork, *j);
        if (!v) return std::unexpected(v.error().message());
        return std::move(*v);
      }
      auto v = beaconapi::decode_versioned_ssz<V>(*fork, as_bytes(req.body));
      if (!v) return std::unexpected("SSZ body: " + v.error().message());
      return std::move(*v);
    };
    Result<void, Reject> res;
    if (blinded) {
      auto b = decode(beaconapi::VersionedSignedBlindedBeaconBlock{});
      if (!b) {
        count_malformed(kind);
        return error_response(400, b.error());
      }
      res = submit_blinded_block(*b);
    } else {
      auto b = decode(beaconapi::VersionedSignedProducedBlock{});
      if (!b) {
        count_malformed(kind);
        return error_response(400, b.error());
      }
      res = submit_block(*b);
    }
    if (!res) return error_response(400, to_string(res.error()));
    return Response{};
  };
  r.add(Method::kPost, "/eth/v2/beacon/blocks",
        [publish](const Request& req, const PathParams&) -> Task<Response> { co_return publish(req, false, true); });
  r.add(Method::kPost, "/eth/v2/beacon/blinded_blocks",
        [publish](const Request& req, const PathParams&) -> Task<Response> { co_return publish(req, true, true); });
  r.add(Method::kPost, "/eth/v1/beacon/blocks",
        [publish](const Request& req, const PathParams&) -> Task<Response> { co_return publish(req, false, false); });
  r.add(Method::kPost, "/eth/v1/beacon/blinded_blocks",
        [publish](const Request& req, const PathParams&) -> Task<Response> { co_return publish(req, true, false); });

  // getAggregatedAttestationV2 and v1 (pre-electra).
  auto aggregate = [this](const Request& req, bool v2) -> Response {
    auto root = hex_query<32>(req, "attestation_data_root");
    if (!root) return error_response(400, "attestation_data_root: expected 32 bytes of hex");
    auto slot = http::parse_u64(req.query_value("slot").value_or(""));
    if (!slot) return error_response(400, "slot: expected a decimal query parameter");
    std::optional<beaconapi::VersionedAttestation> att;
    if (v2) {
      auto ci = http::parse_u64(req.query_value("committee_index").value_or(""));
      if (!ci) return error_response(400, "committee_index: expected a decimal query parameter");
      att = aggregate_attestation(Slot{*slot}, *root, *ci);
    } else {
      for (std::uint64_t ci = 0; ci < config_.committees_per_slot && !att; ++ci) {
        att = aggregate_attestation(Slot{*slot}, *root, ci);
      }
      if (att && att->fork() >= eth::Fork::kElectra) return error_response(400, "use the v2 endpoint from electra on");
    }
    if (!att) return error_response(404, "no attestations for this data root");
    Json body = beaconapi::encode_versioned_json(*att);
    if (!v2) body.erase("version");
    Response out = Response::json(body);
    out.consensus_version = std::string(eth::fork_name(att->fork()));
    return out;
  };
  r.add(Method::kGet, "/eth/v2/validator/aggregate_attestation",
        [aggregate](const Request& req, const PathParams&) -> Task<Response> { co_return aggregate(req, true); });
  r.add(Method::kGet, "/eth/v1/validator/aggregate_attestation",
        [aggregate](const Request& req, const PathParams&) -> Task<Response> { co_return aggregate(req, false); });

  r.add(Method::kPost, "/eth/v2/validator/aggregate_and_proofs",
        [this, batch](const Request& req, const PathParams&) -> Task<Response> {
          auto fork = eth::fork_from_name(req.consensus_version);
          if (!fork) {
            count_malformed(SimDuty::kAggregate);
            co_return error_response(400, "missing or unknown Eth-Consensus-Version header");
          }
          const eth::Fork f = *fork;
          co_return batch(
              req, SimDuty::kAggregate, "aggregates",
              [f](const Json& item, const std::string& path) {
                return beaconapi::decode_versioned_data<beaconapi::VersionedSignedAggregateAndProof>(f, item, path);
              },
              [this](const beaconapi::VersionedSignedAggregateAndProof& v) { return submit_aggregate(v); });
        });
  r.add(Method::kPost, "/eth/v1/validator/aggregate_and_proofs",
        [this, batch](const Request& req, const PathParams&) -> Task<Response> {
          co_return batch(
              req, SimDuty::kAggregate, "aggregates",
              [](const Json& item, const std::string& path) {
                return ssz::from_json<eth::phase0::SignedAggregateAndProof>(item, path);
              },
              [this](const eth::phase0::SignedAggregateAndProof& v) -> Result<void, Reject> {
                auto fork = config_.chain.fork_at(config_.chain.epoch_at(v.message.aggregate.data.slot));
                if (fork >= eth::Fork::kElectra) return count(SimDuty::kAggregate, std::unexpected(Reject::kWrongFormat));
                return submit_aggregate(versioned_at<beaconapi::VersionedSignedAggregateAndProof>(fork, v));
              });
        });

  r.add(Method::kGet, "/eth/v1/beacon/blocks/{block_id}/root",
        [this](const Request&, const PathParams& p) -> Task<Response> {
          const auto& id = p.at("block_id");
          const Slot head = current_slot();
          const auto spe = config_.chain.slots_per_epoch;
          const auto epoch = config_.chain.epoch_at(head).value;
          std::optional<Root> root;
          bool finalized = false;
          if (id == "head") {
            root = block_root(head);
          } else if (id == "genesis") {
            root = block_root(Slot{0});
            finalized = true;
          } else if (id == "finalized") {
            root = block_root(Slot{(epoch >= 2 ? epoch - 2 : 0) * spe});
            finalized = true;
          } else if (id == "justified") {
            root = block_root(Slot{(epoch >= 1 ? epoch - 1 : 0) * spe});
          } else if (id.starts_with("0x")) {
            auto hex = from_hex_fixed<32>(id);
            if (!hex) co_return error_response(400, "invalid block_id \"" + id + "\"");
            if (known_block_root(head, *hex)) root = *hex;
          } else if (auto s = http::parse_u64(id)) {
            if (*s <= head.value) root = block_root(Slot{*s});
          } else {
            co_return error_response(400, "invalid block_id \"" + id + "\"");
          }
          if (!root) co_return error_response(404, "block not found");
          Json d = Json::object();
          d["root"] = to_hex(*root);
          Json body = data_body(std::move(d));
          body["execution_optimistic"] = false;
          body["finalized"] = finalized;
          co_return Response::json(body);
        });

  r.add(Method::kGet, "/eth/v1/validator/sync_committee_contribution",
        [this](const Request& req, const PathParams&) -> Task<Response> {
          auto slot = http::parse_u64(req.query_value("slot").value_or(""));
          if (!slot) co_return error_response(400, "slot: expected a decimal query parameter");
          auto sub = http::parse_u64(req.query_value("subcommittee_index").value_or(""));
          if (!sub || *sub >= eth::preset::kSyncCommitteeSubnetCount) {
            co_return error_response(400, "subcommittee_index: expected 0..3");
          }
          auto root = hex_query<32>(req, "beacon_block_root");
          if (!root) co_return error_response(400, "beacon_block_root: expected 32 bytes of hex");
          auto c = sync_committee_contribution(Slot{*slot}, *sub, *root);
          if (!c) co_return error_response(404, "no sync committee messages for this slot, subcommittee and root");
          co_return Response::json(data_body(ssz::to_json(*c)));
        });

  auto json_items = [batch](SimDuty kind, std::string_view what, auto tag, auto submit_one) {
    using T = decltype(tag);
    return [batch, kind, what, submit_one](const Request& req, const PathParams&) -> Task<Response> {
      co_return batch(
          req, kind, what, [](const Json& item, const std::string& path) { return ssz::from_json<T>(item, path); },
          submit_one);
    };
  };
  // Sync committee messages are verified as a batch (one same-message check per slot and root).
  r.add(Method::kPost, "/eth/v1/beacon/pool/sync_committees",
        [this](const Request& req, const PathParams&) -> Task<Response> {
          if (req.body_is_ssz()) co_return error_response(415, "only JSON bodies are supported here");
          auto j = ssz::parse_json(req.body);
          if (!j || !j->is_array()) {
            count_malformed(SimDuty::kSyncMessage);
            co_return error_response(400, "body must be a JSON array");
          }
          Json failures = Json::array();
          std::vector<eth::altair::SyncCommitteeMessage> msgs;
          std::vector<std::size_t> positions;
          for (std::size_t i = 0; i < j->size(); ++i) {
            auto m = ssz::from_json<eth::altair::SyncCommitteeMessage>((*j)[i], "[" + std::to_string(i) + "]");
            if (!m) {
              count_malformed(SimDuty::kSyncMessage);
              add_failure(failures, i, m.error().message());
              continue;
            }
            msgs.push_back(*m);
            positions.push_back(i);
          }
          auto results = submit_sync_messages(msgs);
          for (std::size_t k = 0; k < results.size(); ++k) {
            if (!results[k]) add_failure(failures, positions[k], to_string(results[k].error()));
          }
          co_return failures_response(std::move(failures), "sync committee messages");
        });
  r.add(Method::kPost, "/eth/v1/validator/contribution_and_proofs",
        json_items(SimDuty::kSyncContribution, "contributions", eth::altair::SignedContributionAndProof{},
                   [this](const eth::altair::SignedContributionAndProof& c) { return submit_contribution(c); }));
  r.add(Method::kPost, "/eth/v1/validator/register_validator",
        json_items(SimDuty::kBuilderRegistration, "registrations", eth::phase0::SignedValidatorRegistrationV1{},
                   [this](const eth::phase0::SignedValidatorRegistrationV1& v) { return submit_registration(v); }));
  r.add(Method::kPost, "/eth/v1/validator/prepare_beacon_proposer",
        json_items(SimDuty::kPrepareProposer, "preparations", http::ProposerPreparation{},
                   [this](const http::ProposerPreparation& v) { return submit_preparation(v); }));
  r.add(Method::kPost, "/eth/v1/validator/beacon_committee_subscriptions",
        json_items(SimDuty::kCommitteeSubscription, "subscriptions", http::BeaconCommitteeSubscription{},
                   [this](const http::BeaconCommitteeSubscription& v) { return submit_committee_subscription(v); }));
  r.add(Method::kPost, "/eth/v1/validator/sync_committee_subscriptions",
        json_items(SimDuty::kSyncSubscription, "subscriptions", http::SyncCommitteeSubscription{},
                   [this](const http::SyncCommitteeSubscription& v) { return submit_sync_subscription(v); }));

  r.add(Method::kPost, "/eth/v1/beacon/pool/voluntary_exits",
        [this](const Request& req, const PathParams&) -> Task<Response> {
          auto j = ssz::parse_json(req.body);
          if (!j) {
            count_malformed(SimDuty::kVoluntaryExit);
            co_return error_response(400, "body: " + j.error().message());
          }
          auto exit = ssz::from_json<eth::phase0::SignedVoluntaryExit>(*j, "");
          if (!exit) {
            count_malformed(SimDuty::kVoluntaryExit);
            co_return error_response(400, exit.error().message());
          }
          if (auto res = submit_exit(*exit); !res) co_return error_response(400, to_string(res.error()));
          co_return Response{};
        });
}

}  // namespace phx::sim
