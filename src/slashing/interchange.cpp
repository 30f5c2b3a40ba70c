// Strict EIP-3076 v5 interchange JSON reading and writing.
#include "slashing/interchange.hpp"

#include <nlohmann/json.hpp>
#include <set>

namespace phx::slashing {
namespace {

using Json = nlohmann::ordered_json;

std::unexpected<InterchangeProblem> bad(const std::string& path, const std::string& why,
                                        SlashingError code = SlashingError::kBadInterchange) {
  return std::unexpected(InterchangeProblem{code, path + ": " + why});
}

/// `j` must be an object with all of `required`, optionally `optional`, and nothing else.
InterchangeResult<void> expect_keys(const Json& j, const std::string& path,
                                    const std::set<std::string>& required,
                                    const std::set<std::string>& optional = {}) {
  if (!j.is_object()) return bad(path, "expected an object");
  for (const auto& [k, _] : j.items())
    if (!required.count(k) && !optional.count(k)) return bad(path + "." + k, "unknown field");
  for (const auto& k : required)
    if (!j.contains(k)) return bad(path + "." + k, "missing field");
  return {};
}

/// A decimal string below 2^63 (the store keeps SQLite's signed 64-bit integers), no sign, no leading zeros.
InterchangeResult<std::uint64_t> get_dec(const Json& v, const std::string& path) {
  if (!v.is_string()) return bad(path, "expected a decimal string");
  const auto& s = v.get_ref<const std::string&>();
  if (s.empty() || s.size() > 19) return bad(path, "bad decimal number");
  if (s.size() > 1 && s[0] == '0') return bad(path, "leading zero in decimal number");
  std::uint64_t acc = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return bad(path, "bad decimal number");
    acc = acc * 10 + static_cast<std::uint64_t>(c - '0');  // 19 digits cannot overflow 64 bits
  }
  if (acc > static_cast<std::uint64_t>(INT64_MAX))
    return bad(path, "number is 2^63 or more", SlashingError::kValueTooLarge);
  return acc;
}

template <std::size_t N>
InterchangeResult<ByteArray<N>> get_hex(const Json& v, const std::string& path) {
  if (!v.is_string()) return bad(path, "expected a 0x-hex string");
  const auto& s = v.get_ref<const std::string&>();
  if (s.size() != 2 + 2 * N || s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
    return bad(path, "expected 0x followed by " + std::to_string(2 * N) + " hex digits");
  auto b = from_hex_fixed<N>(std::string_view(s).substr(2));
  if (!b) return bad(path, "bad hex digit");
  return *b;
}

std::optional<Root> known(const std::optional<Root>& r) {
  return is_known_root(r) ? r : std::nullopt;
}

}  // namespace

InterchangeResult<Interchange> parse_interchange(std::string_view json) {
  Json j = Json::parse(json.begin(), json.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return bad("$", "not valid JSON");
  if (auto ok = expect_keys(j, "$", {"metadata", "data"}); !ok) return std::unexpected(ok.error());
  const auto& meta = j["metadata"];
  if (auto ok = expect_keys(meta, "$.metadata", {"interchange_format_version", "genesis_validators_root"});
      !ok)
    return std::unexpected(ok.error());
  const auto& ver = meta["interchange_format_version"];
  if (!ver.is_string()) return bad("$.metadata.interchange_format_version", "expected a string");
  if (ver.get_ref<const std::string&>() != "5")
    return bad("$.metadata.interchange_format_version", "unsupported version",
               SlashingError::kUnsupportedVersion);
  Interchange out;
  auto gvr = get_hex<32>(meta["genesis_validators_root"], "$.metadata.genesis_validators_root");
  if (!gvr) return std::unexpected(gvr.error());
  out.genesis_validators_root = *gvr;
  const auto& data = j["data"];
  if (!data.is_array()) return bad("$.data", "expected an array");
  for (std::size_t i = 0; i < data.size(); ++i) {
    const std::string p = "$.data[" + std::to_string(i) + "]";
    const auto& e = data[i];
    if (auto ok = expect_keys(e, p, {"pubkey", "signed_blocks", "signed_attestations"}); !ok)
      return std::unexpected(ok.error());
    InterchangeRecord rec;
    auto pk = get_hex<48>(e["pubkey"], p + ".pubkey");
    if (!pk) return std::unexpected(pk.error());
    rec.pubkey = *pk;
    const auto& blocks = e["signed_blocks"];
    if (!blocks.is_array()) return bad(p + ".signed_blocks", "expected an array");
    for (std::size_t k = 0; k < blocks.size(); ++k) {
      const std::string bp = p + ".signed_blocks[" + std::to_string(k) + "]";
      if (auto ok = expect_keys(blocks[k], bp, {"slot"}, {"signing_root"}); !ok)
        return std::unexpected(ok.error());
      auto slot = get_dec(blocks[k]["slot"], bp + ".slot");
      if (!slot) return std::unexpected(slot.error());
      BlockRecord b{Slot{*slot}, std::nullopt};
      if (blocks[k].contains("signing_root")) {
        auto r = get_hex<32>(blocks[k]["signing_root"], bp + ".signing_root");
        if (!r) return std::unexpected(r.error());
        b.signing_root = *r;
      }
      rec.signed_blocks.push_back(b);
    }
    const auto& atts = e["signed_attestations"];
    if (!atts.is_array()) return bad(p + ".signed_attestations", "expected an array");
    for (std::size_t k = 0; k < atts.size(); ++k) {
      const std::string ap = p + ".signed_attestations[" + std::to_string(k) + "]";
      if (auto ok = expect_keys(atts[k], ap, {"source_epoch", "target_epoch"}, {"signing_root"}); !ok)
        return std::unexpected(ok.error());
      auto src = get_dec(atts[k]["source_epoch"], ap + ".source_epoch");
      if (!src) return std::unexpected(src.error());
      auto tgt = get_dec(atts[k]["target_epoch"], ap + ".target_epoch");
      if (!tgt) return std::unexpected(tgt.error());
      AttestationRecord a{Epoch{*src}, Epoch{*tgt}, std::nullopt};
      if (atts[k].contains("signing_root")) {
        auto r = get_hex<32>(atts[k]["signing_root"], ap + ".signing_root");
        if (!r) return std::unexpected(r.error());
        a.signing_root = *r;
      }
      rec.signed_attestations.push_back(a);
    }
    out.data.push_back(std::move(rec));
  }
  return out;
}

std::string write_interchange(const Interchange& doc) {
  Json j;
  j["metadata"]["interchange_format_version"] = "5";
  j["metadata"]["genesis_validators_root"] = to_hex(doc.genesis_validators_root);
  j["data"] = Json::array();
  for (const auto& rec : doc.data) {
    Json e;
    e["pubkey"] = to_hex(rec.pubkey);
    e["signed_blocks"] = Json::array();
    for (const auto& b : rec.signed_blocks) {
      Json jb;
      jb["slot"] = std::to_string(b.slot.value);
      if (auto r = known(b.signing_root)) jb["signing_root"] = to_hex(*r);
      e["signed_blocks"].push_back(std::move(jb));
    }
    e["signed_attestations"] = Json::array();
    for (const auto& a : rec.signed_attestations) {
      Json ja;
      ja["source_epoch"] = std::to_string(a.source.value);
      ja["target_epoch"] = std::to_string(a.target.value);
      if (auto r = known(a.signing_root)) ja["signing_root"] = to_hex(*r);
      e["signed_attestations"].push_back(std::move(ja));
    }
    j["data"].push_back(std::move(e));
  }
  return j.dump(2);
}

}  // namespace phx::slashing
