#include "base/log.hpp"

namespace phx::log {

bool set_level(std::string_view name) {
  auto lvl = spdlog::level::from_str(std::string(name));
  if (lvl == spdlog::level::off && name != "off") return false;
  spdlog::set_level(lvl);
  return true;
}

}  // namespace phx::log
