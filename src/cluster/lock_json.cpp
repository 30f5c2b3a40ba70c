// Strict JSON reading and Charon-layout writing of cluster definitions and locks. Every field of the
// version's layout must be present with the right type; unknown fields are errors that name the field.
#include <nlohmann/json.hpp>
#include <set>

#include "cluster/definition.hpp"

namespace phx::cluster {
namespace {

using Json = nlohmann::ordered_json;

std::unexpected<LockProblem> bad(const std::string& path, const std::string& why) {
  return std::unexpected(LockProblem{LockError::kBadJson, path + ": " + why});
}

/// Checks that `j` is an object with exactly the keys `keys` (in any order).
LockResult<void> expect_keys(const Json& j, const std::string& path, const std::vector<std::string>& keys) {
  if (!j.is_object()) return bad(path, "expected an object");
  std::set<std::string> want(keys.begin(), keys.end());
  for (const auto& [k, _] : j.items())
    if (!want.count(k)) return bad(path + "." + k, "unknown field");
  for (const auto& k : keys)
    if (!j.contains(k)) return bad(path + "." + k, "missing field");
  return {};
}

LockResult<std::string> get_string(const Json& j, const std::string& key, const std::string& path) {
  const auto& v = j.at(key);
  if (!v.is_string()) return bad(path + "." + key, "expected a string");
  return v.get<std::string>();
}

LockResult<std::uint64_t> get_uint(const Json& j, const std::string& key, const std::string& path) {
  const auto& v = j.at(key);
  if (!v.is_number_unsigned()) return bad(path + "." + key, "expected a non-negative integer");
  return v.get<std::uint64_t>();
}

/// A decimal string ("32000000000") as Charon writes gwei amounts.
LockResult<std::uint64_t> get_dec_string(const Json& v, const std::string& path) {
  if (!v.is_string()) return bad(path, "expected a decimal string");
  auto s = v.get<std::string>();
  if (s.empty() || s.size() > 20) return bad(path, "bad decimal number");
  std::uint64_t acc = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return bad(path, "bad decimal number");
    auto digit = static_cast<std::uint64_t>(c - '0');
    if (acc > (UINT64_MAX - digit) / 10) return bad(path, "number exceeds 64 bits");
    acc = acc * 10 + digit;
  }
  if (s.size() > 1 && s[0] == '0') return bad(path, "bad decimal number");
  return acc;
}

/// 0x-hex of exactly `n` bytes, or of any length when n == 0; "" is accepted as empty when `allow_empty`.
LockResult<Bytes> get_hex(const Json& v, const std::string& path, std::size_t n, bool allow_empty) {
  if (!v.is_string()) return bad(path, "expected a 0x-hex string");
  auto s = v.get<std::string>();
  if (s.empty() && allow_empty) return Bytes{};
  if (!s.starts_with("0x")) return bad(path, "expected a 0x-hex string");
  auto b = from_hex(s);
  if (!b) return bad(path, b.error().message());
  if (n && b->size() != n) return bad(path, "expected " + std::to_string(n) + " bytes, got " + std::to_string(b->size()));
  return *b;
}

template <std::size_t N>
LockResult<ByteArray<N>> get_fixed(const Json& v, const std::string& path) {
  auto b = get_hex(v, path, N, false);
  if (!b) return std::unexpected(b.error());
  ByteArray<N> out{};
  std::copy(b->begin(), b->end(), out.begin());
  return out;
}

/// An address string: "" or 0x + 40 hex digits.
LockResult<std::string> get_address(const Json& j, const std::string& key, const std::string& path) {
  auto s = get_string(j, key, path);
  if (!s) return s;
  if (!s->empty()) {
    auto b = from_hex(*s);
    if (!s->starts_with("0x") || !b || b->size() != 20) return bad(path + "." + key, "expected a 20-byte 0x address");
  }
  return s;
}

#define PHX_TRY(var, expr)                       \
  auto var = (expr);                             \
  if (!var) return std::unexpected(var.error())

std::vector<std::string> definition_keys(const VersionLayout& lay) {
  std::vector<std::string> k = {"name",      "creator",   "operators",      "uuid",
                                "version",   "timestamp", "num_validators", "threshold",
                                "validators", "dkg_algorithm", "fork_version"};
  if (lay.deposit_amounts) k.push_back("deposit_amounts");
  if (lay.consensus_protocol) k.push_back("consensus_protocol");
  if (lay.gas_and_compounding) {
    k.push_back("target_gas_limit");
    k.push_back("compounding");
  }
  k.push_back("config_hash");
  k.push_back("definition_hash");
  return k;
}

LockResult<Definition> definition_from(const Json& j, const std::string& path) {
  if (!j.is_object() || !j.contains("version") || !j["version"].is_string())
    return bad(path + ".version", "missing or not a string");
  Definition d;
  d.version = j["version"].get<std::string>();
  const VersionLayout* lay = layout_of(d.version);
  if (!lay)
    return std::unexpected(LockProblem{LockError::kUnsupportedVersion,
                                       "\"" + d.version + "\" (supported: v1.7.0 to v1.10.0)"});
  PHX_TRY(keys_ok, expect_keys(j, path, definition_keys(*lay)));
  PHX_TRY(name, get_string(j, "name", path));
  d.name = *name;
  PHX_TRY(ck, expect_keys(j["creator"], path + ".creator", {"address", "config_signature"}));
  PHX_TRY(caddr, get_address(j["creator"], "address", path + ".creator"));
  d.creator.address = *caddr;
  PHX_TRY(csig, get_hex(j["creator"]["config_signature"], path + ".creator.config_signature", 65, true));
  d.creator.config_signature = *csig;
  if (!j["operators"].is_array()) return bad(path + ".operators", "expected an array");
  for (std::size_t i = 0; i < j["operators"].size(); ++i) {
    const auto& o = j["operators"][i];
    std::string p = path + ".operators[" + std::to_string(i) + "]";
    PHX_TRY(ok, expect_keys(o, p, {"address", "enr", "config_signature", "enr_signature"}));
    Operator op;
    PHX_TRY(addr, get_address(o, "address", p));
    op.address = *addr;
    PHX_TRY(enr, get_string(o, "enr", p));
    op.enr = *enr;
    PHX_TRY(cs, get_hex(o["config_signature"], p + ".config_signature", 65, true));
    op.config_signature = *cs;
    PHX_TRY(es, get_hex(o["enr_signature"], p + ".enr_signature", 65, true));
    op.enr_signature = *es;
    d.operators.push_back(std::move(op));
  }
  PHX_TRY(uuid, get_string(j, "uuid", path));
  d.uuid = *uuid;
  PHX_TRY(ts, get_string(j, "timestamp", path));
  d.timestamp = *ts;
  PHX_TRY(nv, get_uint(j, "num_validators", path));
  d.num_validators = *nv;
  PHX_TRY(th, get_uint(j, "threshold", path));
  d.threshold = *th;
  if (!j["validators"].is_array()) return bad(path + ".validators", "expected an array");
  for (std::size_t i = 0; i < j["validators"].size(); ++i) {
    const auto& v = j["validators"][i];
    std::string p = path + ".validators[" + std::to_string(i) + "]";
    PHX_TRY(ok, expect_keys(v, p, {"fee_recipient_address", "withdrawal_address"}));
    PHX_TRY(fee, get_address(v, "fee_recipient_address", p));
    PHX_TRY(wd, get_address(v, "withdrawal_address", p));
    d.validators.push_back({*fee, *wd});
  }
  PHX_TRY(dkg, get_string(j, "dkg_algorithm", path));
  d.dkg_algorithm = *dkg;
  PHX_TRY(fork, get_fixed<4>(j["fork_version"], path + ".fork_version"));
  d.fork_version = *fork;
  if (lay->deposit_amounts && !j["deposit_amounts"].is_null()) {
    if (!j["deposit_amounts"].is_array()) return bad(path + ".deposit_amounts", "expected an array");
    for (std::size_t i = 0; i < j["deposit_amounts"].size(); ++i) {
      PHX_TRY(a, get_dec_string(j["deposit_amounts"][i], path + ".deposit_amounts[" + std::to_string(i) + "]"));
      d.deposit_amounts.push_back(*a);
    }
  }
  if (lay->consensus_protocol) {
    PHX_TRY(cp, get_string(j, "consensus_protocol", path));
    d.consensus_protocol = *cp;
  }
  if (lay->gas_and_compounding) {
    PHX_TRY(gas, get_uint(j, "target_gas_limit", path));
    d.target_gas_limit = *gas;
    if (!j["compounding"].is_boolean()) return bad(path + ".compounding", "expected true or false");
    d.compounding = j["compounding"].get<bool>();
  }
  PHX_TRY(ch, get_fixed<32>(j["config_hash"], path + ".config_hash"));
  d.config_hash = *ch;
  PHX_TRY(dh, get_fixed<32>(j["definition_hash"], path + ".definition_hash"));
  d.definition_hash = *dh;
  return d;
}

LockResult<DepositData> deposit_from(const Json& j, const std::string& p) {
  PHX_TRY(ok, expect_keys(j, p, {"pubkey", "withdrawal_credentials", "amount", "signature"}));
  DepositData dd;
  PHX_TRY(pk, get_fixed<48>(j["pubkey"], p + ".pubkey"));
  dd.pubkey = *pk;
  PHX_TRY(wc, get_fixed<32>(j["withdrawal_credentials"], p + ".withdrawal_credentials"));
  dd.withdrawal_credentials = *wc;
  PHX_TRY(amt, get_dec_string(j["amount"], p + ".amount"));
  dd.amount = *amt;
  PHX_TRY(sig, get_fixed<96>(j["signature"], p + ".signature"));
  dd.signature = *sig;
  return dd;
}

LockResult<BuilderRegistration> registration_from(const Json& j, const std::string& p) {
  PHX_TRY(ok, expect_keys(j, p, {"message", "signature"}));
  const auto& m = j["message"];
  PHX_TRY(mk, expect_keys(m, p + ".message", {"fee_recipient", "gas_limit", "timestamp", "pubkey"}));
  BuilderRegistration br;
  PHX_TRY(fee, get_fixed<20>(m["fee_recipient"], p + ".message.fee_recipient"));
  br.message.fee_recipient = *fee;
  PHX_TRY(gas, get_uint(m, "gas_limit", p + ".message"));
  br.message.gas_limit = *gas;
  PHX_TRY(ts, get_uint(m, "timestamp", p + ".message"));
  br.message.timestamp = *ts;
  PHX_TRY(pk, get_fixed<48>(m["pubkey"], p + ".message.pubkey"));
  br.message.pubkey = *pk;
  PHX_TRY(sig, get_fixed<96>(j["signature"], p + ".signature"));
  br.signature = *sig;
  return br;
}

LockResult<Json> parse_text(std::string_view text) {
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return bad("$", "not valid JSON");
  return j;
}

Json definition_to(const Definition& d) {
  const VersionLayout* lay = layout_of(d.version);
  auto hex_or_empty = [](ByteSpan b) { return b.empty() ? std::string() : to_hex(b); };
  Json j;
  j["name"] = d.name;
  j["creator"] = Json{{"address", d.creator.address}, {"config_signature", hex_or_empty(d.creator.config_signature)}};
  j["operators"] = Json::array();
  for (const auto& o : d.operators)
    j["operators"].push_back(Json{{"address", o.address},
                                  {"enr", o.enr},
                                  {"config_signature", hex_or_empty(o.config_signature)},
                                  {"enr_signature", hex_or_empty(o.enr_signature)}});
  j["uuid"] = d.uuid;
  j["version"] = d.version;
  j["timestamp"] = d.timestamp;
  j["num_validators"] = d.num_validators;
  j["threshold"] = d.threshold;
  j["validators"] = Json::array();
  for (const auto& v : d.validators)
    j["validators"].push_back(
        Json{{"fee_recipient_address", v.fee_recipient_address}, {"withdrawal_address", v.withdrawal_address}});
  j["dkg_algorithm"] = d.dkg_algorithm;
  j["fork_version"] = to_hex(d.fork_version);
  if (lay && lay->deposit_amounts) {
    j["deposit_amounts"] = Json::array();
    for (auto a : d.deposit_amounts) j["deposit_amounts"].push_back(std::to_string(a));
  }
  if (lay && lay->consensus_protocol) j["consensus_protocol"] = d.consensus_protocol;
  if (lay && lay->gas_and_compounding) {
    j["target_gas_limit"] = d.target_gas_limit;
    j["compounding"] = d.compounding;
  }
  j["config_hash"] = to_hex(d.config_hash);
  j["definition_hash"] = to_hex(d.definition_hash);
  return j;
}

Json deposit_to(const DepositData& dd) {
  return Json{{"pubkey", to_hex(dd.pubkey)},
              {"withdrawal_credentials", to_hex(dd.withdrawal_credentials)},
              {"amount", std::to_string(dd.amount)},
              {"signature", to_hex(dd.signature)}};
}

}  // namespace

LockResult<Definition> parse_definition(std::string_view text) {
  PHX_TRY(j, parse_text(text));
  return definition_from(*j, "$");
}

LockResult<Lock> parse_lock(std::string_view text) {
  PHX_TRY(jr, parse_text(text));
  const Json& j = *jr;
  PHX_TRY(top_keys, expect_keys(j, "$", {"cluster_definition", "distributed_validators", "signature_aggregate",
                                     "lock_hash", "node_signatures"}));
  Lock l;
  PHX_TRY(def, definition_from(j["cluster_definition"], "$.cluster_definition"));
  l.definition = std::move(*def);
  const VersionLayout* lay = layout_of(l.definition.version);
  if (!j["distributed_validators"].is_array()) return bad("$.distributed_validators", "expected an array");
  for (std::size_t i = 0; i < j["distributed_validators"].size(); ++i) {
    const auto& v = j["distributed_validators"][i];
    std::string p = "$.distributed_validators[" + std::to_string(i) + "]";
    std::vector<std::string> keys = {"distributed_public_key", "public_shares", "builder_registration"};
    keys.push_back(lay->partial_deposit_data ? "partial_deposit_data" : "deposit_data");
    PHX_TRY(ok, expect_keys(v, p, keys));
    DistValidator dv;
    PHX_TRY(pk, get_fixed<48>(v["distributed_public_key"], p + ".distributed_public_key"));
    dv.distributed_public_key = *pk;
    if (!v["public_shares"].is_array()) return bad(p + ".public_shares", "expected an array");
    for (std::size_t s = 0; s < v["public_shares"].size(); ++s) {
      PHX_TRY(share, get_fixed<48>(v["public_shares"][s], p + ".public_shares[" + std::to_string(s) + "]"));
      dv.public_shares.push_back(*share);
    }
    if (lay->partial_deposit_data) {
      const auto& pdd = v["partial_deposit_data"];
      if (!pdd.is_array() && !pdd.is_null()) return bad(p + ".partial_deposit_data", "expected an array");
      if (pdd.is_array())
        for (std::size_t k = 0; k < pdd.size(); ++k) {
          PHX_TRY(dd, deposit_from(pdd[k], p + ".partial_deposit_data[" + std::to_string(k) + "]"));
          dv.partial_deposit_data.push_back(*dd);
        }
    } else {
      PHX_TRY(dd, deposit_from(v["deposit_data"], p + ".deposit_data"));
      dv.partial_deposit_data.push_back(*dd);
    }
    PHX_TRY(br, registration_from(v["builder_registration"], p + ".builder_registration"));
    dv.builder_registration = *br;
    l.validators.push_back(std::move(dv));
  }
  PHX_TRY(agg, get_hex(j["signature_aggregate"], "$.signature_aggregate", 0, false));
  l.signature_aggregate = *agg;
  PHX_TRY(lh, get_fixed<32>(j["lock_hash"], "$.lock_hash"));
  l.lock_hash = *lh;
  if (!j["node_signatures"].is_array() && !j["node_signatures"].is_null())
    return bad("$.node_signatures", "expected an array");
  if (j["node_signatures"].is_array())
    for (std::size_t i = 0; i < j["node_signatures"].size(); ++i) {
      PHX_TRY(s, get_hex(j["node_signatures"][i], "$.node_signatures[" + std::to_string(i) + "]", 0, false));
      l.node_signatures.push_back(*s);
    }
  return l;
}

std::string write_definition(const Definition& d) { return definition_to(d).dump(1); }

std::string write_lock(const Lock& l) {
  const VersionLayout* lay = layout_of(l.definition.version);
  Json j;
  j["cluster_definition"] = definition_to(l.definition);
  j["distributed_validators"] = Json::array();
  for (const auto& v : l.validators) {
    Json dv;
    dv["distributed_public_key"] = to_hex(v.distributed_public_key);
    dv["public_shares"] = Json::array();
    for (const auto& s : v.public_shares) dv["public_shares"].push_back(to_hex(s));
    if (lay && !lay->partial_deposit_data)
      dv["deposit_data"] = deposit_to(v.partial_deposit_data.empty() ? DepositData{} : v.partial_deposit_data[0]);
    const auto& m = v.builder_registration.message;
    dv["builder_registration"] = Json{{"message",
                                       Json{{"fee_recipient", to_hex(m.fee_recipient)},
                                            {"gas_limit", m.gas_limit},
                                            {"timestamp", m.timestamp},
                                            {"pubkey", to_hex(m.pubkey)}}},
                                      {"signature", to_hex(v.builder_registration.signature)}};
    if (!lay || lay->partial_deposit_data) {
      dv["partial_deposit_data"] = Json::array();
      for (const auto& dd : v.partial_deposit_data) dv["partial_deposit_data"].push_back(deposit_to(dd));
    }
    j["distributed_validators"].push_back(std::move(dv));
  }
  j["signature_aggregate"] = to_hex(l.signature_aggregate);
  j["lock_hash"] = to_hex(l.lock_hash);
  j["node_signatures"] = Json::array();
  for (const auto& s : l.node_signatures) j["node_signatures"].push_back(to_hex(s));
  return j.dump(1);
}

}  // namespace phx::cluster
