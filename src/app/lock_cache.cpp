// The lock-verification marker (DATA_DIR/lock-verified): skip re-verifying the same lock bytes at restart.
#include "app/lock_cache.hpp"

#include <sys/stat.h>

#include "app/fs.hpp"
#include "crypto/hash/sha256.hpp"

namespace phx::app {
namespace {
/// Bumped whenever cluster::verify_lock checks something new, so older markers do not skip the new check.
constexpr const char* kRulesVersion = "phalanx lock-verified v1 (verify_lock: hashes, operator signatures, public "
                                      "shares, signature_aggregate, builder registrations, deposit data, node signatures)";
}  // namespace

std::string lock_verified_marker(ByteSpan lock_bytes) {
  const auto digest = crypto::hash::sha256(lock_bytes);
  return std::string(kRulesVersion) + "\nsha256 " + to_hex(digest) + "\n";
}

bool lock_verified_before(const std::filesystem::path& data_dir, ByteSpan lock_bytes) {
  auto raw = read_file(data_dir / kLockVerifiedFile, 1024);
  if (!raw) return false;
  const std::string want = lock_verified_marker(lock_bytes);
  return raw->size() == want.size() && std::equal(raw->begin(), raw->end(), want.begin());
}

Result<void, std::string> record_lock_verified(const std::filesystem::path& data_dir, ByteSpan lock_bytes) {
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  if (ec) return std::unexpected("cannot create " + data_dir.string() + ": " + ec.message());
  ::chmod(data_dir.c_str(), 0700);
  const auto path = data_dir / kLockVerifiedFile;
  const std::string text = lock_verified_marker(lock_bytes);
  if (auto w = write_file_atomic(path, as_bytes(text), 0600, true); !w)
    return std::unexpected(path.string() + ": " + w.error().message());
  return {};
}

}  // namespace phx::app
