#pragma once
/// Journal records: what the runner persists (fsync) before it sends the messages of the same outbox, and what
/// Ceremony::resume replays. The encoding is the runner's file format for one record (docs/formats/dkg.md).
#include <cstdint>

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "base/secret.hpp"
#include "dkg/messages.hpp"

namespace phx::dkg {

/// Kinds of journal records.
enum class JournalType : std::uint8_t {
  kSeed = 1,      ///< the dealer's 32-byte seed — SECRET: the runner seals it (AEAD under a key from the ENR key)
  kSent = 2,      ///< an envelope this node sent (public)
  kReceived = 3,  ///< an envelope this node accepted (verified, stored), in order (public)
};

/// One record. `data` is the seed (kSeed) or the envelope bytes.
struct JournalRecord {
  JournalType type = JournalType::kSent;
  SecretBytes data;  ///< zeroized on destruction (public records too: one type for all)
};

/// Encoding: 1 byte type ‖ 4 bytes big-endian length ‖ data.
SecretBytes encode_journal_record(const JournalRecord& r);

/// Why a journal record did not decode.
enum class JournalError {
  kOk = 0,
  kTruncated = 1,   ///< shorter than its header or length
  kBadType = 2,     ///< unknown record type
  kBadSeed = 3,     ///< a seed record not 32 bytes long
  kTooLarge = 4,    ///< an envelope above kMaxEnvelopeBytes
  kTrailing = 5,    ///< bytes after the record
};
/// Human-readable reason.
const char* to_string(JournalError e);
PHX_ERROR_ENUM(JournalError, "dkg-journal")

/// Strict decoding of one record (exactly the bytes of encode_journal_record). Envelope contents are not
/// decoded here (resume does that, and rejects what does not verify).
Result<JournalRecord> decode_journal_record(ByteSpan bytes);

}  // namespace phx::dkg

PHX_ERROR_ENUM_TRAIT(phx::dkg::JournalError)
