// Strict JSON reading and Charon-layout writing of cluster definitions and locks, every version per its
// VersionLayout row. Every key the version has must be present with the right type (except those Charon omits
// when empty); unknown keys are errors that name the JSON path.
#include <nlohmann/json.hpp>
#include <set>

#include "base/base64.hpp"
#include "cluster/definition.hpp"
#include "cluster/deposit.hpp"

namespace phx::cluster {
namespace {

using Json = nlohmann::ordered_json;

constexpr std::size_t kMaxValidators = 65536;

std::unexpected<LockProblem> bad(const std::string& path, const std::string& why) {
  return std::unexpected(LockProblem{LockError::kBadJson, path + ": " + why});
}
std::unexpected<LockProblem> bad_field(const std::string& path, const std::string& why) {
  return std::unexpected(LockProblem{LockError::kBadField, path + ": " + why});
}

#define PHX_TRY(var, expr)                       \
  auto var = (expr);                             \
  if (!var) return std::unexpected(var.error())

/// Checks that `j` is an object with every key of `required`, and otherwise only keys of `optional`.
LockResult<void> expect_keys(const Json& j, const std::string& path, const std::vector<std::string>& required,
                             const std::vector<std::string>& optional = {}) {
  if (!j.is_object()) return bad(path, "expected an object");
  std::set<std::string> known(required.begin(), required.end());
  known.insert(optional.begin(), optional.end());
  for (const auto& [k, _] : j.items())
    if (!known.count(k)) return bad(path + "." + k, "unknown field");
  for (const auto& k : required)
    if (!j.contains(k)) return bad(path + "." + k, "missing field");
  return {};
}

/// A string field; an absent optional key reads as "".
LockResult<std::string> get_string(const Json& j, const std::string& key, const std::string& path) {
  if (!j.contains(key)) return std::string();
  const auto& v = j.at(key);
  if (!v.is_string()) return bad(path + "." + key, "expected a string");
  return v.get<std::string>();
}

LockResult<std::uint64_t> get_uint(const Json& j, const std::string& key, const std::string& path) {
  const auto& v = j.at(key);
  if (!v.is_number_unsigned()) return bad(path + "." + key, "expected a non-negative integer");
  return v.get<std::uint64_t>();
}

/// A Go `int` (may be negative), kept as its two's-complement uint64 bits as Charon hashes it.
LockResult<std::uint64_t> get_go_int(const Json& j, const std::string& key, const std::string& path) {
  const auto& v = j.at(key);
  if (v.is_number_unsigned()) return v.get<std::uint64_t>();
  if (v.is_number_integer()) return static_cast<std::uint64_t>(v.get<std::int64_t>());
  return bad(path + "." + key, "expected an integer");
}
Json go_int(std::uint64_t v) {
  if (v > static_cast<std::uint64_t>(INT64_MAX)) return Json(static_cast<std::int64_t>(v));
  return Json(v);
}

/// A decimal string ("32000000000") as Charon writes gwei amounts.
LockResult<std::uint64_t> get_dec_string(const Json& v, const std::string& path) {
  if (!v.is_string()) return bad(path, "expected a decimal string");
  const auto& s = v.get_ref<const std::string&>();
  if (s.empty() || s.size() > 20 || (s.size() > 1 && s[0] == '0')) return bad(path, "bad decimal number");
  std::uint64_t acc = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return bad(path, "bad decimal number");
    auto digit = static_cast<std::uint64_t>(c - '0');
    if (acc > (UINT64_MAX - digit) / 10) return bad(path, "number exceeds 64 bits");
    acc = acc * 10 + digit;
  }
  return acc;
}

/// How a version writes byte strings: 0x-hex ("" when empty) or, in v1.0–v1.1, Go's base64 ([]byte; null or
/// "" when empty).
enum class Enc { kHex, kBase64 };

/// Bytes of `v` in encoding `enc`; exactly `n` bytes unless n == 0; empty allowed when `allow_empty`.
LockResult<Bytes> get_bytes(const Json& v, const std::string& path, Enc enc, std::size_t n, bool allow_empty) {
  if (enc == Enc::kBase64 && v.is_null() && allow_empty) return Bytes{};
  if (!v.is_string()) return bad(path, enc == Enc::kHex ? "expected a 0x-hex string" : "expected a base64 string");
  const auto& s = v.get_ref<const std::string&>();
  if (s.empty()) {
    if (allow_empty) return Bytes{};
    return bad(path, "must not be empty");
  }
  Bytes b;
  if (enc == Enc::kHex) {
    if (!s.starts_with("0x")) return bad(path, "expected a 0x-hex string");
    auto r = from_hex(s);
    if (!r) return bad(path, r.error().message());
    b = std::move(*r);
  } else {
    auto r = base64_decode(s);
    if (!r) return bad(path, r.error().message());
    b = std::move(*r);
  }
  if (n && b.size() != n) return bad(path, "expected " + std::to_string(n) + " bytes, got " + std::to_string(b.size()));
  return b;
}

template <std::size_t N>
LockResult<ByteArray<N>> get_fixed(const Json& v, const std::string& path, Enc enc = Enc::kHex,
                                   bool empty_is_zero = false) {
  PHX_TRY(b, get_bytes(v, path, enc, N, empty_is_zero));
  ByteArray<N> out{};
  if (!b->empty()) std::copy(b->begin(), b->end(), out.begin());
  return out;
}

std::string encode(ByteSpan b, Enc enc) {
  if (b.empty()) return std::string();
  return enc == Enc::kHex ? to_hex(b) : base64_encode(b);
}
template <std::size_t N>
bool all_zero(const ByteArray<N>& a) {
  return std::all_of(a.begin(), a.end(), [](std::uint8_t x) { return x == 0; });
}

/// An address string: "" or 0x + 40 hex digits, kept as written (its case is hashed by v1.0–v1.2).
LockResult<std::string> get_address(const Json& j, const std::string& key, const std::string& path) {
  PHX_TRY(s, get_string(j, key, path));
  if (!s->empty()) {
    auto b = from_hex(*s);
    if (!s->starts_with("0x") || !b || b->size() != 20) return bad(path + "." + key, "expected a 20-byte 0x address");
  }
  return s;
}

/// An array, or null/absent (Go writes a nil slice as null, omitempty drops it).
LockResult<const Json*> get_array(const Json& j, const std::string& key, const std::string& path) {
  static const Json kEmpty = Json::array();
  if (!j.contains(key) || j.at(key).is_null()) return &kEmpty;
  if (!j.at(key).is_array()) return bad(path + "." + key, "expected an array");
  return &j.at(key);
}

std::string at(const std::string& path, std::size_t i) { return path + "[" + std::to_string(i) + "]"; }

LockResult<Bytes> get_signature(const Json& v, const std::string& path, const VersionLayout& lay) {
  PHX_TRY(sig, get_bytes(v, path, lay.base64_bytes ? Enc::kBase64 : Enc::kHex, 0, true));
  const std::size_t n = sig->size();
  if (lay.signature_lists) {
    if (n % kK1SigLen != 0 || n > kK1SigLen * kMaxK1Sigs)
      return bad(path, "expected one or up to 32 concatenated 65-byte signatures, got " + std::to_string(n) + " bytes");
  } else if (n != 0 && n != kK1SigLen) {
    return bad(path, "expected 65 bytes, got " + std::to_string(n));
  }
  return sig;
}

LockResult<Definition> definition_from(const Json& j, const std::string& path) {
  if (!j.is_object() || !j.contains("version") || !j["version"].is_string())
    return bad(path + ".version", "missing or not a string");
  Definition d;
  d.version = j["version"].get<std::string>();
  const VersionLayout* lay = layout_of(d.version);
  if (!lay)
    return std::unexpected(LockProblem{LockError::kUnsupportedVersion,
                                       "\"" + d.version + "\" (supported: v1.0.0 to v1.11.0)"});
  const Enc enc = lay->base64_bytes ? Enc::kBase64 : Enc::kHex;
  const bool per_validator = lay->shape == DefinitionShape::kCurrent;
  std::vector<std::string> req = {"operators", "uuid", "version", "num_validators", "threshold", "dkg_algorithm",
                                  "fork_version", "config_hash", "definition_hash"};
  std::vector<std::string> opt = {"name", "timestamp"};
  if (lay->creator) req.push_back("creator");
  if (per_validator) req.push_back("validators");
  else opt.insert(opt.end(), {"fee_recipient_address", "withdrawal_address"});
  if (lay->deposit_amounts) req.push_back("deposit_amounts");
  if (lay->consensus_protocol) req.push_back("consensus_protocol");
  if (lay->gas_and_compounding) req.insert(req.end(), {"target_gas_limit", "compounding"});
  PHX_TRY(keys_ok, expect_keys(j, path, req, opt));

  PHX_TRY(name, get_string(j, "name", path));
  d.name = *name;
  if (lay->creator) {
    PHX_TRY(ck, expect_keys(j["creator"], path + ".creator", {"address", "config_signature"}));
    PHX_TRY(caddr, get_address(j["creator"], "address", path + ".creator"));
    d.creator.address = *caddr;
    PHX_TRY(csig, get_signature(j["creator"]["config_signature"], path + ".creator.config_signature", *lay));
    d.creator.config_signature = *csig;
  }
  PHX_TRY(ops, get_array(j, "operators", path));
  for (std::size_t i = 0; i < (*ops)->size(); ++i) {
    const auto& o = (**ops)[i];
    const std::string p = at(path + ".operators", i);
    std::vector<std::string> okeys = {"address", "enr", "config_signature", "enr_signature"};
    if (lay->operator_nonce) okeys.push_back("nonce");
    PHX_TRY(ok, expect_keys(o, p, okeys));
    if (lay->operator_nonce && !(o["nonce"].is_number_unsigned() && o["nonce"].get<std::uint64_t>() == 0))
      return bad(p + ".nonce", "must be 0");
    Operator op;
    PHX_TRY(addr, get_address(o, "address", p));
    op.address = *addr;
    PHX_TRY(enr, get_string(o, "enr", p));
    op.enr = *enr;
    PHX_TRY(cs, get_signature(o["config_signature"], p + ".config_signature", *lay));
    op.config_signature = *cs;
    PHX_TRY(es, get_signature(o["enr_signature"], p + ".enr_signature", *lay));
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
  if (d.num_validators > kMaxValidators) return bad_field(path + ".num_validators", "more than 65536 validators");
  if (per_validator) {
    PHX_TRY(vals, get_array(j, "validators", path));
    for (std::size_t i = 0; i < (*vals)->size(); ++i) {
      const auto& v = (**vals)[i];
      const std::string p = at(path + ".validators", i);
      PHX_TRY(ok, expect_keys(v, p, {"fee_recipient_address", "withdrawal_address"}));
      PHX_TRY(fee, get_address(v, "fee_recipient_address", p));
      PHX_TRY(wd, get_address(v, "withdrawal_address", p));
      d.validators.push_back({*fee, *wd});
    }
    if (d.validators.size() != d.num_validators)
      return bad_field(path + ".validators", std::to_string(d.validators.size()) + " entries for num_validators " +
                                                 std::to_string(d.num_validators));
  } else {
    // Before v1.5 one fee recipient and withdrawal address serve every validator.
    PHX_TRY(fee, get_address(j, "fee_recipient_address", path));
    PHX_TRY(wd, get_address(j, "withdrawal_address", path));
    d.validators.assign(d.num_validators, ValidatorAddresses{*fee, *wd});
  }
  PHX_TRY(dkg, get_string(j, "dkg_algorithm", path));
  d.dkg_algorithm = *dkg;
  PHX_TRY(fork, get_fixed<4>(j["fork_version"], path + ".fork_version"));
  d.fork_version = *fork;
  if (lay->gas_and_compounding) {
    PHX_TRY(gas, get_uint(j, "target_gas_limit", path));
    d.target_gas_limit = *gas;
    if (!j["compounding"].is_boolean()) return bad(path + ".compounding", "expected true or false");
    d.compounding = j["compounding"].get<bool>();
  }
  if (lay->deposit_amounts) {
    PHX_TRY(amounts, get_array(j, "deposit_amounts", path));
    for (std::size_t i = 0; i < (*amounts)->size(); ++i) {
      PHX_TRY(a, get_dec_string((**amounts)[i], at(path + ".deposit_amounts", i)));
      d.deposit_amounts.push_back(*a);
    }
    if (auto ok = check_deposit_amounts(d.deposit_amounts, d.compounding); !ok)
      return bad_field(path + ".deposit_amounts", ok.error().detail);
  }
  if (lay->consensus_protocol) {
    PHX_TRY(cp, get_string(j, "consensus_protocol", path));
    d.consensus_protocol = *cp;
  }
  PHX_TRY(ch, get_fixed<32>(j["config_hash"], path + ".config_hash", enc));
  d.config_hash = *ch;
  PHX_TRY(dh, get_fixed<32>(j["definition_hash"], path + ".definition_hash", enc));
  d.definition_hash = *dh;
  return d;
}

LockResult<DepositData> deposit_from(const Json& j, const std::string& p) {
  PHX_TRY(ok, expect_keys(j, p, {"pubkey", "withdrawal_credentials", "amount", "signature"}));
  // Charon reads "" as zero bytes (an absent v1.6/v1.7 deposit is written that way).
  DepositData dd;
  PHX_TRY(pk, get_fixed<48>(j["pubkey"], p + ".pubkey", Enc::kHex, true));
  dd.pubkey = *pk;
  PHX_TRY(wc, get_fixed<32>(j["withdrawal_credentials"], p + ".withdrawal_credentials", Enc::kHex, true));
  dd.withdrawal_credentials = *wc;
  PHX_TRY(amt, get_dec_string(j["amount"], p + ".amount"));
  dd.amount = *amt;
  PHX_TRY(sig, get_fixed<96>(j["signature"], p + ".signature", Enc::kHex, true));
  dd.signature = *sig;
  return dd;
}

LockResult<BuilderRegistration> registration_from(const Json& j, const std::string& p) {
  PHX_TRY(ok, expect_keys(j, p, {"message", "signature"}));
  const auto& m = j["message"];
  PHX_TRY(mk, expect_keys(m, p + ".message", {"fee_recipient", "gas_limit", "timestamp", "pubkey"}));
  BuilderRegistration br;
  PHX_TRY(gas, get_go_int(m, "gas_limit", p + ".message"));
  br.message.gas_limit = *gas;
  PHX_TRY(ts, get_go_int(m, "timestamp", p + ".message"));
  br.message.timestamp = *ts;
  const bool empty_fee = m["fee_recipient"].is_string() && m["fee_recipient"].get_ref<const std::string&>().empty();
  if (empty_fee) {
    // Charon's empty registration: every field empty. Anything else with an empty fee recipient is rejected.
    const bool all_empty = m["pubkey"] == "" && j["signature"] == "" && *gas == 0 && *ts == 0;
    if (!all_empty) return bad(p + ".message.fee_recipient", "empty in a registration that is not empty");
    br.absent = true;
    return br;
  }
  PHX_TRY(fee, get_fixed<20>(m["fee_recipient"], p + ".message.fee_recipient"));
  br.message.fee_recipient = *fee;
  PHX_TRY(pk, get_fixed<48>(m["pubkey"], p + ".message.pubkey"));
  br.message.pubkey = *pk;
  PHX_TRY(sig, get_fixed<96>(j["signature"], p + ".signature"));
  br.signature = *sig;
  return br;
}

LockResult<DistValidator> validator_from(const Json& v, const std::string& p, const VersionLayout& lay) {
  std::vector<std::string> req = {"distributed_public_key"}, opt = {"public_shares"};
  switch (lay.deposits) {
    case DepositShape::kNone: opt.push_back("fee_recipient_address"); break;
    case DepositShape::kFlatV1_6:
    case DepositShape::kSingle: req.push_back("deposit_data"); break;
    case DepositShape::kList: opt.push_back("partial_deposit_data"); break;
  }
  if (lay.builder_registration) req.push_back("builder_registration");
  PHX_TRY(ok, expect_keys(v, p, req, opt));
  DistValidator dv;
  PHX_TRY(pk, get_fixed<48>(v["distributed_public_key"], p + ".distributed_public_key"));
  dv.distributed_public_key = *pk;
  PHX_TRY(shares, get_array(v, "public_shares", p));
  for (std::size_t s = 0; s < (*shares)->size(); ++s) {
    PHX_TRY(share, get_fixed<48>((**shares)[s], at(p + ".public_shares", s),
                                 lay.base64_bytes ? Enc::kBase64 : Enc::kHex));
    dv.public_shares.push_back(*share);
  }
  if (v.contains("fee_recipient_address")) {
    // Versions before v1.6 once had a per-validator fee recipient; Charon refuses a non-empty one.
    PHX_TRY(fee, get_bytes(v["fee_recipient_address"], p + ".fee_recipient_address", Enc::kHex, 0, true));
    if (!fee->empty()) return bad_field(p + ".fee_recipient_address", "a validator fee recipient is not supported");
  }
  if (lay.deposits == DepositShape::kList) {
    PHX_TRY(pdd, get_array(v, "partial_deposit_data", p));
    for (std::size_t k = 0; k < (*pdd)->size(); ++k) {
      PHX_TRY(dd, deposit_from((**pdd)[k], at(p + ".partial_deposit_data", k)));
      dv.partial_deposit_data.push_back(*dd);
    }
  } else if (lay.deposits != DepositShape::kNone) {
    PHX_TRY(dd, deposit_from(v["deposit_data"], p + ".deposit_data"));
    dv.partial_deposit_data.push_back(*dd);
  }
  if (lay.builder_registration) {
    PHX_TRY(br, registration_from(v["builder_registration"], p + ".builder_registration"));
    dv.builder_registration = *br;
  }
  return dv;
}

LockResult<Json> parse_text(std::string_view text) {
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return bad("$", "not valid JSON");
  return j;
}

// ---- writing: the layout Go's encoding/json gives Charon's structs ----

Json definition_to(const Definition& d) {
  const VersionLayout* lay = layout_of(d.version);
  const VersionLayout& l = lay ? *lay : layouts().back();
  const Enc enc = l.base64_bytes ? Enc::kBase64 : Enc::kHex;
  Json j = Json::object();
  if (!d.name.empty()) j["name"] = d.name;
  if (l.creator)
    j["creator"] = Json{{"address", d.creator.address}, {"config_signature", encode(d.creator.config_signature, enc)}};
  j["operators"] = nullptr;
  for (const auto& o : d.operators) {
    Json op = {{"address", o.address}, {"enr", o.enr}};
    if (l.operator_nonce) op["nonce"] = 0;
    op["config_signature"] = encode(o.config_signature, enc);
    op["enr_signature"] = encode(o.enr_signature, enc);
    j["operators"].push_back(std::move(op));
  }
  j["uuid"] = d.uuid;
  j["version"] = d.version;
  if (!d.timestamp.empty()) j["timestamp"] = d.timestamp;
  j["num_validators"] = d.num_validators;
  j["threshold"] = d.threshold;
  if (l.shape == DefinitionShape::kCurrent) {
    j["validators"] = nullptr;
    for (const auto& v : d.validators)
      j["validators"].push_back(
          Json{{"fee_recipient_address", v.fee_recipient_address}, {"withdrawal_address", v.withdrawal_address}});
  } else if (!d.validators.empty()) {
    if (!d.validators[0].fee_recipient_address.empty())
      j["fee_recipient_address"] = d.validators[0].fee_recipient_address;
    if (!d.validators[0].withdrawal_address.empty()) j["withdrawal_address"] = d.validators[0].withdrawal_address;
  }
  j["dkg_algorithm"] = d.dkg_algorithm;
  j["fork_version"] = to_hex(d.fork_version);
  if (l.deposit_amounts) {
    j["deposit_amounts"] = nullptr;
    for (auto a : d.deposit_amounts) j["deposit_amounts"].push_back(std::to_string(a));
  }
  if (l.consensus_protocol) j["consensus_protocol"] = d.consensus_protocol;
  if (l.gas_and_compounding) {
    j["target_gas_limit"] = d.target_gas_limit;
    j["compounding"] = d.compounding;
  }
  j["config_hash"] = encode(d.config_hash, enc);
  j["definition_hash"] = encode(d.definition_hash, enc);
  return j;
}

Json deposit_to(const DepositData& dd) {
  // A zero deposit is Charon's empty one (nil byte slices, written "").
  auto hex = [](const auto& a) { return all_zero(a) ? std::string() : to_hex(a); };
  return Json{{"pubkey", hex(dd.pubkey)},
              {"withdrawal_credentials", hex(dd.withdrawal_credentials)},
              {"amount", std::to_string(dd.amount)},
              {"signature", hex(dd.signature)}};
}

Json registration_to(const BuilderRegistration& br) {
  if (br.absent)
    return Json{{"message", Json{{"fee_recipient", ""}, {"gas_limit", 0}, {"timestamp", 0}, {"pubkey", ""}}},
                {"signature", ""}};
  const auto& m = br.message;
  return Json{{"message",
               Json{{"fee_recipient", to_hex(m.fee_recipient)},
                    {"gas_limit", go_int(m.gas_limit)},
                    {"timestamp", go_int(m.timestamp)},
                    {"pubkey", to_hex(m.pubkey)}}},
              {"signature", to_hex(br.signature)}};
}

/// Go's encoding/json escapes <, > and & (and U+2028/U+2029) inside strings; those bytes never occur outside
/// strings in JSON text, so escaping them in the whole text is exact.
std::string go_dump(const Json& j) {
  const std::string s = j.dump(1, ' ', false, Json::error_handler_t::replace);
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '<') out += "\\u003c";
    else if (c == '>') out += "\\u003e";
    else if (c == '&') out += "\\u0026";
    else if (c == '\xe2' && i + 2 < s.size() && s[i + 1] == '\x80' && (s[i + 2] == '\xa8' || s[i + 2] == '\xa9')) {
      out += s[i + 2] == '\xa8' ? "\\u2028" : "\\u2029";
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

LockResult<Definition> parse_definition(std::string_view text) {
  PHX_TRY(j, parse_text(text));
  return definition_from(*j, "$");
}

LockResult<Lock> parse_lock(std::string_view text) {
  PHX_TRY(jr, parse_text(text));
  const Json& j = *jr;
  if (!j.is_object()) return bad("$", "expected an object");
  Lock l;
  PHX_TRY(def, definition_from(j.contains("cluster_definition") ? j["cluster_definition"] : Json(),
                               "$.cluster_definition"));
  l.definition = std::move(*def);
  const VersionLayout& lay = *layout_of(l.definition.version);
  std::vector<std::string> keys = {"cluster_definition", "distributed_validators", "signature_aggregate", "lock_hash"};
  if (lay.node_signatures) keys.push_back("node_signatures");
  PHX_TRY(top_keys, expect_keys(j, "$", keys));
  const Enc enc = lay.base64_bytes ? Enc::kBase64 : Enc::kHex;
  PHX_TRY(dvs, get_array(j, "distributed_validators", "$"));
  if ((*dvs)->size() > kMaxValidators) return bad_field("$.distributed_validators", "more than 65536 validators");
  for (std::size_t i = 0; i < (*dvs)->size(); ++i) {
    PHX_TRY(dv, validator_from((**dvs)[i], at("$.distributed_validators", i), lay));
    l.validators.push_back(std::move(*dv));
  }
  PHX_TRY(agg, get_bytes(j["signature_aggregate"], "$.signature_aggregate", enc, 0, true));
  l.signature_aggregate = *agg;
  PHX_TRY(lh, get_fixed<32>(j["lock_hash"], "$.lock_hash", enc));
  l.lock_hash = *lh;
  if (lay.node_signatures) {
    PHX_TRY(sigs, get_array(j, "node_signatures", "$"));
    for (std::size_t i = 0; i < (*sigs)->size(); ++i) {
      PHX_TRY(s, get_bytes((**sigs)[i], at("$.node_signatures", i), Enc::kHex, 0, false));
      l.node_signatures.push_back(*s);
    }
  }
  return l;
}

std::string write_definition(const Definition& d) { return go_dump(definition_to(d)); }

std::string write_lock(const Lock& l) {
  const VersionLayout* found = layout_of(l.definition.version);
  const VersionLayout& lay = found ? *found : layouts().back();
  const Enc enc = lay.base64_bytes ? Enc::kBase64 : Enc::kHex;
  Json j = Json::object();
  j["cluster_definition"] = definition_to(l.definition);
  j["distributed_validators"] = nullptr;
  for (const auto& v : l.validators) {
    Json dv = Json::object();
    dv["distributed_public_key"] = to_hex(v.distributed_public_key);
    if (!v.public_shares.empty()) {
      dv["public_shares"] = Json::array();
      for (const auto& s : v.public_shares) dv["public_shares"].push_back(encode(s, enc));
    }
    const DepositData first = v.partial_deposit_data.empty() ? DepositData{} : v.partial_deposit_data.front();
    switch (lay.deposits) {
      case DepositShape::kNone: break;
      case DepositShape::kFlatV1_6:
      case DepositShape::kSingle: dv["deposit_data"] = deposit_to(first); break;
      case DepositShape::kList: break;
    }
    if (lay.builder_registration) dv["builder_registration"] = registration_to(v.builder_registration);
    if (lay.deposits == DepositShape::kList && !v.partial_deposit_data.empty()) {
      dv["partial_deposit_data"] = Json::array();
      for (const auto& dd : v.partial_deposit_data) dv["partial_deposit_data"].push_back(deposit_to(dd));
    }
    j["distributed_validators"].push_back(std::move(dv));
  }
  if (enc == Enc::kBase64 && l.signature_aggregate.empty()) j["signature_aggregate"] = nullptr;
  else j["signature_aggregate"] = encode(l.signature_aggregate, enc);
  j["lock_hash"] = encode(l.lock_hash, enc);
  if (lay.node_signatures) {
    j["node_signatures"] = Json::array();
    for (const auto& s : l.node_signatures) j["node_signatures"].push_back(to_hex(s));
  }
  return go_dump(j);
}

}  // namespace phx::cluster
