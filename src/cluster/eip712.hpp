#pragma once
/// EIP-712 typed-data digests of Charon's cluster definition signatures (domain "Obol", version "1", the
/// chain id of the definition's genesis fork version) and operator addresses. Operators sign
/// OperatorConfigHash{operator_config_hash} (v1.3: ConfigHash{config_hash}) and ENR{enr}; the creator signs
/// CreatorConfigHash{creator_config_hash}.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.hpp"
#include "cluster/definition.hpp"
#include "crypto/k1/k1.hpp"

namespace phx::cluster {

/// The execution chain id of a network by its genesis fork version (mainnet 1, sepolia 11155111, …).
std::optional<std::uint64_t> chain_id_of(const ByteArray<4>& genesis_fork_version);

/// Digests to sign/verify. Errors when the fork version names no known network.
LockResult<Root> operator_config_digest(const Definition& d);  ///< per the definition's version
LockResult<Root> creator_config_digest(const Definition& d);
LockResult<Root> enr_digest(const Definition& d, const std::string& enr);

/// The Ethereum address (0x + 40 lower-case hex digits) of a secp256k1 key.
std::string eth_address(const crypto::k1::PublicKey& pk);

/// The EIP-55 mixed-case form of a 0x + 40 hex digit address (any case), or nullopt when it is not one.
std::optional<std::string> checksum_address(std::string_view address);

/// True when `sig65` (r‖s‖v) over `digest` recovers to `address` (compared case-insensitively).
bool signed_by_address(const Root& digest, ByteSpan sig65, const std::string& address);

/// The outcome of one signature field.
enum class SignatureStatus : std::uint8_t {
  kValid,                 ///< one 65-byte signature that recovers to the signer's address (an EOA signature)
  kUnsigned,              ///< the field is empty
  kInvalid,               ///< one 65-byte signature that does not recover to the signer's address
  kUnverifiableOffline,   ///< several 65-byte signatures concatenated (v1.11: a Safe multisig's owners): only
                          ///< the contract can judge them (EIP-1271), which needs an execution client
};
const char* to_string(SignatureStatus s);

/// One signature field of a definition and its outcome.
struct SignatureCheck {
  std::string signer;   ///< "creator" or "operator <i>"
  std::string field;    ///< "config_signature" or "enr_signature"
  std::string address;  ///< the address it must be from
  SignatureStatus status = SignatureStatus::kUnsigned;
  std::size_t signatures = 0;  ///< how many 65-byte signatures the field holds
};

/// Hashes and EIP-712 signatures of a definition, per signature field.
struct DefinitionVerification {
  std::vector<SignatureCheck> signatures;  ///< every signature field looked at, creator first, in file order
  std::optional<LockProblem> problem;      ///< the first reason the definition is not acceptable (none: ok)
  std::string note;                        ///< what could not be checked and why ("" when everything was)
  bool ok() const { return !problem.has_value(); }
  /// Signature fields left unverifiable offline (never counted as valid).
  std::size_t unverifiable() const;
  /// True when every operator is unsigned (no address, no signatures), as `create cluster`/`create dkg` write.
  bool unsigned_operators = false;
};

/// Checks the operator and creator EIP-712 signatures with Charon's rules (cluster/definition.go
/// VerifySignatures) without an execution client: before v1.3 no signature may be present; either every
/// operator is fully unsigned (no address, no signatures) or every operator signed both fields; the creator
/// signed unless every operator is unsigned. Plain EOA signatures are verified; concatenated contract
/// signatures are reported kUnverifiableOffline and do not make the result fail.
DefinitionVerification check_definition_signatures(const Definition& d);

/// Verifies node_signatures: one per operator, each by the operator's ENR key over lock_hash.
LockResult<void> verify_node_signatures(const Lock& l);

}  // namespace phx::cluster
