// Reshare inputs and outputs: new operator set per mode, the derived definition, ceremony parameters, new lock.
#include "dkg/runner/reshare.hpp"

#include <algorithm>

#include "cluster/enr.hpp"
#include "crypto/hash/sha256.hpp"
#include "dkg/reshare.hpp"

namespace phx::dkg::runner {

namespace {

using Bad = std::unexpected<std::string>;

Result<crypto::k1::PublicKey, std::string> enr_key(const std::string& enr, const std::string& what) {
  auto e = cluster::Enr::parse(enr);
  if (!e) return Bad(what + ": not a valid ENR (" + e.error().message() + ")");
  return e->public_key();
}

std::optional<std::size_t> position(const std::vector<crypto::k1::PublicKey>& keys, const crypto::k1::PublicKey& k) {
  for (std::size_t i = 0; i < keys.size(); ++i)
    if (keys[i] == k) return i;
  return std::nullopt;
}

Result<std::vector<crypto::k1::PublicKey>, std::string> operator_keys(const cluster::Definition& d,
                                                                      const std::string& what) {
  std::vector<crypto::k1::PublicKey> out;
  for (std::size_t i = 0; i < d.operators.size(); ++i) {
    auto k = enr_key(d.operators[i].enr, what + " operator " + std::to_string(i));
    if (!k) return Bad(k.error());
    out.push_back(*k);
  }
  return out;
}

// Charon's default threshold for n operators: ⌈2n/3⌉.
std::uint32_t default_threshold(std::size_t n) { return static_cast<std::uint32_t>((2 * n + 2) / 3); }

}  // namespace

const char* to_string(ReshareMode m) {
  switch (m) {
    case ReshareMode::kAddOperators:
      return "add-operators";
    case ReshareMode::kRemoveOperators:
      return "remove-operators";
    case ReshareMode::kReplaceOperator:
      return "replace-operator";
    case ReshareMode::kRecreatePrivateKeys:
      return "recreate-private-keys";
  }
  return "?";
}

Result<NewOperators, std::string> new_operator_set(const cluster::Lock& old, const ReshareRequest& r) {
  auto old_keys = operator_keys(old.definition, "old lock");
  if (!old_keys) return Bad(old_keys.error());
  std::vector<crypto::k1::PublicKey> given;
  for (std::size_t i = 0; i < r.enrs.size(); ++i) {
    auto k = enr_key(r.enrs[i], "ENR " + std::to_string(i + 1) + " of the command line");
    if (!k) return Bad(k.error());
    given.push_back(*k);
  }
  NewOperators out;
  std::vector<crypto::k1::PublicKey> new_keys;
  auto keep = [&](std::size_t i) {
    out.enrs.push_back(old.definition.operators[i].enr);
    new_keys.push_back((*old_keys)[i]);
  };
  switch (r.mode) {
    case ReshareMode::kAddOperators:
      if (given.empty()) return Bad("add-operators needs at least one new operator ENR");
      for (std::size_t i = 0; i < old_keys->size(); ++i) keep(i);
      for (std::size_t i = 0; i < given.size(); ++i) {
        if (position(new_keys, given[i]))
          return Bad("new operator ENR " + std::to_string(i + 1) + " is already an operator (or given twice)");
        out.enrs.push_back(r.enrs[i]);
        new_keys.push_back(given[i]);
      }
      break;
    case ReshareMode::kRemoveOperators: {
      if (given.empty()) return Bad("remove-operators needs at least one ENR to remove");
      std::vector<bool> removed(old_keys->size(), false);
      for (std::size_t i = 0; i < given.size(); ++i) {
        auto p = position(*old_keys, given[i]);
        if (!p) return Bad("ENR " + std::to_string(i + 1) + " to remove is not an operator of the old lock");
        if (removed[*p]) return Bad("ENR " + std::to_string(i + 1) + " to remove is given twice");
        removed[*p] = true;
      }
      for (std::size_t i = 0; i < old_keys->size(); ++i)
        if (!removed[i]) keep(i);
      break;
    }
    case ReshareMode::kReplaceOperator: {
      if (given.size() != 2) return Bad("replace-operator needs the old operator's ENR and the new one's");
      auto p = position(*old_keys, given[0]);
      if (!p) return Bad("the operator to replace is not an operator of the old lock");
      if (position(*old_keys, given[1])) return Bad("the new operator is already an operator of the old lock");
      for (std::size_t i = 0; i < old_keys->size(); ++i) {
        if (i == *p) {
          out.enrs.push_back(r.enrs[1]);
          new_keys.push_back(given[1]);
        } else {
          keep(i);
        }
      }
      break;
    }
    case ReshareMode::kRecreatePrivateKeys:
      if (!given.empty()) return Bad("recreate-private-keys takes no ENRs");
      for (std::size_t i = 0; i < old_keys->size(); ++i) keep(i);
      break;
  }
  std::vector<bool> leaving_deals(old_keys->size(), false);
  for (std::size_t i = 0; i < r.participating.size(); ++i) {
    auto k = enr_key(r.participating[i], "participating ENR " + std::to_string(i + 1));
    if (!k) return Bad(k.error());
    auto p = position(*old_keys, *k);
    if (!p) return Bad("participating ENR " + std::to_string(i + 1) + " is not an operator of the old lock");
    if (!position(new_keys, *k)) leaving_deals[*p] = true;
  }
  for (std::size_t i = 0; i < old_keys->size(); ++i)
    if (leaving_deals[i]) out.leaving_dealers.push_back(old.definition.operators[i].enr);
  const std::size_t n = out.enrs.size();
  if (n == 0) return Bad("no operator would remain");
  if (n > kMaxOperators) return Bad("at most " + std::to_string(kMaxOperators) + " operators");
  out.threshold = r.new_threshold.value_or(n == old_keys->size()
                                               ? static_cast<std::uint32_t>(old.definition.threshold)
                                               : default_threshold(n));
  if (out.threshold == 0 || out.threshold > n)
    return Bad("the new threshold must be 1.." + std::to_string(n) + " (got " + std::to_string(out.threshold) + ")");
  std::size_t staying = 0;
  for (const auto& k : *old_keys) staying += position(new_keys, k) ? 1 : 0;
  if (staying + out.leaving_dealers.size() < old.definition.threshold)
    return Bad(std::to_string(staying) + " old operators stay and " + std::to_string(out.leaving_dealers.size()) +
               " leaving ones take part, fewer than the old threshold " + std::to_string(old.definition.threshold) +
               ": list enough leaving operators as participating (they deal, and receive nothing)");
  return out;
}

Result<cluster::Definition, std::string> reshare_definition(const cluster::Lock& old, const NewOperators& ops) {
  cluster::Definition d = old.definition;
  d.creator = cluster::Creator{};
  d.operators.clear();
  for (const auto& enr : ops.enrs) d.operators.push_back(cluster::Operator{"", enr, {}, {}});
  d.threshold = ops.threshold;
  // uuid = the first 16 bytes of sha256(tag ‖ old lock hash ‖ threshold ‖ ENRs), as an upper-case v4 uuid.
  crypto::hash::Sha256 h;
  h.update(as_bytes("phalanx/reshare/v1/uuid"));
  h.update(old.lock_hash);
  std::uint8_t b[4];
  put_be32(b, ops.threshold);
  h.update(ByteSpan(b, 4));
  for (const auto& e : ops.enrs) {
    h.update(as_bytes(e));
    h.update(as_bytes("\n"));
  }
  Root digest = h.finish();
  digest[6] = static_cast<std::uint8_t>((digest[6] & 0x0f) | 0x40);
  digest[8] = static_cast<std::uint8_t>((digest[8] & 0x3f) | 0x80);
  std::string hex = to_hex(ByteSpan(digest.data(), 16), false);
  std::transform(hex.begin(), hex.end(), hex.begin(), [](char c) { return static_cast<char>(std::toupper(c)); });
  d.uuid = hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" + hex.substr(16, 4) + "-" +
           hex.substr(20, 12);
  auto ch = cluster::compute_config_hash(d);
  if (!ch) return Bad("new definition: " + ch.error().message());
  d.config_hash = *ch;
  auto dh = cluster::compute_definition_hash(d);
  if (!dh) return Bad("new definition: " + dh.error().message());
  d.definition_hash = *dh;
  return d;
}

Result<Params, std::string> make_reshare_params(const cluster::DkgInputs& in, const cluster::Lock& old,
                                                std::span<const std::string> leaving_dealers,
                                                std::uint32_t chunk_validators) {
  auto old_keys = operator_keys(old.definition, "old lock");
  if (!old_keys) return Bad(old_keys.error());
  ReshareOperators ops;
  ops.old_operators = *old_keys;
  for (const auto& op : in.operators) ops.new_operators.push_back(op.node_key);
  std::vector<crypto::k1::PublicKey> leaving;
  for (const auto& e : leaving_dealers) {
    auto k = enr_key(e, "leaving dealer");
    if (!k) return Bad(k.error());
    if (!position(*old_keys, *k)) return Bad("a participating operator is not an operator of the old lock");
    if (!position(ops.new_operators, *k)) leaving.push_back(*k);  // staying operators deal anyway
  }
  for (std::uint32_t i = 0; i < old_keys->size(); ++i)
    if (position(ops.new_operators, (*old_keys)[i]) || position(leaving, (*old_keys)[i]))
      ops.dealing_old.push_back(i);
  auto parts = reshare_participants(ops);
  if (!parts) return Bad(parts.error());
  Params p;
  p.definition_hash = in.definition_hash;
  p.threshold = in.threshold;
  p.validators = in.num_validators;
  p.chunk_validators = chunk_validators;
  p.roots_per_validator = 0;
  p.participants = std::move(*parts);
  ReshareParams r;
  r.old_lock_hash = old.lock_hash;
  r.old_threshold = static_cast<std::uint32_t>(old.definition.threshold);
  if (old.validators.size() != in.num_validators)
    return Bad("the old lock has " + std::to_string(old.validators.size()) + " validators, the new definition " +
               std::to_string(in.num_validators));
  for (std::size_t v = 0; v < old.validators.size(); ++v) {
    const auto& ov = old.validators[v];
    auto pk = crypto::bls::PublicKey::from_bytes(ov.distributed_public_key);
    if (!pk) return Bad("old lock validator " + std::to_string(v) + ": the key does not decode");
    r.pubkeys.push_back(*pk);
    std::vector<crypto::bls::PublicKey> row;
    for (std::size_t j = 0; j < ov.public_shares.size(); ++j) {
      auto s = crypto::bls::PublicKey::from_bytes(ov.public_shares[j]);
      if (!s)
        return Bad("old lock validator " + std::to_string(v) + ": public share " + std::to_string(j) +
                   " does not decode");
      row.push_back(*s);
    }
    r.old_pubshares.push_back(std::move(row));
  }
  p.reshare = std::move(r);
  if (auto ok = validate(p); !ok) return Bad("reshare parameters: " + ok.error());
  return p;
}

cluster::LockResult<cluster::Lock> reshared_lock(const cluster::Definition& def, const cluster::Lock& old,
                                                 std::span<const ValidatorPublic> validators) {
  auto bad = [](std::string s) { return std::unexpected(cluster::LockProblem{cluster::LockError::kBadField, std::move(s)}); };
  if (validators.size() != old.validators.size())
    return bad(std::to_string(validators.size()) + " validators, the old lock has " +
               std::to_string(old.validators.size()));
  cluster::Lock l;
  l.definition = def;
  l.validators = old.validators;
  for (std::size_t v = 0; v < validators.size(); ++v) {
    auto& dv = l.validators[v];
    if (validators[v].pubkey.to_bytes() != dv.distributed_public_key)
      return bad("validator " + std::to_string(v) + ": the reshared key is not the old one");
    if (validators[v].pubshares.size() != def.operators.size())
      return bad("validator " + std::to_string(v) + ": " + std::to_string(validators[v].pubshares.size()) +
                 " public shares for " + std::to_string(def.operators.size()) + " operators");
    dv.public_shares.clear();
    for (const auto& s : validators[v].pubshares) dv.public_shares.push_back(s.to_bytes());
  }
  auto h = cluster::compute_lock_hash(l);
  if (!h) return std::unexpected(h.error());
  l.lock_hash = *h;
  return l;
}

Root ReshareLockPlan::lock_hash(std::span<const ValidatorPublic> validators) const {
  auto lock = reshared_lock(def_, old_, validators);
  return lock ? lock->lock_hash : Root{};
}

std::vector<std::vector<cluster::DepositData>> deposits_by_amount(const cluster::Lock& lock) {
  std::vector<std::vector<cluster::DepositData>> out;
  if (lock.validators.empty()) return out;
  for (const auto& first : lock.validators[0].partial_deposit_data) {
    std::vector<cluster::DepositData> file;
    for (const auto& v : lock.validators)
      for (const auto& d : v.partial_deposit_data)
        if (d.amount == first.amount) {
          file.push_back(d);
          break;
        }
    if (file.size() == lock.validators.size()) out.push_back(std::move(file));
  }
  return out;
}

}  // namespace phx::dkg::runner
