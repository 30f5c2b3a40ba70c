#pragma once
/// Logging facade over spdlog. Never pass secrets: secret types have no formatter, so they cannot be logged.
#include <spdlog/spdlog.h>

namespace phx::log {

using spdlog::debug;
using spdlog::error;
using spdlog::info;
using spdlog::warn;

/// Sets the global level from a name (trace, debug, info, warn, error, off); unknown names leave it unchanged
/// and return false.
bool set_level(std::string_view name);

}  // namespace phx::log
