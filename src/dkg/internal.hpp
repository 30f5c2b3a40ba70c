#pragma once
/// Small helpers shared by the ceremony's translation units (not part of the module's interface).
#include <cstdint>
#include <string>
#include <tuple>

#include "dkg/messages.hpp"

namespace phx::dkg::internal {

/// The store key of a slot.
inline std::tuple<std::uint8_t, std::uint32_t, std::uint32_t> key_of(const MessageSlot& s) {
  return {s.kind, s.sender, s.part};
}

/// "participant i".
inline std::string who(std::uint32_t i) { return "participant " + std::to_string(i); }

}  // namespace phx::dkg::internal
