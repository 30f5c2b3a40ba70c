// SlashingDb tests: persistence across close/reopen, chain binding, fail-closed storage errors, batch
// transactions, and interchange import/export (strict parsing, merge, round trip).
#include "slashing/store.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace phx::slashing {
namespace {

namespace fs = std::filesystem;

Root root(std::uint8_t b) {
  Root r{};
  r[31] = b;
  return r;
}
eth::BLSPubkey pubkey(std::uint8_t b) {
  eth::BLSPubkey k{};
  k[0] = 0xa0;
  k[47] = b;
  return k;
}
std::error_code err(SlashingError e) {
  return make_error_code(e);
}

/// A fresh directory per test, removed afterwards.
class SlashingDbFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("phx_slashing_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    path_ = dir_ / "slashing.sqlite";
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_, path_;
};

TEST_F(SlashingDbFile, HistorySurvivesCloseAndReopen) {
  {
    auto db = SlashingDb::open(path_, root(0xee));
    ASSERT_TRUE(db) << db.error().message();
    ASSERT_TRUE(db->check_and_record_block(pubkey(1), Slot{100}, root(1)));
    ASSERT_TRUE(db->check_and_record_attestation(pubkey(1), Epoch{5}, Epoch{6}, root(2)));
  }
  auto db = SlashingDb::open(path_, root(0xee));
  ASSERT_TRUE(db) << db.error().message();
  EXPECT_EQ(db->check_and_record_block(pubkey(1), Slot{100}, root(9)).error(),
            err(SlashingError::kDoubleProposal));
  EXPECT_EQ(db->check_and_record_attestation(pubkey(1), Epoch{5}, Epoch{6}, root(9)).error(),
            err(SlashingError::kDoubleVote));
  EXPECT_EQ(db->check_and_record_attestation(pubkey(1), Epoch{4}, Epoch{7}, root(9)).error(),
            err(SlashingError::kSurroundingVote));
  auto again = db->check_and_record_block(pubkey(1), Slot{100}, root(1));
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, Verdict::kRepeat);
  // Another validator is independent.
  EXPECT_TRUE(db->check_and_record_block(pubkey(2), Slot{100}, root(9)));
}

TEST_F(SlashingDbFile, TwoHandlesOnOneFileSeeEachOthersRecords) {
  auto a = SlashingDb::open(path_, root(1));
  auto b = SlashingDb::open(path_, root(1));
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(a->check_and_record_attestation(pubkey(1), Epoch{4}, Epoch{5}, root(1)));
  EXPECT_EQ(b->check_and_record_attestation(pubkey(1), Epoch{4}, Epoch{5}, root(2)).error(),
            err(SlashingError::kDoubleVote));
  ASSERT_TRUE(b->check_and_record_block(pubkey(1), Slot{7}, root(1)));
  EXPECT_EQ(a->check_and_record_block(pubkey(1), Slot{7}, root(2)).error(),
            err(SlashingError::kDoubleProposal));
}

TEST_F(SlashingDbFile, RefusesToOpenForAnotherChain) {
  ASSERT_TRUE(SlashingDb::open(path_, root(1)));
  auto other = SlashingDb::open(path_, root(2));
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error(), err(SlashingError::kWrongGenesis));
}

TEST_F(SlashingDbFile, UsesWalJournal) {
  ASSERT_TRUE(SlashingDb::open(path_, root(1)));
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &raw), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(raw, "PRAGMA journal_mode", -1, &st, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)), "wal");
  sqlite3_finalize(st);
  sqlite3_close(raw);
}

TEST_F(SlashingDbFile, UnknownSchemaVersionFailsClosed) {
  ASSERT_TRUE(SlashingDb::open(path_, root(1)));
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &raw), SQLITE_OK);
  ASSERT_EQ(
      sqlite3_exec(raw, "UPDATE metadata SET value=3 WHERE key='schema_version'", nullptr, nullptr, nullptr),
      SQLITE_OK);
  sqlite3_close(raw);
  auto db = SlashingDb::open(path_, root(1));
  ASSERT_FALSE(db);
  EXPECT_EQ(db.error(), err(SlashingError::kStorage));
}

TEST_F(SlashingDbFile, SchemaVersionOneIsUpgradedKeepingItsDecisions) {
  {
    auto db = SlashingDb::open(path_, root(1));
    ASSERT_TRUE(db);
    ASSERT_TRUE(db->check_and_record_block(pubkey(1), Slot{10}, root(1)));
  }
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &raw), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(raw, "DROP TABLE watermarks; UPDATE metadata SET value=1 WHERE key='schema_version'",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(raw);
  {
    auto db = SlashingDb::open(path_, root(1));
    ASSERT_TRUE(db) << db.error().message();
    EXPECT_EQ(db->check_and_record_block(pubkey(1), Slot{9}, root(2)).error(),
              err(SlashingError::kBelowSlotWatermark));
    EXPECT_EQ(db->check_and_record_block(pubkey(1), Slot{10}, root(2)).error(),
              err(SlashingError::kDoubleProposal));
  }
  ASSERT_EQ(sqlite3_open(path_.c_str(), &raw), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(
      sqlite3_prepare_v2(raw, "SELECT value FROM metadata WHERE key='schema_version'", -1, &st, nullptr),
      SQLITE_OK);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int64(st, 0), 2);
  sqlite3_finalize(st);
  sqlite3_close(raw);
}

TEST_F(SlashingDbFile, ReadsTheRootOfAnExistingDatabaseOnly) {
  auto none = SlashingDb::read_genesis_validators_root(path_);
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->has_value());
  EXPECT_FALSE(fs::exists(path_)) << "reading must not create the database";
  ASSERT_TRUE(SlashingDb::open(path_, root(0x42)));
  auto some = SlashingDb::read_genesis_validators_root(path_);
  ASSERT_TRUE(some && some->has_value());
  EXPECT_EQ(**some, root(0x42));
  {
    std::ofstream f(dir_ / "garbage", std::ios::binary);
    for (int i = 0; i < 8192; ++i) f.put(static_cast<char>(i * 37));
  }
  auto bad = SlashingDb::read_genesis_validators_root(dir_ / "garbage");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error(), err(SlashingError::kStorage));
  std::ofstream(dir_ / "empty").close();  // SQLite opens an empty file as an empty database: no metadata
  EXPECT_FALSE(SlashingDb::read_genesis_validators_root(dir_ / "empty"));
}

TEST_F(SlashingDbFile, GarbageFileFailsClosedOnOpen) {
  {
    std::ofstream f(path_, std::ios::binary);
    for (int i = 0; i < 8192; ++i) f.put(static_cast<char>(i * 37));
  }
  auto db = SlashingDb::open(path_, root(1));
  ASSERT_FALSE(db);
  EXPECT_EQ(db.error(), err(SlashingError::kStorage));
}

TEST_F(SlashingDbFile, CorruptedPagesFailClosed) {
  {
    auto db = SlashingDb::open(path_, root(1));
    ASSERT_TRUE(db);
    for (std::uint64_t s = 1; s <= 2000; ++s)
      ASSERT_TRUE(db->check_and_record_block(pubkey(1), Slot{s}, root(1)));
  }
  {
    // Checkpoint happened at close; scribble over everything after the 100-byte header.
    std::fstream f(path_, std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(100);
    for (int i = 0; i < 60000; ++i) f.put(static_cast<char>(0xA5));
  }
  auto db = SlashingDb::open(path_, root(1));
  if (db) {
    // If open got through, every check must still fail closed rather than report "safe".
    EXPECT_FALSE(db->check_and_record_block(pubkey(1), Slot{5000}, root(1)));
  } else {
    EXPECT_EQ(db.error(), err(SlashingError::kStorage));
  }
}

TEST_F(SlashingDbFile, DirectoryInsteadOfFileFailsClosed) {
  fs::create_directories(path_);
  auto db = SlashingDb::open(path_, root(1));
  ASSERT_FALSE(db);
  EXPECT_EQ(db.error(), err(SlashingError::kStorage));
}

TEST_F(SlashingDbFile, LockHeldByAnotherWriterFailsClosed) {
  auto db = SlashingDb::open(path_, root(1));
  ASSERT_TRUE(db);
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr), SQLITE_OK);
  auto v = db->check_and_record_block(pubkey(1), Slot{1}, root(1));
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error(), err(SlashingError::kStorage));
  auto a = db->check_and_record_attestation(pubkey(1), Epoch{1}, Epoch{2}, root(1));
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error(), err(SlashingError::kStorage));
  sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(other);
  // Once the lock is gone the store works again and nothing was half-recorded.
  auto ok = db->check_and_record_block(pubkey(1), Slot{1}, root(1));
  ASSERT_TRUE(ok);
  EXPECT_EQ(*ok, Verdict::kNew);
}

TEST_F(SlashingDbFile, ReadOnlyFileFailsClosed) {
  {
    auto db = SlashingDb::open(path_, root(1));
    ASSERT_TRUE(db);
    ASSERT_TRUE(db->check_and_record_block(pubkey(1), Slot{1}, root(1)));
  }
  fs::permissions(path_, fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
  fs::permissions(dir_, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                            fs::perms::others_read | fs::perms::others_exec);
  // Root ignores file permissions, so the check runs in a child process that drops to user "nobody".
  // Child exit codes: 0 fail-closed as required, 1 reported safe, 2 could not drop privileges.
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (::geteuid() == 0 && (::setgid(65534) != 0 || ::setuid(65534) != 0)) ::_exit(2);
    auto db = SlashingDb::open(path_, root(1));
    if (!db) ::_exit(db.error() == err(SlashingError::kStorage) ? 0 : 1);
    auto v = db->check_and_record_block(pubkey(1), Slot{2}, root(1));
    ::_exit(!v && v.error() == err(SlashingError::kStorage) ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  if (WEXITSTATUS(status) == 2) GTEST_SKIP() << "cannot drop privileges to test a read-only file";
  EXPECT_EQ(WEXITSTATUS(status), 0) << "a read-only database must fail closed";
}

TEST(SlashingDb, BatchIsOneTransactionAndSeesEarlierRequests) {
  auto db = SlashingDb::open_in_memory(root(1));
  ASSERT_TRUE(db);
  std::vector<AttestationRequest> reqs{
      {pubkey(1), Epoch{1}, Epoch{2}, root(1)}, {pubkey(2), Epoch{1}, Epoch{2}, root(1)},
      {pubkey(1), Epoch{1}, Epoch{2}, root(2)},  // double vote against the first request
      {pubkey(1), Epoch{1}, Epoch{2}, root(1)},  // repeat of the first
      {pubkey(1), Epoch{0}, Epoch{3}, root(3)},  // surrounds the first
  };
  auto out = db->check_and_record_attestations(reqs);
  ASSERT_TRUE(out);
  ASSERT_EQ(out->size(), 5u);
  EXPECT_EQ(*(*out)[0], Verdict::kNew);
  EXPECT_EQ(*(*out)[1], Verdict::kNew);
  EXPECT_EQ((*out)[2].error(), err(SlashingError::kDoubleVote));
  EXPECT_EQ(*(*out)[3], Verdict::kRepeat);
  EXPECT_EQ((*out)[4].error(), err(SlashingError::kSurroundingVote));
}

TEST(SlashingDb, RefusalsAndRepeatsRecordNothing) {
  auto db = SlashingDb::open_in_memory(root(1));
  ASSERT_TRUE(db);
  ASSERT_TRUE(db->check_and_record_block(pubkey(1), Slot{10}, root(1)));
  ASSERT_TRUE(db->check_and_record_attestation(pubkey(1), Epoch{3}, Epoch{4}, root(1)));
  auto before = db->export_interchange();
  ASSERT_TRUE(before);
  EXPECT_FALSE(db->check_and_record_block(pubkey(1), Slot{10}, root(2)));
  EXPECT_FALSE(db->check_and_record_block(pubkey(1), Slot{9}, root(2)));
  EXPECT_FALSE(db->check_and_record_attestation(pubkey(1), Epoch{2}, Epoch{5}, root(2)));
  EXPECT_FALSE(db->check_and_record_attestation(pubkey(1), Epoch{3}, Epoch{4}, root(2)));
  EXPECT_TRUE(db->check_and_record_block(pubkey(1), Slot{10}, root(1)));
  EXPECT_TRUE(db->check_and_record_attestation(pubkey(1), Epoch{3}, Epoch{4}, root(1)));
  auto after = db->export_interchange();
  ASSERT_TRUE(after);
  EXPECT_EQ(*before, *after);
  // A refused surround does not become a record that would block the honest next vote.
  EXPECT_TRUE(db->check_and_record_attestation(pubkey(1), Epoch{4}, Epoch{5}, root(3)));
}

TEST(SlashingDb, RejectsValuesNotRepresentable) {
  auto db = SlashingDb::open_in_memory(root(1));
  ASSERT_TRUE(db);
  EXPECT_EQ(db->check_and_record_block(pubkey(1), Slot{1ULL << 63}, root(1)).error(),
            err(SlashingError::kValueTooLarge));
  EXPECT_EQ(db->check_and_record_attestation(pubkey(1), Epoch{1}, Epoch{~0ULL}, root(1)).error(),
            err(SlashingError::kValueTooLarge));
  EXPECT_EQ(db->check_and_record_attestation(pubkey(1), Epoch{3}, Epoch{2}, root(1)).error(),
            err(SlashingError::kSourceAfterTarget));
}

const char* kPk1 =
    "0xa99a76ed7796f7be22d5b7e85deeb7c5677e88e511e0b337618f8c4eb61349b4bf2d153f649f7b53359fe8b94a38e44c";

std::string doc(const std::string& gvr, const std::string& data, const std::string& version = "5") {
  return R"({"metadata":{"interchange_format_version":")" + version + R"(","genesis_validators_root":")" +
         gvr + R"("},"data":)" + data + "}";
}
const std::string kZero = "0x" + std::string(64, '0');

TEST(SlashingInterchange, StrictParserNamesTheProblem) {
  auto with_block = [](const std::string& b) {
    return doc(kZero, std::string(R"([{"pubkey":")") + kPk1 + R"(","signed_blocks":[)" + b +
                          R"(],"signed_attestations":[]}])");
  };
  EXPECT_TRUE(parse_interchange(with_block(R"({"slot":"1"})")));
  struct Bad {
    std::string json;
    std::string path;
  };
  std::vector<Bad> bad{
      {with_block(R"({"slot":1})"), "slot"},
      {with_block(R"({"slot":"01"})"), "slot"},
      {with_block(R"({"slot":"-1"})"), "slot"},
      {with_block(R"({"slot":"9223372036854775808"})"), "slot"},
      {with_block(R"({"slot":"1","extra":1})"), "extra"},
      {with_block(R"({"slot":"1","signing_root":"0x12"})"), "signing_root"},
      {with_block(R"({})"), "slot"},
      {doc("0x12", "[]"), "genesis_validators_root"},
      {doc(kZero, "{}"), "data"},
      {"{", "$"},
      {"[]", "$"},
  };
  for (const auto& b : bad) {
    auto r = parse_interchange(b.json);
    ASSERT_FALSE(r) << b.json;
    EXPECT_NE(r.error().detail.find(b.path), std::string::npos) << r.error().detail;
  }
  auto v4 = parse_interchange(doc(kZero, "[]", "4"));
  ASSERT_FALSE(v4);
  EXPECT_EQ(v4.error().code, SlashingError::kUnsupportedVersion);
}

TEST(SlashingInterchange, ImportRefusesAnotherChain) {
  auto db = SlashingDb::open_in_memory(root(1));
  ASSERT_TRUE(db);
  auto r = db->import_interchange(doc(kZero, "[]"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, SlashingError::kWrongGenesis);
}

TEST(SlashingInterchange, ImportMergesAndSetsWatermarks) {
  auto db = SlashingDb::open_in_memory(Root{});
  ASSERT_TRUE(db);
  const std::string data = std::string(R"([{"pubkey":")") + kPk1 +
                           R"(","signed_blocks":[{"slot":"40"}],"signed_attestations":[{"source_epoch":"10",)"
                           R"("target_epoch":"20"}]}])";
  auto first = db->import_interchange(doc(kZero, data));
  ASSERT_TRUE(first) << first.error().detail;
  EXPECT_EQ(first->validators, 1u);
  EXPECT_EQ(first->blocks_inserted, 1u);
  EXPECT_EQ(first->attestations_inserted, 1u);
  auto again = db->import_interchange(doc(kZero, data));  // idempotent
  ASSERT_TRUE(again);
  EXPECT_EQ(again->blocks_inserted, 0u);
  EXPECT_EQ(again->attestations_inserted, 0u);
  auto pk = *from_hex_fixed<48>(kPk1);
  EXPECT_EQ(db->check_and_record_block(pk, Slot{39}, root(1)).error(),
            err(SlashingError::kBelowSlotWatermark));
  EXPECT_EQ(db->check_and_record_block(pk, Slot{40}, root(1)).error(), err(SlashingError::kDoubleProposal));
  EXPECT_TRUE(db->check_and_record_block(pk, Slot{41}, root(1)));
  EXPECT_EQ(db->check_and_record_attestation(pk, Epoch{9}, Epoch{25}, root(1)).error(),
            err(SlashingError::kSurroundingVote));
  EXPECT_EQ(db->check_and_record_attestation(pk, Epoch{9}, Epoch{19}, root(1)).error(),
            err(SlashingError::kBelowSourceWatermark));
  EXPECT_EQ(db->check_and_record_attestation(pk, Epoch{10}, Epoch{19}, root(1)).error(),
            err(SlashingError::kBelowTargetWatermark));
  EXPECT_TRUE(db->check_and_record_attestation(pk, Epoch{20}, Epoch{21}, root(1)));
}

// EIP-3076 leaves the merge of an older interchange into a newer history open; here an import must never make
// a slot or epoch signable that was refused before it (a lower watermark never replaces a higher one), while
// the older records still take part in the double-vote and surround checks.
TEST_F(SlashingDbFile, ImportNeverLowersAWatermark) {
  auto pk = *from_hex_fixed<48>(kPk1);
  {
    auto db = SlashingDb::open(path_, Root{});
    ASSERT_TRUE(db);
    ASSERT_TRUE(db->check_and_record_block(pk, Slot{100}, root(1)));
    ASSERT_TRUE(db->check_and_record_attestation(pk, Epoch{10}, Epoch{20}, root(1)));
    const std::string older =
        std::string(R"([{"pubkey":")") + kPk1 +
        R"(","signed_blocks":[{"slot":"50"}],"signed_attestations":[)"
        R"({"source_epoch":"5","target_epoch":"8"},{"source_epoch":"12","target_epoch":"15"}]}])";
    auto r = db->import_interchange(doc(kZero, older));
    ASSERT_TRUE(r) << r.error().detail;
    EXPECT_EQ(r->blocks_inserted, 1u);
    EXPECT_EQ(r->attestations_inserted, 2u);
    // A second, even older import keeps the first pin.
    const std::string oldest = std::string(R"([{"pubkey":")") + kPk1 +
                               R"(","signed_blocks":[{"slot":"1"}],"signed_attestations":[)"
                               R"({"source_epoch":"0","target_epoch":"1"}]}])";
    ASSERT_TRUE(db->import_interchange(doc(kZero, oldest)));
  }
  auto db = SlashingDb::open(path_, Root{});  // the pins are durable
  ASSERT_TRUE(db);
  for (std::uint64_t s : {2u, 51u, 99u})
    EXPECT_EQ(db->check_and_record_block(pk, Slot{s}, root(2)).error(),
              err(SlashingError::kBelowSlotWatermark))
        << s;
  EXPECT_EQ(db->check_and_record_block(pk, Slot{100}, root(2)).error(), err(SlashingError::kDoubleProposal));
  EXPECT_TRUE(db->check_and_record_block(pk, Slot{101}, root(2)));
  struct Refused {
    std::uint64_t source, target;
    SlashingError why;
  };
  for (const auto& [source, target, why] : {
           Refused{9, 21, SlashingError::kSurroundingVote},  // surrounds the own (10, 20)
           Refused{6, 9, SlashingError::kBelowSourceWatermark},
           Refused{10, 14, SlashingError::kBelowTargetWatermark},
           // The imported (12, 15) is below the pinned target watermark but still counts: (11, 21) surrounds
           // it.
           Refused{11, 21, SlashingError::kSurroundingVote},
       }) {
    auto v = db->check_and_record_attestation(pk, Epoch{source}, Epoch{target}, root(2));
    ASSERT_FALSE(v) << source << "->" << target;
    EXPECT_EQ(v.error(), err(why)) << source << "->" << target;
  }
  EXPECT_TRUE(db->check_and_record_attestation(pk, Epoch{20}, Epoch{21}, root(2)));
}

TEST(SlashingInterchange, DuplicateEntriesOfANewValidatorSetTheDocumentsMinima) {
  auto db = SlashingDb::open_in_memory(Root{});
  ASSERT_TRUE(db);
  const std::string entry40 =
      std::string(R"({"pubkey":")") + kPk1 + R"(","signed_blocks":[{"slot":"40"}],"signed_attestations":[]})";
  const std::string entry20 =
      std::string(R"({"pubkey":")") + kPk1 + R"(","signed_blocks":[{"slot":"20"}],"signed_attestations":[]})";
  ASSERT_TRUE(db->import_interchange(doc(kZero, "[" + entry40 + "," + entry20 + "]")));
  auto pk = *from_hex_fixed<48>(kPk1);
  EXPECT_EQ(db->check_and_record_block(pk, Slot{20}, root(1)).error(), err(SlashingError::kDoubleProposal));
  EXPECT_TRUE(db->check_and_record_block(pk, Slot{21}, root(1)));  // one document: its minimum, 20, counts
}

TEST(SlashingInterchange, ExportRoundTripsThroughAnotherDatabase) {
  auto a = SlashingDb::open_in_memory(root(7));
  ASSERT_TRUE(a);
  ASSERT_TRUE(a->check_and_record_block(pubkey(1), Slot{5}, root(1)));
  ASSERT_TRUE(a->check_and_record_block(pubkey(1), Slot{9}, root(2)));
  ASSERT_TRUE(a->check_and_record_attestation(pubkey(1), Epoch{1}, Epoch{2}, root(3)));
  ASSERT_TRUE(a->check_and_record_attestation(pubkey(2), Epoch{0}, Epoch{1}, root(4)));
  auto json = a->export_interchange();
  ASSERT_TRUE(json);
  auto parsed = parse_interchange(*json);
  ASSERT_TRUE(parsed) << parsed.error().detail;
  ASSERT_EQ(parsed->data.size(), 2u);
  EXPECT_EQ(parsed->genesis_validators_root, root(7));
  EXPECT_EQ(parsed->data[0].signed_blocks.size(), 2u);
  EXPECT_EQ(parsed->data[0].signed_blocks[1].signing_root, root(2));

  auto b = SlashingDb::open_in_memory(root(7));
  ASSERT_TRUE(b);
  ASSERT_TRUE(b->import_interchange(*json));
  // The same decisions are made by the importing node, including re-signs of the identical root.
  EXPECT_EQ(*b->check_and_record_block(pubkey(1), Slot{9}, root(2)), Verdict::kRepeat);
  EXPECT_EQ(b->check_and_record_block(pubkey(1), Slot{9}, root(3)).error(),
            err(SlashingError::kDoubleProposal));
  EXPECT_EQ(b->check_and_record_attestation(pubkey(2), Epoch{0}, Epoch{1}, root(5)).error(),
            err(SlashingError::kDoubleVote));
  auto json2 = b->export_interchange();
  ASSERT_TRUE(json2);
  EXPECT_EQ(*json, *json2);
}

}  // namespace
}  // namespace phx::slashing
