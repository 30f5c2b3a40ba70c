// Journal record encoding: type ‖ length ‖ data, strictly decoded.
#include "dkg/journal.hpp"

namespace phx::dkg {

const char* to_string(JournalError e) {
  switch (e) {
    case JournalError::kOk: return "ok";
    case JournalError::kTruncated: return "journal record truncated";
    case JournalError::kBadType: return "unknown journal record type";
    case JournalError::kBadSeed: return "seed record is not 32 bytes";
    case JournalError::kTooLarge: return "journal record too large";
    case JournalError::kTrailing: return "bytes after the journal record";
  }
  return "unknown";
}

SecretBytes encode_journal_record(const JournalRecord& r) {
  SecretBytes out(5 + r.data.size());
  auto w = out.mut_view();
  w[0] = static_cast<std::uint8_t>(r.type);
  put_be32(w.data() + 1, static_cast<std::uint32_t>(r.data.size()));
  for (std::size_t i = 0; i < r.data.size(); ++i) w[5 + i] = r.data.view()[i];
  return out;
}

Result<JournalRecord> decode_journal_record(ByteSpan bytes) {
  if (bytes.size() < 5) return fail(JournalError::kTruncated);
  const std::uint8_t type = bytes[0];
  if (type < 1 || type > 3) return fail(JournalError::kBadType);
  const std::uint32_t len = get_be32(bytes.data() + 1);
  if (len > kMaxEnvelopeBytes) return fail(JournalError::kTooLarge);
  if (bytes.size() - 5 < len) return fail(JournalError::kTruncated);
  if (bytes.size() - 5 > len) return fail(JournalError::kTrailing);
  const auto t = static_cast<JournalType>(type);
  if (t == JournalType::kSeed && len != 32) return fail(JournalError::kBadSeed);
  JournalRecord r;
  r.type = t;
  r.data = SecretBytes(bytes.subspan(5, len));
  return r;
}

}  // namespace phx::dkg
