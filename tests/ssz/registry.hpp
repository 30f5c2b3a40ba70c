#pragma once
// Every consensus container checked against Lodestar, by Lodestar's name "fork.Type".
#include <string>
#include <vector>

#include "eth/types.hpp"
#include "random.hpp"
#include "ssz/json.hpp"

namespace phx::ssz::testing {

/// Checks one oracle case {ssz, root, json} against our codecs; returns "" or the mismatch.
using CheckFn = std::string (*)(const Json& c);
/// Produces one random case {ssz, root, json} from our codecs.
using GenFn = Json (*)(Rng& r);

struct TypeCase {
  std::string name;
  CheckFn check;
  GenFn gen;
};

/// All registered containers, mainnet preset (defined in registry.cpp).
const std::vector<TypeCase>& all_type_cases();
/// The containers whose layout depends on the preset, sized by "gnosis" or "minimal" (registry_presets.cpp).
const std::vector<TypeCase>& preset_type_cases(const std::string& preset);

}  // namespace phx::ssz::testing
