#include "cluster/eip712.hpp"

#include <algorithm>
#include <cctype>

#include "cluster/enr.hpp"
#include "cluster/network.hpp"
#include "crypto/hash/keccak.hpp"

namespace phx::cluster {
namespace {

Root keccak(ByteSpan b) { return crypto::hash::keccak256(b); }

/// hashStruct for a struct whose fields are all `string` (Charon's cluster types).
Root hash_string_struct(const std::string& type_name, const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string type = type_name + "(";
  for (std::size_t i = 0; i < fields.size(); ++i) type += (i ? ",string " : "string ") + fields[i].first;
  type += ")";
  Bytes enc;
  append(enc, keccak(as_bytes(type)));
  for (const auto& [_, value] : fields) append(enc, keccak(as_bytes(value)));
  return keccak(enc);
}

Root domain_separator(std::uint64_t chain_id) {
  Bytes enc;
  append(enc, keccak(as_bytes("EIP712Domain(string name,string version,uint256 chainId)")));
  append(enc, keccak(as_bytes("Obol")));
  append(enc, keccak(as_bytes("1")));
  Root id{};
  put_be64(id.data() + 24, chain_id);
  append(enc, id);
  return keccak(enc);
}

LockResult<Root> typed_digest(const Definition& d, const std::string& type_name, const std::string& field,
                              const std::string& value) {
  auto chain = chain_id_of(d.fork_version);
  if (!chain)
    return std::unexpected(LockProblem{LockError::kBadField, "fork_version " + to_hex(d.fork_version) +
                                                                 " names no known network (EIP-712 chain id)"});
  Bytes msg{0x19, 0x01};
  append(msg, domain_separator(*chain));
  append(msg, hash_string_struct(type_name, {{field, value}}));
  return keccak(msg);
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::unexpected<LockProblem> problem(LockError e, std::string detail) {
  return std::unexpected(LockProblem{e, std::move(detail)});
}

}  // namespace

std::optional<std::uint64_t> chain_id_of(const ByteArray<4>& v) {
  auto n = network_by_fork_version(v);
  if (!n) return std::nullopt;
  return n->chain_id;
}

LockResult<Root> operator_config_digest(const Definition& d) {
  return typed_digest(d, "OperatorConfigHash", "operator_config_hash", to_hex(d.config_hash));
}
LockResult<Root> creator_config_digest(const Definition& d) {
  return typed_digest(d, "CreatorConfigHash", "creator_config_hash", to_hex(d.config_hash));
}
LockResult<Root> enr_digest(const Definition& d, const std::string& enr) { return typed_digest(d, "ENR", "enr", enr); }

std::string eth_address(const crypto::k1::PublicKey& pk) {
  auto u = pk.to_uncompressed();
  auto h = crypto::hash::keccak256(ByteSpan(u.data() + 1, 64));
  return to_hex(ByteSpan(h.data() + 12, 20));
}

bool signed_by_address(const Root& digest, ByteSpan sig65, const std::string& address) {
  auto pk = crypto::k1::recover(digest, sig65);
  return pk && eth_address(*pk) == lower(address);
}

LockResult<void> verify_definition_signatures(const Definition& d) {
  std::size_t unsigned_ops = 0;
  for (const auto& o : d.operators)
    if (o.address.empty() && o.config_signature.empty() && o.enr_signature.empty()) ++unsigned_ops;
  if (unsigned_ops > 0 && unsigned_ops != d.operators.size())
    return problem(LockError::kBadOperatorSignature, "some operators signed while others did not");
  if (unsigned_ops == d.operators.size()) {
    if (!d.creator.address.empty() || !d.creator.config_signature.empty())
      return problem(LockError::kBadCreatorSignature, "a creator is set but the operators did not sign");
    return {};
  }
  auto op_digest = operator_config_digest(d);
  if (!op_digest) return std::unexpected(op_digest.error());
  for (std::size_t i = 0; i < d.operators.size(); ++i) {
    const auto& o = d.operators[i];
    std::string who = "operator " + std::to_string(i) + " (" + o.address + ")";
    if (o.config_signature.size() != 65 || !signed_by_address(*op_digest, o.config_signature, o.address))
      return problem(LockError::kBadOperatorSignature, who + ": config_signature is not by this address");
    auto e = enr_digest(d, o.enr);
    if (!e) return std::unexpected(e.error());
    if (o.enr_signature.size() != 65 || !signed_by_address(*e, o.enr_signature, o.address))
      return problem(LockError::kBadOperatorSignature, who + ": enr_signature is not by this address");
  }
  if (d.creator.address.empty())
    return problem(LockError::kBadCreatorSignature, "operators signed while the creator did not");
  auto c_digest = creator_config_digest(d);
  if (!c_digest) return std::unexpected(c_digest.error());
  if (d.creator.config_signature.size() != 65 ||
      !signed_by_address(*c_digest, d.creator.config_signature, d.creator.address))
    return problem(LockError::kBadCreatorSignature, "creator config_signature is not by " + d.creator.address);
  return {};
}

LockResult<void> verify_node_signatures(const Lock& l) {
  const auto& ops = l.definition.operators;
  if (l.node_signatures.size() != ops.size())
    return problem(LockError::kBadNodeSignature, "expected " + std::to_string(ops.size()) + " node signatures, got " +
                                                     std::to_string(l.node_signatures.size()));
  for (std::size_t i = 0; i < ops.size(); ++i) {
    auto enr = Enr::parse(ops[i].enr);
    if (!enr) return problem(LockError::kBadField, "operator " + std::to_string(i) + " enr: " + enr.error().message());
    auto pk = crypto::k1::recover(l.lock_hash, l.node_signatures[i]);
    if (!pk || !(*pk == enr->public_key()))
      return problem(LockError::kBadNodeSignature,
                     "operator " + std::to_string(i) + ": node signature is not by its ENR key over lock_hash");
  }
  return {};
}

}  // namespace phx::cluster
