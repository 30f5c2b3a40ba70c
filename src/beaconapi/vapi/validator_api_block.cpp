// Validator API, block family: block production and submission, builder registrations, proposer preparations
// (fee recipients), voluntary exits.
#include <cctype>
#include <charconv>
#include <type_traits>
#include <variant>

#include "beaconapi/vapi/validator_api_detail.hpp"
#include "eth/duty_signing.hpp"

namespace phx::beaconapi::vapi {

namespace {

/// The `graffiti` query value: the spec's 0x-prefixed bytes32, or (as Lodestar 1.5.1's VC sends and its BN
/// accepts) UTF-8 text of at most 32 bytes, zero padded.
Result<Root, std::string> parse_graffiti(std::string_view v) {
  if (v.size() == 66 && v.starts_with("0x")) {
    if (auto b = from_hex_fixed<32>(v); b) return *b;
  }
  if (v.size() > 32) return std::unexpected(std::string("graffiti: more than 32 bytes"));
  Root out{};
  std::copy(v.begin(), v.end(), out.begin());
  return out;
}

template <class V>
Root block_root_of(const eth::ChainConfig& config, const V& block) {
  return std::visit(
      [&config](const auto& b) -> Root {
        if constexpr (std::is_same_v<std::remove_cvref_t<decltype(b)>, std::monostate>) {
          return Root{};
        } else {
          return eth::block_signing_root(config, b);
        }
      },
      block.value);
}

template <class V>
Slot block_slot_of(const V& block) {
  return std::visit(
      [](const auto& b) -> Slot {
        if constexpr (std::is_same_v<std::remove_cvref_t<decltype(b)>, std::monostate>) {
          return Slot{};
        } else {
          return b.slot;
        }
      },
      block.value);
}

template <class V>
ValidatorIndex block_proposer_of(const V& block) {
  return std::visit(
      [](const auto& b) -> ValidatorIndex {
        if constexpr (std::is_same_v<std::remove_cvref_t<decltype(b)>, std::monostate>) {
          return ValidatorIndex{};
        } else {
          return b.proposer_index;
        }
      },
      block.value);
}

/// Versioned JSON of a produced block with the produceBlockV3 metadata.
Json produce_v3_json(const ProduceBlockV3Response& r) {
  Json out = Json::object();
  Json inner = std::visit([](const auto& b) { return encode_versioned_json(b); }, r.block);
  out["version"] = inner["version"];
  out["execution_payload_blinded"] = r.blinded();
  out["execution_payload_value"] = ssz::u256_to_dec(r.execution_payload_value);
  out["consensus_block_value"] = ssz::u256_to_dec(r.consensus_block_value);
  out["data"] = std::move(inner["data"]);
  return out;
}

}  // namespace

Task<BeastResponse> ValidatorApi::Impl::produce_block(const Ctx& c, int version) {
  auto slot_n = http::parse_u64(c.params.at("slot"));
  if (!slot_n) co_return error_response(400, "slot: expected a decimal number");
  Slot slot{*slot_n};
  auto randao = query_hex<96>(c.req, "randao_reveal");
  if (!randao) co_return error_response(400, randao.error());
  Root graffiti{};
  if (auto gv = c.req.query_value("graffiti"); gv) {
    auto g = parse_graffiti(*gv);
    if (!g) co_return error_response(400, g.error());
    graffiti = *g;
  }
  if (auto skip = c.req.query_value("skip_randao_verification"); skip && *skip != "false") {
    co_return error_response(400, "skip_randao_verification is not supported: a DV node needs the partial RANDAO reveal");
  }
  std::optional<std::uint64_t> boost;
  if (c.req.query_value("builder_boost_factor")) {
    auto b = query_u64(c.req, "builder_boost_factor");
    if (!b) co_return error_response(400, b.error());
    boost = *b;
  }
  auto dv = co_await proposer(slot);
  if (!dv) co_return error_response(dv.error());
  const auto* share = own_share(*dv);
  if (share == nullptr) co_return error_response(404, "unknown validator: the proposer is not a validator of this cluster");
  auto sig = crypto::bls::Signature::from_bytes(*randao);
  if (!sig) co_return error_response(400, "randao_reveal: malformed signature");
  const auto& config = backend_.chain_config();
  auto root = eth::randao_signing_root(config, config.epoch_at(slot));
  if (!crypto::bls::verify(share->first, root, *sig)) {
    ++stats_.partials_rejected;
    co_return error_response(400, "randao_reveal: invalid signature (does not verify against this node's public share)");
  }
  ++stats_.partials_accepted;
  BlockPreference pref = BlockPreference::kAny;
  if (version == 2 || version == 0) pref = BlockPreference::kFull;
  if (version == 1) pref = BlockPreference::kBlinded;
  BlockRequest breq{slot, *dv, *sig, graffiti, boost, pref};
  auto r = co_await guarded(backend_.produce_block(std::move(breq)));
  if (!r) co_return error_response(r.error());
  const auto& res = *r;
  if ((version == 2 || version == 0) && res.blinded()) {
    co_return error_response(500, "the cluster decided a blinded block; use v3");
  }
  if (version == 0 && res.fork() != eth::Fork::kPhase0) {
    co_return error_response(400, "produceBlock v1 serves phase0 only; use v2 or v3");
  }
  if (version == 1 && !res.blinded()) co_return error_response(500, "the cluster decided a full block; use v3 or v2");
  std::string fork_name(eth::fork_name(res.fork()));
  BeastResponse out;
  if (c.req.wants_ssz()) {
    Bytes b = std::visit([](const auto& blk) { return encode_versioned_ssz(blk); }, res.block);
    out = ssz_response(b);
  } else if (version == 3) {
    out = json_response(produce_v3_json(res));
  } else {
    // v1/v2 (pre-v3) answers: Lodestar 1.5.1's client requires `block_value` (it calls BigInt on it) although
    // spec v2.4.2 does not list it; its own BN sends the execution payload value there.
    Json j = std::visit([](const auto& blk) { return encode_versioned_json(blk); }, res.block);
    if (version == 0) j.erase("version");
    j["block_value"] = ssz::u256_to_dec(res.execution_payload_value);
    out = json_response(j);
  }
  out.set("Eth-Consensus-Version", fork_name);
  if (version == 3) {
    out.set("Eth-Execution-Payload-Blinded", res.blinded() ? "true" : "false");
    out.set("Eth-Execution-Payload-Value", ssz::u256_to_dec(res.execution_payload_value));
    out.set("Eth-Consensus-Block-Value", ssz::u256_to_dec(res.consensus_block_value));
  }
  co_return out;
}

Task<BeastResponse> ValidatorApi::Impl::submit_block(const Ctx& c, bool blinded) {
  const auto& config = backend_.chain_config();
  Candidate cand;
  ValidatorIndex proposer_index{};
  Slot slot{};
  if (blinded) {
    auto b = decode_signed_blinded_block(c.req.body, c.req.body_is_ssz(), c.req.consensus_version, config);
    if (!b) co_return error_response(400, b.error());
    auto [block, sig] = split_signed_blinded_block(*b);
    slot = block_slot_of(block);
    proposer_index = block_proposer_of(block);
    cand.signing_root = block_root_of(config, block);
    cand.signature = sig;
    cand.message = std::move(block);
  } else {
    auto b = decode_signed_block(c.req.body, c.req.body_is_ssz(), c.req.consensus_version, config);
    if (!b) co_return error_response(400, b.error());
    auto [block, sig] = split_signed_block(*b);
    slot = block_slot_of(block);
    proposer_index = block_proposer_of(block);
    cand.signing_root = block_root_of(config, block);
    cand.signature = sig;
    cand.message = std::move(block);
  }
  Failures failures;
  auto dv = co_await dv_by_index(proposer_index);
  if (!dv) dv = co_await proposer(slot);
  if (!dv) {
    co_return error_response(400, "unknown validator: " + dv.error().message);
  }
  cand.dv_pubkey = *dv;
  cand.validator_index = proposer_index;
  std::vector<Candidate> cands;
  cands.push_back(std::move(cand));
  auto res = co_await finish(blinded ? PartialKind::kBlindedBlock : PartialKind::kBlock, std::move(cands),
                             std::move(failures));
  co_return res;
}

Task<BeastResponse> ValidatorApi::Impl::submit_registrations(const Ctx& c) {
  const auto& config = backend_.chain_config();
  auto items = decode_items<eth::phase0::SignedValidatorRegistrationV1>(c.req.body, c.req.body_is_ssz());
  if (!items) co_return error_response(400, items.error());
  if (items->empty()) co_return error_response(400, "empty registration list");
  std::vector<Candidate> cands;
  Failures failures;
  for (std::size_t i = 0; i < items->size(); ++i) {
    const auto& s = (*items)[i];
    // The VC names itself by its share key, or by the DV key when it overrides the registration's public key
    // (Teku / Lighthouse DVT options).
    eth::BLSPubkey dv{};
    if (auto ref = backend_.dv_of(s.message.pubkey); ref) {
      if (!ref->own) {
        failures.emplace_back(i, "public share of another operator of the cluster, not this node's");
        continue;
      }
      dv = ref->dv_pubkey;
    } else if (own_share(s.message.pubkey) != nullptr) {
      dv = s.message.pubkey;
    } else {
      failures.emplace_back(i, "unknown validator: neither a public share nor a DV key of this cluster");
      continue;
    }
    // The cluster registers the DV key: every operator signs the message with the DV key in it.
    auto msg = s.message;
    msg.pubkey = dv;
    Root root = eth::registration_signing_root(config, msg);
    cands.push_back(Candidate{i, dv, ValidatorIndex{}, 0, msg, root, s.signature});
  }
  co_return co_await finish(PartialKind::kRegistration, std::move(cands), std::move(failures));
}

Task<BeastResponse> ValidatorApi::Impl::prepare_proposers(const Ctx& c) {
  // [{"validator_index":"…","fee_recipient":"0x…"}, …]: the cluster validators' entries get the lock's fee
  // recipient, the others pass unchanged; a body that is not such a list is the BN's to judge (forwarded as is).
  auto known = backend_.fee_recipients();
  auto j = ssz::parse_json(c.req.body);
  if (known.empty() || !j || !j->is_array()) co_return co_await proxy(c.msg);
  std::size_t replaced = 0;
  for (auto& item : *j) {
    if (!item.is_object()) continue;
    auto idx = item.find("validator_index");
    auto fr = item.find("fee_recipient");
    if (idx == item.end() || fr == item.end() || !idx->is_string() || !fr->is_string()) continue;
    std::uint64_t index = 0;
    const auto& is = idx->get_ref<const std::string&>();
    auto [end, ec] = std::from_chars(is.data(), is.data() + is.size(), index);
    if (ec != std::errc{} || end != is.data() + is.size()) continue;
    auto lock = known.find(ValidatorIndex{index});
    if (lock == known.end()) continue;
    const std::string want = to_hex(lock->second);
    std::string have = fr->get<std::string>();
    std::transform(have.begin(), have.end(), have.begin(), [](unsigned char ch) { return std::tolower(ch); });
    if (have == want) continue;
    if (fee_recipient_warned_.insert(index).second) {
      log::warn("validator client: fee recipient {} for validator {} is not the cluster lock's; {} is sent to the "
                "beacon node instead", fr->get<std::string>(), index, want);
    }
    *fr = want;
    ++replaced;
  }
  if (replaced == 0) co_return co_await proxy(c.msg);
  BeastRequest up = c.msg;
  up.body() = j->dump();
  up.prepare_payload();
  co_return co_await proxy(up);
}

Task<BeastResponse> ValidatorApi::Impl::submit_exit(const Ctx& c) {
  const auto& config = backend_.chain_config();
  auto s = decode_one<eth::phase0::SignedVoluntaryExit>(c.req.body, c.req.body_is_ssz());
  if (!s) co_return error_response(400, s.error());
  auto dv = co_await dv_by_index(s->message.validator_index);
  if (!dv) co_return error_response(400, "unknown validator: " + dv.error().message);
  Epoch now = current_epoch();
  std::vector<Candidate> cands;
  cands.push_back(Candidate{0, *dv, s->message.validator_index, 0, ExitMessage{s->message, now},
                            eth::voluntary_exit_signing_root(config, s->message, now), s->signature});
  co_return co_await finish(PartialKind::kExit, std::move(cands), Failures{});
}

}  // namespace phx::beaconapi::vapi
