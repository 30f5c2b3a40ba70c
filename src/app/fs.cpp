#include "app/fs.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <random>
#include <utility>

namespace phx::app {

const char* to_string(FsError e) {
  switch (e) {
    case FsError::kOk: return "ok";
    case FsError::kExists: return "file already exists (use --force to replace it)";
    case FsError::kWriteFailed: return "could not write file";
    case FsError::kReadFailed: return "could not read file";
    case FsError::kTooLarge: return "file is larger than allowed";
    case FsError::kNotFound: return "file not found";
    case FsError::kLocked: return "locked by another process";
  }
  return "unknown file error";
}

Result<void> write_file_atomic(const std::filesystem::path& path, ByteSpan data, unsigned mode, bool overwrite) {
  std::error_code ec;
  if (!overwrite && std::filesystem::exists(path, ec)) return fail(FsError::kExists);
  auto dir = path.parent_path();
  if (!dir.empty()) {
    std::filesystem::create_directories(dir, ec);
    if (ec) return fail(FsError::kWriteFailed);
  }
  std::random_device rd;
  auto tmp = path;
  tmp += ".tmp-" + std::to_string(rd());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, static_cast<mode_t>(mode));
  if (fd < 0) return fail(FsError::kWriteFailed);
  bool ok = ::fchmod(fd, static_cast<mode_t>(mode)) == 0;  // umask must not widen or narrow the mode
  std::size_t off = 0;
  while (ok && off < data.size()) {
    auto n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) ok = false;
    else off += static_cast<std::size_t>(n);
  }
  ok = ok && ::fsync(fd) == 0;
  ok = (::close(fd) == 0) && ok;
  if (ok && !overwrite) {
    // link() fails if the target appeared meanwhile: no silent replacement.
    ok = ::link(tmp.c_str(), path.c_str()) == 0;
    ::unlink(tmp.c_str());
    if (!ok) return fail(errno == EEXIST ? FsError::kExists : FsError::kWriteFailed);
    return {};
  }
  if (ok) ok = ::rename(tmp.c_str(), path.c_str()) == 0;
  if (!ok) {
    ::unlink(tmp.c_str());
    return fail(FsError::kWriteFailed);
  }
  return {};
}

Result<Bytes> read_file(const std::filesystem::path& path, std::size_t max_size) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return fail(FsError::kNotFound);
  auto size = std::filesystem::file_size(path, ec);
  if (ec) return fail(FsError::kReadFailed);
  if (size > max_size) return fail(FsError::kTooLarge);
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(FsError::kReadFailed);
  Bytes out(size);
  in.read(reinterpret_cast<char*>(out.data()), static_cast<std::streamsize>(size));
  if (!in) return fail(FsError::kReadFailed);
  return out;
}

Result<crypto::k1::SecretKey> read_operator_key(const std::filesystem::path& path) {
  auto raw = read_file(path, 1024);
  if (!raw) return std::unexpected(raw.error());
  std::string text(raw->begin(), raw->end());
  secure_zero(raw->data(), raw->size());
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.pop_back();
  auto bytes = from_hex(text);
  secure_zero(text.data(), text.size());
  if (!bytes) return std::unexpected(bytes.error());
  auto sk = crypto::k1::SecretKey::from_bytes(*bytes);
  secure_zero(bytes->data(), bytes->size());
  return sk;
}

Result<DataDirLock> DataDirLock::acquire(const std::filesystem::path& dir) {
  std::error_code ec;
  if (!std::filesystem::exists(dir, ec)) {
    std::filesystem::create_directories(dir, ec);
    if (ec) return fail(FsError::kWriteFailed);
    ::chmod(dir.c_str(), 0700);
  }
  const auto path = dir / "phalanx.lock";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return fail(FsError::kWriteFailed);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const bool busy = errno == EWOULDBLOCK;
    ::close(fd);
    return fail(busy ? FsError::kLocked : FsError::kWriteFailed);
  }
  return DataDirLock(fd);
}

DataDirLock::DataDirLock(DataDirLock&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
DataDirLock& DataDirLock::operator=(DataDirLock&& o) noexcept {
  std::swap(fd_, o.fd_);
  return *this;
}
DataDirLock::~DataDirLock() {
  if (fd_ >= 0) ::close(fd_);  // closing the last descriptor releases the flock
}

}  // namespace phx::app
