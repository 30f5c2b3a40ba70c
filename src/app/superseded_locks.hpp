#pragma once
/// DATA_DIR/superseded-locks.txt: the locks that `phalanx reshare` replaced, which `phalanx run` (and `phalanx
/// exit` standalone) refuse. One line per reshare, "superseded 0x<old lock hash> by 0x<new lock hash> in <new lock
/// file>" (docs/formats/dkg.md).
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "base/bytes.hpp"
#include "base/result.hpp"

namespace phx::app {

/// File in an operator's data directory where `phalanx reshare` records each lock it superseded.
inline constexpr const char* kSupersededLocksFile = "superseded-locks.txt";

/// Appends the line for a reshare of `old_lock_hash` into `new_lock_hash` (written to `new_lock_file`) to
/// `dir`/superseded-locks.txt (atomic rewrite, 0600), unless it is already the last line. The error names the file.
Result<void, std::string> record_superseded_lock(const std::filesystem::path& dir, const Root& old_lock_hash,
                                                 const Root& new_lock_hash,
                                                 const std::filesystem::path& new_lock_file);

/// The first line of a superseded-locks.txt text (untrusted: any bytes) that records a reshare of `lock_hash`,
/// or nullopt. Lines that are not of the recorded form are ignored.
std::optional<std::string> find_superseding(std::string_view text, const Root& lock_hash);

/// Refuses a lock that a reshare superseded: an error naming the new lock when `dir`/superseded-locks.txt has
/// a line for `lock_hash`; a missing file means none. Lines that are not of that form are ignored.
Result<void, std::string> check_not_superseded(const std::filesystem::path& dir, const Root& lock_hash);

}  // namespace phx::app
