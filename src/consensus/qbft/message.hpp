#pragma once
/// QBFT messages and their canonical wire encoding (docs/formats/qbft.md). Every message is a signed body
/// (type, instance, sender, round, prepared round, value hash) plus, depending on the type, the value bytes
/// and a justification: a list of other signed bodies (round changes, prepares or commits).
#include <cstdint>
#include <optional>
#include <vector>

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "consensus/qbft/signer.hpp"
#include "consensus/qbft/types.hpp"

namespace phx::consensus::qbft {

/// Message kinds (Moniz §4, plus DECIDED carrying a quorum of commits for late or restarted nodes).
enum class MsgType : std::uint8_t {
  kPrePrepare = 1,
  kPrepare = 2,
  kCommit = 3,
  kRoundChange = 4,
  kDecided = 5,
};
/// Name of a message kind, for logs.
const char* to_string(MsgType t);

/// The signed part of a message. For a ROUND-CHANGE, value_hash is the prepared value's hash (zero if none).
struct SignedBody {
  MsgType type = MsgType::kPrepare;  ///< message kind
  Bytes instance;                    ///< opaque instance id (1..kMaxInstanceIdBytes bytes)
  OperatorIdx sender{0};             ///< signer's operator index
  Round round = 1;                   ///< round the message belongs to (a ROUND-CHANGE: the round moved to)
  Round prepared_round = kNoRound;   ///< ROUND-CHANGE only: the sender's prepared round (0 = none)
  Root value_hash{};                 ///< SHA-256 of the (proposed / prepared / committed / decided) value
  Signature signature{};             ///< sender's signature of signing_digest(*this)

  friend bool operator==(const SignedBody&, const SignedBody&) = default;
};

/// A full message: body, optional value bytes, justification.
/// PRE-PREPARE: value; justification = quorum of ROUND-CHANGE(round) [+ quorum of PREPARE(pr, pv)] if round
/// > 1. PREPARE, COMMIT: neither. ROUND-CHANGE: if prepared, value and quorum of PREPARE(pr, pv). DECIDED:
/// value and quorum of COMMIT(round, value_hash).
struct Message {
  SignedBody body;             ///< the signed header
  std::optional<Bytes> value;  ///< value bytes, carried once (PRE-PREPARE, prepared ROUND-CHANGE, DECIDED)
  std::vector<SignedBody> justification;  ///< signed bodies proving the message may be sent

  friend bool operator==(const Message&, const Message&) = default;
};

/// Why bytes failed to decode.
enum class DecodeError {
  kOk = 0,
  kTruncated,
  kBadVersion,
  kBadType,
  kBadInstanceLength,
  kBadRound,
  kBadPreparedRound,
  kValueTooLarge,
  kBadFlags,
  kUnexpectedValue,
  kMissingValue,
  kTooManyJustifications,
  kUnexpectedJustification,
  kMissingJustification,
  kNestedDecided,
  kTrailingBytes,
};
/// Human-readable reason.
const char* to_string(DecodeError e);
PHX_ERROR_ENUM(DecodeError, "qbft-decode")

/// Upper bound of an encoded body with signature.
inline constexpr std::size_t kMaxSignedBodyBytes = 3 + kMaxInstanceIdBytes + 12 + 32 + 64;
/// Upper bound of the justification length on the wire (2·kMaxNodes entries).
inline constexpr std::size_t kMaxJustifications = 2 * kMaxNodes;
/// Upper bound of any encoded message.
inline constexpr std::size_t kMaxMessageBytes =
    kMaxSignedBodyBytes + 1 + 4 + kMaxValueBytes + 2 + kMaxJustifications * kMaxSignedBodyBytes;

/// Canonical encoding of the body without its signature (the bytes that are signed).
Bytes encode_body_unsigned(const SignedBody& b);
/// SHA-256("phalanx/qbft/v1" ‖ 0x00 ‖ encode_body_unsigned(b)): the digest signed by the sender's identity
/// key.
Root signing_digest(const SignedBody& b);
/// Signs `b` in place with `signer` (which must hold the key of b.sender).
void sign(SignedBody& b, const Signer& signer);
/// True when b.signature verifies for b.sender under `verifier`.
bool verify_signature(const SignedBody& b, const Verifier& verifier);

/// Canonical encoding of a message.
Bytes encode(const Message& m);
/// Decodes untrusted bytes; checks only structure (lengths, ranges, per-type presence of value and
/// justification), not signatures or quorums. Never asserts on bad input.
Result<Message> decode(ByteSpan bytes);

}  // namespace phx::consensus::qbft

PHX_ERROR_ENUM_TRAIT(phx::consensus::qbft::DecodeError)
