#include "base/bytes.hpp"

namespace phx {

const char* to_string(HexError e) {
  switch (e) {
    case HexError::kOk: return "ok";
    case HexError::kOddLength: return "hex string has an odd number of digits";
    case HexError::kBadDigit: return "hex string has a non-hex character";
    case HexError::kBadLength: return "hex string has the wrong length";
    case HexError::kMissingPrefix: return "hex string lacks the 0x prefix";
  }
  return "unknown hex error";
}

std::string to_hex(ByteSpan data, bool prefix) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(data.size() * 2 + 2);
  if (prefix) out += "0x";
  for (auto b : data) {
    out += kDigits[b >> 4];
    out += kDigits[b & 15];
  }
  return out;
}

namespace {
int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

Result<Bytes> from_hex(std::string_view text) {
  if (text.size() >= 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) text.remove_prefix(2);
  if (text.size() % 2 != 0) return fail(HexError::kOddLength);
  Bytes out(text.size() / 2);
  for (std::size_t i = 0; i < out.size(); ++i) {
    int hi = hex_value(text[2 * i]);
    int lo = hex_value(text[2 * i + 1]);
    if (hi < 0 || lo < 0) return fail(HexError::kBadDigit);
    out[i] = static_cast<std::uint8_t>((hi << 4) | lo);
  }
  return out;
}

}  // namespace phx
