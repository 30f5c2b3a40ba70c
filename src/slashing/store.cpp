// SQLite slashing-protection store. Schema (docs/formats/slashing.md):
//   metadata(key TEXT PRIMARY KEY, value BLOB)              -- 'genesis_validators_root', 'schema_version'
//   validators(id INTEGER PRIMARY KEY, pubkey BLOB UNIQUE)
//   signed_blocks(validator_id, slot, signing_root)          -- UNIQUE(validator_id, slot, signing_root)
//   signed_attestations(validator_id, source_epoch, target_epoch, signing_root)
//   watermarks(validator_id PRIMARY KEY, min_slot, min_source, min_target)  -- schema 2: pinned low
//   watermarks
// An unknown signing_root is stored as an empty blob (so UNIQUE de-duplicates repeated imports).
// Fail closed: every sqlite3 error becomes SlashingError::kStorage and rolls the transaction back.
#include "slashing/store.hpp"

#include <sqlite3.h>

#include <cstring>
#include <map>

#include "base/log.hpp"

namespace phx::slashing {
namespace {

constexpr int kBusyTimeoutMs = 500;
constexpr std::int64_t kSchemaVersion = 2;
/// Version 1 lacks the watermarks table; opening it creates the (empty) table and moves it to version 2,
/// which keeps every decision (an absent pin means "the minimum over the history", exactly version 1's rule).
constexpr std::int64_t kUpgradableSchemaVersion = 1;
constexpr std::uint64_t kMaxValue = static_cast<std::uint64_t>(INT64_MAX);

/// RAII prepared statement; reset and cleared after each use by Use.
class Stmt {
 public:
  Stmt() = default;
  explicit Stmt(sqlite3_stmt* s) : s_(s) {}
  Stmt(Stmt&& o) noexcept : s_(std::exchange(o.s_, nullptr)) {}
  Stmt& operator=(Stmt&& o) noexcept {
    std::swap(s_, o.s_);
    return *this;
  }
  ~Stmt() { sqlite3_finalize(s_); }
  sqlite3_stmt* get() const { return s_; }

 private:
  sqlite3_stmt* s_ = nullptr;
};

/// Scope of one execution of a prepared statement: binds, steps, and resets at the end.
class Use {
 public:
  explicit Use(const Stmt& s) : s_(s.get()) {}
  ~Use() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  Use(const Use&) = delete;
  Use& operator=(const Use&) = delete;
  bool bind(int i, std::int64_t v) { return sqlite3_bind_int64(s_, i, v) == SQLITE_OK; }
  bool bind(int i, ByteSpan b) {
    // A zero-length blob must not be bound as NULL: pass a non-null pointer.
    static const std::uint8_t kEmpty = 0;
    return sqlite3_bind_blob(s_, i, b.empty() ? &kEmpty : b.data(), static_cast<int>(b.size()),
                             SQLITE_TRANSIENT) == SQLITE_OK;
  }
  /// SQLITE_ROW, SQLITE_DONE or an error code.
  int step() { return sqlite3_step(s_); }
  std::int64_t col_int(int i) const { return sqlite3_column_int64(s_, i); }
  bool col_null(int i) const { return sqlite3_column_type(s_, i) == SQLITE_NULL; }
  ByteSpan col_blob(int i) const {
    const void* p = sqlite3_column_blob(s_, i);
    int n = sqlite3_column_bytes(s_, i);
    if (!p || n <= 0) return {};
    return {static_cast<const std::uint8_t*>(p), static_cast<std::size_t>(n)};
  }

 private:
  sqlite3_stmt* s_;
};

ByteSpan root_blob(const std::optional<Root>& r) {
  if (!is_known_root(r)) return {};
  return ByteSpan(r->data(), r->size());
}

}  // namespace

struct SlashingDb::Impl {
  sqlite3* db = nullptr;
  Stmt get_validator, insert_validator, list_validators;
  Stmt block_same_slot, block_min, insert_block, list_blocks;
  Stmt att_same_target, att_surrounding_existing, att_surrounded_existing, att_min, insert_att, list_atts;
  Stmt pin_slot, pin_epochs;
  Stmt begin, commit, rollback;

  ~Impl() {
    // Statements must be finalized before the connection is closed.
    get_validator = {}, insert_validator = {}, list_validators = {};
    block_same_slot = {}, block_min = {}, insert_block = {}, list_blocks = {};
    att_same_target = {}, att_surrounding_existing = {}, att_surrounded_existing = {}, att_min = {};
    insert_att = {}, list_atts = {}, pin_slot = {}, pin_epochs = {}, begin = {}, commit = {}, rollback = {};
    sqlite3_close_v2(db);
  }

  std::unexpected<std::error_code> storage(const char* what) const {
    log::warn("slashing db: {}: {}", what, db ? sqlite3_errmsg(db) : "no connection");
    return std::unexpected(make_error_code(SlashingError::kStorage));
  }

  bool exec(const char* sql) { return sqlite3_exec(db, sql, nullptr, nullptr, nullptr) == SQLITE_OK; }

  bool prepare(Stmt& s, const char* sql) {
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &raw, nullptr) != SQLITE_OK) return false;
    s = Stmt(raw);
    return true;
  }

  bool run(const Stmt& s) {
    Use u(s);
    return u.step() == SQLITE_DONE;
  }
  Result<void> begin_tx() {
    if (!run(begin)) return storage("begin transaction");
    return {};
  }
  Result<void> commit_tx() {
    if (!run(commit)) {
      auto e = storage("commit");
      run(rollback);
      return e;
    }
    return {};
  }
  void rollback_tx() {
    if (sqlite3_get_autocommit(db) == 0) run(rollback);
  }

  /// The row id of `pubkey`, inserting it when absent (inside the caller's transaction).
  Result<std::int64_t> validator_id(const eth::BLSPubkey& pubkey, bool* inserted = nullptr) {
    {
      Use u(get_validator);
      if (!u.bind(1, ByteSpan(pubkey))) return storage("bind pubkey");
      int rc = u.step();
      if (rc == SQLITE_ROW) return u.col_int(0);
      if (rc != SQLITE_DONE) return storage("look up validator");
    }
    Use u(insert_validator);
    if (!u.bind(1, ByteSpan(pubkey)) || u.step() != SQLITE_DONE) return storage("insert validator");
    if (inserted) *inserted = true;
    return sqlite3_last_insert_rowid(db);
  }

  /// Reads a signing_root column: 32 bytes, or empty for unknown; anything else is corruption.
  static bool read_root(const Use& u, int col, std::optional<Root>& out) {
    auto b = u.col_blob(col);
    if (b.empty()) {
      out.reset();
      return true;
    }
    if (b.size() != 32) return false;
    Root r{};
    std::memcpy(r.data(), b.data(), 32);
    out = r;
    return true;
  }

  Result<Verdict> block_in_tx(const eth::BLSPubkey& pubkey, Slot slot, const Root& signing_root) {
    if (slot.value > kMaxValue) return fail(SlashingError::kValueTooLarge);
    auto vid = validator_id(pubkey);
    if (!vid) return std::unexpected(vid.error());
    const auto s = static_cast<std::int64_t>(slot.value);
    std::vector<BlockRecord> same;
    {
      Use u(block_same_slot);
      if (!u.bind(1, *vid) || !u.bind(2, s)) return storage("bind");
      int rc;
      while ((rc = u.step()) == SQLITE_ROW) {
        BlockRecord r{slot, std::nullopt};
        if (!read_root(u, 0, r.signing_root)) return storage("corrupt signing_root");
        same.push_back(r);
      }
      if (rc != SQLITE_DONE) return storage("read blocks");
    }
    BlockHistory h{same, std::nullopt};
    {
      Use u(block_min);
      if (!u.bind(1, *vid) || u.step() != SQLITE_ROW) return storage("read min slot");
      if (!u.col_null(0)) {
        if (u.col_int(0) < 0) return storage("corrupt slot");
        h.min_slot = Slot{static_cast<std::uint64_t>(u.col_int(0))};
      }
    }
    auto v = check_block(h, slot, signing_root);
    if (v && *v == Verdict::kNew) {
      Use u(insert_block);
      if (!u.bind(1, *vid) || !u.bind(2, s) || !u.bind(3, root_blob(signing_root)) || u.step() != SQLITE_DONE)
        return storage("insert block");
    }
    return v;
  }

  Result<Verdict> attestation_in_tx(const eth::BLSPubkey& pubkey, Epoch source, Epoch target,
                                    const Root& root) {
    if (source.value > kMaxValue || target.value > kMaxValue) return fail(SlashingError::kValueTooLarge);
    if (source > target) return fail(SlashingError::kSourceAfterTarget);  // before any write
    auto vid = validator_id(pubkey);
    if (!vid) return std::unexpected(vid.error());
    const auto src = static_cast<std::int64_t>(source.value);
    const auto tgt = static_cast<std::int64_t>(target.value);
    std::vector<AttestationRecord> cands;
    {
      Use u(att_same_target);
      if (!u.bind(1, *vid) || !u.bind(2, tgt)) return storage("bind");
      int rc;
      while ((rc = u.step()) == SQLITE_ROW) {
        AttestationRecord r{Epoch{static_cast<std::uint64_t>(u.col_int(0))}, target, std::nullopt};
        if (u.col_int(0) < 0 || !read_root(u, 1, r.signing_root)) return storage("corrupt attestation");
        cands.push_back(r);
      }
      if (rc != SQLITE_DONE) return storage("read attestations");
    }
    for (const Stmt* st : {&att_surrounding_existing, &att_surrounded_existing}) {
      Use u(*st);
      if (!u.bind(1, *vid) || !u.bind(2, src) || !u.bind(3, tgt)) return storage("bind");
      int rc = u.step();
      if (rc == SQLITE_ROW) {
        if (u.col_int(0) < 0 || u.col_int(1) < 0) return storage("corrupt attestation");
        cands.push_back({Epoch{static_cast<std::uint64_t>(u.col_int(0))},
                         Epoch{static_cast<std::uint64_t>(u.col_int(1))}, std::nullopt});
      } else if (rc != SQLITE_DONE) {
        return storage("read attestations");
      }
    }
    AttestationHistory h{cands, std::nullopt, std::nullopt};
    {
      Use u(att_min);
      if (!u.bind(1, *vid) || u.step() != SQLITE_ROW) return storage("read min epochs");
      if (!u.col_null(0)) {
        if (u.col_int(0) < 0 || u.col_int(1) < 0) return storage("corrupt epoch");
        h.min_source = Epoch{static_cast<std::uint64_t>(u.col_int(0))};
        h.min_target = Epoch{static_cast<std::uint64_t>(u.col_int(1))};
      }
    }
    auto v = check_attestation(h, source, target, root);
    if (v && *v == Verdict::kNew) {
      Use u(insert_att);
      if (!u.bind(1, *vid) || !u.bind(2, src) || !u.bind(3, tgt) || !u.bind(4, root_blob(root)) ||
          u.step() != SQLITE_DONE)
        return storage("insert attestation");
    }
    return v;
  }
};

namespace {

bool is_storage(const std::error_code& e) {
  return e == make_error_code(SlashingError::kStorage);
}

Result<std::unique_ptr<SlashingDb::Impl>> open_impl(const std::string& name, int extra_flags, const Root& gvr,
                                                    bool file_backed) {
  auto impl = std::make_unique<SlashingDb::Impl>();
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | extra_flags;
  if (sqlite3_open_v2(name.c_str(), &impl->db, flags, nullptr) != SQLITE_OK) return impl->storage("open");
  sqlite3_extended_result_codes(impl->db, 1);
  sqlite3_busy_timeout(impl->db, kBusyTimeoutMs);
  if (sqlite3_db_readonly(impl->db, "main") == 1) return impl->storage("database is read-only");
  if (file_backed) {
    // journal_mode returns the mode now in effect; anything but "wal" means the setting did not take.
    std::string mode;
    auto cb = [](void* out, int n, char** vals, char**) {
      if (n > 0 && vals[0]) *static_cast<std::string*>(out) = vals[0];
      return 0;
    };
    if (sqlite3_exec(impl->db, "PRAGMA journal_mode=WAL", cb, &mode, nullptr) != SQLITE_OK || mode != "wal")
      return impl->storage("enable WAL");
  }
  if (!impl->exec("PRAGMA synchronous=FULL") || !impl->exec("PRAGMA foreign_keys=ON"))
    return impl->storage("pragmas");
  {
    std::string result;
    auto cb = [](void* out, int n, char** vals, char**) {
      if (n > 0 && vals[0]) *static_cast<std::string*>(out) += vals[0];
      return 0;
    };
    if (sqlite3_exec(impl->db, "PRAGMA quick_check", cb, &result, nullptr) != SQLITE_OK || result != "ok")
      return impl->storage("integrity check");
  }
  static const char* kSchema =
      "BEGIN IMMEDIATE;"
      "CREATE TABLE IF NOT EXISTS metadata(key TEXT PRIMARY KEY, value BLOB NOT NULL);"
      "CREATE TABLE IF NOT EXISTS validators(id INTEGER PRIMARY KEY, pubkey BLOB NOT NULL UNIQUE);"
      "CREATE TABLE IF NOT EXISTS signed_blocks(validator_id INTEGER NOT NULL REFERENCES validators(id),"
      " slot INTEGER NOT NULL, signing_root BLOB NOT NULL, UNIQUE(validator_id, slot, signing_root));"
      "CREATE TABLE IF NOT EXISTS signed_attestations(validator_id INTEGER NOT NULL REFERENCES "
      "validators(id),"
      " source_epoch INTEGER NOT NULL, target_epoch INTEGER NOT NULL, signing_root BLOB NOT NULL,"
      " UNIQUE(validator_id, target_epoch, source_epoch, signing_root));"
      "CREATE INDEX IF NOT EXISTS signed_attestations_source ON signed_attestations(validator_id, "
      "source_epoch,"
      " target_epoch);"
      "CREATE INDEX IF NOT EXISTS signed_attestations_target ON signed_attestations(validator_id, "
      "target_epoch,"
      " source_epoch);"
      // Low watermarks pinned by an import into an existing history (NULL: the minimum over the history).
      "CREATE TABLE IF NOT EXISTS watermarks(validator_id INTEGER PRIMARY KEY REFERENCES validators(id),"
      " min_slot INTEGER, min_source INTEGER, min_target INTEGER);"
      "COMMIT;";
  if (!impl->exec(kSchema)) {
    auto e = impl->storage("create schema");
    impl->exec("ROLLBACK");
    return e;
  }
  bool ok =
      impl->prepare(impl->begin, "BEGIN IMMEDIATE") && impl->prepare(impl->commit, "COMMIT") &&
      impl->prepare(impl->rollback, "ROLLBACK") &&
      impl->prepare(impl->get_validator, "SELECT id FROM validators WHERE pubkey=?1") &&
      impl->prepare(impl->insert_validator, "INSERT INTO validators(pubkey) VALUES(?1)") &&
      impl->prepare(impl->list_validators, "SELECT id, pubkey FROM validators ORDER BY id") &&
      impl->prepare(impl->block_same_slot,
                    "SELECT signing_root FROM signed_blocks WHERE validator_id=?1 AND slot=?2") &&
      // The low watermark: the pinned one if an import pinned it, else the minimum over the history.
      impl->prepare(impl->block_min,
                    "SELECT COALESCE((SELECT min_slot FROM watermarks WHERE validator_id=?1),"
                    " (SELECT MIN(slot) FROM signed_blocks WHERE validator_id=?1))") &&
      impl->prepare(
          impl->insert_block,
          "INSERT OR IGNORE INTO signed_blocks(validator_id, slot, signing_root) VALUES(?1,?2,?3)") &&
      impl->prepare(impl->list_blocks,
                    "SELECT slot, signing_root FROM signed_blocks WHERE validator_id=?1 ORDER BY slot, "
                    "signing_root") &&
      impl->prepare(impl->att_same_target,
                    "SELECT source_epoch, signing_root FROM signed_attestations WHERE validator_id=?1 AND "
                    "target_epoch=?2") &&
      // An existing attestation that surrounds the new one (source < s, target > t). Scanning by target
      // visits only attestations newer than t: none in the usual case of increasing epochs.
      impl->prepare(
          impl->att_surrounding_existing,
          "SELECT source_epoch, target_epoch FROM signed_attestations INDEXED BY "
          "signed_attestations_target WHERE validator_id=?1 AND target_epoch>?3 AND source_epoch<?2 "
          "LIMIT 1") &&
      // An existing attestation surrounded by the new one (source > s, target < t); scanned by source.
      impl->prepare(
          impl->att_surrounded_existing,
          "SELECT source_epoch, target_epoch FROM signed_attestations INDEXED BY "
          "signed_attestations_source WHERE validator_id=?1 AND source_epoch>?2 AND target_epoch<?3 "
          "LIMIT 1") &&
      // Two scalar subqueries so that each MIN is one index lookup, not a scan of the history.
      impl->prepare(impl->att_min,
                    "SELECT COALESCE((SELECT min_source FROM watermarks WHERE validator_id=?1),"
                    " (SELECT MIN(source_epoch) FROM signed_attestations WHERE validator_id=?1)),"
                    " COALESCE((SELECT min_target FROM watermarks WHERE validator_id=?1),"
                    " (SELECT MIN(target_epoch) FROM signed_attestations WHERE validator_id=?1))") &&
      // Pins the current low watermarks of a validator before an import adds records to its history, so that
      // older imported records cannot lower them. An existing pin is kept; no history means nothing to pin.
      impl->prepare(
          impl->pin_slot,
          "INSERT INTO watermarks(validator_id, min_slot) SELECT ?1, MIN(slot) FROM signed_blocks"
          " WHERE validator_id=?1 GROUP BY validator_id"
          " ON CONFLICT(validator_id) DO UPDATE SET min_slot=COALESCE(min_slot, excluded.min_slot)") &&
      impl->prepare(impl->pin_epochs,
                    "INSERT INTO watermarks(validator_id, min_source, min_target)"
                    " SELECT ?1, MIN(source_epoch), MIN(target_epoch) FROM signed_attestations"
                    " WHERE validator_id=?1 GROUP BY validator_id"
                    " ON CONFLICT(validator_id) DO UPDATE SET"
                    " min_source=COALESCE(min_source, excluded.min_source),"
                    " min_target=COALESCE(min_target, excluded.min_target)") &&
      impl->prepare(impl->insert_att,
                    "INSERT OR IGNORE INTO signed_attestations(validator_id, source_epoch, target_epoch, "
                    "signing_root) VALUES(?1,?2,?3,?4)") &&
      impl->prepare(impl->list_atts,
                    "SELECT source_epoch, target_epoch, signing_root FROM signed_attestations WHERE "
                    "validator_id=?1 ORDER BY target_epoch, source_epoch, signing_root");
  if (!ok) return impl->storage("prepare statements");

  // Bind the database to its chain: first open records the genesis_validators_root, later opens compare.
  if (auto b = impl->begin_tx(); !b) return std::unexpected(b.error());
  Stmt get, put, version;
  if (!impl->prepare(get, "SELECT value FROM metadata WHERE key='genesis_validators_root'") ||
      !impl->prepare(version, "SELECT value FROM metadata WHERE key='schema_version'") ||
      !impl->prepare(put,
                     "INSERT INTO metadata(key, value) VALUES('genesis_validators_root', ?1),"
                     " ('schema_version', ?2)")) {
    impl->rollback_tx();
    return impl->storage("prepare metadata");
  }
  {
    Use u(get);
    int rc = u.step();
    if (rc == SQLITE_ROW) {
      auto stored = u.col_blob(0);
      if (stored.size() != 32 || std::memcmp(stored.data(), gvr.data(), 32) != 0) {
        impl->rollback_tx();
        log::warn("slashing db: genesis_validators_root differs from the one the database was created for");
        return fail(SlashingError::kWrongGenesis);
      }
      // A database written by another schema version is not read with this code's queries; version 1 is
      // upgraded in place (the CREATE TABLE above added its empty watermarks table).
      Use v(version);
      const bool known = v.step() == SQLITE_ROW && !v.col_null(0);
      const std::int64_t found = known ? v.col_int(0) : -1;
      if (found == kUpgradableSchemaVersion) {
        Stmt up;
        if (!impl->prepare(up, "UPDATE metadata SET value=?1 WHERE key='schema_version'")) {
          impl->rollback_tx();
          return impl->storage("prepare schema upgrade");
        }
        Use w(up);
        if (!w.bind(1, kSchemaVersion) || w.step() != SQLITE_DONE) {
          impl->rollback_tx();
          return impl->storage("upgrade schema_version");
        }
      } else if (found != kSchemaVersion) {
        impl->rollback_tx();
        return impl->storage("unsupported or missing schema_version");
      }
    } else if (rc == SQLITE_DONE) {
      Use w(put);
      if (!w.bind(1, ByteSpan(gvr)) || !w.bind(2, kSchemaVersion) || w.step() != SQLITE_DONE) {
        impl->rollback_tx();
        return impl->storage("write metadata");
      }
    } else {
      impl->rollback_tx();
      return impl->storage("read metadata");
    }
  }
  if (auto c = impl->commit_tx(); !c) return std::unexpected(c.error());
  return impl;
}

}  // namespace

SlashingDb::SlashingDb(std::unique_ptr<Impl> impl, const Root& gvr)
    : impl_(std::move(impl)), genesis_validators_root_(gvr) {}
SlashingDb::SlashingDb(SlashingDb&&) noexcept = default;
SlashingDb& SlashingDb::operator=(SlashingDb&&) noexcept = default;
SlashingDb::~SlashingDb() = default;

Result<SlashingDb> SlashingDb::open(const std::filesystem::path& path, const Root& genesis_validators_root) {
  auto impl = open_impl(path.string(), 0, genesis_validators_root, true);
  if (!impl) return std::unexpected(impl.error());
  return SlashingDb(std::move(*impl), genesis_validators_root);
}

Result<std::optional<Root>> SlashingDb::read_genesis_validators_root(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    if (ec) return fail(SlashingError::kStorage);
    return std::optional<Root>{};
  }
  SlashingDb::Impl impl;  // only for its connection and storage(); no statements are prepared
  // Read-write without CREATE: a WAL database needs its -shm file, which a read-only handle may not create.
  if (sqlite3_open_v2(path.c_str(), &impl.db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr) !=
      SQLITE_OK)
    return impl.storage("open");
  sqlite3_busy_timeout(impl.db, kBusyTimeoutMs);
  Stmt get;
  if (!impl.prepare(get, "SELECT value FROM metadata WHERE key='genesis_validators_root'"))
    return impl.storage("not a slashing database");
  Use u(get);
  if (u.step() != SQLITE_ROW) return impl.storage("no genesis_validators_root");
  auto stored = u.col_blob(0);
  if (stored.size() != 32) return impl.storage("corrupt genesis_validators_root");
  Root r{};
  std::memcpy(r.data(), stored.data(), 32);
  return std::optional<Root>{r};
}

Result<SlashingDb> SlashingDb::open_in_memory(const Root& genesis_validators_root) {
  auto impl = open_impl(":memory:", SQLITE_OPEN_MEMORY, genesis_validators_root, false);
  if (!impl) return std::unexpected(impl.error());
  return SlashingDb(std::move(*impl), genesis_validators_root);
}

Result<Verdict> SlashingDb::check_and_record_block(const eth::BLSPubkey& pubkey, Slot slot,
                                                   const Root& signing_root) {
  if (!impl_) return fail(SlashingError::kStorage);
  if (auto b = impl_->begin_tx(); !b) return std::unexpected(b.error());
  auto v = impl_->block_in_tx(pubkey, slot, signing_root);
  if (!v && is_storage(v.error())) {
    impl_->rollback_tx();
    return v;
  }
  if (auto c = impl_->commit_tx(); !c) return std::unexpected(c.error());
  return v;
}

Result<Verdict> SlashingDb::check_and_record_attestation(const eth::BLSPubkey& pubkey, Epoch source,
                                                         Epoch target, const Root& signing_root) {
  if (!impl_) return fail(SlashingError::kStorage);
  if (auto b = impl_->begin_tx(); !b) return std::unexpected(b.error());
  auto v = impl_->attestation_in_tx(pubkey, source, target, signing_root);
  if (!v && is_storage(v.error())) {
    impl_->rollback_tx();
    return v;
  }
  if (auto c = impl_->commit_tx(); !c) return std::unexpected(c.error());
  return v;
}

Result<std::vector<Result<Verdict>>> SlashingDb::check_and_record_attestations(
    std::span<const AttestationRequest> reqs) {
  if (!impl_) return fail(SlashingError::kStorage);
  if (auto b = impl_->begin_tx(); !b) return std::unexpected(b.error());
  std::vector<Result<Verdict>> out;
  out.reserve(reqs.size());
  for (const auto& r : reqs) {
    auto v = impl_->attestation_in_tx(r.pubkey, r.source, r.target, r.signing_root);
    if (!v && is_storage(v.error())) {
      impl_->rollback_tx();
      return std::unexpected(v.error());
    }
    out.push_back(v);
  }
  if (auto c = impl_->commit_tx(); !c) return std::unexpected(c.error());
  return out;
}

InterchangeResult<ImportSummary> SlashingDb::import_interchange(std::string_view json) {
  auto doc = parse_interchange(json);
  if (!doc) return std::unexpected(doc.error());
  return import_interchange(*doc);
}

InterchangeResult<ImportSummary> SlashingDb::import_interchange(const Interchange& doc) {
  auto storage_problem = [](const char* what) {
    return std::unexpected(InterchangeProblem{SlashingError::kStorage, what});
  };
  if (!impl_) return storage_problem("database is closed");
  if (doc.genesis_validators_root != genesis_validators_root_)
    return std::unexpected(
        InterchangeProblem{SlashingError::kWrongGenesis,
                           "metadata.genesis_validators_root " + to_hex(doc.genesis_validators_root) +
                               " differs from the database's " + to_hex(genesis_validators_root_)});
  for (const auto& rec : doc.data) {
    for (const auto& b : rec.signed_blocks)
      if (b.slot.value > kMaxValue)
        return std::unexpected(InterchangeProblem{SlashingError::kValueTooLarge, "slot"});
    for (const auto& a : rec.signed_attestations)
      if (a.source.value > kMaxValue || a.target.value > kMaxValue)
        return std::unexpected(InterchangeProblem{SlashingError::kValueTooLarge, "epoch"});
  }
  if (!impl_->begin_tx()) return storage_problem("begin transaction");
  ImportSummary sum;
  // Pin the low watermarks of every validator already in the history BEFORE inserting anything: the
  // document's records (several entries may share a pubkey) are then merged below the pin without lowering
  // it.
  for (const auto& rec : doc.data) {
    auto vid = impl_->validator_id(rec.pubkey);
    bool ok = bool(vid);
    for (const Stmt* pin : {&impl_->pin_slot, &impl_->pin_epochs}) {
      if (!ok) break;
      Use u(*pin);
      ok = u.bind(1, *vid) && u.step() == SQLITE_DONE;
    }
    if (!ok) {
      impl_->rollback_tx();
      return storage_problem("pin watermarks");
    }
  }
  std::map<eth::BLSPubkey, bool> seen;
  for (const auto& rec : doc.data) {
    auto vid = impl_->validator_id(rec.pubkey);
    if (!vid) {
      impl_->rollback_tx();
      return storage_problem("insert validator");
    }
    seen[rec.pubkey] = true;
    for (const auto& b : rec.signed_blocks) {
      Use u(impl_->insert_block);
      if (!u.bind(1, *vid) || !u.bind(2, static_cast<std::int64_t>(b.slot.value)) ||
          !u.bind(3, root_blob(b.signing_root)) || u.step() != SQLITE_DONE) {
        impl_->rollback_tx();
        return storage_problem("insert block");
      }
      sum.blocks_inserted += static_cast<std::size_t>(sqlite3_changes(impl_->db));
    }
    for (const auto& a : rec.signed_attestations) {
      Use u(impl_->insert_att);
      if (!u.bind(1, *vid) || !u.bind(2, static_cast<std::int64_t>(a.source.value)) ||
          !u.bind(3, static_cast<std::int64_t>(a.target.value)) || !u.bind(4, root_blob(a.signing_root)) ||
          u.step() != SQLITE_DONE) {
        impl_->rollback_tx();
        return storage_problem("insert attestation");
      }
      sum.attestations_inserted += static_cast<std::size_t>(sqlite3_changes(impl_->db));
    }
  }
  if (!impl_->commit_tx()) return storage_problem("commit");
  sum.validators = seen.size();
  return sum;
}

Result<std::string> SlashingDb::export_interchange() {
  if (!impl_) return fail(SlashingError::kStorage);
  if (auto b = impl_->begin_tx(); !b) return std::unexpected(b.error());  // consistent snapshot
  Interchange doc;
  doc.genesis_validators_root = genesis_validators_root_;
  std::vector<std::pair<std::int64_t, eth::BLSPubkey>> vals;
  {
    Use u(impl_->list_validators);
    int rc;
    while ((rc = u.step()) == SQLITE_ROW) {
      auto pk = u.col_blob(1);
      if (pk.size() != 48) {
        impl_->rollback_tx();
        return impl_->storage("corrupt pubkey");
      }
      eth::BLSPubkey k{};
      std::memcpy(k.data(), pk.data(), 48);
      vals.emplace_back(u.col_int(0), k);
    }
    if (rc != SQLITE_DONE) {
      impl_->rollback_tx();
      return impl_->storage("list validators");
    }
  }
  for (const auto& [vid, pk] : vals) {
    InterchangeRecord rec;
    rec.pubkey = pk;
    bool ok = true;
    {
      Use u(impl_->list_blocks);
      int rc = u.bind(1, vid) ? SQLITE_ROW : SQLITE_ERROR;
      while (rc == SQLITE_ROW && (rc = u.step()) == SQLITE_ROW) {
        BlockRecord b{Slot{static_cast<std::uint64_t>(u.col_int(0))}, std::nullopt};
        if (u.col_int(0) < 0 || !Impl::read_root(u, 1, b.signing_root)) rc = SQLITE_CORRUPT;
        rec.signed_blocks.push_back(b);
      }
      ok = ok && rc == SQLITE_DONE;
    }
    {
      Use u(impl_->list_atts);
      int rc = u.bind(1, vid) ? SQLITE_ROW : SQLITE_ERROR;
      while (rc == SQLITE_ROW && (rc = u.step()) == SQLITE_ROW) {
        AttestationRecord a{Epoch{static_cast<std::uint64_t>(u.col_int(0))},
                            Epoch{static_cast<std::uint64_t>(u.col_int(1))}, std::nullopt};
        if (u.col_int(0) < 0 || u.col_int(1) < 0 || !Impl::read_root(u, 2, a.signing_root))
          rc = SQLITE_CORRUPT;
        rec.signed_attestations.push_back(a);
      }
      ok = ok && rc == SQLITE_DONE;
    }
    if (!ok) {
      impl_->rollback_tx();
      return impl_->storage("read history");
    }
    doc.data.push_back(std::move(rec));
  }
  impl_->rollback_tx();  // read-only transaction
  return write_interchange(doc);
}

}  // namespace phx::slashing
