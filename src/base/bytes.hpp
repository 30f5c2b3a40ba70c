#pragma once
/// Byte containers, hex, and little/big-endian helpers.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"

namespace phx {

using Bytes = std::vector<std::uint8_t>;
using ByteSpan = std::span<const std::uint8_t>;
using MutByteSpan = std::span<std::uint8_t>;
template <std::size_t N>
using ByteArray = std::array<std::uint8_t, N>;

/// A 32-byte hash (hash_tree_root, signing_root, value hash).
using Root = ByteArray<32>;

enum class HexError { kOk = 0, kOddLength, kBadDigit, kBadLength, kMissingPrefix };
const char* to_string(HexError e);
PHX_ERROR_ENUM(HexError, "hex")

/// Lower-case hex of `data`, with a "0x" prefix when `prefix` is true.
std::string to_hex(ByteSpan data, bool prefix = true);

/// Parses hex with or without a "0x" prefix. Errors: odd length or a non-hex digit.
Result<Bytes> from_hex(std::string_view text);

/// Parses hex that must be exactly N bytes long (prefix optional).
template <std::size_t N>
Result<ByteArray<N>> from_hex_fixed(std::string_view text) {
  auto b = from_hex(text);
  if (!b) return std::unexpected(b.error());
  if (b->size() != N) return fail(HexError::kBadLength);
  ByteArray<N> out{};
  for (std::size_t i = 0; i < N; ++i) out[i] = (*b)[i];
  return out;
}

inline ByteSpan as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

inline void put_le64(std::uint8_t* p, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}
inline std::uint64_t get_le64(const std::uint8_t* p) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}
inline void put_be64(std::uint8_t* p, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<std::uint8_t>(v >> (56 - 8 * i));
}
inline std::uint64_t get_be64(const std::uint8_t* p) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
  return v;
}
inline void put_be32(std::uint8_t* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<std::uint8_t>(v >> (24 - 8 * i));
}
inline std::uint32_t get_be32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}

/// Appends `b` to `out`.
inline void append(Bytes& out, ByteSpan b) { out.insert(out.end(), b.begin(), b.end()); }

}  // namespace phx

PHX_ERROR_ENUM_TRAIT(phx::HexError)
