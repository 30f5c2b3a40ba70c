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
  if (d.version == "v1.3.0") return typed_digest(d, "ConfigHash", "config_hash", to_hex(d.config_hash));
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

std::optional<std::string> checksum_address(std::string_view address) {
  auto b = from_hex(address);
  if (!address.starts_with("0x") || !b || b->size() != 20) return std::nullopt;
  const std::string hex = to_hex(*b, false);  // lower case
  const Root h = crypto::hash::keccak256(as_bytes(hex));
  std::string out = "0x";
  for (std::size_t i = 0; i < hex.size(); ++i) {
    const int nibble = (h[i / 2] >> (i % 2 == 0 ? 4 : 0)) & 0xf;
    out += nibble >= 8 ? static_cast<char>(std::toupper(static_cast<unsigned char>(hex[i]))) : hex[i];
  }
  return out;
}

bool signed_by_address(const Root& digest, ByteSpan sig65, const std::string& address) {
  auto pk = crypto::k1::recover(digest, sig65);
  return pk && eth_address(*pk) == lower(address);
}

const char* to_string(SignatureStatus s) {
  switch (s) {
    case SignatureStatus::kValid: return "valid";
    case SignatureStatus::kUnsigned: return "unsigned";
    case SignatureStatus::kInvalid: return "INVALID";
    case SignatureStatus::kUnverifiableOffline: return "unverifiable offline (contract signature, EIP-1271)";
  }
  return "unknown";
}

std::size_t DefinitionVerification::unverifiable() const {
  return static_cast<std::size_t>(std::count_if(signatures.begin(), signatures.end(), [](const SignatureCheck& c) {
    return c.status == SignatureStatus::kUnverifiableOffline;
  }));
}

namespace {

/// Judges one non-empty signature field over `digest`.
SignatureStatus judge(const Root& digest, const Bytes& sig, const std::string& address) {
  if (sig.size() > kK1SigLen) return SignatureStatus::kUnverifiableOffline;
  return signed_by_address(digest, sig, address) ? SignatureStatus::kValid : SignatureStatus::kInvalid;
}

struct SigChecker {
  DefinitionVerification& out;
  void fail(LockError e, std::string detail) {
    if (!out.problem) out.problem = LockProblem{e, std::move(detail)};
  }
  /// Records a field; `digest` (or its error) is consulted only when the field is not empty.
  void record(std::string signer, const char* field, const std::string& address, const Bytes& sig,
              const LockResult<Root>* digest, LockError on_bad) {
    SignatureCheck c{signer, field, address, SignatureStatus::kUnsigned, sig.size() / kK1SigLen};
    if (!sig.empty()) {
      if (!digest->has_value()) {
        fail(digest->error().code, signer + " " + field + ": " + digest->error().detail);
      } else {
        c.status = judge(**digest, sig, address);
        if (c.status == SignatureStatus::kInvalid)
          fail(on_bad, signer + " (" + address + "): " + field + " is not by this address" +
                           (address.empty() ? " (no address given)" : "") +
                           " (a contract wallet's EIP-1271 signature would need an execution client to check)");
      }
    }
    out.signatures.push_back(std::move(c));
  }
};

}  // namespace

DefinitionVerification check_definition_signatures(const Definition& d) {
  DefinitionVerification out;
  SigChecker ck{out};
  const VersionLayout* lay = layout_of(d.version);
  if (!lay) {
    ck.fail(LockError::kUnsupportedVersion, "\"" + d.version + "\"");
    return out;
  }
  std::size_t unsigned_ops = 0;
  for (const auto& o : d.operators)
    if (o.address.empty() && o.config_signature.empty() && o.enr_signature.empty()) ++unsigned_ops;
  out.unsigned_operators = unsigned_ops == d.operators.size();
  if (!lay->eip712) {
    for (std::size_t i = 0; i < d.operators.size(); ++i)
      if (!d.operators[i].config_signature.empty() || !d.operators[i].enr_signature.empty())
        ck.fail(LockError::kBadOperatorSignature,
                "operator " + std::to_string(i) + " has a signature, but " + d.version + " has no EIP-712 signatures");
    out.note = d.version + " predates EIP-712 operator signatures (v1.3.0): none to verify";
    return out;
  }
  const bool creator_empty = d.creator.address.empty() && d.creator.config_signature.empty();
  if (lay->creator && !creator_empty) {
    if (d.creator.config_signature.empty())
      ck.fail(LockError::kBadCreatorSignature, "creator (" + d.creator.address + ") has not signed the config hash");
    const auto c_digest = creator_config_digest(d);
    ck.record("creator", "config_signature", d.creator.address, d.creator.config_signature, &c_digest,
              LockError::kBadCreatorSignature);
  } else if (lay->creator && unsigned_ops == 0 && !d.operators.empty()) {
    ck.fail(LockError::kBadCreatorSignature, "operators signed while the creator did not");
  }
  const auto op_digest = operator_config_digest(d);
  for (std::size_t i = 0; i < d.operators.size(); ++i) {
    const auto& o = d.operators[i];
    const std::string who = "operator " + std::to_string(i);
    const bool unsigned_op = o.address.empty() && o.config_signature.empty() && o.enr_signature.empty();
    if (!unsigned_op) {
      if (o.config_signature.empty())
        ck.fail(LockError::kBadOperatorSignature, who + " (" + o.address + ") has not signed the config hash");
      if (o.enr_signature.empty())
        ck.fail(LockError::kBadOperatorSignature, who + " (" + o.address + ") has not signed its ENR");
    }
    ck.record(who, "config_signature", o.address, o.config_signature, &op_digest, LockError::kBadOperatorSignature);
    const auto e_digest = enr_digest(d, o.enr);
    ck.record(who, "enr_signature", o.address, o.enr_signature, &e_digest, LockError::kBadOperatorSignature);
  }
  if (unsigned_ops > 0 && unsigned_ops != d.operators.size())
    ck.fail(LockError::kBadOperatorSignature, "some operators signed while others did not");
  if (out.unsigned_operators && out.ok()) out.note = "operators did not sign (a definition for a trusted-dealer or "
                                                     "not yet signed cluster): no operator signatures to verify";
  if (const auto n = out.unverifiable(); n > 0 && out.ok())
    out.note = std::to_string(n) + " contract (multisig) signature field(s) were not verified: EIP-1271 needs an "
                                   "execution client";
  return out;
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
