// Partial voluntary exits: the partial-exits and full-exit file formats, and the verifying, recombining ExitBook.
#include "app/exit_partials.hpp"

#include <algorithm>

#include "base/bytes.hpp"
#include "crypto/bls/bls.hpp"
#include "crypto/threshold/threshold.hpp"
#include "eth/duty_signing.hpp"

namespace phx::app {

namespace bls = crypto::bls;
namespace threshold = crypto::threshold;
using ssz::Json;

Result<core::PubKey, std::string> pubkey_from_json(const Json& j, std::string_view where) {
  if (!j.is_string()) return std::unexpected(std::string(where) + ": expected a 0x-prefixed hex string");
  const auto& s = j.get_ref<const std::string&>();
  if (s.size() != 98 || s.rfind("0x", 0) != 0)
    return std::unexpected(std::string(where) + ": expected 48 bytes as 0x + 96 hex digits");
  auto b = from_hex_fixed<48>(s);
  if (!b) return std::unexpected(std::string(where) + ": not hex");
  return *b;
}

Result<std::uint64_t, std::string> u64_from_json(const Json& j, std::string_view where) {
  if (j.is_number_unsigned()) return j.get<std::uint64_t>();
  if (!j.is_string()) return std::unexpected(std::string(where) + ": expected a decimal string");
  auto v = ssz::dec_to_u64(j.get_ref<const std::string&>());
  if (!v) return std::unexpected(std::string(where) + ": " + v.error());
  return *v;
}

Result<Json, std::string> parse_v1_file(std::string_view text, std::string_view list_key, std::string_view what) {
  auto j = ssz::parse_json(text);
  if (!j) return std::unexpected("not JSON: " + j.error().message());
  if (!j->is_object() || !j->contains("version") || !j->contains(list_key))
    return std::unexpected("expected an object with \"version\" and \"" + std::string(list_key) + "\"" +
                           std::string(what));
  if (!(*j)["version"].is_number_unsigned() || (*j)["version"].get<std::uint64_t>() != 1)
    return std::unexpected(std::string("version: only version 1 is known"));
  return std::move(*j);
}

Root exit_signing_root(const eth::ChainConfig& config, const eth::phase0::VoluntaryExit& exit) {
  return eth::voluntary_exit_signing_root(config, exit, exit.epoch);
}

namespace {

template <std::size_t N>
Result<ByteArray<N>, std::string> fixed_hex(const Json& j, std::string_view where) {
  if (!j.is_string() || j.get_ref<const std::string&>().size() != 2 + 2 * N ||
      j.get_ref<const std::string&>().rfind("0x", 0) != 0)
    return std::unexpected(std::string(where) + ": expected 0x + " + std::to_string(2 * N) + " hex digits");
  auto b = from_hex_fixed<N>(j.get_ref<const std::string&>());
  if (!b) return std::unexpected(std::string(where) + ": not hex");
  return *b;
}

}  // namespace

Result<PartialExitsFile, std::string> parse_partial_exits(std::string_view text) {
  auto j = parse_v1_file(text, "partials", " (a partial-exits file)");
  if (!j) return std::unexpected(j.error());
  PartialExitsFile out;
  if (auto it = j->find("lock_hash"); it != j->end()) {
    auto h = fixed_hex<32>(*it, "lock_hash");
    if (!h) return std::unexpected(h.error());
    out.lock_hash = *h;
  }
  const Json& arr = (*j)["partials"];
  if (!arr.is_array()) return std::unexpected(std::string("partials: expected an array"));
  if (arr.size() > kMaxPartialExitsInFile) return std::unexpected(std::string("partials: too many entries"));
  for (std::size_t i = 0; i < arr.size(); ++i) {
    const std::string where = "partials[" + std::to_string(i) + "]";
    const Json& e = arr[i];
    if (!e.is_object()) return std::unexpected(where + ": expected an object");
    for (const char* f : {"pubkey", "epoch", "validator_index", "share_idx", "signature"})
      if (!e.contains(f)) return std::unexpected(where + ": missing \"" + f + "\"");
    PartialExit p;
    auto pk = pubkey_from_json(e["pubkey"], where + ".pubkey");
    if (!pk) return std::unexpected(pk.error());
    p.pubkey = *pk;
    auto ep = u64_from_json(e["epoch"], where + ".epoch");
    if (!ep) return std::unexpected(ep.error());
    p.exit.epoch = Epoch{*ep};
    auto vi = u64_from_json(e["validator_index"], where + ".validator_index");
    if (!vi) return std::unexpected(vi.error());
    p.exit.validator_index = ValidatorIndex{*vi};
    if (!e["share_idx"].is_number_unsigned() || e["share_idx"].get<std::uint64_t>() < 1 ||
        e["share_idx"].get<std::uint64_t>() > threshold::kMaxShares)
      return std::unexpected(where + ".share_idx: expected 1.." + std::to_string(threshold::kMaxShares));
    p.share_idx = ShareIdx{static_cast<std::uint32_t>(e["share_idx"].get<std::uint64_t>())};
    auto sig = fixed_hex<96>(e["signature"], where + ".signature");
    if (!sig) return std::unexpected(sig.error());
    p.signature = *sig;
    out.partials.push_back(p);
  }
  return out;
}

std::string partial_exits_text(const PartialExitsFile& file) {
  Json arr = Json::array();
  for (const auto& p : file.partials) {
    Json o = Json::object();
    o["pubkey"] = to_hex(p.pubkey);
    o["epoch"] = ssz::u64_to_dec(p.exit.epoch.value);
    o["validator_index"] = ssz::u64_to_dec(p.exit.validator_index.value);
    o["share_idx"] = p.share_idx.value;
    o["signature"] = to_hex(p.signature);
    arr.push_back(std::move(o));
  }
  Json j = Json::object();
  j["version"] = 1;
  if (file.lock_hash) j["lock_hash"] = to_hex(*file.lock_hash);
  j["partials"] = std::move(arr);
  return j.dump(2) + "\n";
}

Result<eth::phase0::SignedVoluntaryExit, std::string> parse_signed_exit(std::string_view text) {
  auto j = ssz::parse_json(text);
  if (!j) return std::unexpected("not JSON: " + j.error().message());
  if (!j->is_object() || !j->contains("message") || !j->contains("signature"))
    return std::unexpected(std::string("expected a signed exit {\"message\":{\"epoch\",\"validator_index\"},\"signature\"}"));
  auto e = ssz::from_json<eth::phase0::SignedVoluntaryExit>(*j);
  if (!e) return std::unexpected("not a signed exit: " + e.error().message());
  return *e;
}

std::string signed_exit_text(const eth::phase0::SignedVoluntaryExit& exit) { return ssz::to_json(exit).dump(2) + "\n"; }

Result<void, std::string> verify_full_exit(const eth::ChainConfig& config, const core::PubKey& pubkey,
                                           const eth::phase0::SignedVoluntaryExit& exit) {
  auto key = bls::PublicKey::from_bytes(pubkey);
  if (!key) return std::unexpected("the validator key " + to_hex(pubkey) + " is not a valid BLS public key");
  auto sig = bls::Signature::from_bytes(exit.signature);
  if (!sig) return std::unexpected(std::string("the exit's signature is not a valid BLS signature encoding"));
  const Root root = exit_signing_root(config, exit.message);
  if (!bls::verify(*key, root, *sig))
    return std::unexpected("the exit's signature does not verify against validator " + to_hex(pubkey) +
                           " and the exit domain (epoch " + std::to_string(exit.message.epoch.value) +
                           ", validator index " + std::to_string(exit.message.validator_index.value) +
                           "): another validator's exit, another chain, or a corrupted file");
  return {};
}

bool ExitBook::verify_one(const core::PubKey& pubkey, const Entry& e, std::uint32_t share) const {
  auto pubshare = keys_.pubshare(pubkey, ShareIdx{share});
  auto sig = bls::Signature::from_bytes(e.partials.at(share));
  return pubshare && sig && bls::verify(*pubshare, exit_signing_root(config_, e.exit), *sig);
}

bool ExitBook::try_recombine(const core::PubKey& pubkey, Entry& e) {
  const core::ValidatorKeys* v = keys_.find(pubkey);
  const Root root = exit_signing_root(config_, e.exit);
  while (!e.full && v != nullptr && e.partials.size() >= keys_.threshold()) {
    // t partials, verified ones first: one pairing check of the result when every partial is right.
    std::vector<std::uint32_t> pick;
    for (auto idx : e.verified)
      if (pick.size() < keys_.threshold()) pick.push_back(idx);
    for (const auto& [idx, s] : e.partials)
      if (pick.size() < keys_.threshold() && !e.verified.contains(idx)) pick.push_back(idx);
    std::vector<threshold::PartialSignature> parts;
    for (auto idx : pick)
      if (auto ps = bls::Signature::from_bytes(e.partials.at(idx)))
        parts.push_back(threshold::PartialSignature{ShareIdx{idx}, *ps});
    auto full = threshold::recombine_signatures(parts, keys_.threshold());
    if (full && bls::verify(v->key, root, *full)) {
      e.verified.insert(pick.begin(), pick.end());
      e.full = full->to_bytes();
      return true;
    }
    // Some partial is wrong: find it (one check each), drop it, try again with the rest.
    bool dropped = false;
    for (auto idx : pick) {
      if (e.verified.contains(idx)) continue;
      if (verify_one(pubkey, e, idx)) {
        e.verified.insert(idx);
        continue;
      }
      rejections_.push_back({{pubkey, idx},
                             "partial exit of " + to_hex(pubkey) + " by share " + std::to_string(idx) + " (epoch " +
                                 std::to_string(e.exit.epoch.value) + ", validator index " +
                                 std::to_string(e.exit.validator_index.value) +
                                 ") does not verify against the lock's public share: dropped"});
      e.partials.erase(idx);
      dropped = true;
    }
    if (!dropped) return false;  // every partial verifies, the result does not: an inconsistent lock (fail closed)
  }
  return e.full.has_value();
}

Result<ExitBook::Added, std::string> ExitBook::add(const PartialExit& p, bool verify_now) {
  const std::string who = "partial exit of " + to_hex(p.pubkey) + " by share " + std::to_string(p.share_idx.value);
  if (keys_.find(p.pubkey) == nullptr) return std::unexpected(who + ": not a validator of this cluster");
  if (!keys_.pubshare(p.pubkey, p.share_idx))
    return std::unexpected(who + ": the cluster has shares 1.." + std::to_string(keys_.share_count()) + " only");
  if (!bls::Signature::from_bytes(p.signature))
    return std::unexpected(who + ": the signature is not a valid BLS signature encoding");
  const std::string bad = who + " (epoch " + std::to_string(p.exit.epoch.value) + ", validator index " +
                          std::to_string(p.exit.validator_index.value) +
                          ") does not verify against the lock's public share: wrong key, wrong message or another chain";
  auto& list = entries_[p.pubkey];
  auto it = std::find_if(list.begin(), list.end(), [&](const Entry& e) { return e.exit == p.exit; });
  if (it != list.end()) {
    auto held = it->partials.find(p.share_idx.value);
    if (held != it->partials.end()) {
      if (held->second == p.signature) return Added::kKnown;
      // BLS signatures are unique: two partials of one share and message cannot both verify.
      if (it->verified.contains(p.share_idx.value) || verify_one(p.pubkey, *it, p.share_idx.value))
        return std::unexpected(bad);
      it->partials.erase(held);
    }
  } else {
    const auto from_share = std::count_if(list.begin(), list.end(),
                                          [&](const Entry& e) { return e.partials.contains(p.share_idx.value); });
    if (static_cast<std::size_t>(from_share) >= max_per_share_)
      return std::unexpected(who + ": this share already signed " + std::to_string(max_per_share_) +
                             " other exit messages of the validator; refused");
    list.push_back(Entry{p.exit, {}, {}, std::nullopt});
    it = std::prev(list.end());
  }
  it->partials[p.share_idx.value] = p.signature;
  if (verify_now) {
    if (!verify_one(p.pubkey, *it, p.share_idx.value)) {
      it->partials.erase(p.share_idx.value);
      if (it->partials.empty()) list.erase(it);
      return std::unexpected(bad);
    }
    it->verified.insert(p.share_idx.value);
  }
  if (it->full) return Added::kNew;
  const bool ready = try_recombine(p.pubkey, *it);
  if (!it->partials.contains(p.share_idx.value)) {  // dropped as the wrong one: reported here, not twice
    std::erase_if(rejections_, [&](const auto& r) { return r.first == std::pair{p.pubkey, p.share_idx.value}; });
    if (it->partials.empty()) list.erase(it);
    return std::unexpected(bad);
  }
  return ready ? Added::kReady : Added::kNew;
}

std::vector<std::string> ExitBook::take_rejections() {
  std::vector<std::string> out;
  for (auto& [who, text] : rejections_) out.push_back(std::move(text));
  rejections_.clear();
  return out;
}

const ExitBook::Entry* ExitBook::find(const core::PubKey& pubkey, Epoch epoch) const {
  auto it = entries_.find(pubkey);
  if (it == entries_.end()) return nullptr;
  const Entry* best = nullptr;
  for (const auto& e : it->second) {
    if (e.exit.epoch != epoch) continue;
    if (best == nullptr || (e.full && !best->full) ||
        (e.full.has_value() == best->full.has_value() && e.partials.size() > best->partials.size()))
      best = &e;
  }
  return best;
}

std::optional<eth::phase0::SignedVoluntaryExit> ExitBook::full_exit(const core::PubKey& pubkey) const {
  auto it = entries_.find(pubkey);
  if (it == entries_.end()) return std::nullopt;
  std::optional<eth::phase0::SignedVoluntaryExit> out;
  for (const auto& e : it->second)
    if (e.full && (!out || e.exit.epoch.value > out->message.epoch.value))
      out = eth::phase0::SignedVoluntaryExit{e.exit, *e.full};
  return out;
}

std::vector<PartialExit> ExitBook::partials() const {
  std::vector<PartialExit> out;
  for (const auto& [pk, list] : entries_)
    for (const auto& e : list)
      for (const auto& [idx, s] : e.partials) out.push_back(PartialExit{pk, e.exit, ShareIdx{idx}, s});
  return out;
}

}  // namespace phx::app
