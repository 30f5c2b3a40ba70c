#pragma once
/// Base64 (RFC 4648 §4) and base64url (§5) encoding and strict decoding.
#include <string>
#include <string_view>

#include "base/bytes.hpp"

namespace phx {

enum class Base64Error { kOk = 0, kBadCharacter, kBadLength, kBadPadding };
const char* to_string(Base64Error e);
PHX_ERROR_ENUM(Base64Error, "base64")

/// Standard alphabet with '=' padding.
std::string base64_encode(ByteSpan data);
/// URL-safe alphabet without padding (ENR text form).
std::string base64url_encode(ByteSpan data);
/// Decodes the standard alphabet; padding required when the length is not a multiple of 4.
Result<Bytes> base64_decode(std::string_view text);
/// Decodes the URL-safe alphabet without padding ('=' is refused, as by Go's RawURLEncoding that Charon uses for
/// ENRs), so that every accepted text is the one base64url_encode gives. Non-zero trailing bits are rejected.
Result<Bytes> base64url_decode(std::string_view text);

}  // namespace phx

PHX_ERROR_ENUM_TRAIT(phx::Base64Error)
