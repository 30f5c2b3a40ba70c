#pragma once
/// Request-body decoders and answer rewriting of the validator API. Pure (no I/O, no Asio): every function
/// here takes untrusted bytes from the VC or the beacon node and returns an error value with a reason, so the
/// whole set is fuzzed directly (fuzz/vapi_body_fuzz.cpp). Spec: ethereum/beacon-APIs (request bodies of the
/// submission endpoints, JSON arrays or SSZ lists; Eth-Consensus-Version for versioned bodies).
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "beaconapi/vapi/validator_api.hpp"
#include "beaconapi/versioned.hpp"
#include "eth/fork.hpp"
#include "eth/types.hpp"
#include "ssz/codec.hpp"
#include "ssz/json.hpp"

namespace phx::beaconapi::vapi {

/// Most items accepted in one submission request (a VC sends at most one per validator and duty).
inline constexpr std::size_t kMaxBodyItems = 16384;

/// Decodes a request body holding a list of T: a JSON array (strict per item, errors name the index and field)
/// or, when `ssz` is true, an SSZ List[T, kMaxBodyItems]. Errors: a reason for a 400 answer.
template <class T>
Result<std::vector<T>, std::string> decode_items(std::string_view body, bool ssz) {
  std::vector<T> out;
  if (ssz) {
    auto list = ssz::deserialize<ssz::List<T, kMaxBodyItems>>(as_bytes(body));
    if (!list) return std::unexpected("malformed SSZ body: " + list.error().message());
    out.assign(list->begin(), list->end());
    return out;
  }
  auto j = ssz::parse_json(body);
  if (!j) return std::unexpected("malformed JSON body: " + j.error().message());
  if (!j->is_array()) return std::unexpected(std::string("malformed JSON body: expected an array"));
  if (j->size() > kMaxBodyItems) return std::unexpected(std::string("too many items in the body"));
  out.reserve(j->size());
  for (std::size_t i = 0; i < j->size(); ++i) {
    std::string path = "[";  // appended, not "[" + … + "]": g++ 12 reports a bogus -Wrestrict on the latter
    path += std::to_string(i);
    path += ']';
    auto v = ssz::from_json<T>((*j)[i], path);
    if (!v) return std::unexpected("malformed JSON body: " + v.error().message());
    out.push_back(std::move(*v));
  }
  return out;
}

/// Decodes one object T (JSON object, or SSZ bytes of T when `ssz`). Errors: a reason for a 400 answer.
template <class T>
Result<T, std::string> decode_one(std::string_view body, bool ssz) {
  if (ssz) {
    auto v = ssz::deserialize<T>(as_bytes(body));
    if (!v) return std::unexpected("malformed SSZ body: " + v.error().message());
    return std::move(*v);
  }
  auto j = ssz::parse_json(body);
  if (!j) return std::unexpected("malformed JSON body: " + j.error().message());
  auto v = ssz::from_json<T>(*j);
  if (!v) return std::unexpected("malformed JSON body: " + v.error().message());
  return std::move(*v);
}

/// The fork of a versioned request body: the Eth-Consensus-Version header when given (`header`, lower case;
/// an unknown name is an error); otherwise, for JSON, the fork of the slot found at `slot_path` (e.g.
/// {"message","slot"}) on `config`; an SSZ body without the header is an error.
Result<eth::Fork, std::string> body_fork(std::string_view header, std::string_view body, bool ssz,
                                         std::initializer_list<const char*> slot_path,
                                         const eth::ChainConfig& config);

/// publishBlock v1/v2 body: a SignedBeaconBlock before deneb, SignedBlockContents from deneb on.
Result<VersionedSignedProducedBlock, std::string> decode_signed_block(std::string_view body, bool ssz,
                                                                      std::string_view version_header,
                                                                      const eth::ChainConfig& config);
/// publishBlindedBlock v1/v2 body: a SignedBlindedBeaconBlock (bellatrix on).
Result<VersionedSignedBlindedBeaconBlock, std::string> decode_signed_blinded_block(std::string_view body, bool ssz,
                                                                                  std::string_view version_header,
                                                                                  const eth::ChainConfig& config);
/// The unsigned block of a signed block (contents) and the signature over it.
std::pair<VersionedBeaconBlock, eth::BLSSignature> split_signed_block(const VersionedSignedProducedBlock& b);
/// The unsigned blinded block and its signature.
std::pair<VersionedBlindedBeaconBlock, eth::BLSSignature> split_signed_blinded_block(
    const VersionedSignedBlindedBeaconBlock& b);

/// publishAggregateAndProofs body: v1 (`v2` false: phase0 layout, each item's fork from its slot on `config`;
/// an item of electra or later is an error) or v2 (fork from the Eth-Consensus-Version header, required;
/// electra layout from electra on). Items are returned in the versioned family.
Result<std::vector<VersionedSignedAggregateAndProof>, std::string> decode_aggregates(
    std::string_view body, bool ssz, bool v2, std::string_view version_header, const eth::ChainConfig& config);

/// Maps a key to another (share → DV key for requests, DV key → share for answers); nullopt: leave as is.
using KeyMap = std::function<std::optional<eth::BLSPubkey>(const eth::BLSPubkey&)>;

/// Rewrites the public keys of a beacon node answer in place: in `data` (an array or one object) every
/// element's "pubkey" and "validator"."pubkey" string that `map` maps. Other fields are untouched. Returns the
/// number of keys replaced. Errors: a reason when `body` is not an object with `data` (the caller then passes
/// the answer through unchanged).
Result<std::size_t, std::string> rewrite_answer_pubkeys(ssz::Json& body, const KeyMap& map);

/// Rewrites validator ids (`0x`-prefixed 48-byte keys; indices are left alone) in a list of id strings, as
/// used by the `id` query parameter and the postStateValidators body `ids`. Returns the rewritten ids.
std::vector<std::string> rewrite_ids(const std::vector<std::string>& ids, const KeyMap& map);

/// Rewrites the `ids` array of a postStateValidators body; `statuses` and unknown fields are kept. Errors:
/// malformed JSON or `ids` not an array of strings.
Result<std::string, std::string> rewrite_validators_body(std::string_view body, const KeyMap& map);

/// JSON text of `{"code":400,"message":…,"failures":[{"index":i,"message":…}…]}` (IndexedErrorMessage).
std::string indexed_error_body(unsigned status, std::string_view message,
                               const std::vector<std::pair<std::size_t, std::string>>& failures);

}  // namespace phx::beaconapi::vapi
