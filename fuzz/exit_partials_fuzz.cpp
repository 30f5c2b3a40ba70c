// Fuzz target: the exit files of `phalanx exit` and DATA_DIR/exit-partials.json: a partial-exits file
// (parse_partial_exits) and a full signed exit (parse_signed_exit). Any input gives a value or an error message,
// never a crash; an accepted file survives its encoder's round trip unchanged.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "app/exit_partials.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace phx::app;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto f = parse_partial_exits(text)) {
    auto again = parse_partial_exits(partial_exits_text(*f));
    if (!again || again->lock_hash != f->lock_hash || again->partials.size() != f->partials.size()) std::abort();
    for (std::size_t i = 0; i < f->partials.size(); ++i) {
      const auto& a = (*again).partials[i];
      const auto& b = f->partials[i];
      if (a.pubkey != b.pubkey || !(a.exit == b.exit) || a.share_idx != b.share_idx || a.signature != b.signature)
        std::abort();
    }
  }
  if (auto e = parse_signed_exit(text)) {
    auto again = parse_signed_exit(signed_exit_text(*e));
    if (!again || !(*again == *e)) std::abort();
  }
  return 0;
}
