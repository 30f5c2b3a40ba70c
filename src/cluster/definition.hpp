#pragma once
/// Charon-compatible cluster definition and lock (schema versions v1.7.0–v1.10.0 read and verified, v1.10.0
/// written). Field layouts per version are data (`VersionLayout`), read by one hashing routine and one JSON
/// codec. Format reference: docs/formats/cluster-lock.md.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.hpp"

namespace phx::cluster {

enum class LockError {
  kOk = 0,
  kBadJson,              ///< not JSON, a missing/unknown/ill-typed field (the message names it)
  kUnsupportedVersion,   ///< a schema version outside v1.7.0–v1.10.0
  kBadField,             ///< a field has a bad value (the message names it)
  kConfigHashMismatch,
  kDefinitionHashMismatch,
  kLockHashMismatch,
  kBadOperatorSignature, ///< an operator's config or ENR signature is not from its address
  kBadCreatorSignature,
  kBadNodeSignature,     ///< a node signature over the lock hash is not from the operator's ENR key
  kBadSignatureAggregate,
  kBadDepositData,
  kBadBuilderRegistration,
  kInconsistentShares,   ///< public shares do not lie on one polynomial through the validator key
};
const char* to_string(LockError e);
PHX_ERROR_ENUM(LockError, "cluster-lock")

/// An error with the context a user needs ("operator 2: enr_signature does not match address 0x…").
struct LockProblem {
  LockError code = LockError::kOk;
  std::string detail;
  std::string message() const;
};
template <class T>
using LockResult = std::expected<T, LockProblem>;

/// What a schema version contains, as data. One row per supported version.
struct VersionLayout {
  std::string_view version;
  bool deposit_amounts;        ///< v1.8+: definition.deposit_amounts (List[uint64, 256])
  bool consensus_protocol;     ///< v1.9+: definition.consensus_protocol (ByteList[256])
  bool gas_and_compounding;    ///< v1.10+: target_gas_limit (uint64), compounding (bool)
  bool partial_deposit_data;   ///< v1.8+: validators carry partial_deposit_data (List[DepositData, 256]);
                               ///< v1.7: a single deposit_data
};
/// The layout of `version`, or nullptr when unsupported.
const VersionLayout* layout_of(std::string_view version);
inline constexpr std::string_view kLatestVersion = "v1.10.0";

struct Creator {
  std::string address;   ///< 0x-hex, 20 bytes (may be empty in a definition made without a creator)
  Bytes config_signature;  ///< 65 bytes r‖s‖v or empty
};

struct Operator {
  std::string address;
  std::string enr;
  Bytes config_signature;
  Bytes enr_signature;
};

struct ValidatorAddresses {
  std::string fee_recipient_address;
  std::string withdrawal_address;
};

struct Definition {
  std::string name;
  Creator creator;
  std::vector<Operator> operators;
  std::string uuid;
  std::string version;
  std::string timestamp;
  std::uint64_t num_validators = 0;
  std::uint64_t threshold = 0;
  std::vector<ValidatorAddresses> validators;
  std::string dkg_algorithm;
  ByteArray<4> fork_version{};
  std::vector<std::uint64_t> deposit_amounts;  ///< gwei
  std::string consensus_protocol;
  std::uint64_t target_gas_limit = 0;
  bool compounding = false;
  Root config_hash{};
  Root definition_hash{};
};

struct DepositData {
  ByteArray<48> pubkey{};
  Root withdrawal_credentials{};
  std::uint64_t amount = 0;
  ByteArray<96> signature{};
};

struct Registration {
  ByteArray<20> fee_recipient{};
  std::uint64_t gas_limit = 0;
  std::uint64_t timestamp = 0;
  ByteArray<48> pubkey{};
};

struct BuilderRegistration {
  Registration message;
  ByteArray<96> signature{};
};

struct DistValidator {
  ByteArray<48> distributed_public_key{};
  std::vector<ByteArray<48>> public_shares;
  std::vector<DepositData> partial_deposit_data;  ///< v1.7 holds exactly one (its `deposit_data`)
  BuilderRegistration builder_registration;
};

struct Lock {
  Definition definition;
  std::vector<DistValidator> validators;
  Bytes signature_aggregate;  ///< 96 bytes in a real lock (golden test files hold random bytes)
  Root lock_hash{};
  std::vector<Bytes> node_signatures;  ///< one per operator, 65 bytes each
};

/// config_hash: the definition without operator ENRs/signatures and creator signature.
LockResult<Root> compute_config_hash(const Definition& d);
/// definition_hash: every field, including config_hash.
LockResult<Root> compute_definition_hash(const Definition& d);
/// lock_hash: hash_tree_root of (definition, validators) per the version's layout.
LockResult<Root> compute_lock_hash(const Lock& l);

/// Parses a cluster-definition.json (strict). Does not verify hashes or signatures.
LockResult<Definition> parse_definition(std::string_view json);
/// Parses a cluster-lock.json (strict). Does not verify hashes or signatures.
LockResult<Lock> parse_lock(std::string_view json);
/// Writes JSON in Charon's layout for the lock's version (one-space indentation, Charon's key order).
std::string write_definition(const Definition& d);
std::string write_lock(const Lock& l);

/// Recomputes config_hash, definition_hash and lock_hash and compares them with the stored ones.
LockResult<void> verify_hashes(const Lock& l);
LockResult<void> verify_definition_hashes(const Definition& d);

}  // namespace phx::cluster

PHX_ERROR_ENUM_TRAIT(phx::cluster::LockError)
