#pragma once
/// Secret containers: move-only, zeroized on destruction, never printed or compared with ==.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

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

/// Constant-time equality of two equal-length byte spans (false if lengths differ).
bool ct_equal(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) noexcept;

}  // namespace phx
