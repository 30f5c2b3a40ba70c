#include "base/secret.hpp"

#include <string.h>

namespace phx {

void secure_zero(void* p, std::size_t n) noexcept { explicit_bzero(p, n); }


bool ct_equal(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) noexcept {
  if (a.size() != b.size()) return false;
  std::uint8_t acc = 0;
  for (std::size_t i = 0; i < a.size(); ++i) acc = static_cast<std::uint8_t>(acc | (a[i] ^ b[i]));
  return acc == 0;
}

}  // namespace phx
