#pragma once
/// File helpers for the composition root and the CLI: atomic writes with explicit modes, bounded reads.
#include <filesystem>
#include <string>

#include "base/bytes.hpp"
#include "base/secret.hpp"
#include "crypto/k1/k1.hpp"

namespace phx::app {

enum class FsError { kOk = 0, kExists, kWriteFailed, kReadFailed, kTooLarge, kNotFound, kLocked };
const char* to_string(FsError e);
PHX_ERROR_ENUM(FsError, "fs")

/// Writes `data` to `path` atomically (temp file in the same folder, fsync, rename) with permission `mode`
/// (e.g. 0600 for secrets). Refuses to replace an existing file unless `overwrite`. Creates parent folders
/// (0700).
Result<void> write_file_atomic(const std::filesystem::path& path, ByteSpan data, unsigned mode, bool overwrite);

/// The largest cluster lock any command reads: a 10,000-validator lock is ~18 MB (deposit data and builder
/// registrations per validator), so 64 MiB leaves room for ~35,000.
inline constexpr std::size_t kMaxLockFileSize = 64u << 20;

/// Reads a whole file of at most `max_size` bytes.
Result<Bytes> read_file(const std::filesystem::path& path, std::size_t max_size = 16u << 20);

/// Reads Charon's `charon-enr-private-key` (64 hex digits, optional trailing newline) as a secp256k1 key; the
/// file's bytes and the hex text are zeroized. Errors: the file's, or the hex / key decoding error.
Result<crypto::k1::SecretKey> read_operator_key(const std::filesystem::path& path);

/// An exclusive advisory lock (flock) on `DIR/phalanx.lock`: `phalanx run` holds it on its data directory for
/// its whole life, and the operator commands that must not run beside a node (`phalanx slashing import/export`)
/// take it too. The kernel drops it when the process ends, so a crash leaves no stale lock behind. Move-only.
class DataDirLock {
 public:
  /// Creates `dir` (0700) if absent and takes the lock without waiting. Errors: kLocked when another process
  /// holds it; kWriteFailed when the folder or the lock file cannot be created.
  static Result<DataDirLock> acquire(const std::filesystem::path& dir);
  DataDirLock(DataDirLock&& o) noexcept;
  DataDirLock& operator=(DataDirLock&& o) noexcept;
  DataDirLock(const DataDirLock&) = delete;
  DataDirLock& operator=(const DataDirLock&) = delete;
  ~DataDirLock();

 private:
  explicit DataDirLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace phx::app

PHX_ERROR_ENUM_TRAIT(phx::app::FsError)
