// Fuzz target: ENR text and RLP decoding. A record that parses must re-encode to the same text.
#include <cstdint>
#include <string_view>

#include "base/assert.hpp"
#include "cluster/enr.hpp"
#include "cluster/rlp.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  phx::ByteSpan in(data, size);
  (void)phx::cluster::rlp::decode(in);
  if (auto e = phx::cluster::Enr::decode(in)) {
    auto again = phx::cluster::Enr::parse(e->to_text());
    PHX_ASSERT(again && again->rlp() == e->rlp());
  }
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto e = phx::cluster::Enr::parse(text)) PHX_ASSERT(e->to_text() == text);
  return 0;
}
