#pragma once
/// Wire encodings of the duty workflow (docs/formats/dv-wire.md): the duty id (QBFT instance id and partial-
/// signature batch key), the consensus value of a duty (an UnsignedDataSet) and a batch of partial signatures
/// sent to peers. Little-endian integers, SSZ for consensus containers, canonical: pubkeys strictly ascending,
/// no trailing bytes, so encode(decode(b)) == b and two nodes agree on a value's bytes. Decoders take untrusted
/// peer bytes: every length is bounded and checked before use; errors name the reason (CodecError).
#include <cstdint>
#include <utility>
#include <vector>

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "core/types.hpp"

namespace phx::core {

/// Why bytes from a peer did not decode.
enum class CodecError {
  kOk = 0,
  kTruncated = 1,     ///< the bytes end inside a field
  kTrailing = 2,      ///< bytes left after the last field
  kBadDutyType = 3,   ///< duty type byte out of range
  kBadKind = 4,       ///< data/message kind byte unknown or not allowed for the duty type
  kBadFork = 5,       ///< fork byte unknown or the family does not exist in that fork
  kBadSsz = 6,        ///< an SSZ container does not decode
  kTooMany = 7,       ///< more entries than the limit
  kTooLarge = 8,      ///< an item longer than the limit
  kNotCanonical = 9,  ///< pubkeys not strictly ascending (duplicates included)
  kBadSignature = 10, ///< a signature is not a valid compressed G2 point in the subgroup
  kBadShare = 11,     ///< share index 0
};
/// Human-readable reason.
const char* to_string(CodecError e);
PHX_ERROR_ENUM(CodecError, "core.codec")

/// Decoding limits (defaults fit a 1,000-validator cluster with room to spare).
struct CodecLimits {
  std::uint32_t max_entries = 1u << 16;         ///< validators per value / batch
  std::uint32_t max_item_bytes = 16u << 20;     ///< one SSZ item (blocks with blobs are the largest)
};

/// 9 bytes: slot (u64 LE) ‖ duty type (u8).
Bytes encode_duty(const Duty& duty);
/// Inverse of encode_duty. Errors: kTruncated, kTrailing, kBadDutyType.
Result<Duty> decode_duty(ByteSpan bytes);

/// The consensus value of `duty`: u32 count ‖ per entry (ascending pubkey): pubkey[48] ‖ kind u8 ‖ fork u8 ‖
/// u32 length ‖ payload (attester: u64 committee_index ‖ SSZ AttestationData; blocks/aggregates: SSZ of the
/// fork's container; sync root: 32 bytes; contribution: SSZ).
Bytes encode_unsigned_set(const UnsignedDataSet& set);
/// Inverse of encode_unsigned_set; every entry's kind must belong to `duty_type`. Errors: see CodecError.
Result<UnsignedDataSet> decode_unsigned_set(DutyType duty_type, ByteSpan bytes, const CodecLimits& limits = {});

/// A batch of one node's partial signatures for one duty: duty (9 bytes) ‖ u32 count ‖ per entry (ascending
/// pubkey): pubkey[48] ‖ share_idx u32 ‖ signature[96] ‖ kind u8 ‖ fork u8 ‖ u32 length ‖ message payload.
Bytes encode_partials(const Duty& duty, std::span<const std::pair<PubKey, ParSignedData>> partials);
/// Inverse of encode_partials; message kinds must belong to the duty type and signatures must decode.
/// Errors: see CodecError.
Result<std::pair<Duty, std::vector<std::pair<PubKey, ParSignedData>>>> decode_partials(
    ByteSpan bytes, const CodecLimits& limits = {});

}  // namespace phx::core

PHX_ERROR_ENUM_TRAIT(phx::core::CodecError)
