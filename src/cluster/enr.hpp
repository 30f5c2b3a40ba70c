#pragma once
/// Ethereum Node Records (EIP-778), identity scheme "v4" (secp256k1). Operators of a cluster are named by
/// their ENR in the cluster definition and lock (Charon writes records with only `id` and `secp256k1`, seq 0).
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "base/bytes.hpp"
#include "crypto/k1/k1.hpp"

namespace phx::cluster {

enum class EnrError {
  kOk = 0,
  kMissingPrefix,     ///< text does not start with "enr:"
  kBadBase64,         ///< not valid base64url
  kTooLong,           ///< over EIP-778's 300-byte limit
  kBadRlp,            ///< not a canonical RLP list of [signature, seq, k, v, …]
  kKeysNotSorted,     ///< keys not strictly ascending (also duplicates)
  kUnsupportedScheme, ///< `id` missing or not "v4"
  kBadPublicKey,      ///< `secp256k1` missing or not a 33-byte curve point
  kBadSignature,      ///< the record's signature does not verify
  kBadField,          ///< ip/tcp/udp with the wrong size
};
const char* to_string(EnrError e);
PHX_ERROR_ENUM(EnrError, "enr")

/// A verified ENR.
class Enr {
 public:
  /// Makes and signs a record with id=v4, secp256k1 and, when given, ip/tcp/udp.
  static Enr create(const crypto::k1::SecretKey& key, std::uint64_t seq = 0,
                    std::optional<ByteArray<4>> ip = std::nullopt, std::optional<std::uint16_t> tcp = std::nullopt,
                    std::optional<std::uint16_t> udp = std::nullopt);
  /// Parses and verifies "enr:<base64url>".
  static Result<Enr> parse(std::string_view text);
  /// Parses and verifies the RLP form.
  static Result<Enr> decode(ByteSpan rlp);

  std::string to_text() const;
  const Bytes& rlp() const { return rlp_; }
  std::uint64_t seq() const { return seq_; }
  const crypto::k1::PublicKey& public_key() const { return pubkey_; }
  /// keccak256 of the uncompressed public key's x‖y (the v4 node id).
  ByteArray<32> node_id() const;
  std::optional<ByteArray<4>> ip() const;
  std::optional<std::uint16_t> tcp() const;
  std::optional<std::uint16_t> udp() const;
  /// Raw value of any key.
  const Bytes* get(const std::string& key) const;

 private:
  std::uint64_t seq_ = 0;
  std::map<std::string, Bytes> pairs_;
  ByteArray<64> signature_{};
  crypto::k1::PublicKey pubkey_;
  Bytes rlp_;
};

}  // namespace phx::cluster

PHX_ERROR_ENUM_TRAIT(phx::cluster::EnrError)
