#pragma once
/// Protocol constants, message kinds and bounds of the Phalanx DKG (docs/formats/dkg.md).
#include <cstdint>
#include <string_view>

namespace phx::dkg {

/// Wire version carried in every envelope; a peer with another version fails the ceremony with E_VERSION.
inline constexpr std::uint16_t kProtocolVersion = 1;
/// Name of the protocol run (Joint-Feldman with a Schnorr proof of knowledge per dealer and validator).
inline constexpr std::string_view kProtocolId = "phalanx-jf-pok/1";
/// Prefix of every signed digest: sha256(kSigningPrefix ‖ session ‖ kind ‖ sender ‖ payload_root).
inline constexpr std::string_view kSigningPrefix = "phalanx/dkg/v1";

/// Upper bound on participants in one ceremony (bounds every per-operator list on the wire).
inline constexpr std::uint32_t kMaxOperators = 64;
/// Upper bound on validators in one ceremony.
inline constexpr std::uint32_t kMaxValidators = 65536;
/// Upper bound (and default) of validators per chunk of R1, R3 and R4.
inline constexpr std::uint32_t kMaxChunkValidators = 1000;
/// Upper bound on chunks of one round (a chunk holds at least one validator).
inline constexpr std::uint32_t kMaxChunks = kMaxValidators;
/// Upper bound on signing roots per validator in R3 (deposit amounts + builder registration).
inline constexpr std::uint32_t kMaxRootsPerValidator = 16;
/// Upper bound on artifact hashes in R5.
inline constexpr std::uint32_t kMaxArtifacts = 64;
/// Upper bound on the encoded payload of one envelope (a DealChunk for 64 operators and 1,000 validators is
/// about 5.2 MB).
inline constexpr std::uint32_t kMaxPayloadBytes = 8u << 20;
/// Upper bound on an encoded envelope.
inline constexpr std::uint32_t kMaxEnvelopeBytes = kMaxPayloadBytes + 256;
/// Upper bound on slots in one retransmission request.
inline constexpr std::uint32_t kMaxRequestSlots = 256;
/// Upper bound on envelopes carried as evidence.
inline constexpr std::uint32_t kMaxEvidenceEnvelopes = kMaxOperators + 8;
/// Part number meaning "every part" in a retransmission request.
inline constexpr std::uint32_t kAllParts = 0xffffffffu;
/// The ciphertext of one chunk for one receiver: 32 bytes per validator plus the AES-GCM tag.
inline constexpr std::uint32_t kAeadTagBytes = 16;
/// Upper bound on one ciphertext.
inline constexpr std::uint32_t kMaxCiphertextBytes = 32 * kMaxChunkValidators + kAeadTagBytes;

/// Message kinds. The high nibble is the round (R0..R5); 6 and 7 are control messages.
enum class Kind : std::uint8_t {
  kHello = 0x00,         ///< R0: version, definition, nonce, ephemeral key, preflight, H(commitments)
  kDealManifest = 0x10,  ///< R1: chunk roots and commitment roots of one dealer
  kDealChunk = 0x11,     ///< R1: commitments, PoKs and ciphertexts for ≤ chunk_validators validators
  kVerdict = 0x20,       ///< R2: manifest root of every dealer; complaints
  kSign = 0x30,          ///< R3: partial signatures over the signing roots of a chunk of validators
  kLock = 0x40,          ///< R4: partial signatures over the lock hash + the node's secp256k1 signature
  kDone = 0x50,          ///< R5: hashes of the written artifacts
  kRequest = 0x60,       ///< control: please retransmit these slots (answered idempotently)
  kAbort = 0x70,         ///< control: the ceremony failed; carries the evidence
};

/// The round of a message kind (0..5; 6 for Request, 7 for Abort).
constexpr std::uint8_t round_of(Kind k) { return static_cast<std::uint8_t>(static_cast<std::uint8_t>(k) >> 4); }
/// True for the kinds this version knows.
constexpr bool known_kind(std::uint8_t k) {
  switch (k) {
    case 0x00: case 0x10: case 0x11: case 0x20: case 0x30: case 0x40: case 0x50: case 0x60: case 0x70:
      return true;
    default:
      return false;
  }
}
/// Name of a kind for logs ("hello", "deal-chunk", ...).
const char* to_string(Kind k);

/// Rounds of the ceremony, as reported in progress events and failures.
enum class Round : std::uint8_t {
  kHello = 0,    ///< R0
  kDeal = 1,     ///< R1
  kVerdict = 2,  ///< R2
  kSign = 3,     ///< R3
  kLock = 4,     ///< R4
  kDone = 5,     ///< R5
};
/// "R0".."R5".
const char* to_string(Round r);

}  // namespace phx::dkg
