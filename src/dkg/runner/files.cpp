// Data-directory preflight, synced atomic writes, keystores and publication of the staged artifacts.
#include "dkg/runner/files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "crypto/hash/random.hpp"
#include "crypto/keystore/eip2335.hpp"

namespace phx::dkg::runner {
namespace fs = std::filesystem;

namespace {

bool is_artifact(const std::string& name) {
  return name == "cluster-lock.json" || name == kTranscriptFile ||
         (name.rfind("deposit-data", 0) == 0 && name.size() > 5 && name.substr(name.size() - 5) == ".json");
}

bool fsync_path(const fs::path& p, bool dir) {
  int fd = ::open(p.c_str(), (dir ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = ::fsync(fd) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

Preflight preflight_data_dir(const fs::path& dir, std::uint64_t need_bytes) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return {PreflightCode::kNotWritable, dir.string() + " is not a folder"};
  const fs::path probe = dir / ".phalanx-dkg-probe";
  int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0 || ::write(fd, "x", 1) != 1 || ::fsync(fd) != 0) {
    const std::string why = std::strerror(errno);
    if (fd >= 0) ::close(fd);
    ::unlink(probe.c_str());
    return {PreflightCode::kNotWritable, "cannot write to " + dir.string() + ": " + why};
  }
  ::close(fd);
  ::unlink(probe.c_str());
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (is_artifact(name)) return {PreflightCode::kArtifactsExist, name + " exists in the data directory"};
    if (name == "validator_keys" && !fs::is_empty(e.path(), ec))
      return {PreflightCode::kArtifactsExist,
              "validator_keys/ exists in the data directory and is not empty"};
  }
  struct statvfs sv {};
  if (::statvfs(dir.c_str(), &sv) == 0) {
    const std::uint64_t free_bytes = std::uint64_t{sv.f_bavail} * sv.f_frsize;
    if (free_bytes < need_bytes)
      return {PreflightCode::kDiskSpace, std::to_string(free_bytes >> 20) +
                                             " MiB free in the data directory, " +
                                             std::to_string((need_bytes >> 20) + 1) + " MiB needed"};
  }
  return {};
}

std::uint64_t estimate_disk_need(std::uint32_t n, std::uint32_t t, std::uint32_t validators,
                                 std::uint32_t roots) {
  const std::uint64_t per_validator = std::uint64_t{n} * (48ull * t + 80 + 32ull * n + 96ull * (roots + 1));
  return 2 * per_validator * validators + 4096ull * validators + (1u << 20);
}

Result<void, std::string> write_file_synced(const fs::path& path, ByteSpan data, unsigned mode, bool sync) {
  std::error_code ec;
  const fs::path dir = path.parent_path();
  if (!dir.empty()) {
    if (!fs::is_directory(dir, ec)) {
      fs::create_directories(dir, ec);
      if (ec) return std::unexpected(dir.string() + ": " + ec.message());
      fs::permissions(dir, fs::perms::owner_all, ec);  // 0700: it may hold keystores
    }
  }
  ByteArray<8> rnd{};
  crypto::hash::random_bytes(rnd);
  fs::path tmp = path;
  tmp += ".tmp-" + to_hex(rnd, false);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, static_cast<mode_t>(mode));
  if (fd < 0) return std::unexpected(path.string() + ": " + std::strerror(errno));
  bool ok = ::fchmod(fd, static_cast<mode_t>(mode)) == 0;  // the umask must not change the mode
  for (std::size_t off = 0; ok && off < data.size();) {
    auto n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0)
      ok = false;
    else
      off += static_cast<std::size_t>(n);
  }
  ok = ok && (!sync || ::fsync(fd) == 0);
  const int saved = errno;
  ok = ::close(fd) == 0 && ok;
  ok = ok && ::rename(tmp.c_str(), path.c_str()) == 0 && (!sync || fsync_path(dir.empty() ? "." : dir, true));
  if (!ok) {
    ::unlink(tmp.c_str());
    return std::unexpected(path.string() + ": " + std::strerror(saved ? saved : errno));
  }
  return {};
}

Result<void, std::string> write_keystores(const fs::path& dir, std::span<const crypto::bls::SecretKey> keys,
                                          bool insecure, crypto::keystore::Kdf kdf) {
  crypto::keystore::EncryptOptions o;
  o.kdf = kdf;
  if (insecure) {
    o.kdf = crypto::keystore::Kdf::kScrypt;
    o.cost = 16;  // scrypt N = 16: test clusters only
  }
  std::vector<std::string> passwords;
  std::vector<crypto::keystore::EncryptJob> jobs;
  passwords.reserve(keys.size());
  for (std::size_t i = 0; i < keys.size(); ++i) {
    ByteArray<16> raw{};
    crypto::hash::random_bytes(raw);
    passwords.push_back(to_hex(raw, false));
    secure_zero(raw.data(), raw.size());
  }
  for (std::size_t i = 0; i < keys.size(); ++i) jobs.push_back(crypto::keystore::EncryptJob{&keys[i], passwords[i]});
  auto jsons = crypto::keystore::encrypt_all(jobs, o, 0);
  Result<void, std::string> out;
  for (std::size_t n = 0; n < keys.size(); ++n) {
    const fs::path base = dir / ("keystore-" + std::to_string(n));
    if (out && !jsons[n]) out = std::unexpected("keystore " + std::to_string(n) + ": " + jsons[n].error().message());
    if (out) out = write_file_synced(fs::path(base.string() + ".json"), as_bytes(*jsons[n]), 0600, false);
    if (out) out = write_file_synced(fs::path(base.string() + ".txt"), as_bytes(passwords[n]), 0400, false);
    secure_zero(passwords[n].data(), passwords[n].size());
    if (jsons[n]) secure_zero(jsons[n]->data(), jsons[n]->size());
  }
  return out;
}

Result<void, std::string> sync_file_system(const fs::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return std::unexpected(path.string() + ": " + std::strerror(errno));
  const bool ok = ::syncfs(fd) == 0;
  const int saved = errno;
  ::close(fd);
  if (!ok) return std::unexpected(path.string() + ": syncfs: " + std::strerror(saved));
  return {};
}

Result<void, std::string> publish_artifacts(const fs::path& stage, const fs::path& data_dir) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(stage, ec)) {
    const fs::path target = data_dir / e.path().filename();
    std::error_code ec2;
    if (e.path().filename() == "validator_keys" && fs::is_directory(target, ec2) && fs::is_empty(target, ec2))
      fs::remove(target, ec2);
    if (::rename(e.path().c_str(), target.c_str()) != 0)
      return std::unexpected("cannot move " + e.path().string() + " to " + target.string() + ": " +
                             std::strerror(errno));
  }
  if (ec) return std::unexpected(stage.string() + ": " + ec.message());
  if (!fsync_path(data_dir, true)) return std::unexpected(data_dir.string() + ": fsync failed");
  return {};
}

}  // namespace phx::dkg::runner
