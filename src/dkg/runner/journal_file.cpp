// The sealed, append-only ceremony journal file: AES-256-GCM per record, fsync per outbox.
#include "dkg/runner/journal_file.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "crypto/hash/random.hpp"
#include "crypto/hash/sha256.hpp"

namespace phx::dkg::runner {
namespace {

constexpr std::string_view kMagic = "PHXDKGJ1";
constexpr std::size_t kTag = 16;

struct CtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using Ctx = std::unique_ptr<EVP_CIPHER_CTX, CtxFree>;

std::array<std::uint8_t, 12> nonce_of(std::uint64_t index) {
  std::array<std::uint8_t, 12> n{};
  for (int i = 0; i < 8; ++i)
    n[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(index >> (56 - 8 * i));
  return n;
}

// AAD = header ‖ be64 index: binds each record to its file and position (no reordering or splicing).
std::array<std::uint8_t, kJournalHeaderSize + 8> aad_of(ByteSpan header, std::uint64_t index) {
  std::array<std::uint8_t, kJournalHeaderSize + 8> a{};
  std::memcpy(a.data(), header.data(), kJournalHeaderSize);
  for (std::size_t i = 0; i < 8; ++i)
    a[kJournalHeaderSize + i] = static_cast<std::uint8_t>(index >> (56 - 8 * i));
  return a;
}

Bytes seal(const SecretArray<32>& key, ByteSpan header, std::uint64_t index, ByteSpan plain) {
  Ctx ctx(EVP_CIPHER_CTX_new());
  const auto nonce = nonce_of(index);
  const auto aad = aad_of(header, index);
  Bytes out(plain.size() + kTag);
  int len = 0;
  bool ok =
      ctx &&
      EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key.view().data(), nonce.data()) == 1 &&
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, aad.data(), static_cast<int>(aad.size())) == 1 &&
      EVP_EncryptUpdate(ctx.get(), out.data(), &len, plain.data(), static_cast<int>(plain.size())) == 1 &&
      EVP_EncryptFinal_ex(ctx.get(), out.data() + len, &len) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTag, out.data() + plain.size()) == 1;
  if (!ok) out.clear();
  return out;
}

bool open(const SecretArray<32>& key, ByteSpan header, std::uint64_t index, ByteSpan sealed,
          SecretBytes& plain) {
  if (sealed.size() < kTag) return false;
  Ctx ctx(EVP_CIPHER_CTX_new());
  const auto nonce = nonce_of(index);
  const auto aad = aad_of(header, index);
  const std::size_t n = sealed.size() - kTag;
  plain = SecretBytes(n);
  ByteArray<kTag> tag{};
  std::memcpy(tag.data(), sealed.data() + n, kTag);
  int len = 0;
  return ctx &&
         EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key.view().data(), nonce.data()) == 1 &&
         EVP_DecryptUpdate(ctx.get(), nullptr, &len, aad.data(), static_cast<int>(aad.size())) == 1 &&
         EVP_DecryptUpdate(ctx.get(), plain.mut_view().data(), &len, sealed.data(), static_cast<int>(n)) ==
             1 &&
         EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTag, tag.data()) == 1 &&
         EVP_DecryptFinal_ex(ctx.get(), plain.mut_view().data() + len, &len) == 1;
}

std::uint32_t be32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}

bool write_all(int fd, ByteSpan b) {
  std::size_t off = 0;
  while (off < b.size()) {
    auto n = ::write(fd, b.data() + off, b.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    off += static_cast<std::size_t>(n);
  }
  return true;
}

bool fsync_dir(const std::filesystem::path& dir) {
  int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = ::fsync(fd) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

SecretArray<32> journal_key(const crypto::k1::SecretKey& enr_key, const Root& definition_hash,
                            std::span<const std::uint8_t, 16> salt) {
  constexpr std::string_view kSalt = "phalanx/dkg/v1/journal";
  constexpr std::string_view kInfo = "phalanx/dkg/v1/journal-key";
  Bytes s(kSalt.begin(), kSalt.end());
  s.insert(s.end(), definition_hash.begin(), definition_hash.end());
  s.insert(s.end(), salt.begin(), salt.end());
  auto prk = crypto::hash::hkdf_extract(s, enr_key.bytes());
  SecretArray<32> key;
  crypto::hash::hkdf_expand(prk.view(), as_bytes(kInfo), key.mut_view());
  return key;
}

Result<std::vector<JournalRecord>, std::string> decode_journal_file(ByteSpan file,
                                                                    const crypto::k1::SecretKey& enr_key,
                                                                    const Root& definition_hash, bool* torn) {
  if (torn) *torn = false;
  if (file.size() < kJournalHeaderSize || std::memcmp(file.data(), kMagic.data(), kMagic.size()) != 0)
    return std::unexpected(std::string("not a Phalanx DKG journal (bad header)"));
  if (std::memcmp(file.data() + 8, definition_hash.data(), 32) != 0)
    return std::unexpected(std::string("the journal belongs to another cluster definition"));
  const ByteSpan header = file.first(kJournalHeaderSize);
  const auto key =
      journal_key(enr_key, definition_hash, std::span<const std::uint8_t, 16>(file.data() + 40, 16));
  std::vector<JournalRecord> out;
  std::size_t off = kJournalHeaderSize;
  for (std::uint64_t index = 0; off < file.size(); ++index) {
    if (file.size() - off < 4) {
      if (torn) *torn = true;
      break;
    }
    const std::uint32_t len = be32(file.data() + off);
    if (len > kMaxSealedRecord || len < kTag)
      return std::unexpected("record " + std::to_string(index) + ": bad length " + std::to_string(len));
    if (file.size() - off - 4 < len) {
      if (torn) *torn = true;
      break;
    }
    SecretBytes plain;
    if (!open(key, header, index, file.subspan(off + 4, len), plain))
      return std::unexpected(
          "record " + std::to_string(index) +
          " does not authenticate: the journal was sealed with another ENR key or was altered");
    auto rec = decode_journal_record(plain.view());
    if (!rec) return std::unexpected("record " + std::to_string(index) + ": " + rec.error().message());
    out.push_back(std::move(*rec));
    off += 4 + len;
  }
  return out;
}

Result<JournalFile, std::string> JournalFile::open(const std::filesystem::path& path,
                                                   const crypto::k1::SecretKey& enr_key,
                                                   const Root& definition_hash,
                                                   std::vector<JournalRecord>* existing) {
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) {
    int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) return std::unexpected(path.string() + ": " + std::strerror(errno));
    struct stat st {};
    ::fstat(fd, &st);
    Bytes data(static_cast<std::size_t>(st.st_size));
    std::size_t off = 0;
    while (off < data.size()) {
      auto n = ::pread(fd, data.data() + off, data.size() - off, static_cast<off_t>(off));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      off += static_cast<std::size_t>(n);
    }
    data.resize(off);
    // Decode to count the intact records, then cut a torn tail so appends continue after the last good one.
    bool torn = false;
    auto recs = decode_journal_file(data, enr_key, definition_hash, &torn);
    secure_zero(data.data(), data.size());
    if (!recs) {
      ::close(fd);
      return std::unexpected(path.string() + ": " + recs.error());
    }
    std::uint64_t good = kJournalHeaderSize;
    for (std::size_t i = 0, pos = kJournalHeaderSize; i < recs->size(); ++i) {
      // Re-walk the lengths (the records decoded, so every length field is sane).
      Bytes len_b(4);
      if (::pread(fd, len_b.data(), 4, static_cast<off_t>(pos)) != 4) break;
      pos += 4 + be32(len_b.data());
      good = pos;
    }
    if (torn && (::ftruncate(fd, static_cast<off_t>(good)) != 0 || ::fsync(fd) != 0)) {
      ::close(fd);
      return std::unexpected(path.string() + ": cannot cut the torn last record: " + std::strerror(errno));
    }
    if (::lseek(fd, static_cast<off_t>(good), SEEK_SET) < 0) {
      ::close(fd);
      return std::unexpected(path.string() + ": " + std::strerror(errno));
    }
    ByteArray<kJournalHeaderSize> header{};
    if (::pread(fd, header.data(), header.size(), 0) != static_cast<ssize_t>(header.size())) {
      ::close(fd);
      return std::unexpected(path.string() + ": cannot read the header");
    }
    auto key =
        journal_key(enr_key, definition_hash, std::span<const std::uint8_t, 16>(header.data() + 40, 16));
    const std::uint64_t count = recs->size();
    if (existing) *existing = std::move(*recs);
    return JournalFile(fd, std::move(key), header, count, good);
  }
  std::filesystem::create_directories(path.parent_path(), ec);
  if (ec) return std::unexpected(path.parent_path().string() + ": " + ec.message());
  ::chmod(path.parent_path().c_str(), 0700);
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return std::unexpected(path.string() + ": " + std::strerror(errno));
  ByteArray<kJournalHeaderSize> header{};
  std::memcpy(header.data(), kMagic.data(), kMagic.size());
  std::memcpy(header.data() + 8, definition_hash.data(), 32);
  crypto::hash::random_bytes(MutByteSpan(header.data() + 40, 16));
  if (::fchmod(fd, 0600) != 0 || !write_all(fd, header) || ::fsync(fd) != 0 ||
      !fsync_dir(path.parent_path())) {
    ::close(fd);
    ::unlink(path.c_str());
    return std::unexpected(path.string() + ": cannot create the journal: " + std::strerror(errno));
  }
  auto key = journal_key(enr_key, definition_hash, std::span<const std::uint8_t, 16>(header.data() + 40, 16));
  if (existing) existing->clear();
  return JournalFile(fd, std::move(key), header, 0, kJournalHeaderSize);
}

JournalFile::JournalFile(JournalFile&& o) noexcept
    : fd_(o.fd_), key_(std::move(o.key_)), header_(o.header_), next_(o.next_), size_(o.size_) {
  o.fd_ = -1;
}

JournalFile::~JournalFile() {
  if (fd_ >= 0) ::close(fd_);
}

Result<void, std::string> JournalFile::append(std::span<const JournalRecord> records) {
  if (records.empty()) return {};
  Bytes buf;
  for (const auto& r : records) {
    auto plain = encode_journal_record(r);
    Bytes sealed = seal(key_, header_, next_, plain.view());
    if (sealed.empty()) return std::unexpected(std::string("journal: AES-GCM failed"));
    const auto len = static_cast<std::uint32_t>(sealed.size());
    buf.push_back(static_cast<std::uint8_t>(len >> 24));
    buf.push_back(static_cast<std::uint8_t>(len >> 16));
    buf.push_back(static_cast<std::uint8_t>(len >> 8));
    buf.push_back(static_cast<std::uint8_t>(len));
    buf.insert(buf.end(), sealed.begin(), sealed.end());
    ++next_;
  }
  if (!write_all(fd_, buf) || ::fdatasync(fd_) != 0)
    return std::unexpected(std::string("cannot write the journal: ") + std::strerror(errno));
  size_ += buf.size();
  return {};
}

}  // namespace phx::dkg::runner
