#pragma once
// Random values of any SSZ type (tests, fuzz seeds, benchmarks). Lists get a few elements; uint64 values stay
// below 2^53 so that the JavaScript oracle (Lodestar's number-typed uint64) represents them exactly.
#include <random>

#include "ssz/types.hpp"

namespace phx::ssz::testing {

using Rng = std::mt19937_64;

template <class T>
void randomize(T& v, Rng& r);

template <class T>
T random_value(Rng& r) {
  T v{};
  randomize(v, r);
  return v;
}

inline std::uint64_t random_u64(Rng& r) {
  switch (r() % 4) {
    case 0:
      return 0;
    case 1:
      return r() % 1000;
    default:
      return r() & ((std::uint64_t{1} << 53) - 1);
  }
}

template <class T>
void randomize(T& v, Rng& r) {
  if constexpr (std::is_same_v<T, bool>) {
    v = (r() & 1) != 0;
  } else if constexpr (IsStrongU64<T>::value) {
    v.value = random_u64(r);
  } else if constexpr (std::is_same_v<T, std::uint64_t>) {
    v = random_u64(r);
  } else if constexpr (kIsUint<T>) {
    v = static_cast<T>(r());
  } else if constexpr (std::is_same_v<T, Uint256>) {
    for (auto& b : v.le) b = static_cast<std::uint8_t>(r());
  } else if constexpr (IsByteArray<T>::value) {
    for (auto& b : v) b = static_cast<std::uint8_t>(r());
  } else if constexpr (IsByteList<T>::value) {
    v.resize(std::min<std::size_t>(T::kLimit, r() % 200));
    for (auto& b : v) b = static_cast<std::uint8_t>(r());
  } else if constexpr (IsBitvector<T>::value) {
    for (std::size_t i = 0; i < T::kBits; ++i) v.set(i, (r() & 1) != 0);
  } else if constexpr (IsBitlist<T>::value) {
    v = T(std::min<std::size_t>(T::kLimit, r() % 70));
    for (std::size_t i = 0; i < v.len; ++i) v.set(i, (r() & 1) != 0);
  } else if constexpr (IsVector<T>::value) {
    for (auto& e : v) randomize(e, r);
  } else if constexpr (IsList<T>::value) {
    using E = typename IsList<T>::Elem;
    std::size_t cap = 4;
    if constexpr (is_fixed_size<E>()) {
      if (fixed_size<E>() > 10000) cap = 2;
    }
    v.resize(std::min<std::size_t>(T::kLimit, r() % cap));
    for (auto& e : v) randomize(e, r);
  } else {
    for_each_field<T>([&](const auto& f) { randomize(v.*(f.ptr), r); });
  }
}

}  // namespace phx::ssz::testing
