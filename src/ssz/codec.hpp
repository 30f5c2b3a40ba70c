#pragma once
/// SSZ serialize and strict deserialize, generic over the types of ssz/types.hpp.
/// Deserialization checks every length, offset, limit, boolean, and bitfield padding; malformed input yields
/// an SszError, never a crash. Spec: consensus-specs ssz/simple-serialize.md (Serialization,
/// Deserialization).
#include <algorithm>
#include <cstring>
#include <string>

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "ssz/types.hpp"

namespace phx::ssz {

/// Reasons an SSZ byte string is rejected.
enum class SszError {
  kOk = 0,
  kBadLength,        ///< wrong byte length for a fixed-size value, or shorter than the fixed part
  kBadOffset,        ///< an offset out of range, decreasing, or not where the fixed part ends
  kTooManyElements,  ///< a list, byte list or bitlist above its limit
  kBadBoolean,       ///< a boolean byte other than 0 or 1
  kBadBitlist,       ///< a bitlist without its delimiter bit (empty or last byte zero)
  kBadBitvector,     ///< a bitvector with bits set beyond its length
};
const char* to_string(SszError e);
PHX_ERROR_ENUM(SszError, "ssz")

namespace detail {

template <class T>
std::size_t encoded_size(const T& v) {
  if constexpr (is_fixed_size<T>()) {
    (void)v;
    return fixed_size<T>();
  } else if constexpr (IsByteList<T>::value) {
    return v.size();
  } else if constexpr (IsBitlist<T>::value) {
    return v.len / 8 + 1;
  } else if constexpr (IsList<T>::value || IsVector<T>::value) {
    using E = std::remove_cvref_t<decltype(v[0])>;
    if constexpr (is_fixed_size<E>()) {
      return v.size() * fixed_size<E>();
    } else {
      std::size_t s = 4 * v.size();
      for (const auto& e : v) s += encoded_size(e);
      return s;
    }
  } else {
    std::size_t s = fixed_size<T>();
    for_each_field<T>([&](const auto& f) {
      using M = typename std::remove_cvref_t<decltype(f)>::Type;
      if constexpr (!is_fixed_size<M>()) s += encoded_size(v.*(f.ptr));
    });
    return s;
  }
}

template <class T>
std::uint8_t* write(const T& v, std::uint8_t* p);

template <class T>
std::uint8_t* write_uint(const T& v, std::uint8_t* p) {
  std::uint64_t x;
  if constexpr (IsStrongU64<T>::value) {
    x = v.value;
  } else {
    x = v;
  }
  for (std::size_t i = 0; i < basic_size<T>(); ++i) p[i] = static_cast<std::uint8_t>(x >> (8 * i));
  return p + basic_size<T>();
}

template <class Seq>
std::uint8_t* write_seq(const Seq& v, std::uint8_t* p) {
  using E = std::remove_cvref_t<decltype(v[0])>;
  if constexpr (is_fixed_size<E>()) {
    for (const auto& e : v) p = write(e, p);
    return p;
  } else {
    std::uint8_t* start = p;
    std::uint8_t* var = p + 4 * v.size();
    for (const auto& e : v) {
      const auto off = static_cast<std::uint32_t>(var - start);
      for (int i = 0; i < 4; ++i) p[i] = static_cast<std::uint8_t>(off >> (8 * i));
      p += 4;
      var = write(e, var);
    }
    return var;
  }
}

template <class T>
std::uint8_t* write(const T& v, std::uint8_t* p) {
  if constexpr (kIsUint<T>) {
    return write_uint(v, p);
  } else if constexpr (std::is_same_v<T, bool>) {
    *p = v ? 1 : 0;
    return p + 1;
  } else if constexpr (std::is_same_v<T, Uint256>) {
    std::memcpy(p, v.le.data(), 32);
    return p + 32;
  } else if constexpr (IsByteArray<T>::value || IsByteList<T>::value) {
    if (!v.empty()) std::memcpy(p, v.data(), v.size());
    return p + v.size();
  } else if constexpr (IsBitvector<T>::value) {
    std::memcpy(p, v.bytes.data(), v.bytes.size());
    return p + v.bytes.size();
  } else if constexpr (IsBitlist<T>::value) {
    const std::size_t n = v.len / 8 + 1;
    std::memset(p, 0, n);
    const std::size_t have = std::min(v.bytes.size(), (v.len + 7) / 8);  // never trust a hand-built Bitlist
    if (have != 0) std::memcpy(p, v.bytes.data(), have);
    p[v.len / 8] = static_cast<std::uint8_t>(p[v.len / 8] | (1u << (v.len % 8)));
    return p + n;
  } else if constexpr (IsVector<T>::value || IsList<T>::value) {
    return write_seq(v, p);
  } else {
    std::uint8_t* start = p;
    std::uint8_t* var = p + fixed_size<T>();
    for_each_field<T>([&](const auto& f) {
      using M = typename std::remove_cvref_t<decltype(f)>::Type;
      if constexpr (is_fixed_size<M>()) {
        p = write(v.*(f.ptr), p);
      } else {
        const auto off = static_cast<std::uint32_t>(var - start);
        for (int i = 0; i < 4; ++i) p[i] = static_cast<std::uint8_t>(off >> (8 * i));
        p += 4;
        var = write(v.*(f.ptr), var);
      }
    });
    return var;
  }
}

inline std::uint32_t get_le32(const std::uint8_t* p) {
  return std::uint32_t{p[0]} | (std::uint32_t{p[1]} << 8) | (std::uint32_t{p[2]} << 16) |
         (std::uint32_t{p[3]} << 24);
}

template <class T>
Result<void> read(ByteSpan in, T& out);

// Reads `count` variable-size elements from `in` whose first 4*count bytes are offsets.
template <class Seq>
Result<void> read_var_elems(ByteSpan in, std::size_t count, Seq& out) {
  std::size_t prev = 4 * count;
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t start = get_le32(in.data() + 4 * i);
    const std::size_t end = i + 1 < count ? get_le32(in.data() + 4 * (i + 1)) : in.size();
    if (start != prev && i == 0) return fail(SszError::kBadOffset);
    if (end < start || end > in.size()) return fail(SszError::kBadOffset);
    if (auto r = read(in.subspan(start, end - start), out[i]); !r) return r;
    prev = end;
  }
  return {};
}

template <class T>
Result<void> read(ByteSpan in, T& out) {
  if constexpr (kIsBasic<T>) {
    if (in.size() != basic_size<T>()) return fail(SszError::kBadLength);
    if constexpr (std::is_same_v<T, bool>) {
      if (in[0] > 1) return fail(SszError::kBadBoolean);
      out = in[0] == 1;
    } else {
      std::uint64_t x = 0;
      for (std::size_t i = basic_size<T>(); i-- > 0;) x = (x << 8) | in[i];
      if constexpr (IsStrongU64<T>::value) {
        out.value = x;
      } else {
        out = static_cast<T>(x);
      }
    }
    return {};
  } else if constexpr (std::is_same_v<T, Uint256>) {
    if (in.size() != 32) return fail(SszError::kBadLength);
    std::memcpy(out.le.data(), in.data(), 32);
    return {};
  } else if constexpr (IsByteArray<T>::value) {
    if (in.size() != out.size()) return fail(SszError::kBadLength);
    std::memcpy(out.data(), in.data(), in.size());
    return {};
  } else if constexpr (IsByteList<T>::value) {
    if (in.size() > T::kLimit) return fail(SszError::kTooManyElements);
    out.assign(in.begin(), in.end());
    return {};
  } else if constexpr (IsBitvector<T>::value) {
    if (in.size() != out.bytes.size()) return fail(SszError::kBadLength);
    if constexpr (T::kBits % 8 != 0) {
      if (in.back() >> (T::kBits % 8)) return fail(SszError::kBadBitvector);
    }
    std::memcpy(out.bytes.data(), in.data(), in.size());
    return {};
  } else if constexpr (IsBitlist<T>::value) {
    if (in.empty() || in.back() == 0) return fail(SszError::kBadBitlist);
    int msb = 7;
    while (!((in.back() >> msb) & 1)) --msb;
    const std::size_t len = 8 * (in.size() - 1) + static_cast<std::size_t>(msb);
    if (len > T::kLimit) return fail(SszError::kTooManyElements);
    out.len = len;
    out.bytes.assign(in.begin(), in.begin() + static_cast<std::ptrdiff_t>((len + 7) / 8));
    if (len % 8 != 0)
      out.bytes.back() = static_cast<std::uint8_t>(out.bytes.back() & ((1u << (len % 8)) - 1));
    return {};
  } else if constexpr (IsVector<T>::value) {
    using E = typename IsVector<T>::Elem;
    if constexpr (is_fixed_size<E>()) {
      constexpr std::size_t es = fixed_size<E>();
      if (in.size() != es * out.size()) return fail(SszError::kBadLength);
      for (std::size_t i = 0; i < out.size(); ++i) {
        if (auto r = read(in.subspan(i * es, es), out[i]); !r) return r;
      }
      return {};
    } else {
      if (in.size() < 4 * out.size()) return fail(SszError::kBadLength);
      return read_var_elems(in, out.size(), out);
    }
  } else if constexpr (IsList<T>::value) {
    using E = typename IsList<T>::Elem;
    out.clear();
    if constexpr (is_fixed_size<E>()) {
      constexpr std::size_t es = fixed_size<E>();
      if (in.size() % es != 0) return fail(SszError::kBadLength);
      const std::size_t n = in.size() / es;
      if (n > T::kLimit) return fail(SszError::kTooManyElements);
      out.resize(n);
      for (std::size_t i = 0; i < n; ++i) {
        if (auto r = read(in.subspan(i * es, es), out[i]); !r) return r;
      }
      return {};
    } else {
      if (in.empty()) return {};
      if (in.size() < 4) return fail(SszError::kBadOffset);
      const std::size_t first = get_le32(in.data());
      if (first % 4 != 0 || first == 0 || first > in.size()) return fail(SszError::kBadOffset);
      const std::size_t n = first / 4;
      if (n > T::kLimit) return fail(SszError::kTooManyElements);
      out.resize(n);
      return read_var_elems(in, n, out);
    }
  } else {
    constexpr std::size_t fixed = fixed_size<T>();
    if constexpr (is_fixed_size<T>()) {
      if (in.size() != fixed) return fail(SszError::kBadLength);
    } else {
      if (in.size() < fixed) return fail(SszError::kBadLength);
    }
    Result<void> res{};
    std::size_t pos = 0;
    // Variable fields: remember (field index order) start offsets; each field's end is the next start.
    constexpr std::size_t kN = field_count<T>();
    std::array<std::size_t, kN + 1> starts{};
    std::size_t nvar = 0;
    for_each_field<T>([&](const auto& f) {
      using M = typename std::remove_cvref_t<decltype(f)>::Type;
      if constexpr (!is_fixed_size<M>()) {
        const std::size_t off = get_le32(in.data() + pos);
        if (res) {
          if (nvar == 0 && off != fixed) res = fail(SszError::kBadOffset);
          if (nvar > 0 && off < starts[nvar - 1]) res = fail(SszError::kBadOffset);
          if (off > in.size()) res = fail(SszError::kBadOffset);
        }
        starts[nvar++] = off;
        pos += 4;
      } else {
        pos += fixed_size<M>();
      }
    });
    if (!res) return res;
    starts[nvar] = in.size();
    pos = 0;
    std::size_t vi = 0;
    for_each_field<T>([&](const auto& f) {
      using M = typename std::remove_cvref_t<decltype(f)>::Type;
      if (!res) return;
      if constexpr (is_fixed_size<M>()) {
        res = read(in.subspan(pos, fixed_size<M>()), out.*(f.ptr));
        pos += fixed_size<M>();
      } else {
        res = read(in.subspan(starts[vi], starts[vi + 1] - starts[vi]), out.*(f.ptr));
        ++vi;
        pos += 4;
      }
    });
    return res;
  }
}

}  // namespace detail

/// Serialized length of `v` in bytes.
template <class T>
std::size_t serialized_size(const T& v) {
  return detail::encoded_size(v);
}

/// SSZ serialization of `v`. Values are expected within their List/ByteList/Bitlist limits; one over a limit
/// still serializes, but deserialize() would reject the result.
template <class T>
Bytes serialize(const T& v) {
  Bytes out(detail::encoded_size(v));
  detail::write(v, out.data());
  return out;
}

/// Appends the serialization of `v` to `out`.
template <class T>
void serialize_into(const T& v, Bytes& out) {
  const std::size_t old = out.size();
  out.resize(old + detail::encoded_size(v));
  detail::write(v, out.data() + old);
}

/// Strict SSZ deserialization of exactly `in` into a T. Errors: SszError.
template <class T>
Result<T> deserialize(ByteSpan in) {
  T out{};
  if (auto r = detail::read(in, out); !r) return std::unexpected(r.error());
  return out;
}

}  // namespace phx::ssz

PHX_ERROR_ENUM_TRAIT(phx::ssz::SszError)
