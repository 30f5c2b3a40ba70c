#pragma once
/// Secret containers: move-only, zeroized on destruction, never printed or compared with ==.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#define PHX_HAVE_VALGRIND 1
#endif

namespace phx {

/// Overwrites `n` bytes at `p` with zeros in a way the compiler may not elide.
void secure_zero(void* p, std::size_t n) noexcept;

/// A fixed-size secret byte array.
template <std::size_t N>
class SecretArray {
 public:
  SecretArray() = default;
  explicit SecretArray(std::span<const std::uint8_t, N> src) {
    for (std::size_t i = 0; i < N; ++i) data_[i] = src[i];
  }
  SecretArray(const SecretArray&) = delete;
  SecretArray& operator=(const SecretArray&) = delete;
  SecretArray(SecretArray&& o) noexcept : data_(o.data_) { secure_zero(o.data_.data(), N); }
  SecretArray& operator=(SecretArray&& o) noexcept {
    if (this != &o) {
      data_ = o.data_;
      secure_zero(o.data_.data(), N);
    }
    return *this;
  }
  ~SecretArray() { secure_zero(data_.data(), N); }

  std::span<const std::uint8_t, N> view() const { return data_; }
  std::span<std::uint8_t, N> mut_view() { return data_; }
  static constexpr std::size_t size() { return N; }

 private:
  std::array<std::uint8_t, N> data_{};
};

/// A variable-size secret byte buffer (passwords, seeds, decrypted keystores).
class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(std::size_t n) : data_(n) {}
  explicit SecretBytes(std::span<const std::uint8_t> src) : data_(src.begin(), src.end()) {}
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;
  SecretBytes(SecretBytes&& o) noexcept : data_(std::move(o.data_)) { o.data_.clear(); }
  SecretBytes& operator=(SecretBytes&& o) noexcept {
    if (this != &o) {
      wipe();
      data_ = std::move(o.data_);
      o.data_.clear();
    }
    return *this;
  }
  ~SecretBytes() { wipe(); }

  std::span<const std::uint8_t> view() const { return data_; }
  std::span<std::uint8_t> mut_view() { return data_; }
  std::size_t size() const { return data_.size(); }
  bool empty() const { return data_.empty(); }

 private:
  void wipe() noexcept {
    if (!data_.empty()) secure_zero(data_.data(), data_.size());
  }
  std::vector<std::uint8_t> data_;
};

/// Marks `n` bytes at `p` as public: a verdict computed in constant time from secrets that is meant to be revealed
/// (a secret key's validity, a zero check, a share-consistency verdict). Under valgrind it tells memcheck the
/// bytes are defined, so the constant-time test (tests/crypto_diff/ctime) does not report branches on them;
/// outside valgrind the client request is a few no-op instructions.
inline void declassify([[maybe_unused]] const void* p, [[maybe_unused]] std::size_t n) noexcept {
#ifdef PHX_HAVE_VALGRIND
  (void)VALGRIND_MAKE_MEM_DEFINED(p, n);
#endif
}
/// Declassifies a verdict and returns it: `if (declassify(x.is_zero())) …`.
inline bool declassify(bool v) noexcept {
  declassify(&v, sizeof v);
  return v;
}

/// Constant-time equality of two equal-length byte spans (false if lengths differ).
bool ct_equal(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) noexcept;

}  // namespace phx
