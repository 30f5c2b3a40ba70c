#include "base/base64.hpp"

namespace phx {

const char* to_string(Base64Error e) {
  switch (e) {
    case Base64Error::kOk: return "ok";
    case Base64Error::kBadCharacter: return "base64 text has a character outside the alphabet";
    case Base64Error::kBadLength: return "base64 text has an impossible length";
    case Base64Error::kBadPadding: return "base64 text has bad padding or non-zero trailing bits";
  }
  return "unknown base64 error";
}

namespace {

constexpr char kStd[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kUrl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string encode(ByteSpan data, const char* alpha, bool pad) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    std::uint32_t v = (std::uint32_t{data[i]} << 16) | (std::uint32_t{data[i + 1]} << 8) | data[i + 2];
    out += alpha[(v >> 18) & 63];
    out += alpha[(v >> 12) & 63];
    out += alpha[(v >> 6) & 63];
    out += alpha[v & 63];
  }
  std::size_t rem = data.size() - i;
  if (rem == 1) {
    std::uint32_t v = std::uint32_t{data[i]} << 16;
    out += alpha[(v >> 18) & 63];
    out += alpha[(v >> 12) & 63];
    if (pad) out += "==";
  } else if (rem == 2) {
    std::uint32_t v = (std::uint32_t{data[i]} << 16) | (std::uint32_t{data[i + 1]} << 8);
    out += alpha[(v >> 18) & 63];
    out += alpha[(v >> 12) & 63];
    out += alpha[(v >> 6) & 63];
    if (pad) out += '=';
  }
  return out;
}

Result<Bytes> decode(std::string_view text, const char* alpha, bool pad_required) {
  if (!pad_required && text.find('=') != std::string_view::npos) return fail(Base64Error::kBadPadding);
  std::size_t pad = 0;
  while (!text.empty() && text.back() == '=' && pad < 2) {
    text.remove_suffix(1);
    ++pad;
  }
  if (pad_required && (text.size() + pad) % 4 != 0) return fail(Base64Error::kBadPadding);
  if (pad && (text.size() + pad) % 4 != 0) return fail(Base64Error::kBadPadding);
  if (text.size() % 4 == 1) return fail(Base64Error::kBadLength);
  int lut[256];
  for (int& v : lut) v = -1;
  for (int k = 0; k < 64; ++k) lut[static_cast<unsigned char>(alpha[k])] = k;
  Bytes out;
  out.reserve(text.size() * 3 / 4);
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    int v = lut[static_cast<unsigned char>(c)];
    if (v < 0) return fail(Base64Error::kBadCharacter);
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<std::uint8_t>(acc >> bits));
    }
  }
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) return fail(Base64Error::kBadPadding);
  return out;
}

}  // namespace

std::string base64_encode(ByteSpan data) { return encode(data, kStd, true); }
std::string base64url_encode(ByteSpan data) { return encode(data, kUrl, false); }
Result<Bytes> base64_decode(std::string_view text) { return decode(text, kStd, true); }
Result<Bytes> base64url_decode(std::string_view text) { return decode(text, kUrl, false); }

}  // namespace phx
