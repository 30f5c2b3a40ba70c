#pragma once
/// Strong ids: values that must not be mixed up get their own type (GUIDE §3).
#include <compare>
#include <cstdint>
#include <functional>

namespace phx {

template <class Tag, class Rep = std::uint64_t>
struct StrongId {
  Rep value{};
  constexpr StrongId() = default;
  constexpr explicit StrongId(Rep v) : value(v) {}
  constexpr auto operator<=>(const StrongId&) const = default;
};

struct SlotTag {};
struct EpochTag {};
struct ValidatorIndexTag {};
struct ShareIdxTag {};
struct OperatorIdxTag {};

using Slot = StrongId<SlotTag>;
using Epoch = StrongId<EpochTag>;
using ValidatorIndex = StrongId<ValidatorIndexTag>;
/// 1-based Shamir x coordinate of a key share.
using ShareIdx = StrongId<ShareIdxTag, std::uint32_t>;
/// 0-based position of an operator in the cluster lock.
using OperatorIdx = StrongId<OperatorIdxTag, std::uint32_t>;

}  // namespace phx

template <class Tag, class Rep>
struct std::hash<phx::StrongId<Tag, Rep>> {
  std::size_t operator()(const phx::StrongId<Tag, Rep>& id) const noexcept { return std::hash<Rep>{}(id.value); }
};
