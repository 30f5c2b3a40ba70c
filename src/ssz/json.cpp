#include "ssz/json.hpp"

#include <algorithm>

namespace phx::ssz {

__extension__ using U128 = unsigned __int128;

Result<Json, JsonError> parse_json(std::string_view text) {
  Json j = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return std::unexpected(JsonError{"", "malformed JSON"});
  return j;
}

std::string u64_to_dec(std::uint64_t v) {
  return std::to_string(v);
}

std::string u256_to_dec(const Uint256& v) {
  // Limbs, most significant first, base 2^32; repeated division by 10.
  std::array<std::uint32_t, 8> limbs{};
  for (int i = 0; i < 8; ++i) {
    std::uint32_t w = 0;
    for (int b = 3; b >= 0; --b) w = (w << 8) | v.le[static_cast<std::size_t>(4 * (7 - i) + b)];
    limbs[static_cast<std::size_t>(i)] = w;
  }
  std::string out;
  auto is_zero = [&] {
    return std::all_of(limbs.begin(), limbs.end(), [](std::uint32_t x) { return x == 0; });
  };
  if (is_zero()) return "0";
  while (!is_zero()) {
    std::uint64_t rem = 0;
    for (auto& l : limbs) {
      const std::uint64_t cur = (rem << 32) | l;
      l = static_cast<std::uint32_t>(cur / 10);
      rem = cur % 10;
    }
    out.push_back(static_cast<char>('0' + rem));
  }
  std::reverse(out.begin(), out.end());
  return out;
}

Result<std::uint64_t, std::string> dec_to_u64(std::string_view s) {
  if (s.empty()) return std::unexpected(std::string("empty number"));
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::unexpected(std::string("not a decimal digit in number"));
    const auto d = static_cast<std::uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) return std::unexpected(std::string("number out of range"));
    v = v * 10 + d;
  }
  return v;
}

Result<Uint256, std::string> dec_to_u256(std::string_view s) {
  if (s.empty()) return std::unexpected(std::string("empty number"));
  std::array<std::uint64_t, 4> limbs{};  // little-endian base 2^64
  for (char c : s) {
    if (c < '0' || c > '9') return std::unexpected(std::string("not a decimal digit in number"));
    U128 carry = static_cast<unsigned>(c - '0');
    for (auto& l : limbs) {
      const U128 cur = static_cast<U128>(l) * 10 + carry;
      l = static_cast<std::uint64_t>(cur);
      carry = cur >> 64;
    }
    if (carry != 0) return std::unexpected(std::string("number out of range"));
  }
  Uint256 out;
  for (std::size_t i = 0; i < 4; ++i) put_le64(out.le.data() + 8 * i, limbs[i]);
  return out;
}

namespace detail {

Result<Bytes, JsonError> hex_field(const Json& j, const std::string& path) {
  if (!j.is_string()) return jfail(path, "expected a 0x-prefixed hex string");
  const auto& s = j.get_ref<const std::string&>();
  if (s.size() < 2 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X')) return jfail(path, "missing 0x prefix");
  auto b = from_hex(std::string_view(s).substr(2));
  if (!b) return jfail(path, std::string("bad hex: ") + b.error().message());
  return std::move(*b);
}

}  // namespace detail
}  // namespace phx::ssz
