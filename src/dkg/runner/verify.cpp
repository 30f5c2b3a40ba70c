// Offline verification of a DKG's outputs: lock, transcript and deposit files against each other.
#include "dkg/runner/verify.hpp"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "cluster/deposit.hpp"
#include "cluster/dkg_inputs.hpp"
#include "cluster/lock_verify.hpp"
#include "crypto/hash/sha256.hpp"
#include "dkg/runner/plan.hpp"
#include "dkg/runner/reshare.hpp"
#include "dkg/transcript.hpp"

namespace phx::dkg::runner {
namespace {

template <std::size_t N>
bool hex_field(const nlohmann::json& e, const char* key, ByteArray<N>& out) {
  if (!e.contains(key) || !e[key].is_string()) return false;
  auto b = from_hex(e[key].get<std::string>());
  if (!b || b->size() != N) return false;
  std::copy(b->begin(), b->end(), out.begin());
  return true;
}

Result<std::string, std::string> check_deposit_file(const DepositFile& f, const cluster::Lock& lock,
                                                    std::span<const Root> artifacts) {
  auto fail = [&](const std::string& why) { return std::unexpected(f.name + ": " + why); };
  const Root digest = crypto::hash::sha256(as_bytes(f.text));
  if (std::find(artifacts.begin(), artifacts.end(), digest) == artifacts.end())
    return fail("its sha256 is not among the artifact hashes every operator signed in R5");
  auto j = nlohmann::json::parse(f.text, nullptr, false);
  if (j.is_discarded() || !j.is_array()) return fail("not a JSON array of deposits");
  const auto& fork = lock.definition.fork_version;
  std::map<ByteArray<48>, std::size_t> seen;
  std::uint64_t amount = 0;
  for (std::size_t i = 0; i < j.size(); ++i) {
    const auto& e = j[i];
    const std::string at = "entry " + std::to_string(i) + ": ";
    cluster::DepositData dd;
    ByteArray<32> msg_root{}, data_root{};
    ByteArray<4> fv{};
    if (!e.is_object() || !hex_field(e, "pubkey", dd.pubkey) ||
        !hex_field(e, "withdrawal_credentials", dd.withdrawal_credentials) ||
        !hex_field(e, "signature", dd.signature) || !hex_field(e, "deposit_message_root", msg_root) ||
        !hex_field(e, "deposit_data_root", data_root) || !hex_field(e, "fork_version", fv) ||
        !e.contains("amount") || !e["amount"].is_number_unsigned())
      return fail(at + "a field is missing or malformed");
    dd.amount = e["amount"].get<std::uint64_t>();
    if (i == 0) amount = dd.amount;
    if (dd.amount != amount) return fail(at + "amount differs from the file's first entry");
    if (fv != fork) return fail(at + "fork_version is not the lock's");
    if (msg_root != cluster::deposit_message_root(dd) || data_root != cluster::deposit_data_root(dd))
      return fail(at + "deposit_message_root or deposit_data_root does not match the entry");
    if (!cluster::verify_deposit(dd, fork))
      return fail(at + "the signature does not verify (DOMAIN_DEPOSIT)");
    bool in_lock = false;
    for (const auto& v : lock.validators)
      for (const auto& ld : v.partial_deposit_data)
        in_lock =
            in_lock || (ld.pubkey == dd.pubkey && ld.amount == dd.amount && ld.signature == dd.signature &&
                        ld.withdrawal_credentials == dd.withdrawal_credentials);
    if (!in_lock) return fail(at + "not one of the lock's deposits");
    if (seen[dd.pubkey]++) return fail(at + "the validator appears twice");
  }
  if (seen.size() != lock.validators.size())
    return fail(std::to_string(seen.size()) + " deposits for " + std::to_string(lock.validators.size()) +
                " validators");
  return f.name + ": " + std::to_string(seen.size()) + " deposits of " + std::to_string(amount) +
         " gwei, signatures, roots and fork verified, identical to the lock's";
}

// The new lock is a reshare of `old`: derived definition, same keys, deposit data and registrations.
Result<std::string, std::string> check_reshare(const cluster::Lock& lock, const cluster::Lock& old) {
  NewOperators ops;
  for (const auto& op : lock.definition.operators) ops.enrs.push_back(op.enr);
  ops.threshold = static_cast<std::uint32_t>(lock.definition.threshold);
  auto def = reshare_definition(old, ops);
  if (!def) return std::unexpected(def.error());
  if (def->definition_hash != lock.definition.definition_hash)
    return std::unexpected(
        "the lock's definition is not the old one with new operators and threshold (definition hash differs)");
  if (lock.validators.size() != old.validators.size())
    return std::unexpected("the lock has " + std::to_string(lock.validators.size()) + " validators, the old lock " +
                           std::to_string(old.validators.size()));
  for (std::size_t v = 0; v < lock.validators.size(); ++v) {
    const auto& a = lock.validators[v];
    const auto& b = old.validators[v];
    const std::string who = "validator " + std::to_string(v);
    if (a.distributed_public_key != b.distributed_public_key)
      return std::unexpected(who + ": the distributed key differs from the old lock's");
    if (a.partial_deposit_data.size() != b.partial_deposit_data.size())
      return std::unexpected(who + ": deposit data differs from the old lock's");
    for (std::size_t k = 0; k < a.partial_deposit_data.size(); ++k) {
      const auto& x = a.partial_deposit_data[k];
      const auto& y = b.partial_deposit_data[k];
      if (x.pubkey != y.pubkey || x.withdrawal_credentials != y.withdrawal_credentials || x.amount != y.amount ||
          x.signature != y.signature)
        return std::unexpected(who + ": deposit data differs from the old lock's");
    }
    const auto& r = a.builder_registration;
    const auto& q = b.builder_registration;
    if (r.absent != q.absent || r.signature != q.signature || r.message.pubkey != q.message.pubkey ||
        r.message.fee_recipient != q.message.fee_recipient || r.message.gas_limit != q.message.gas_limit ||
        r.message.timestamp != q.message.timestamp)
      return std::unexpected(who + ": builder registration differs from the old lock's");
  }
  return "reshare of lock " + to_hex(old.lock_hash) + ": " + std::to_string(old.definition.operators.size()) +
         " → " + std::to_string(lock.definition.operators.size()) + " operators, threshold " +
         std::to_string(old.definition.threshold) + " → " + std::to_string(lock.definition.threshold) +
         "; definition derived from the old one; keys, deposit data and registrations unchanged";
}

}  // namespace

Result<std::vector<std::string>, std::string> verify_outputs(std::string_view lock_json, ByteSpan transcript,
                                                             std::span<const DepositFile> deposits,
                                                             std::optional<std::string_view> old_lock_json,
                                                             std::span<const std::string> participating) {
  std::vector<std::string> lines;
  auto lock = cluster::parse_lock(lock_json);
  if (!lock) return std::unexpected("lock: " + lock.error().message());
  const auto lv = cluster::check_lock(*lock);
  if (!lv.ok()) return std::unexpected("lock: " + lv.problem->message());
  lines.push_back(
      "lock: hashes, public shares, signature aggregate, deposits, registrations and node signatures "
      "verified");
  auto in = cluster::dkg_inputs(lock->definition);
  if (!in) return std::unexpected("lock definition: " + in.error().message());
  Params params;
  if (old_lock_json) {
    auto old = cluster::parse_lock(*old_lock_json);
    if (!old) return std::unexpected("old lock: " + old.error().message());
    const auto ov = cluster::check_lock(*old);
    if (!ov.ok()) return std::unexpected("old lock: " + ov.problem->message());
    auto r = check_reshare(*lock, *old);
    if (!r) return std::unexpected(r.error());
    lines.push_back(*r);
    auto p = make_reshare_params(*in, *old, participating);
    if (!p) return std::unexpected(p.error());
    params = std::move(*p);
  } else {
    params = make_params(*in);
  }
  auto out = verify_transcript(params, transcript);
  if (!out) return std::unexpected("transcript: " + out.error());
  lines.push_back("transcript: " + std::to_string(params.n()) +
                  " operators' signed messages, proofs of knowledge, "
                  "commitments, R4 aggregate and node signatures verified (session " +
                  to_hex(out->session_id) + ")");
  if (out->pubkeys.size() != lock->validators.size())
    return std::unexpected("transcript holds " + std::to_string(out->pubkeys.size()) +
                           " validators, the lock " + std::to_string(lock->validators.size()));
  for (std::size_t v = 0; v < out->pubkeys.size(); ++v) {
    const auto& lv_v = lock->validators[v];
    if (out->pubkeys[v].to_bytes() != lv_v.distributed_public_key)
      return std::unexpected("validator " + std::to_string(v) +
                             ": the commitments do not add up to the lock's key");
    if (out->pubshares[v].size() != lv_v.public_shares.size())
      return std::unexpected("validator " + std::to_string(v) + ": public share count differs");
    for (std::size_t j = 0; j < lv_v.public_shares.size(); ++j)
      if (out->pubshares[v][j].to_bytes() != lv_v.public_shares[j])
        return std::unexpected("validator " + std::to_string(v) +
                               ": the commitments do not evaluate to operator " + std::to_string(j) +
                               "'s public share");
  }
  if (out->lock_hash != lock->lock_hash)
    return std::unexpected("the transcript's lock hash is not the lock's");
  if (Bytes(out->signature_aggregate.begin(), out->signature_aggregate.end()) != lock->signature_aggregate)
    return std::unexpected("the transcript's signature aggregate is not the lock's");
  if (out->node_signatures.size() != lock->node_signatures.size())
    return std::unexpected("node signature count differs between transcript and lock");
  for (std::size_t j = 0; j < out->node_signatures.size(); ++j)
    if (Bytes(out->node_signatures[j].begin(), out->node_signatures[j].end()) != lock->node_signatures[j])
      return std::unexpected("operator " + std::to_string(j) +
                             "'s node signature differs between transcript and lock");
  lines.push_back("transcript outputs = lock: " + std::to_string(lock->validators.size()) +
                  " distributed keys, public shares, lock hash, signature aggregate, node signatures");
  if (!out->has_done) return std::unexpected("the transcript has no R5 (the ceremony did not finish)");
  if (out->artifacts.empty() || out->artifacts[0] != crypto::hash::sha256(as_bytes(lock_json)))
    return std::unexpected("the lock file is not byte-identical to the one every operator wrote (R5 hash)");
  lines.push_back("R5: every operator reported this exact cluster-lock.json");
  for (const auto& f : deposits) {
    auto r = check_deposit_file(f, *lock, out->artifacts);
    if (!r) return std::unexpected(r.error());
    lines.push_back(*r);
  }
  return lines;
}

}  // namespace phx::dkg::runner
