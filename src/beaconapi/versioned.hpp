#pragma once
/// Fork-versioned Beacon API values: `{"version":"deneb","data":{…}}` JSON bodies (SSZ bodies, whose fork
/// comes from the Eth-Consensus-Version header, use eth/versioned.hpp, re-exported here). The families
/// themselves (one type per fork, std::monostate where a family does not exist, which decodes to an error)
/// are consensus types in eth/versioned.hpp. Spec: ethereum/beacon-APIs (produceBlockV3, publishBlockV2,
/// getBlockV2, aggregate attestations v2).
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "eth/fork.hpp"
#include "eth/types.hpp"
#include "eth/versioned.hpp"
#include "ssz/codec.hpp"
#include "ssz/json.hpp"

namespace phx::beaconapi {

using eth::Fork;
using ssz::Json;
using ssz::JsonError;

using eth::decode_versioned_ssz;
using eth::encode_versioned_ssz;
using eth::Versioned;
using eth::versioned_hash_tree_root;

/// Metadata keys the Beacon API spec defines next to version/data. Other envelope keys are ignored by the
/// decoders (beacon nodes add fields to envelopes, e.g. Lodestar's `execution_payload_source`); what is inside
/// `data` is decoded strictly.
bool is_known_envelope_key(std::string_view key);

/// The top-level keys of a response object that are neither version/data nor known metadata (for logging once).
std::vector<std::string> unknown_envelope_keys(const Json& j);

namespace detail {

template <class V, std::size_t I = 0>
Result<V, JsonError> decode_data_at(std::size_t fork, const Json& data, const std::string& path) {
  if constexpr (I == std::variant_size_v<typename V::Variant>) {
    (void)fork;
    (void)data;
    return std::unexpected(JsonError{path, "unknown fork"});
  } else {
    if (fork != I) return decode_data_at<V, I + 1>(fork, data, path);
    using T = std::variant_alternative_t<I, typename V::Variant>;
    if constexpr (std::is_same_v<T, std::monostate>) {
      return std::unexpected(JsonError{"version", "type not defined in this fork"});
    } else {
      auto v = ssz::from_json<T>(data, path);
      if (!v) return std::unexpected(v.error());
      return V{typename V::Variant(std::in_place_index<I>, std::move(*v))};
    }
  }
}

}  // namespace detail

/// Decodes only the `data` of fork `fork` (e.g. a request body whose fork is in the Eth-Consensus-Version
/// header).
template <class V>
Result<V, JsonError> decode_versioned_data(Fork fork, const Json& data, const std::string& path = "") {
  return detail::decode_data_at<V>(static_cast<std::size_t>(fork), data, path);
}

/// Decodes `{"version": "<fork>", "data": {…}, [metadata]}`: `data` strictly (a missing or unknown field inside
/// it is an error), other envelope keys are ignored (see is_known_envelope_key).
template <class V>
Result<V, JsonError> decode_versioned_json(const Json& j) {
  if (!j.is_object()) return std::unexpected(JsonError{"", "expected an object"});
  auto vit = j.find("version");
  if (vit == j.end()) return std::unexpected(JsonError{"version", "missing field"});
  if (!vit->is_string()) return std::unexpected(JsonError{"version", "expected a fork name string"});
  auto fork = eth::fork_from_name(vit->get_ref<const std::string&>());
  if (!fork) return std::unexpected(JsonError{"version", "unknown fork \"" + vit->get<std::string>() + "\""});
  auto dit = j.find("data");
  if (dit == j.end()) return std::unexpected(JsonError{"data", "missing field"});
  return decode_versioned_data<V>(*fork, *dit, "data");
}

/// Parses and decodes versioned JSON text.
template <class V>
Result<V, JsonError> parse_versioned_json(std::string_view text) {
  auto j = ssz::parse_json(text);
  if (!j) return std::unexpected(j.error());
  return decode_versioned_json<V>(*j);
}

/// `{"version": "<fork>", "data": <json of the value>}`.
template <class V>
Json encode_versioned_json(const V& v) {
  Json out = Json::object();
  out["version"] = std::string(eth::fork_name(v.fork()));
  out["data"] = std::visit(
      [](const auto& x) -> Json {
        if constexpr (std::is_same_v<std::remove_cvref_t<decltype(x)>, std::monostate>) {
          return Json();
        } else {
          return ssz::to_json(x);
        }
      },
      v.value);
  return out;
}

/// A produceBlockV3 response: an unblinded (BlockContents from deneb) or a blinded block, with its values.
template <class Full, class Blinded>
struct ProducedBlockResponse {
  std::variant<Full, Blinded> block;
  ssz::Uint256 execution_payload_value{};  ///< Wei
  ssz::Uint256 consensus_block_value{};    ///< Wei
  /// True when the node returned a blinded block (builder payload).
  bool blinded() const { return block.index() == 1; }
  /// The fork of the block.
  Fork fork() const {
    return std::visit([](const auto& b) { return b.fork(); }, block);
  }
};

/// Decodes a produceBlockV3 JSON body: `execution_payload_blinded` (boolean) picks the Full or Blinded family;
/// `execution_payload_value` and `consensus_block_value` are required decimal strings. Strict like
/// decode_versioned_json.
template <class Full, class Blinded>
Result<ProducedBlockResponse<Full, Blinded>, JsonError> decode_produce_block_v3(const Json& j) {
  if (!j.is_object()) return std::unexpected(JsonError{"", "expected an object"});
  auto bit = j.find("execution_payload_blinded");
  if (bit == j.end()) return std::unexpected(JsonError{"execution_payload_blinded", "missing field"});
  if (!bit->is_boolean()) return std::unexpected(JsonError{"execution_payload_blinded", "expected true or false"});
  ProducedBlockResponse<Full, Blinded> out;
  for (const char* key : {"execution_payload_value", "consensus_block_value"}) {
    auto it = j.find(key);
    if (it == j.end()) return std::unexpected(JsonError{key, "missing field"});
    auto v = ssz::from_json<ssz::Uint256>(*it, key);
    if (!v) return std::unexpected(v.error());
    (std::string_view(key) == "execution_payload_value" ? out.execution_payload_value : out.consensus_block_value) = *v;
  }
  if (bit->get<bool>()) {
    auto b = decode_versioned_json<Blinded>(j);
    if (!b) return std::unexpected(b.error());
    out.block.template emplace<1>(std::move(*b));
  } else {
    auto f = decode_versioned_json<Full>(j);
    if (!f) return std::unexpected(f.error());
    out.block.template emplace<0>(std::move(*f));
  }
  return out;
}

namespace e = eth;
#include "beaconapi/versioned_families.inc"

/// The families sized by the gnosis preset.
namespace gnosis {
namespace e = eth::gnosis;
#include "beaconapi/versioned_families.inc"
}  // namespace gnosis

/// The families sized by the minimal preset.
namespace minimal {
namespace e = eth::minimal;
#include "beaconapi/versioned_families.inc"
}  // namespace minimal

}  // namespace phx::beaconapi
