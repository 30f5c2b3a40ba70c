#pragma once
/// File helpers for the composition root and the CLI: atomic writes with explicit modes, bounded reads.
#include <filesystem>
#include <string>

#include "base/bytes.hpp"
#include "base/secret.hpp"
#include "crypto/k1/k1.hpp"

namespace phx::app {

enum class FsError { kOk = 0, kExists, kWriteFailed, kReadFailed, kTooLarge, kNotFound };
const char* to_string(FsError e);
PHX_ERROR_ENUM(FsError, "fs")

/// Writes `data` to `path` atomically (temp file in the same folder, fsync, rename) with permission `mode`
/// (e.g. 0600 for secrets). Refuses to replace an existing file unless `overwrite`. Creates parent folders
/// (0700).
Result<void> write_file_atomic(const std::filesystem::path& path, ByteSpan data, unsigned mode, bool overwrite);

/// Reads a whole file of at most `max_size` bytes.
Result<Bytes> read_file(const std::filesystem::path& path, std::size_t max_size = 16u << 20);

/// Reads Charon's `charon-enr-private-key` (64 hex digits, optional trailing newline) as a secp256k1 key; the
/// file's bytes and the hex text are zeroized. Errors: the file's, or the hex / key decoding error.
Result<crypto::k1::SecretKey> read_operator_key(const std::filesystem::path& path);

}  // namespace phx::app

PHX_ERROR_ENUM_TRAIT(phx::app::FsError)
