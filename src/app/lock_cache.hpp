#pragma once
/// The lock-verification marker: DATA_DIR/lock-verified records the SHA-256 of a cluster-lock file that passed
/// cluster::verify_lock, so a restart on the same bytes skips the ~17 s of BLS checks a 10,000-validator lock needs
/// (docs/formats/lock-verified.md).
#include <filesystem>
#include <string>

#include "base/bytes.hpp"
#include "base/result.hpp"

namespace phx::app {

/// The marker's file name inside the data directory.
inline constexpr const char* kLockVerifiedFile = "lock-verified";

/// The marker's text for these lock bytes: a version line (the verification rules of this build) and the
/// SHA-256 of the exact file bytes.
std::string lock_verified_marker(ByteSpan lock_bytes);

/// True when `data_dir`/lock-verified names exactly these lock bytes (and this build's rules). Any other
/// content, a missing or unreadable file, or a file over 1 KiB: false (the caller verifies in full).
bool lock_verified_before(const std::filesystem::path& data_dir, ByteSpan lock_bytes);

/// Writes the marker for these bytes (atomic, 0600; creates `data_dir` 0700). The error names the file.
Result<void, std::string> record_lock_verified(const std::filesystem::path& data_dir, ByteSpan lock_bytes);

}  // namespace phx::app
