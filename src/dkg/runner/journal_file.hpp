#pragma once
/// The ceremony journal on disk (docs/formats/dkg.md "Journal file"): every dkg::JournalRecord sealed with
/// AES-256-GCM under a key derived from the node's ENR key, appended and fsynced before the outbox's messages
/// are sent, read back on restart to resume the same session. The file is 0600; a torn last record (a crash
/// during the write, so nothing of that outbox was sent) is dropped, any other damage is an error.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "base/bytes.hpp"
#include "base/secret.hpp"
#include "crypto/k1/k1.hpp"
#include "dkg/journal.hpp"

namespace phx::dkg::runner {

/// File header: magic "PHXDKGJ1" (8) ‖ definition_hash (32) ‖ random salt (16).
inline constexpr std::size_t kJournalHeaderSize = 56;
/// Upper bound on one sealed record (an envelope, its record header and the tag).
inline constexpr std::uint32_t kMaxSealedRecord = kMaxEnvelopeBytes + 5 + 16;

/// The sealing key: HKDF-SHA256(salt = "phalanx/dkg/v1/journal" ‖ definition_hash ‖ file salt, IKM = the ENR
/// secret key, info = "phalanx/dkg/v1/journal-key"), 32 bytes. A new file gets a fresh salt, so a key never
/// seals two records under one nonce (the record index).
SecretArray<32> journal_key(const crypto::k1::SecretKey& enr_key, const Root& definition_hash,
                            std::span<const std::uint8_t, 16> salt);

/// Decodes a journal file's bytes (untrusted: a file anyone could have edited). Returns the records in order,
/// and in `torn` whether a truncated final record was dropped. Errors (one line): bad magic, another
/// definition, a record that fails authentication (wrong ENR key or edited file), a record that does not
/// decode.
Result<std::vector<JournalRecord>, std::string> decode_journal_file(ByteSpan file,
                                                                    const crypto::k1::SecretKey& enr_key,
                                                                    const Root& definition_hash,
                                                                    bool* torn = nullptr);

/// An open journal file for appending.
class JournalFile {
 public:
  /// Opens `path` for a ceremony: reads and decodes the records already there (empty for a new file, which is
  /// created 0600 with a fresh salt and fsynced with its folder). A torn tail is cut off the file.
  static Result<JournalFile, std::string> open(const std::filesystem::path& path,
                                               const crypto::k1::SecretKey& enr_key,
                                               const Root& definition_hash,
                                               std::vector<JournalRecord>* existing);
  JournalFile(JournalFile&& o) noexcept;
  JournalFile& operator=(JournalFile&&) = delete;
  JournalFile(const JournalFile&) = delete;
  ~JournalFile();

  /// Seals and appends `records`, then fsyncs; only after it returns may their outbox's messages be sent.
  Result<void, std::string> append(std::span<const JournalRecord> records);
  /// Bytes written so far.
  std::uint64_t size() const { return size_; }

 private:
  JournalFile(int fd, SecretArray<32> key, ByteArray<kJournalHeaderSize> header, std::uint64_t next,
              std::uint64_t size)
      : fd_(fd), key_(std::move(key)), header_(header), next_(next), size_(size) {}
  int fd_ = -1;
  SecretArray<32> key_;
  ByteArray<kJournalHeaderSize> header_{};
  std::uint64_t next_ = 0;  // index of the next record (the AEAD nonce)
  std::uint64_t size_ = 0;
};

}  // namespace phx::dkg::runner
