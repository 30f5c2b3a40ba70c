#pragma once
// Private helpers shared by the beacon simulator's source files (beacon_sim*.cpp); not part of its interface.
#include <cstdint>
#include <optional>
#include <type_traits>
#include <utility>
#include <variant>

#include <string>
#include <string_view>

#include "base/assert.hpp"
#include "base/bytes.hpp"
#include "eth/fork.hpp"
#include "beaconapi/http/router.hpp"
#include "eth/preset.hpp"

namespace phx::sim::detail {

/// Upper bound on attestations in one pool submission (one per validator of a slot's committees).
constexpr std::size_t kMaxPoolItems =
    eth::preset::kMaxValidatorsPerCommittee * eth::preset::kMaxCommitteesPerSlot;
/// TARGET_AGGREGATORS_PER_COMMITTEE (phase0/validator.md).
constexpr std::uint64_t kTargetAggregatorsPerCommittee = 16;
/// TARGET_AGGREGATORS_PER_SYNC_SUBCOMMITTEE (altair/validator.md).
constexpr std::uint64_t kTargetAggregatorsPerSyncSubcommittee = 16;
/// SYNC_COMMITTEE_SIZE / SYNC_COMMITTEE_SUBNET_COUNT.
constexpr std::size_t kSyncSubcommitteeSize = eth::preset::kSyncCommitteeSize / eth::preset::kSyncCommitteeSubnetCount;
/// Slots of history the pools and the equivocation record keep.
constexpr std::uint64_t kKeepSlots = 64;

/// A Beacon API error body whose message may quote request bytes: anything outside printable ASCII becomes
/// '?', so the JSON text is always valid UTF-8 (nlohmann::json::dump throws otherwise).
inline std::string printable(std::string_view text) {
  std::string out(text);
  for (auto& c : out) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u > 0x7e) c = '?';
  }
  return out;
}

/// Response::error with printable(message).
inline beaconapi::http::Response error_response(unsigned status, std::string_view message) {
  return beaconapi::http::Response::error(status, printable(message));
}

/// The first 8 bytes of a derived root as a little-endian integer.
inline std::uint64_t u64_of(const Root& r) {
  return get_le64(r.data());
}

/// Calls fn(std::integral_constant<std::size_t, I>) for I = the fork's index.
template <class Fn>
void with_fork_index(eth::Fork fork, Fn&& fn) {
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    ((static_cast<std::size_t>(fork) == I ? (fn(std::integral_constant<std::size_t, I>{}), 0) : 0), ...);
  }(std::make_index_sequence<eth::kForkCount>{});
}

/// The family V holding `value` as fork `fork`'s alternative. Precondition: that alternative is T.
template <class V, class T>
V versioned_at(eth::Fork fork, T value) {
  std::optional<V> out;
  with_fork_index(fork, [&](auto ic) {
    constexpr std::size_t kI = decltype(ic)::value;
    if constexpr (std::is_same_v<std::variant_alternative_t<kI, typename V::Variant>, T>) {
      out.emplace(V{typename V::Variant(std::in_place_index<kI>, std::move(value))});
    }
  });
  PHX_ASSERT(out.has_value());
  return std::move(*out);
}

}  // namespace phx::sim::detail
