#pragma once
/// Charon-compatible cluster definition and lock: every schema version Charon reads (v1.0.0–v1.11.0) is read,
/// hashed, verified and written back byte for byte; new files are v1.11.0 (or v1.10.0 on request).
/// Field layouts per version are data (`VersionLayout`), read by one hashing routine and one JSON codec.
/// Format reference: docs/formats/cluster-lock.md.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.hpp"

namespace phx::cluster {

enum class LockError {
  kOk = 0,
  kBadJson,              ///< not JSON, a missing/unknown/ill-typed field (the message names it)
  kUnsupportedVersion,   ///< a schema version outside v1.0.0–v1.11.0
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

/// How a version hashes its definition (Charon's cluster/ssz.go has one routine per shape).
enum class DefinitionShape : std::uint8_t {
  kLegacy,   ///< v1.0–v1.2: strings hashed as their raw bytes (no SSZ length mix-in), one fee/withdrawal address
  kV1_3,     ///< v1.3–v1.4: SSZ byte lists, one fee/withdrawal address, raw (unpadded) addresses and signatures
  kCurrent,  ///< v1.5+: per-validator addresses, fixed-size fields left-padded with zeros
};
/// What a distributed validator carries as deposit data in the lock.
enum class DepositShape : std::uint8_t {
  kNone,      ///< v1.0–v1.5
  kFlatV1_6,  ///< v1.6: one `deposit_data`, its four fields hashed inline (Charon's v1.6 hashing omits the container)
  kSingle,    ///< v1.7: one `deposit_data` container
  kList,      ///< v1.8+: `partial_deposit_data`, List[DepositData, 256]
};

/// What a schema version contains, as data. One row per supported version (docs/formats/cluster-lock.md).
struct VersionLayout {
  std::string_view version;
  DefinitionShape shape;
  bool base64_bytes;          ///< v1.0–v1.1: hashes, public shares, aggregate and operator signatures are base64
  bool operator_nonce;        ///< v1.0–v1.1: operators carry "nonce": 0, hashed as a uint64 in the definition hash
  bool timestamp_hashed;      ///< false only for v1.0, whose definition hash omits the timestamp
  bool eip712;                ///< v1.3+: operators (and creator) sign with EIP-712
  bool creator;               ///< v1.4+: definition.creator
  bool deposit_amounts;       ///< v1.8+: definition.deposit_amounts (List[uint64, 256])
  bool consensus_protocol;    ///< v1.9+: definition.consensus_protocol (ByteList[256])
  bool gas_and_compounding;   ///< v1.10+: target_gas_limit (uint64), compounding (bool)
  bool signature_lists;       ///< v1.11+: signatures are List[Bytes65, 32]: one EOA signature or several
                              ///< concatenated (a Safe multisig's owners); before: one Bytes65
  DepositShape deposits;
  bool builder_registration;  ///< v1.7+: pre-generated builder registrations
  bool node_signatures;       ///< v1.7+: each operator's ENR key signs lock_hash
};
/// The layout of `version`, or nullptr when unsupported.
const VersionLayout* layout_of(std::string_view version);
/// Every supported layout, oldest first.
std::span<const VersionLayout> layouts();
inline constexpr std::string_view kLatestVersion = "v1.11.0";
/// Size of one secp256k1 signature r‖s‖v and the most a v1.11 signature field may concatenate.
inline constexpr std::size_t kK1SigLen = 65, kMaxK1Sigs = 32;

struct Creator {
  std::string address;     ///< 0x-hex, 20 bytes, as written (may be empty in a definition made without a creator)
  Bytes config_signature;  ///< empty, 65 bytes r‖s‖v, or (v1.11) several 65-byte signatures concatenated
};

struct Operator {
  std::string address;     ///< 0x-hex as written (its case matters to the v1.0–v1.2 hashes); empty when unsigned
  std::string enr;         ///< "enr:…"; empty in a Launchpad definition the operator has not joined yet
  Bytes config_signature;  ///< as Creator::config_signature
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
  std::uint64_t timestamp = 0;  ///< unix seconds (Charon writes a Go int; a negative one is kept as its uint64 bits)
  ByteArray<48> pubkey{};
};

struct BuilderRegistration {
  Registration message;
  ByteArray<96> signature{};
  /// Charon's empty registration (every field "" or 0): hashed without a fee_recipient chunk, written as "".
  bool absent = false;
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
  Bytes signature_aggregate;  ///< 96 bytes in a real lock (golden test files hold random bytes); may be empty in v1.0–v1.1
  Root lock_hash{};
  std::vector<Bytes> node_signatures;  ///< v1.7+: one per operator, 65 bytes each
};

/// config_hash: the definition without operator ENRs/signatures and creator signature.
LockResult<Root> compute_config_hash(const Definition& d);
/// definition_hash: every field, including config_hash.
LockResult<Root> compute_definition_hash(const Definition& d);
/// lock_hash: hash_tree_root of (definition, validators) per the version's layout.
LockResult<Root> compute_lock_hash(const Lock& l);

/// Parses a cluster-definition.json of any supported version (strict: unknown keys are errors; keys Charon
/// omits when empty may be absent). Checks what Charon checks when reading (validator count, deposit amounts);
/// does not verify hashes or signatures.
LockResult<Definition> parse_definition(std::string_view json);
/// Parses a cluster-lock.json of any supported version, as parse_definition.
LockResult<Lock> parse_lock(std::string_view json);
/// Writes JSON exactly as Charon does for the version (key order, one-space indentation, omitted empty keys,
/// Go's escaping, base64 byte strings in v1.0–v1.1). Before v1.5 the first validator's addresses stand for all.
std::string write_definition(const Definition& d);
std::string write_lock(const Lock& l);

/// Recomputes config_hash, definition_hash and lock_hash and compares them with the stored ones.
LockResult<void> verify_hashes(const Lock& l);
LockResult<void> verify_definition_hashes(const Definition& d);

}  // namespace phx::cluster

PHX_ERROR_ENUM_TRAIT(phx::cluster::LockError)
