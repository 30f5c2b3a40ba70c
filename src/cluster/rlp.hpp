#pragma once
/// Recursive Length Prefix encoding (Ethereum yellow paper, appendix B) with strict, canonical decoding:
/// every length is checked against the input, non-minimal encodings are rejected, nesting is bounded.
#include <cstdint>
#include <vector>

#include "base/bytes.hpp"

namespace phx::cluster::rlp {

enum class RlpError {
  kOk = 0,
  kTruncated,      ///< a length points past the end of the input
  kNonCanonical,   ///< a single byte < 0x80 wrapped, a long form used for a short length, or leading zeros
  kTrailingBytes,  ///< bytes left after the top-level item
  kTooDeep,        ///< lists nested deeper than kMaxDepth
  kNotAList,       ///< a list was expected
  kNotBytes,       ///< a byte string was expected
  kBadInteger,     ///< an integer with leading zeros or longer than 8 bytes
};
const char* to_string(RlpError e);
PHX_ERROR_ENUM(RlpError, "rlp")

inline constexpr int kMaxDepth = 16;

/// A decoded item: either a byte string (a view into the input) or a list of items.
struct Item {
  bool is_list = false;
  ByteSpan bytes;            ///< the payload when !is_list
  std::vector<Item> items;   ///< the children when is_list
};

/// Encodes a byte string.
Bytes encode_bytes(ByteSpan b);
/// Encodes an unsigned integer as its minimal big-endian byte string (0 → empty string).
Bytes encode_uint(std::uint64_t v);
/// Wraps already-encoded items into a list.
Bytes encode_list(const std::vector<Bytes>& encoded_items);

/// Decodes exactly one item spanning all of `in`.
Result<Item> decode(ByteSpan in);
/// Reads an unsigned integer item (≤ 8 bytes, no leading zeros).
Result<std::uint64_t> as_uint(const Item& item);

}  // namespace phx::cluster::rlp

PHX_ERROR_ENUM_TRAIT(phx::cluster::rlp::RlpError)
