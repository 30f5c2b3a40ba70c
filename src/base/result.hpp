#pragma once
/// Result<T, E>: expected failures are values (std::expected). Each module has one `enum class` of reasons,
/// made convertible to std::error_code with PHX_ERROR_ENUM so that errors cross module boundaries uniformly.
#include <expected>
#include <string>
#include <system_error>
#include <type_traits>

namespace phx {

template <class T, class E = std::error_code>
using Result = std::expected<T, E>;

/// Shorthand for returning an error: `return fail(BlsError::kBadEncoding);`. Enums declared with PHX_ERROR_ENUM
/// become std::error_code; any other E is returned as is.
template <class E>
[[nodiscard]] auto fail(E e) {
  if constexpr (requires { make_error_code(e); }) {
    return std::unexpected<std::error_code>(make_error_code(e));
  } else {
    return std::unexpected<E>(e);
  }
}

/// A std::error_category for a module's error enum. The enum's namespace must provide
/// `const char* to_string(E)` (found by ADL) and `inline constexpr const char* kErrorDomain<E>`.
template <class E>
class EnumErrorCategory final : public std::error_category {
 public:
  explicit EnumErrorCategory(const char* name) : name_(name) {}
  const char* name() const noexcept override { return name_; }
  std::string message(int v) const override { return to_string(static_cast<E>(v)); }

 private:
  const char* name_;
};

}  // namespace phx

/// Declares the std::error_code plumbing for a module error enum `E` in the current namespace.
/// Usage (in the module's namespace): `enum class FooError { kOk = 0, kBad = 1 }; const char* to_string(FooError);
/// PHX_ERROR_ENUM(FooError, "foo")` then, at global scope, `PHX_ERROR_ENUM_TRAIT(ns::FooError)`.
#define PHX_ERROR_ENUM(E, domain)                                        \
  inline const std::error_category& error_category(E) noexcept {         \
    static const ::phx::EnumErrorCategory<E> kCategory{domain};          \
    return kCategory;                                                    \
  }                                                                      \
  inline std::error_code make_error_code(E e) noexcept {                 \
    return {static_cast<int>(e), error_category(e)};                     \
  }

#define PHX_ERROR_ENUM_TRAIT(E) \
  template <>                   \
  struct std::is_error_code_enum<E> : std::true_type {};
