#pragma once
/// Pure wire formats of the DV node's two p2p protocols (docs/formats/dv.md), kept free of I/O so their
/// strict decoders can be fuzzed (fuzz/dv_qbft_frame_fuzz.cpp, fuzz/dv_parsig_frame_fuzz.cpp).
///
/// QBFT frame (protocol kQbftProtocol, "/phalanx/qbft/1"):
///   version u8 (= 1) ‖ instance id length u8 (1..qbft::kMaxInstanceIdBytes) ‖ instance id ‖ qbft message
///   (the rest: 1..max message bytes, the canonical encoding of consensus/qbft/message.hpp).
/// Partial-signature frame (protocol kParSigProtocol, "/phalanx/parsigex/1"):
///   version u8 (= 1) ‖ duty id length u16 BE (1..kMaxDutyIdBytes) ‖ duty id ‖ payload (the rest:
///   1..max payload bytes, opaque here; the core codec of partial-signature batches).
#include <array>
#include <cstddef>
#include <cstdint>

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "consensus/qbft/message.hpp"
#include "consensus/qbft/types.hpp"
#include "p2p/wire.hpp"

namespace phx::dv {

/// p2p protocol id of QBFT messages ("/phalanx/qbft/1"); high priority, docs/formats/p2p.md §4.
inline constexpr p2p::ProtocolId kQbftProtocol = 32;
/// p2p protocol id of partial-signature exchange ("/phalanx/parsigex/1"); high priority.
inline constexpr p2p::ProtocolId kParSigProtocol = 33;
/// Version byte of both frame formats.
inline constexpr std::uint8_t kFrameVersion = 1;
/// Longest duty id in a partial-signature frame.
inline constexpr std::size_t kMaxDutyIdBytes = 256;
/// Largest QBFT frame: header + instance id + largest qbft message.
inline constexpr std::size_t kMaxQbftFrameBytes = 2 + consensus::qbft::kMaxInstanceIdBytes +
                                                  consensus::qbft::kMaxMessageBytes;

/// Why a frame (or a driver input) was refused. Also the label values of the rejected-frames metrics.
enum class DvError {
  kOk = 0,
  kTruncated,          ///< shorter than its header says, or empty
  kBadVersion,         ///< version byte is not kFrameVersion
  kBadIdLength,        ///< instance/duty id length 0 or above its maximum
  kEmptyBody,          ///< no qbft message / payload after the id
  kTooLarge,           ///< qbft message or payload above the configured maximum
  kInstanceMismatch,   ///< the qbft message names another instance than the frame
  kBufferFull,         ///< message for a not-yet-started instance dropped: the peer's buffer is full
  kExpired,            ///< instance already expired (late message or late propose)
  kAlreadyProposed,    ///< propose called twice for one instance
  kStopped,            ///< the driver / transport was stopped
  kBadArgument,        ///< caller passed an id or value outside the limits
  kQbftRejected,       ///< the qbft engine dropped the message (reason counted separately)
  kCount_              ///< number of reasons (not an error)
};
/// Human-readable reason (also the metric label, e.g. "truncated").
const char* to_string(DvError e);
PHX_ERROR_ENUM(DvError, "dv")
/// Number of DvError values, for per-reason counter arrays.
inline constexpr std::size_t kDvErrorCount = static_cast<std::size_t>(DvError::kCount_);

/// A decoded QBFT frame; the spans point into the decoded buffer.
struct QbftFrame {
  ByteSpan instance_id;  ///< 1..kMaxInstanceIdBytes bytes
  ByteSpan message;      ///< encoded qbft message (not yet decoded or verified)
};

/// Encodes a QBFT frame. Preconditions: 1 ≤ instance_id.size() ≤ kMaxInstanceIdBytes, message non-empty.
Bytes encode_qbft_frame(ByteSpan instance_id, ByteSpan message);
/// Strictly decodes untrusted bytes: version, id length, non-empty message of at most `max_message_bytes`.
/// Never asserts. Errors: kTruncated, kBadVersion, kBadIdLength, kEmptyBody, kTooLarge.
Result<QbftFrame> decode_qbft_frame(ByteSpan bytes,
                                    std::size_t max_message_bytes = consensus::qbft::kMaxMessageBytes);

/// A decoded partial-signature frame; the spans point into the decoded buffer.
struct ParSigFrame {
  ByteSpan duty_id;  ///< 1..kMaxDutyIdBytes bytes
  ByteSpan payload;  ///< opaque, non-empty
};

/// Encodes a partial-signature frame. Preconditions: 1 ≤ duty_id.size() ≤ kMaxDutyIdBytes, payload non-empty.
Bytes encode_parsig_frame(ByteSpan duty_id, ByteSpan payload);
/// Strictly decodes untrusted bytes: version, id length, non-empty payload of at most `max_payload_bytes`.
/// Never asserts. Errors: kTruncated, kBadVersion, kBadIdLength, kEmptyBody, kTooLarge.
Result<ParSigFrame> decode_parsig_frame(ByteSpan bytes, std::size_t max_payload_bytes);

/// Counters indexed by DvError (index kOk unused).
using DvErrorCounts = std::array<std::uint64_t, kDvErrorCount>;

}  // namespace phx::dv

PHX_ERROR_ENUM_TRAIT(phx::dv::DvError)
