#include "cluster/rlp.hpp"

namespace phx::cluster::rlp {

const char* to_string(RlpError e) {
  switch (e) {
    case RlpError::kOk: return "ok";
    case RlpError::kTruncated: return "RLP item runs past the end of its input";
    case RlpError::kNonCanonical: return "RLP encoding is not canonical";
    case RlpError::kTrailingBytes: return "RLP input has trailing bytes";
    case RlpError::kTooDeep: return "RLP lists are nested too deeply";
    case RlpError::kNotAList: return "RLP item is not a list";
    case RlpError::kNotBytes: return "RLP item is not a byte string";
    case RlpError::kBadInteger: return "RLP integer is not minimal or exceeds 64 bits";
  }
  return "unknown RLP error";
}

namespace {

void put_length(Bytes& out, std::size_t len, std::uint8_t short_base, std::uint8_t long_base) {
  if (len < 56) {
    out.push_back(static_cast<std::uint8_t>(short_base + len));
    return;
  }
  std::uint8_t be[8];
  int n = 0;
  for (std::size_t v = len; v; v >>= 8) be[n++] = static_cast<std::uint8_t>(v);
  out.push_back(static_cast<std::uint8_t>(long_base + n));
  while (n) out.push_back(be[--n]);
}

struct Header {
  bool is_list;
  std::size_t offset;  // header size
  std::size_t length;  // payload size
};

Result<Header> read_header(ByteSpan in) {
  if (in.empty()) return fail(RlpError::kTruncated);
  std::uint8_t b = in[0];
  if (b < 0x80) return Header{false, 0, 1};
  auto long_length = [&](std::size_t n) -> Result<std::size_t> {
    if (in.size() < 1 + n) return fail(RlpError::kTruncated);
    if (in[1] == 0) return fail(RlpError::kNonCanonical);
    std::size_t len = 0;
    for (std::size_t i = 0; i < n; ++i) len = (len << 8) | in[1 + i];
    if (len < 56) return fail(RlpError::kNonCanonical);
    return len;
  };
  if (b <= 0xb7) {
    std::size_t len = b - 0x80u;
    if (len == 1 && (in.size() < 2 || in[1] < 0x80)) {
      if (in.size() < 2) return fail(RlpError::kTruncated);
      return fail(RlpError::kNonCanonical);
    }
    return Header{false, 1, len};
  }
  if (b <= 0xbf) {
    std::size_t n = b - 0xb7u;
    if (n > 4) return fail(RlpError::kTruncated);  // > 4 GiB cannot fit any input we accept
    auto len = long_length(n);
    if (!len) return std::unexpected(len.error());
    return Header{false, 1 + n, *len};
  }
  if (b <= 0xf7) return Header{true, 1, b - 0xc0u};
  std::size_t n = b - 0xf7u;
  if (n > 4) return fail(RlpError::kTruncated);
  auto len = long_length(n);
  if (!len) return std::unexpected(len.error());
  return Header{true, 1 + n, *len};
}

Result<Item> decode_item(ByteSpan in, std::size_t& consumed, int depth) {
  if (depth > kMaxDepth) return fail(RlpError::kTooDeep);
  auto h = read_header(in);
  if (!h) return std::unexpected(h.error());
  if (h->length > in.size() - h->offset) return fail(RlpError::kTruncated);
  ByteSpan payload = in.subspan(h->offset, h->length);
  consumed = h->offset + h->length;
  Item item;
  item.is_list = h->is_list;
  if (!h->is_list) {
    item.bytes = payload;
    return item;
  }
  while (!payload.empty()) {
    std::size_t used = 0;
    auto child = decode_item(payload, used, depth + 1);
    if (!child) return std::unexpected(child.error());
    item.items.push_back(std::move(*child));
    payload = payload.subspan(used);
  }
  return item;
}

}  // namespace

Bytes encode_bytes(ByteSpan b) {
  Bytes out;
  if (b.size() == 1 && b[0] < 0x80) {
    out.push_back(b[0]);
    return out;
  }
  put_length(out, b.size(), 0x80, 0xb7);
  append(out, b);
  return out;
}

Bytes encode_uint(std::uint64_t v) {
  std::uint8_t be[8];
  int n = 0;
  for (std::uint64_t x = v; x; x >>= 8) be[n++] = static_cast<std::uint8_t>(x);
  Bytes tmp;
  while (n) tmp.push_back(be[--n]);
  return encode_bytes(tmp);
}

Bytes encode_list(const std::vector<Bytes>& encoded_items) {
  std::size_t total = 0;
  for (const auto& i : encoded_items) total += i.size();
  Bytes out;
  put_length(out, total, 0xc0, 0xf7);
  for (const auto& i : encoded_items) append(out, i);
  return out;
}

Result<Item> decode(ByteSpan in) {
  std::size_t used = 0;
  auto item = decode_item(in, used, 0);
  if (!item) return item;
  if (used != in.size()) return fail(RlpError::kTrailingBytes);
  return item;
}

Result<std::uint64_t> as_uint(const Item& item) {
  if (item.is_list) return fail(RlpError::kNotBytes);
  if (item.bytes.size() > 8 || (!item.bytes.empty() && item.bytes[0] == 0)) return fail(RlpError::kBadInteger);
  std::uint64_t v = 0;
  for (auto b : item.bytes) v = (v << 8) | b;
  return v;
}

}  // namespace phx::cluster::rlp
