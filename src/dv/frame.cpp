#include "dv/frame.hpp"

#include "base/assert.hpp"

namespace phx::dv {

const char* to_string(DvError e) {
  switch (e) {
    case DvError::kOk:
      return "ok";
    case DvError::kTruncated:
      return "truncated";
    case DvError::kBadVersion:
      return "bad_version";
    case DvError::kBadIdLength:
      return "bad_id_length";
    case DvError::kEmptyBody:
      return "empty_body";
    case DvError::kTooLarge:
      return "too_large";
    case DvError::kInstanceMismatch:
      return "instance_mismatch";
    case DvError::kBufferFull:
      return "buffer_full";
    case DvError::kExpired:
      return "expired";
    case DvError::kAlreadyProposed:
      return "already_proposed";
    case DvError::kStopped:
      return "stopped";
    case DvError::kBadArgument:
      return "bad_argument";
    case DvError::kQbftRejected:
      return "qbft_rejected";
    case DvError::kCount_:
      break;
  }
  return "unknown";
}

Bytes encode_qbft_frame(ByteSpan instance_id, ByteSpan message) {
  PHX_ASSERT(!instance_id.empty() && instance_id.size() <= consensus::qbft::kMaxInstanceIdBytes);
  PHX_ASSERT(!message.empty());
  Bytes out;
  out.reserve(2 + instance_id.size() + message.size());
  out.push_back(kFrameVersion);
  out.push_back(static_cast<std::uint8_t>(instance_id.size()));
  append(out, instance_id);
  append(out, message);
  return out;
}

Result<QbftFrame> decode_qbft_frame(ByteSpan bytes, std::size_t max_message_bytes) {
  if (bytes.size() < 2) return fail(DvError::kTruncated);
  if (bytes[0] != kFrameVersion) return fail(DvError::kBadVersion);
  std::size_t id_len = bytes[1];
  if (id_len == 0 || id_len > consensus::qbft::kMaxInstanceIdBytes) return fail(DvError::kBadIdLength);
  if (bytes.size() < 2 + id_len) return fail(DvError::kTruncated);
  QbftFrame f;
  f.instance_id = bytes.subspan(2, id_len);
  f.message = bytes.subspan(2 + id_len);
  if (f.message.empty()) return fail(DvError::kEmptyBody);
  if (f.message.size() > max_message_bytes) return fail(DvError::kTooLarge);
  return f;
}

Bytes encode_parsig_frame(ByteSpan duty_id, ByteSpan payload) {
  PHX_ASSERT(!duty_id.empty() && duty_id.size() <= kMaxDutyIdBytes);
  PHX_ASSERT(!payload.empty());
  Bytes out;
  out.reserve(3 + duty_id.size() + payload.size());
  out.push_back(kFrameVersion);
  out.push_back(static_cast<std::uint8_t>(duty_id.size() >> 8));
  out.push_back(static_cast<std::uint8_t>(duty_id.size()));
  append(out, duty_id);
  append(out, payload);
  return out;
}

Result<ParSigFrame> decode_parsig_frame(ByteSpan bytes, std::size_t max_payload_bytes) {
  if (bytes.size() < 3) return fail(DvError::kTruncated);
  if (bytes[0] != kFrameVersion) return fail(DvError::kBadVersion);
  std::size_t id_len = (std::size_t{bytes[1]} << 8) | bytes[2];
  if (id_len == 0 || id_len > kMaxDutyIdBytes) return fail(DvError::kBadIdLength);
  if (bytes.size() < 3 + id_len) return fail(DvError::kTruncated);
  ParSigFrame f;
  f.duty_id = bytes.subspan(3, id_len);
  f.payload = bytes.subspan(3 + id_len);
  if (f.payload.empty()) return fail(DvError::kEmptyBody);
  if (f.payload.size() > max_payload_bytes) return fail(DvError::kTooLarge);
  return f;
}

}  // namespace phx::dv
