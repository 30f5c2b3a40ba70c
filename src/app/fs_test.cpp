#include <gtest/gtest.h>
#include <sys/stat.h>

#include "app/cluster_setup.hpp"
#include "app/fs.hpp"
#include "app/lock_cache.hpp"

namespace phx::app {
namespace {

std::filesystem::path temp_dir() {
  auto d = std::filesystem::temp_directory_path() / ("phx-fs-test-" + std::to_string(::getpid()));
  std::filesystem::remove_all(d);
  return d;
}

TEST(Fs, WritesAtomicallyWithTheRequestedModeAndRefusesToOverwrite) {
  auto dir = temp_dir();
  auto p = dir / "sub" / "secret";
  ASSERT_TRUE(write_file_atomic(p, as_bytes("abc"), 0600, false));
  struct stat st {};
  ASSERT_EQ(::stat(p.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(*read_file(p), Bytes({'a', 'b', 'c'}));
  auto again = write_file_atomic(p, as_bytes("xyz"), 0600, false);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error(), make_error_code(FsError::kExists));
  EXPECT_EQ(*read_file(p), Bytes({'a', 'b', 'c'}));  // nothing lost
  ASSERT_TRUE(write_file_atomic(p, as_bytes("xyz"), 0400, true));
  EXPECT_EQ(*read_file(p), Bytes({'x', 'y', 'z'}));
  ASSERT_EQ(::stat(p.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0400u);
  size_t entries = 0;
  for ([[maybe_unused]] auto& e : std::filesystem::directory_iterator(dir / "sub")) ++entries;
  EXPECT_EQ(entries, 1u);  // no temp files left behind
  std::filesystem::remove_all(dir);
}

TEST(Fs, ReadReportsMissingAndOversizedFiles) {
  auto dir = temp_dir();
  EXPECT_EQ(read_file(dir / "none").error(), make_error_code(FsError::kNotFound));
  ASSERT_TRUE(write_file_atomic(dir / "big", Bytes(100, 1), 0644, false));
  EXPECT_EQ(read_file(dir / "big", 99).error(), make_error_code(FsError::kTooLarge));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace phx::app

namespace phx::app {
namespace {

TEST(Fs, DataDirLockIsExclusiveAndReleasedWithItsOwner) {
  const auto dir = std::filesystem::temp_directory_path() / ("phx_dirlock_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  {
    auto first = DataDirLock::acquire(dir / "data");  // creates the folder
    ASSERT_TRUE(first) << first.error().message();
    EXPECT_TRUE(std::filesystem::exists(dir / "data" / "phalanx.lock"));
    auto second = DataDirLock::acquire(dir / "data");
    ASSERT_FALSE(second);
    EXPECT_EQ(second.error(), make_error_code(FsError::kLocked));
    DataDirLock moved = std::move(*first);  // the lock travels with the object
    EXPECT_FALSE(DataDirLock::acquire(dir / "data"));
  }
  EXPECT_TRUE(DataDirLock::acquire(dir / "data"));
  std::filesystem::remove_all(dir);
}

TEST(LockCache, SkipsOnlyTheSameBytesAndWritesAPrivateMarker) {
  auto dir = temp_dir() / "data";
  const std::string lock = R"({"lock_hash":"0x01"})";
  EXPECT_FALSE(lock_verified_before(dir, as_bytes(lock)));  // no marker, no data dir yet
  ASSERT_TRUE(record_lock_verified(dir, as_bytes(lock)));
  EXPECT_TRUE(lock_verified_before(dir, as_bytes(lock)));
  struct stat st {};
  ASSERT_EQ(::stat((dir / kLockVerifiedFile).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  // One byte more (a signature edited, a space added) is another lock: verified again.
  EXPECT_FALSE(lock_verified_before(dir, as_bytes(lock + " ")));
  // A marker of another version of the rules, or garbage, does not count.
  ASSERT_TRUE(write_file_atomic(dir / kLockVerifiedFile, as_bytes("phalanx lock-verified v0\nsha256 00\n"), 0600, true));
  EXPECT_FALSE(lock_verified_before(dir, as_bytes(lock)));
  const std::string big(4096, 'x');
  ASSERT_TRUE(write_file_atomic(dir / kLockVerifiedFile, as_bytes(big), 0600, true));
  EXPECT_FALSE(lock_verified_before(dir, as_bytes(lock)));
  // The marker is replaced for a new lock.
  ASSERT_TRUE(record_lock_verified(dir, as_bytes(lock + " ")));
  EXPECT_TRUE(lock_verified_before(dir, as_bytes(lock + " ")));
  EXPECT_FALSE(lock_verified_before(dir, as_bytes(lock)));
  std::filesystem::remove_all(temp_dir());
}

// The lock file's cap at its call site (`phalanx run`): above 64 MiB it is refused naming the flag and the file,
// before anything is read into memory (a sparse file here); under it, a file that is no lock names the file too.
TEST(LockFile, AboveTheCapIsRefusedNamingTheFile) {
  auto dir = temp_dir();
  std::filesystem::create_directories(dir);
  NodeConfig cfg;
  cfg.lock_file = dir / "cluster-lock.json";
  cfg.data_dir = dir / "data";
  ASSERT_TRUE(write_file_atomic(cfg.lock_file, as_bytes(std::string("{}")), 0644, true));
  std::filesystem::resize_file(cfg.lock_file, kMaxLockFileSize + 1);
  auto big = load_lock(cfg);
  ASSERT_FALSE(big.has_value());
  EXPECT_NE(big.error().find("--lock-file: cannot read " + cfg.lock_file.string()), std::string::npos) << big.error();
  std::filesystem::resize_file(cfg.lock_file, 2);
  auto not_a_lock = load_lock(cfg);
  ASSERT_FALSE(not_a_lock.has_value());
  EXPECT_NE(not_a_lock.error().find(cfg.lock_file.string()), std::string::npos) << not_a_lock.error();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace phx::app
