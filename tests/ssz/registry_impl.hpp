#pragma once
// Generic check/generate functions behind the registry (instantiated per container type).
#include <cctype>
#include <string>

#include "registry.hpp"
#include "ssz/codec.hpp"
#include "ssz/merkle.hpp"

namespace phx::ssz::testing {
namespace detail {

// Lodestar writes execution addresses EIP-55 checksummed; Phalanx writes lower-case hex like Lighthouse, Teku
// and Prysm (both are valid Beacon API). JSON is therefore compared with string values lower-cased.
inline Json lower_strings(const Json& j) {
  if (j.is_string()) {
    std::string s = j.get<std::string>();
    for (auto& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return s;
  }
  if (j.is_array() || j.is_object()) {
    Json out = j;
    for (auto it = out.begin(); it != out.end(); ++it) *it = lower_strings(*it);
    return out;
  }
  return j;
}

template <class T>
std::string check(const Json& c) {
  auto bytes = from_hex(c.at("ssz").get<std::string>());
  if (!bytes) return "oracle ssz hex unreadable";
  auto v = deserialize<T>(*bytes);
  if (!v) return "our decoder rejected Lodestar's bytes: " + v.error().message();
  if (serialize(*v) != *bytes) return "re-encoding differs";
  if (to_hex(hash_tree_root(*v)) != c.at("root").get<std::string>()) return "hash_tree_root differs";
  if (to_json(*v) != lower_strings(c.at("json")))
    return "JSON differs: ours " + to_json(*v).dump().substr(0, 300);
  auto fj = from_json<T>(c.at("json"));
  if (!fj) return "our JSON decoder rejected Lodestar's JSON: " + fj.error().message();
  if (!(*fj == *v)) return "JSON decoding differs from SSZ decoding";
  return "";
}

template <class T>
Json gen(Rng& r) {
  const T v = random_value<T>(r);
  return Json{{"ssz", to_hex(serialize(v))}, {"root", to_hex(hash_tree_root(v))}, {"json", to_json(v)}};
}

}  // namespace detail
}  // namespace phx::ssz::testing

#define PHX_CASE_IN(ns, fork, T)                                      \
  ::phx::ssz::testing::TypeCase {                                     \
#fork "." #T, &::phx::ssz::testing::detail::check < ns::fork::T>, \
        &::phx::ssz::testing::detail::gen < ns::fork::T>              \
  }
