#pragma once
/// Beacon API JSON mapping of SSZ values (the convention of the Beacon API and of Lodestar's toJson):
/// uintN and uint256 as decimal strings, booleans as JSON booleans, byte vectors/lists and bitfields as
/// 0x-prefixed lower-case hex of their SSZ bytes, vectors/lists as arrays, containers as objects keyed by the
/// spec field names. Decoding is strict: a missing or unknown field, a JSON number where a decimal string is
/// expected, bad hex, a wrong length or a limit overrun is a JsonError naming the field's path
/// (e.g. `data.message.body.attestations[3].data.slot`).
#include <algorithm>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "ssz/codec.hpp"
#include "ssz/types.hpp"

namespace phx::ssz {

using Json = nlohmann::ordered_json;

/// A JSON decoding failure: where (dotted path from the root, "" for the root) and why.
struct JsonError {
  std::string path;
  std::string reason;
  /// "path: reason" (or just the reason at the root).
  std::string message() const { return path.empty() ? reason : path + ": " + reason; }
};

/// Parses JSON text without exceptions. Errors: syntax errors as JsonError at the root.
Result<Json, JsonError> parse_json(std::string_view text);

/// Decimal string of a uint64 / of a little-endian uint256.
std::string u64_to_dec(std::uint64_t v);
std::string u256_to_dec(const Uint256& v);
/// Strict decimal parse: non-empty, digits only, no sign, no overflow. Errors: a reason string.
Result<std::uint64_t, std::string> dec_to_u64(std::string_view s);
Result<Uint256, std::string> dec_to_u256(std::string_view s);

namespace detail {

inline std::unexpected<JsonError> jfail(const std::string& path, std::string reason) {
  return std::unexpected(JsonError{path, std::move(reason)});
}

/// Appends ".name" (or "name" at the root) to a path.
inline std::string join(const std::string& path, const char* name) {
  return path.empty() ? std::string(name) : path + "." + name;
}

Result<Bytes, JsonError> hex_field(const Json& j, const std::string& path);

template <class T>
Result<void, JsonError> from_json_into(const Json& j, T& out, const std::string& path);

template <class T>
Json to_json_impl(const T& v) {
  if constexpr (kIsUint<T>) {
    if constexpr (IsStrongU64<T>::value) {
      return u64_to_dec(v.value);
    } else {
      return u64_to_dec(v);
    }
  } else if constexpr (std::is_same_v<T, bool>) {
    return Json(v);
  } else if constexpr (std::is_same_v<T, Uint256>) {
    return u256_to_dec(v);
  } else if constexpr (IsByteArray<T>::value || IsByteList<T>::value) {
    return to_hex(ByteSpan(v.data(), v.size()));
  } else if constexpr (IsBitvector<T>::value || IsBitlist<T>::value) {
    return to_hex(serialize(v));
  } else if constexpr (IsVector<T>::value || IsList<T>::value) {
    Json a = Json::array();
    for (const auto& e : v) a.push_back(to_json_impl(e));
    return a;
  } else {
    Json o = Json::object();
    for_each_field<T>([&](const auto& f) { o[f.name] = to_json_impl(v.*(f.ptr)); });
    return o;
  }
}

template <class Seq>
Result<void, JsonError> seq_from_json(const Json& j, Seq& out, const std::string& path) {
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (auto r = from_json_into(j[i], out[i], path + "[" + std::to_string(i) + "]"); !r) return r;
  }
  return {};
}

template <class T>
Result<void, JsonError> from_json_into(const Json& j, T& out, const std::string& path) {
  if constexpr (kIsUint<T> || std::is_same_v<T, Uint256>) {
    if (!j.is_string()) return jfail(path, "expected a decimal string");
    const auto& s = j.get_ref<const std::string&>();
    if constexpr (std::is_same_v<T, Uint256>) {
      auto v = dec_to_u256(s);
      if (!v) return jfail(path, v.error());
      out = *v;
    } else {
      auto v = dec_to_u64(s);
      if (!v) return jfail(path, v.error());
      if constexpr (IsStrongU64<T>::value) {
        out.value = *v;
      } else {
        if (*v > std::numeric_limits<T>::max()) return jfail(path, "number out of range");
        out = static_cast<T>(*v);
      }
    }
    return {};
  } else if constexpr (std::is_same_v<T, bool>) {
    if (!j.is_boolean()) return jfail(path, "expected true or false");
    out = j.get<bool>();
    return {};
  } else if constexpr (IsByteArray<T>::value || IsByteList<T>::value || IsBitvector<T>::value ||
                       IsBitlist<T>::value) {
    auto b = hex_field(j, path);
    if (!b) return std::unexpected(b.error());
    if constexpr (IsByteArray<T>::value) {
      if (b->size() != out.size()) {
        return jfail(path,
                     "expected " + std::to_string(out.size()) + " bytes, got " + std::to_string(b->size()));
      }
      std::copy(b->begin(), b->end(), out.begin());
    } else if constexpr (IsByteList<T>::value) {
      if (b->size() > T::kLimit) return jfail(path, "more than " + std::to_string(T::kLimit) + " bytes");
      out.assign(b->begin(), b->end());
    } else {
      auto r = detail::read(*b, out);
      if (!r) return jfail(path, std::string("bad bitfield: ") + r.error().message());
    }
    return {};
  } else if constexpr (IsVector<T>::value || IsList<T>::value) {
    if (!j.is_array()) return jfail(path, "expected an array");
    if constexpr (IsVector<T>::value) {
      if (j.size() != out.size()) return jfail(path, "expected " + std::to_string(out.size()) + " elements");
      return seq_from_json(j, out, path);
    } else {
      if (j.size() > T::kLimit) return jfail(path, "more than " + std::to_string(T::kLimit) + " elements");
      // Grow one element at a time: a short JSON array of tiny invalid items must not allocate
      // limit x sizeof(element) up front (e.g. 4096 blobs of 128 KiB).
      out.clear();
      for (std::size_t i = 0; i < j.size(); ++i) {
        out.emplace_back();
        if (auto r = from_json_into(j[i], out.back(), path + "[" + std::to_string(i) + "]"); !r) return r;
      }
      return {};
    }
  } else {
    if (!j.is_object()) return jfail(path, "expected an object");
    Result<void, JsonError> res{};
    std::size_t found = 0;
    for_each_field<T>([&](const auto& f) {
      if (!res) return;
      auto it = j.find(f.name);
      if (it == j.end()) {
        res = jfail(join(path, f.name), "missing field");
        return;
      }
      ++found;
      res = from_json_into(*it, out.*(f.ptr), join(path, f.name));
    });
    if (!res) return res;
    if (found != j.size()) {
      for (auto it = j.begin(); it != j.end(); ++it) {
        bool known = false;
        for_each_field<T>([&](const auto& f) { known = known || it.key() == f.name; });
        if (!known) return jfail(join(path, it.key().c_str()), "unknown field");
      }
    }
    return {};
  }
}

}  // namespace detail

/// Beacon API JSON of `v`.
template <class T>
Json to_json(const T& v) {
  return detail::to_json_impl(v);
}

/// Strict decoding of a Beacon API JSON value; `path` prefixes error paths.
template <class T>
Result<T, JsonError> from_json(const Json& j, const std::string& path = "") {
  T out{};
  if (auto r = detail::from_json_into(j, out, path); !r) return std::unexpected(r.error());
  return out;
}

/// Parses and strictly decodes JSON text.
template <class T>
Result<T, JsonError> decode_json(std::string_view text) {
  auto j = parse_json(text);
  if (!j) return std::unexpected(j.error());
  return from_json<T>(*j);
}

}  // namespace phx::ssz
