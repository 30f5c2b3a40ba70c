#pragma once
/// SSZ merkleization and hash_tree_root, generic over the types of ssz/types.hpp.
/// Spec: consensus-specs ssz/simple-serialize.md (Merkleization). Hashing uses the two-chunk SHA-256 of
/// crypto/hash/sha256_pair.hpp (SHA-NI where present).
#include <algorithm>
#include <cstring>

#include "base/bytes.hpp"
#include "ssz/types.hpp"

namespace phx::ssz {

/// zero_hash(d): root of a depth-d tree of zero chunks; d <= 64.
const Root& zero_hash(std::size_t depth);

/// merkleize(pack(data), limit): `data` is packed into 32-byte chunks (last one zero-padded) and merkleized
/// as a tree of `limit_chunks` leaves (next power of two). Precondition: ceil(data.size()/32) <=
/// limit_chunks.
Root merkleize_packed(ByteSpan data, std::size_t limit_chunks);

/// mix_in_length(root, length).
Root mix_in_length(const Root& root, std::uint64_t length);

template <class T>
Root hash_tree_root(const T& v);

namespace detail {

template <class T>
void basic_le(const T& v, std::uint8_t* p) {
  std::uint64_t x;
  if constexpr (std::is_same_v<T, bool>) {
    x = v ? 1 : 0;
  } else if constexpr (IsStrongU64<T>::value) {
    x = v.value;
  } else {
    x = v;
  }
  for (std::size_t i = 0; i < basic_size<T>(); ++i) p[i] = static_cast<std::uint8_t>(x >> (8 * i));
}

template <class Seq>
Root seq_root(const Seq& v, std::size_t limit) {
  using E = std::remove_cvref_t<decltype(v[0])>;
  if constexpr (kIsBasic<E>) {
    constexpr std::size_t es = basic_size<E>();
    Bytes packed(v.size() * es);
    for (std::size_t i = 0; i < v.size(); ++i) basic_le(v[i], packed.data() + i * es);
    return merkleize_packed(packed, (limit * es + 31) / 32);
  } else {
    Bytes roots(v.size() * 32);
    for (std::size_t i = 0; i < v.size(); ++i) {
      const Root r = hash_tree_root(v[i]);
      std::memcpy(roots.data() + 32 * i, r.data(), 32);
    }
    return merkleize_packed(roots, limit);
  }
}

}  // namespace detail

/// hash_tree_root(v) per the SSZ spec (lists and bitlists mix in their length).
template <class T>
Root hash_tree_root(const T& v) {
  if constexpr (kIsBasic<T>) {
    Root r{};
    detail::basic_le(v, r.data());
    return r;
  } else if constexpr (std::is_same_v<T, Uint256>) {
    return v.le;
  } else if constexpr (IsByteArray<T>::value) {
    if constexpr (std::tuple_size_v<T> == 32) {
      return v;
    } else {
      return merkleize_packed(v, (std::tuple_size_v<T> + 31) / 32);
    }
  } else if constexpr (IsByteList<T>::value) {
    return mix_in_length(merkleize_packed(v, (T::kLimit + 31) / 32), v.size());
  } else if constexpr (IsBitvector<T>::value) {
    return merkleize_packed(v.bytes, (T::kBits + 255) / 256);
  } else if constexpr (IsBitlist<T>::value) {
    const ByteSpan bits(v.bytes.data(), std::min(v.bytes.size(), (v.len + 7) / 8));
    return mix_in_length(merkleize_packed(bits, (T::kLimit + 255) / 256), v.len);
  } else if constexpr (IsVector<T>::value) {
    return detail::seq_root(v, IsVector<T>::kN);
  } else if constexpr (IsList<T>::value) {
    return mix_in_length(detail::seq_root(v, T::kLimit), v.size());
  } else {
    static_assert(Container<T>, "not an SSZ type");
    constexpr std::size_t n = field_count<T>();
    std::array<std::uint8_t, 32 * n> buf;
    std::size_t i = 0;
    for_each_field<T>([&](const auto& f) {
      const Root r = hash_tree_root(v.*(f.ptr));
      std::memcpy(buf.data() + 32 * i, r.data(), 32);
      ++i;
    });
    return merkleize_packed(buf, n);
  }
}

}  // namespace phx::ssz
