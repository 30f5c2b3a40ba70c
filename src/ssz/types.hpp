#pragma once
/// SSZ type vocabulary. A C++ type is an SSZ type by its shape:
///   std::uint8_t/16/32/64, StrongId<Tag, uint64_t>   uintN            bool   boolean
///   Uint256                                            uint256          ByteArray<N>  ByteVector[N]
///   std::array<T, N> (T not uint8_t)                   Vector[T, N]     ByteList<N>   ByteList[N]
///   List<T, N>                                         List[T, N]       Bitvector<N> / Bitlist<N>
///   a struct declaring PHX_SSZ_FIELDS(...)            Container
/// Spec: https://github.com/ethereum/consensus-specs/blob/dev/ssz/simple-serialize.md
#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <vector>

#include "base/bytes.hpp"
#include "base/ids.hpp"

namespace phx::ssz {

/// ByteList[N]: a variable-length byte string of at most N bytes (limit checked on decode).
template <std::size_t N>
struct ByteList : Bytes {
  using Bytes::Bytes;
  ByteList() = default;
  explicit ByteList(Bytes b) : Bytes(std::move(b)) {}
  static constexpr std::size_t kLimit = N;
};

/// List[T, N]: at most N elements of T (limit checked on decode).
template <class T, std::size_t N>
struct List : std::vector<T> {
  using std::vector<T>::vector;
  static constexpr std::size_t kLimit = N;
};

/// Bitvector[N]: exactly N bits, bit i in byte i/8 at position i%8; unused high bits are zero.
template <std::size_t N>
struct Bitvector {
  static constexpr std::size_t kBits = N;
  std::array<std::uint8_t, (N + 7) / 8> bytes{};
  bool get(std::size_t i) const { return (bytes[i / 8] >> (i % 8)) & 1; }
  void set(std::size_t i, bool v) {
    if (v) {
      bytes[i / 8] = static_cast<std::uint8_t>(bytes[i / 8] | (1u << (i % 8)));
    } else {
      bytes[i / 8] = static_cast<std::uint8_t>(bytes[i / 8] & ~(1u << (i % 8)));
    }
  }
  static constexpr std::size_t size() { return N; }
  bool operator==(const Bitvector&) const = default;
};

/// Bitlist[N]: up to N bits. `bytes` holds exactly ceil(len/8) bytes without the SSZ delimiter bit; bits at
/// positions >= len are zero.
template <std::size_t N>
struct Bitlist {
  static constexpr std::size_t kLimit = N;
  Bytes bytes;
  std::size_t len = 0;
  Bitlist() = default;
  explicit Bitlist(std::size_t n) : bytes((n + 7) / 8), len(n) {}
  bool get(std::size_t i) const { return (bytes[i / 8] >> (i % 8)) & 1; }
  void set(std::size_t i, bool v) {
    if (v) {
      bytes[i / 8] = static_cast<std::uint8_t>(bytes[i / 8] | (1u << (i % 8)));
    } else {
      bytes[i / 8] = static_cast<std::uint8_t>(bytes[i / 8] & ~(1u << (i % 8)));
    }
  }
  std::size_t size() const { return len; }
  bool operator==(const Bitlist&) const = default;
};

/// uint256 as 32 little-endian bytes (execution payload base_fee_per_gas).
struct Uint256 {
  ByteArray<32> le{};
  bool operator==(const Uint256&) const = default;
  static Uint256 from_u64(std::uint64_t v) {
    Uint256 u;
    put_le64(u.le.data(), v);
    return u;
  }
};

/// One container field: its JSON/spec name and member pointer.
template <class C, class M>
struct Field {
  const char* name;
  M C::*ptr;
  using Type = M;
};

// ---- type classification ----
/// Type traits classifying a C++ type into its SSZ kind (see the table at the top of this file).
template <class T>
struct IsStrongU64 : std::false_type {};
template <class Tag>
struct IsStrongU64<StrongId<Tag, std::uint64_t>> : std::true_type {};

/// uintN: the unsigned integer types and uint64 strong ids.
template <class T>
inline constexpr bool kIsUint =
    std::is_same_v<T, std::uint8_t> || std::is_same_v<T, std::uint16_t> || std::is_same_v<T, std::uint32_t> ||
    std::is_same_v<T, std::uint64_t> || IsStrongU64<T>::value;

template <class T>
struct IsByteArray : std::false_type {};
template <std::size_t N>
struct IsByteArray<std::array<std::uint8_t, N>> : std::true_type {};

template <class T>
struct IsVector : std::false_type {};
template <class T, std::size_t N>
requires(!std::is_same_v<T, std::uint8_t>) struct IsVector<std::array<T, N>> : std::true_type {
  using Elem = T;
  static constexpr std::size_t kN = N;
};

template <class T>
struct IsByteList : std::false_type {};
template <std::size_t N>
struct IsByteList<ByteList<N>> : std::true_type {};

template <class T>
struct IsList : std::false_type {};
template <class T, std::size_t N>
struct IsList<List<T, N>> : std::true_type {
  using Elem = T;
};

template <class T>
struct IsBitvector : std::false_type {};
template <std::size_t N>
struct IsBitvector<Bitvector<N>> : std::true_type {};

template <class T>
struct IsBitlist : std::false_type {};
template <std::size_t N>
struct IsBitlist<Bitlist<N>> : std::true_type {};

/// A container: a struct declaring PHX_SSZ_FIELDS.
template <class T>
concept Container = requires {
  T::ssz_fields();
};

/// Basic types: packed in vectors/lists.
template <class T>
inline constexpr bool kIsBasic = kIsUint<T> || std::is_same_v<T, bool>;

/// Byte width of a basic type.
template <class T>
constexpr std::size_t basic_size() {
  if constexpr (std::is_same_v<T, bool>) {
    return 1;
  } else if constexpr (IsStrongU64<T>::value) {
    return 8;
  } else {
    return sizeof(T);
  }
}

template <class T>
constexpr bool is_fixed_size();

template <class Tuple, std::size_t... I>
constexpr bool all_fields_fixed(std::index_sequence<I...>) {
  return (is_fixed_size<typename std::tuple_element_t<I, Tuple>::Type>() && ...);
}

/// True when every value of T serializes to the same number of bytes.
template <class T>
constexpr bool is_fixed_size() {
  if constexpr (kIsBasic<T> || std::is_same_v<T, Uint256> || IsByteArray<T>::value || IsBitvector<T>::value) {
    return true;
  } else if constexpr (IsVector<T>::value) {
    return is_fixed_size<typename IsVector<T>::Elem>();
  } else if constexpr (IsByteList<T>::value || IsList<T>::value || IsBitlist<T>::value) {
    return false;
  } else {
    static_assert(Container<T>, "not an SSZ type");
    using Tuple = decltype(T::ssz_fields());
    return all_fields_fixed<Tuple>(std::make_index_sequence<std::tuple_size_v<Tuple>>{});
  }
}

template <class T>
constexpr std::size_t fixed_size();

template <class M>
constexpr std::size_t field_fixed_part() {
  if constexpr (is_fixed_size<M>()) {
    return fixed_size<M>();
  } else {
    return 4;
  }
}

template <class Tuple, std::size_t... I>
constexpr std::size_t fields_fixed_part(std::index_sequence<I...>) {
  return (std::size_t{0} + ... + field_fixed_part<typename std::tuple_element_t<I, Tuple>::Type>());
}

/// Size of the fixed part: the whole encoding for fixed-size types; for containers the fixed fields plus one
/// 4-byte offset per variable field.
template <class T>
constexpr std::size_t fixed_size() {
  if constexpr (kIsBasic<T>) {
    return basic_size<T>();
  } else if constexpr (std::is_same_v<T, Uint256>) {
    return 32;
  } else if constexpr (IsByteArray<T>::value) {
    return std::tuple_size_v<T>;
  } else if constexpr (IsBitvector<T>::value) {
    return (T::kBits + 7) / 8;
  } else if constexpr (IsVector<T>::value) {
    return IsVector<T>::kN * fixed_size<typename IsVector<T>::Elem>();
  } else {
    static_assert(Container<T>, "fixed_size of a variable-size non-container");
    using Tuple = decltype(T::ssz_fields());
    return fields_fixed_part<Tuple>(std::make_index_sequence<std::tuple_size_v<Tuple>>{});
  }
}

/// Calls f(field) for each field descriptor of container T.
template <Container T, class F>
constexpr void for_each_field(F&& f) {
  std::apply([&](const auto&... fld) { (f(fld), ...); }, T::ssz_fields());
}

/// Number of fields of container T.
template <Container T>
constexpr std::size_t field_count() {
  return std::tuple_size_v<decltype(T::ssz_fields())>;
}

}  // namespace phx::ssz

// ---- PHX_SSZ_FIELDS(Type, a, b, c): declares the container's field list and ==. ----
#define PHX_SSZ_F_(name)                            \
  ::phx::ssz::Field<Self_, decltype(Self_::name)> { \
#name, &Self_::name                             \
  }
#define PHX_SSZ_E1_(m, a) m(a)
#define PHX_SSZ_E2_(m, a, ...) m(a), PHX_SSZ_E1_(m, __VA_ARGS__)
#define PHX_SSZ_E3_(m, a, ...) m(a), PHX_SSZ_E2_(m, __VA_ARGS__)
#define PHX_SSZ_E4_(m, a, ...) m(a), PHX_SSZ_E3_(m, __VA_ARGS__)
#define PHX_SSZ_E5_(m, a, ...) m(a), PHX_SSZ_E4_(m, __VA_ARGS__)
#define PHX_SSZ_E6_(m, a, ...) m(a), PHX_SSZ_E5_(m, __VA_ARGS__)
#define PHX_SSZ_E7_(m, a, ...) m(a), PHX_SSZ_E6_(m, __VA_ARGS__)
#define PHX_SSZ_E8_(m, a, ...) m(a), PHX_SSZ_E7_(m, __VA_ARGS__)
#define PHX_SSZ_E9_(m, a, ...) m(a), PHX_SSZ_E8_(m, __VA_ARGS__)
#define PHX_SSZ_E10_(m, a, ...) m(a), PHX_SSZ_E9_(m, __VA_ARGS__)
#define PHX_SSZ_E11_(m, a, ...) m(a), PHX_SSZ_E10_(m, __VA_ARGS__)
#define PHX_SSZ_E12_(m, a, ...) m(a), PHX_SSZ_E11_(m, __VA_ARGS__)
#define PHX_SSZ_E13_(m, a, ...) m(a), PHX_SSZ_E12_(m, __VA_ARGS__)
#define PHX_SSZ_E14_(m, a, ...) m(a), PHX_SSZ_E13_(m, __VA_ARGS__)
#define PHX_SSZ_E15_(m, a, ...) m(a), PHX_SSZ_E14_(m, __VA_ARGS__)
#define PHX_SSZ_E16_(m, a, ...) m(a), PHX_SSZ_E15_(m, __VA_ARGS__)
#define PHX_SSZ_E17_(m, a, ...) m(a), PHX_SSZ_E16_(m, __VA_ARGS__)
#define PHX_SSZ_E18_(m, a, ...) m(a), PHX_SSZ_E17_(m, __VA_ARGS__)
#define PHX_SSZ_E19_(m, a, ...) m(a), PHX_SSZ_E18_(m, __VA_ARGS__)
#define PHX_SSZ_E20_(m, a, ...) m(a), PHX_SSZ_E19_(m, __VA_ARGS__)
#define PHX_SSZ_PICK_(_1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, _13, _14, _15, _16, _17, _18, _19, \
                      _20, NAME, ...)                                                                       \
  NAME
#define PHX_SSZ_FOR_EACH_(m, ...)                                                                          \
  PHX_SSZ_PICK_(__VA_ARGS__, PHX_SSZ_E20_, PHX_SSZ_E19_, PHX_SSZ_E18_, PHX_SSZ_E17_, PHX_SSZ_E16_,         \
                PHX_SSZ_E15_, PHX_SSZ_E14_, PHX_SSZ_E13_, PHX_SSZ_E12_, PHX_SSZ_E11_, PHX_SSZ_E10_,        \
                PHX_SSZ_E9_, PHX_SSZ_E8_, PHX_SSZ_E7_, PHX_SSZ_E6_, PHX_SSZ_E5_, PHX_SSZ_E4_, PHX_SSZ_E3_, \
                PHX_SSZ_E2_, PHX_SSZ_E1_)                                                                  \
  (m, __VA_ARGS__)

/// Declares an SSZ container's fields, in spec order, by member name (the name is also the JSON key).
#define PHX_SSZ_FIELDS(Type, ...)                                       \
  static constexpr auto ssz_fields() {                                  \
    using Self_ = Type;                                                 \
    return std::make_tuple(PHX_SSZ_FOR_EACH_(PHX_SSZ_F_, __VA_ARGS__)); \
  }                                                                     \
  bool operator==(const Type&) const = default;
