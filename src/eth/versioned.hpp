#pragma once
// Fork-versioned consensus values (one container type per fork), their SSZ bytes and hash_tree_root.
#include <utility>
#include <variant>

#include "eth/fork.hpp"
#include "eth/types.hpp"
#include "ssz/codec.hpp"
#include "ssz/merkle.hpp"

namespace phx::eth {

/// A value of the family whose per-fork types are Ts (in fork order, phase0 … fulu, 7 of them); it holds
/// the one of its fork. A fork where the family does not exist (e.g. blinded blocks before bellatrix) uses
/// std::monostate. The Beacon API JSON envelopes (`{"version":…,"data":…}`) are in beaconapi/versioned.hpp.
template <class... Ts>
struct Versioned {
  static_assert(sizeof...(Ts) == kForkCount, "one type per fork");
  using Variant = std::variant<Ts...>;
  Variant value;

  /// The fork of the held value.
  Fork fork() const { return static_cast<Fork>(value.index()); }

  /// Holds `v` as the value for fork F.
  template <Fork F, class V>
  static Versioned make(V&& v) {
    return Versioned{Variant(std::in_place_index<static_cast<std::size_t>(F)>, std::forward<V>(v))};
  }
  bool operator==(const Versioned&) const = default;
};

namespace detail {

template <class V, std::size_t I = 0>
Result<V> decode_ssz_at(std::size_t fork, ByteSpan bytes) {
  if constexpr (I == std::variant_size_v<typename V::Variant>) {
    (void)fork;
    (void)bytes;
    return fail(ssz::SszError::kBadLength);
  } else {
    if (fork != I) return decode_ssz_at<V, I + 1>(fork, bytes);
    using T = std::variant_alternative_t<I, typename V::Variant>;
    if constexpr (std::is_same_v<T, std::monostate>) {
      return fail(ssz::SszError::kBadLength);
    } else {
      auto v = ssz::deserialize<T>(bytes);
      if (!v) return std::unexpected(v.error());
      return V{typename V::Variant(std::in_place_index<I>, std::move(*v))};
    }
  }
}

}  // namespace detail

/// Strict SSZ decoding for fork `fork` (e.g. from the Eth-Consensus-Version header).
template <class V>
Result<V> decode_versioned_ssz(Fork fork, ByteSpan bytes) {
  return detail::decode_ssz_at<V>(static_cast<std::size_t>(fork), bytes);
}

/// SSZ bytes of the held value (empty for monostate).
template <class V>
Bytes encode_versioned_ssz(const V& v) {
  return std::visit(
      [](const auto& x) -> Bytes {
        if constexpr (std::is_same_v<std::remove_cvref_t<decltype(x)>, std::monostate>) {
          return {};
        } else {
          return ssz::serialize(x);
        }
      },
      v.value);
}

/// hash_tree_root of the held value (zero for monostate).
template <class V>
Root versioned_hash_tree_root(const V& v) {
  return std::visit(
      [](const auto& x) -> Root {
        if constexpr (std::is_same_v<std::remove_cvref_t<decltype(x)>, std::monostate>) {
          return Root{};
        } else {
          return ssz::hash_tree_root(x);
        }
      },
      v.value);
}

namespace e = eth;
#include "eth/versioned_families.inc"

/// The families sized by the gnosis preset.
namespace gnosis {
namespace e = eth::gnosis;
#include "eth/versioned_families.inc"
}  // namespace gnosis

/// The families sized by the minimal preset.
namespace minimal {
namespace e = eth::minimal;
#include "eth/versioned_families.inc"
}  // namespace minimal

}  // namespace phx::eth
