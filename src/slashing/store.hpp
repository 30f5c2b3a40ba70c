#pragma once
/// SQLite slashing-protection database (WAL, synchronous=FULL). Every check-and-record is one transaction and
/// fails closed: any storage error is returned as SlashingError::kStorage ("not safe to sign"), never thrown.
///
/// Thread-safety: a SlashingDb is NOT thread-safe. The node calls it from one dedicated thread (GUIDE §6:
/// SQLite gets its own thread). It is move-only. Two SlashingDb objects (or processes) on the same file are
/// serialised by SQLite's locks; a lock held longer than the busy timeout makes the caller fail closed.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/bytes.hpp"
#include "base/ids.hpp"
#include "base/result.hpp"
#include "eth/types.hpp"
#include "slashing/interchange.hpp"
#include "slashing/rules.hpp"

namespace phx::slashing {

/// One attestation to check and record in a batch.
struct AttestationRequest {
  eth::BLSPubkey pubkey{};
  Epoch source{};
  Epoch target{};
  Root signing_root{};
};

/// Counts from an interchange import (records already present are not counted as inserted).
struct ImportSummary {
  std::size_t validators = 0;
  std::size_t blocks_inserted = 0;
  std::size_t attestations_inserted = 0;
};

/// The slashing-protection store of one chain, identified by its genesis_validators_root.
class SlashingDb {
 public:
  /// Opens (creating if absent) the database at `path` for the chain `genesis_validators_root`. Errors:
  /// kWrongGenesis when the file belongs to another chain; kStorage when it cannot be opened, is not a
  /// database, is corrupted or cannot be written. The parent directory must exist.
  static Result<SlashingDb> open(const std::filesystem::path& path, const Root& genesis_validators_root);

  /// The genesis_validators_root an existing database at `path` is bound to, read without creating or
  /// changing anything (operator tools use it to open a database for its own chain). nullopt when no file
  /// exists at `path`; kStorage when it is not a readable slashing database (not SQLite, corrupted, no root).
  static Result<std::optional<Root>> read_genesis_validators_root(const std::filesystem::path& path);

  /// Opens a private in-memory database (tests, fuzzing). Same contract as open().
  static Result<SlashingDb> open_in_memory(const Root& genesis_validators_root);

  SlashingDb(SlashingDb&&) noexcept;
  SlashingDb& operator=(SlashingDb&&) noexcept;
  SlashingDb(const SlashingDb&) = delete;
  SlashingDb& operator=(const SlashingDb&) = delete;
  ~SlashingDb();

  /// Checks a block proposal against `pubkey`'s history (rules.hpp: check_block) and, when safe and new,
  /// records it, in one transaction. kNew / kRepeat mean the caller may sign; any error means it must not.
  /// An unknown pubkey is registered on first use. Values >= 2^63 give kValueTooLarge.
  Result<Verdict> check_and_record_block(const eth::BLSPubkey& pubkey, Slot slot, const Root& signing_root);

  /// Checks an attestation (rules.hpp: check_attestation) and, when safe and new, records it, in one
  /// transaction. Same contract as check_and_record_block.
  Result<Verdict> check_and_record_attestation(const eth::BLSPubkey& pubkey, Epoch source, Epoch target,
                                               const Root& signing_root);

  /// Checks and records many attestations in ONE transaction, in order (a later request sees the earlier
  /// ones). Returns one verdict per request. If storage fails, the whole batch is rolled back and the outer
  /// result is kStorage: nothing may be signed.
  Result<std::vector<Result<Verdict>>> check_and_record_attestations(
      std::span<const AttestationRequest> reqs);

  /// Imports an EIP-3076 v5 interchange document in one transaction, merging it with the existing history
  /// (union of records, the "complete" strategy). An import never lowers a low watermark: a validator that
  /// already has history keeps its current minimum slot / source / target as a pinned watermark, so older
  /// records in the document are kept (for surround checks) but do not re-open slots or epochs that were
  /// refused before; a validator new to the database gets the minima of the document. Refuses a document
  /// for another chain (kWrongGenesis, nothing imported) and malformed JSON (kBadInterchange, with the path).
  InterchangeResult<ImportSummary> import_interchange(std::string_view json);

  /// Imports an already parsed document (same contract as import_interchange).
  InterchangeResult<ImportSummary> import_interchange(const Interchange& doc);

  /// Exports every validator's full history as an EIP-3076 v5 document (JSON text).
  Result<std::string> export_interchange();

  /// The chain this database belongs to.
  const Root& genesis_validators_root() const { return genesis_validators_root_; }

  /// Implementation detail (pimpl; defined in store.cpp, keeps sqlite3.h out of this header).
  struct Impl;

 private:
  SlashingDb(std::unique_ptr<Impl> impl, const Root& gvr);
  std::unique_ptr<Impl> impl_;
  Root genesis_validators_root_{};
};

}  // namespace phx::slashing
