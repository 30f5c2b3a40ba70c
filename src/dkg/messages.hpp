#pragma once
/// The DKG wire format (docs/formats/dkg.md): SSZ payloads of rounds R0–R5 and the control messages, the
/// signed envelope around them, and strict decoders with size bounds.
#include <cstdint>
#include <optional>
#include <variant>

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "dkg/types.hpp"
#include "ssz/codec.hpp"
#include "ssz/merkle.hpp"
#include "ssz/types.hpp"

namespace phx::dkg {

/// Compressed G1 point (48 bytes), compressed G2 point (96 bytes).
using G1Bytes = ByteArray<48>;
using G2Bytes = ByteArray<96>;

/// R0: a participant announces itself.
struct Hello {
  std::uint64_t features = 0;            ///< feature bits (none defined in version 1; must be 0)
  Root definition_hash{};                ///< the cluster definition's hash
  Root params_hash{};                    ///< params_hash(Params): participants, roles, t, V, chunking
  Root nonce{};                          ///< fresh per session (derive_nonce(seed))
  G1Bytes ephemeral_key{};               ///< E = e·G for share encryption
  std::uint8_t preflight = 0;            ///< 0: ready; otherwise the runner's reason code (E_PREFLIGHT)
  ssz::ByteList<256> preflight_detail;   ///< human-readable reason, e.g. "validator_keys/ exists"
  Root commitments_hash{};               ///< H_i = sha256(commitment roots of every chunk); zero if not a dealer
  Root old_lock_hash{};                  ///< resharing: the old lock's hash; zero for a fresh DKG
  PHX_SSZ_FIELDS(Hello, features, definition_hash, params_hash, nonce, ephemeral_key, preflight, preflight_detail,
                 commitments_hash, old_lock_hash)
};

/// R1 header of one dealer: the roots of its chunks, signed once.
struct DealManifest {
  ssz::List<Root, kMaxChunks> chunk_roots;       ///< hash_tree_root(DealChunk) of chunk c
  ssz::List<Root, kMaxChunks> commitment_roots;  ///< sha256 of chunk c's compressed commitments, in order
  PHX_SSZ_FIELDS(DealManifest, chunk_roots, commitment_roots)
};

/// One validator's public part of a deal: Feldman commitments and the proof of knowledge of a_0.
struct ValidatorDeal {
  ssz::List<G1Bytes, kMaxOperators> commitments;  ///< C_0..C_{t−1}
  G1Bytes pok_r{};                                 ///< R
  Root pok_z{};                                    ///< z, 32 big-endian bytes (< r)
  PHX_SSZ_FIELDS(ValidatorDeal, commitments, pok_r, pok_z)
};

/// Ciphertext of one chunk's shares for one receiver.
using Ciphertext = ssz::ByteList<kMaxCiphertextBytes>;

/// R1 body: validators [chunk·chunk_validators, …) of one dealer.
struct DealChunk {
  std::uint32_t chunk = 0;                                    ///< chunk index
  ssz::List<ValidatorDeal, kMaxChunkValidators> validators;   ///< one per validator of the chunk
  ssz::List<Ciphertext, kMaxOperators> ciphertexts;           ///< one per receiver, in receiver order
  PHX_SSZ_FIELDS(DealChunk, chunk, validators, ciphertexts)
};

/// A DealChunk in the transcript: ciphertexts replaced by their hash_tree_root, which keeps the payload root
/// (and so the dealer's signature) unchanged.
struct DealChunkRedacted {
  std::uint32_t chunk = 0;
  ssz::List<ValidatorDeal, kMaxChunkValidators> validators;
  ssz::List<Root, kMaxOperators> ciphertext_roots;
  PHX_SSZ_FIELDS(DealChunkRedacted, chunk, validators, ciphertext_roots)
};

/// Which check a complaint or failure refers to.
enum class DealCheck : std::uint8_t {
  kNone = 0,
  kPoint = 1,        ///< a point does not decode, is off the subgroup or is the identity
  kCount = 2,        ///< wrong number of commitments, validators, chunks or ciphertexts
  kPok = 3,          ///< the proof of knowledge does not verify
  kFeldman = 4,      ///< a share does not match the commitments
  kDecrypt = 5,      ///< the ciphertext does not open
  kScalar = 6,       ///< a decrypted share or a z is not below r
  kCommitments = 7,  ///< the commitments do not hash to H_i announced in R0
  kOldShare = 8,     ///< resharing: C_0 differs from the dealer's old public share
  kKey = 9,          ///< the resulting key or public share is the identity / wrong distributed key
};
/// "point", "count", "pok", "feldman", "decrypt", "scalar", "commitments", "old-share", "key".
const char* to_string(DealCheck c);

/// A complaint against a dealer: the receiver's share of `validator` fails `check`.
struct Complaint {
  std::uint32_t dealer = 0;     ///< participant index of the dealer
  std::uint32_t validator = 0;  ///< the first validator found bad
  std::uint8_t check = 0;       ///< DealCheck (kDecrypt, kScalar or kFeldman)
  PHX_SSZ_FIELDS(Complaint, dealer, validator, check)
};

/// R2: what a receiver got in R1, and its complaints.
struct Verdict {
  ssz::List<Root, kMaxOperators> deal_roots;      ///< per dealer (dealer order): hash_tree_root(DealManifest)
  ssz::List<Complaint, kMaxOperators> complaints;  ///< empty when every deal verified
  ssz::ByteList<32> revealed_key;                  ///< the receiver's ephemeral secret e_j iff complaints ≠ ∅
  PHX_SSZ_FIELDS(Verdict, deal_roots, complaints, revealed_key)
};

/// R3: partial signatures of one chunk, validator-major ([v][root]).
struct SignChunk {
  std::uint32_t chunk = 0;
  ssz::List<G2Bytes, kMaxChunkValidators * kMaxRootsPerValidator> partials;
  PHX_SSZ_FIELDS(SignChunk, chunk, partials)
};

/// R4: partial signatures over the lock hash for one chunk, and the node's signature of the lock hash.
struct LockChunk {
  std::uint32_t chunk = 0;
  Root lock_hash{};
  ByteArray<65> node_signature{};  ///< secp256k1 r‖s‖v over the raw lock hash (Charon node_signatures)
  ssz::List<G2Bytes, kMaxChunkValidators> partials;
  PHX_SSZ_FIELDS(LockChunk, chunk, lock_hash, node_signature, partials)
};

/// R5: the participant wrote its artifacts.
struct Done {
  Root lock_hash{};
  ssz::List<Root, kMaxArtifacts> artifacts;  ///< sha256 of each shared artifact, in the runner's fixed order
  PHX_SSZ_FIELDS(Done, lock_hash, artifacts)
};

/// One stored message: (kind, sender, part). part = chunk index for chunked kinds, else 0.
struct MessageSlot {
  std::uint8_t kind = 0;
  std::uint32_t sender = 0;
  std::uint32_t part = 0;  ///< kAllParts: every part of (kind, sender)
  PHX_SSZ_FIELDS(MessageSlot, kind, sender, part)
};

/// Control: please send me the envelopes you hold for these slots.
struct Request {
  ssz::List<MessageSlot, kMaxRequestSlots> wanted;
  PHX_SSZ_FIELDS(Request, wanted)
};

/// An encoded envelope inside evidence.
using EnvelopeBytes = ssz::ByteList<kMaxEnvelopeBytes>;

/// Self-checkable proof of a failure (see evidence.hpp).
struct Evidence {
  std::uint8_t code = 0;        ///< FailureCode
  std::uint32_t culprit = 0;    ///< the participant blamed
  std::uint32_t validator = 0;  ///< for bad deals / partials
  std::uint8_t check = 0;       ///< DealCheck for bad deals
  ssz::List<EnvelopeBytes, kMaxEvidenceEnvelopes> envelopes;  ///< the signed messages that prove it
  PHX_SSZ_FIELDS(Evidence, code, culprit, validator, check, envelopes)
};

/// Control: the sender's ceremony failed; receivers check the evidence and fail the same way.
using Abort = Evidence;

/// The signed envelope of every message.
struct Envelope {
  std::uint16_t version = kProtocolVersion;
  std::uint8_t kind = 0;
  std::uint32_t sender = 0;
  Root session{};  ///< the session id; the definition hash for Hello (and Request/Abort before the session)
  ssz::ByteList<kMaxPayloadBytes> payload;
  ByteArray<64> signature{};  ///< compact secp256k1 r‖s (low s) over signing_digest
  PHX_SSZ_FIELDS(Envelope, version, kind, sender, session, payload, signature)
};

/// A decoded payload of any kind.
using Payload = std::variant<Hello, DealManifest, DealChunk, Verdict, SignChunk, LockChunk, Done, Request, Evidence>;

/// Why bytes were rejected by a decoder.
enum class DecodeError {
  kOk = 0,
  kBadVersion = 1,   ///< envelope version ≠ kProtocolVersion (E_VERSION)
  kBadKind = 2,      ///< unknown message kind
  kSsz = 3,          ///< malformed SSZ (length, offset, limit)
  kTooLarge = 4,     ///< above kMaxEnvelopeBytes
};
/// Human-readable reason.
const char* to_string(DecodeError e);
PHX_ERROR_ENUM(DecodeError, "dkg-decode")

/// A decoded envelope with its typed payload and payload root.
struct Decoded {
  Envelope envelope;
  Payload payload;
  Root payload_root{};  ///< hash_tree_root of the payload
};

/// sha256(kSigningPrefix ‖ session ‖ kind ‖ be32(sender) ‖ payload_root): the digest the sender signs.
Root signing_digest(const Root& session, Kind kind, std::uint32_t sender, const Root& payload_root);

/// Decodes a payload of `kind` strictly (SSZ limits).
Result<Payload, DecodeError> decode_payload(Kind kind, ByteSpan bytes);
/// hash_tree_root of a payload.
Root payload_root(const Payload& p);
/// SSZ encoding of a payload.
Bytes encode_payload(const Payload& p);
/// The kind a payload travels as (Evidence travels as kAbort).
Kind kind_of(const Payload& p);

/// Decodes an envelope and its payload (structure only: no signature or session check). Never asserts.
Result<Decoded, DecodeError> decode_envelope(ByteSpan bytes);
/// Decodes a transcript envelope: like decode_envelope, but a kDealChunk payload is a DealChunkRedacted
/// (returned as a DealChunk whose ciphertexts are empty) and its root is computed from the ciphertext roots.
Result<Decoded, DecodeError> decode_redacted_envelope(ByteSpan bytes, ssz::List<Root, kMaxOperators>* ciphertext_roots);
/// SSZ encoding of an envelope.
Bytes encode_envelope(const Envelope& e);
/// The redacted form of a DealChunk envelope (ciphertexts → roots); other kinds are returned unchanged.
Bytes redact_envelope(const Decoded& d);

/// The (kind, sender, part) slot of a decoded message (part = chunk for chunked kinds, else 0).
MessageSlot slot_of(const Decoded& d);

}  // namespace phx::dkg

PHX_ERROR_ENUM_TRAIT(phx::dkg::DecodeError)
