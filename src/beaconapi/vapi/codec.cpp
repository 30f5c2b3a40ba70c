#include "beaconapi/vapi/codec.hpp"

#include <type_traits>

namespace phx::beaconapi::vapi {

namespace {

/// Out built from the alternative of `in` with the same fork index: fn(x) for real types, monostate for
/// monostate. Out's alternative at that index must be constructible from fn's result.
template <class Out, std::size_t I = 0, class In, class Fn>
Out map_versioned(const In& in, Fn& fn) {
  if constexpr (I + 1 == eth::kForkCount) {
    const auto& x = std::get<I>(in.value);
    using X = std::remove_cvref_t<decltype(x)>;
    if constexpr (std::is_same_v<X, std::monostate>) {
      return Out{typename Out::Variant(std::in_place_index<I>)};
    } else {
      return Out{typename Out::Variant(std::in_place_index<I>, fn(x))};
    }
  } else {
    if (in.value.index() != I) return map_versioned<Out, I + 1>(in, fn);
    const auto& x = std::get<I>(in.value);
    using X = std::remove_cvref_t<decltype(x)>;
    if constexpr (std::is_same_v<X, std::monostate>) {
      return Out{typename Out::Variant(std::in_place_index<I>)};
    } else {
      return Out{typename Out::Variant(std::in_place_index<I>, fn(x))};
    }
  }
}

/// V holding `v` as the alternative of `fork`. Precondition: that alternative is constructible from T.
template <class V, class T, std::size_t I = 0>
V make_at(eth::Fork fork, T&& v) {
  if constexpr (I == eth::kForkCount) {
    return V{};
  } else {
    using Alt = std::variant_alternative_t<I, typename V::Variant>;
    if constexpr (!std::is_same_v<Alt, std::monostate> && std::is_constructible_v<Alt, T&&>) {
      if (static_cast<std::size_t>(fork) == I) {
        return V{typename V::Variant(std::in_place_index<I>, std::forward<T>(v))};
      }
    }
    return make_at<V, T, I + 1>(fork, std::forward<T>(v));
  }
}

/// The value at a JSON object path, or null.
const ssz::Json* find_path(const ssz::Json& j, std::initializer_list<const char*> path) {
  const ssz::Json* cur = &j;
  for (const char* key : path) {
    if (!cur->is_object()) return nullptr;
    auto it = cur->find(key);
    if (it == cur->end()) return nullptr;
    cur = &*it;
  }
  return cur;
}

Result<eth::Fork, std::string> fork_of_slot_json(const ssz::Json& j, std::initializer_list<const char*> path,
                                                 const eth::ChainConfig& config) {
  const ssz::Json* s = find_path(j, path);
  if (s == nullptr || !s->is_string()) {
    return std::unexpected(std::string("no Eth-Consensus-Version header and no slot in the body"));
  }
  auto v = ssz::dec_to_u64(s->get_ref<const std::string&>());
  if (!v) return std::unexpected("slot: " + v.error());
  return config.fork_at(config.epoch_at(Slot{*v}));
}

Result<eth::Fork, std::string> header_fork(std::string_view header) {
  auto f = eth::fork_from_name(header);
  if (!f) return std::unexpected("unknown Eth-Consensus-Version \"" + std::string(header) + "\"");
  return *f;
}

template <class V>
Result<V, std::string> decode_versioned_body(eth::Fork fork, std::string_view body, bool ssz,
                                             const ssz::Json* parsed) {
  if (ssz) {
    auto v = decode_versioned_ssz<V>(fork, as_bytes(body));
    if (!v) return std::unexpected("malformed SSZ body for " + std::string(eth::fork_name(fork)) + ": " +
                                   v.error().message());
    return std::move(*v);
  }
  auto v = decode_versioned_data<V>(fork, *parsed);
  if (!v) return std::unexpected("malformed JSON body for " + std::string(eth::fork_name(fork)) + ": " +
                                 v.error().message());
  return std::move(*v);
}

/// Fork and parsed JSON (JSON bodies only) of a signed block body.
template <class V>
Result<V, std::string> decode_block_body(std::string_view body, bool ssz, std::string_view version_header,
                                         const eth::ChainConfig& config) {
  ssz::Json parsed;
  if (!ssz) {
    auto j = ssz::parse_json(body);
    if (!j) return std::unexpected("malformed JSON body: " + j.error().message());
    parsed = std::move(*j);
  }
  Result<eth::Fork, std::string> fork = std::unexpected(std::string());
  if (!version_header.empty()) {
    fork = header_fork(version_header);
  } else if (ssz) {
    fork = std::unexpected(std::string("an SSZ body needs the Eth-Consensus-Version header"));
  } else {
    fork = fork_of_slot_json(parsed, {"message", "slot"}, config);
    if (!fork) fork = fork_of_slot_json(parsed, {"signed_block", "message", "slot"}, config);
  }
  if (!fork) return std::unexpected(fork.error());
  return decode_versioned_body<V>(*fork, body, ssz, &parsed);
}

}  // namespace

Result<eth::Fork, std::string> body_fork(std::string_view header, std::string_view body, bool ssz,
                                         std::initializer_list<const char*> slot_path,
                                         const eth::ChainConfig& config) {
  if (!header.empty()) return header_fork(header);
  if (ssz) return std::unexpected(std::string("an SSZ body needs the Eth-Consensus-Version header"));
  auto j = ssz::parse_json(body);
  if (!j) return std::unexpected("malformed JSON body: " + j.error().message());
  return fork_of_slot_json(*j, slot_path, config);
}

Result<VersionedSignedProducedBlock, std::string> decode_signed_block(std::string_view body, bool ssz,
                                                                      std::string_view version_header,
                                                                      const eth::ChainConfig& config) {
  return decode_block_body<VersionedSignedProducedBlock>(body, ssz, version_header, config);
}

Result<VersionedSignedBlindedBeaconBlock, std::string> decode_signed_blinded_block(std::string_view body, bool ssz,
                                                                                  std::string_view version_header,
                                                                                  const eth::ChainConfig& config) {
  return decode_block_body<VersionedSignedBlindedBeaconBlock>(body, ssz, version_header, config);
}

std::pair<VersionedBeaconBlock, eth::BLSSignature> split_signed_block(const VersionedSignedProducedBlock& b) {
  eth::BLSSignature sig{};
  auto fn = [&sig](const auto& x) {
    if constexpr (requires { x.signed_block; }) {
      sig = x.signed_block.signature;
      return x.signed_block.message;
    } else {
      sig = x.signature;
      return x.message;
    }
  };
  auto block = map_versioned<VersionedBeaconBlock>(b, fn);
  return {std::move(block), sig};
}

std::pair<VersionedBlindedBeaconBlock, eth::BLSSignature> split_signed_blinded_block(
    const VersionedSignedBlindedBeaconBlock& b) {
  eth::BLSSignature sig{};
  auto fn = [&sig](const auto& x) {
    sig = x.signature;
    return x.message;
  };
  auto block = map_versioned<VersionedBlindedBeaconBlock>(b, fn);
  return {std::move(block), sig};
}

Result<std::vector<VersionedSignedAggregateAndProof>, std::string> decode_aggregates(
    std::string_view body, bool ssz, bool v2, std::string_view version_header, const eth::ChainConfig& config) {
  std::vector<VersionedSignedAggregateAndProof> out;
  if (!v2) {
    auto items = decode_items<eth::phase0::SignedAggregateAndProof>(body, ssz);
    if (!items) return std::unexpected(items.error());
    for (auto& it : *items) {
      auto fork = config.fork_at(config.epoch_at(it.message.aggregate.data.slot));
      if (fork >= eth::Fork::kElectra) {
        return std::unexpected(std::string("aggregate of an electra slot sent to the v1 endpoint (use v2)"));
      }
      out.push_back(make_at<VersionedSignedAggregateAndProof>(fork, std::move(it)));
    }
    return out;
  }
  if (version_header.empty()) return std::unexpected(std::string("missing Eth-Consensus-Version header"));
  auto fork = header_fork(version_header);
  if (!fork) return std::unexpected(fork.error());
  if (*fork >= eth::Fork::kElectra) {
    auto items = decode_items<eth::electra::SignedAggregateAndProof>(body, ssz);
    if (!items) return std::unexpected(items.error());
    for (auto& it : *items) out.push_back(make_at<VersionedSignedAggregateAndProof>(*fork, std::move(it)));
    return out;
  }
  auto items = decode_items<eth::phase0::SignedAggregateAndProof>(body, ssz);
  if (!items) return std::unexpected(items.error());
  for (auto& it : *items) out.push_back(make_at<VersionedSignedAggregateAndProof>(*fork, std::move(it)));
  return out;
}

namespace {

std::size_t rewrite_key_field(ssz::Json& obj, const KeyMap& map) {
  if (!obj.is_object()) return 0;
  auto it = obj.find("pubkey");
  if (it == obj.end() || !it->is_string()) return 0;
  auto key = from_hex_fixed<48>(it->get_ref<const std::string&>());
  if (!key) return 0;
  auto mapped = map(*key);
  if (!mapped) return 0;
  *it = to_hex(*mapped);
  return 1;
}

std::size_t rewrite_element(ssz::Json& e, const KeyMap& map) {
  if (!e.is_object()) return 0;
  std::size_t n = rewrite_key_field(e, map);
  if (auto v = e.find("validator"); v != e.end()) n += rewrite_key_field(*v, map);
  return n;
}

}  // namespace

Result<std::size_t, std::string> rewrite_answer_pubkeys(ssz::Json& body, const KeyMap& map) {
  if (!body.is_object()) return std::unexpected(std::string("answer is not a JSON object"));
  auto it = body.find("data");
  if (it == body.end()) return std::unexpected(std::string("answer has no data"));
  std::size_t n = 0;
  if (it->is_array()) {
    for (auto& e : *it) n += rewrite_element(e, map);
  } else if (it->is_object()) {
    n += rewrite_element(*it, map);
  } else {
    return std::unexpected(std::string("answer data is neither an array nor an object"));
  }
  return n;
}

std::vector<std::string> rewrite_ids(const std::vector<std::string>& ids, const KeyMap& map) {
  std::vector<std::string> out;
  out.reserve(ids.size());
  for (const auto& id : ids) {
    if (id.size() == 98 && id.starts_with("0x")) {
      if (auto key = from_hex_fixed<48>(id); key) {
        if (auto mapped = map(*key); mapped) {
          out.push_back(to_hex(*mapped));
          continue;
        }
      }
    }
    out.push_back(id);
  }
  return out;
}

Result<std::string, std::string> rewrite_validators_body(std::string_view body, const KeyMap& map) {
  auto j = ssz::parse_json(body);
  if (!j) return std::unexpected("malformed JSON body: " + j.error().message());
  if (!j->is_object()) return std::unexpected(std::string("malformed JSON body: expected an object"));
  auto it = j->find("ids");
  if (it != j->end()) {
    if (!it->is_array()) return std::unexpected(std::string("ids: expected an array"));
    std::vector<std::string> ids;
    ids.reserve(it->size());
    for (const auto& e : *it) {
      if (!e.is_string()) return std::unexpected(std::string("ids: expected strings"));
      ids.push_back(e.get<std::string>());
    }
    ssz::Json arr = ssz::Json::array();
    for (auto& s : rewrite_ids(ids, map)) arr.push_back(std::move(s));
    *it = std::move(arr);
  }
  return j->dump(-1, ' ', false, ssz::Json::error_handler_t::replace);
}

std::string indexed_error_body(unsigned status, std::string_view message,
                               const std::vector<std::pair<std::size_t, std::string>>& failures) {
  ssz::Json j = ssz::Json::object();
  j["code"] = status;
  j["message"] = std::string(message);
  ssz::Json arr = ssz::Json::array();
  for (const auto& [i, m] : failures) {
    ssz::Json f = ssz::Json::object();
    f["index"] = i;
    f["message"] = m;
    arr.push_back(std::move(f));
  }
  j["failures"] = std::move(arr);
  return j.dump(-1, ' ', false, ssz::Json::error_handler_t::replace);
}

}  // namespace phx::beaconapi::vapi
