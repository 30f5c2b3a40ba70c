#pragma once
/// PHX_ASSERT: an always-on check for programming errors (never for untrusted input, which gets a Result).
#include <cstdio>
#include <cstdlib>

namespace phx::detail {
[[noreturn]] inline void assert_fail(const char* expr, const char* file, int line) noexcept {
  std::fprintf(stderr, "PHX_ASSERT failed: %s at %s:%d\n", expr, file, line);
  std::abort();
}
}  // namespace phx::detail

#define PHX_ASSERT(cond) \
  ((cond) ? static_cast<void>(0) : ::phx::detail::assert_fail(#cond, __FILE__, __LINE__))
