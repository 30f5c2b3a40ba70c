// Fuzz target: the operator API's decoders of untrusted text, a POST /phalanx/v1/exits body
// (parse_exit_request) and DATA_DIR/exits.json (parse_exits_file). Any input gives a value or an error
// message, never a crash; an accepted exits file survives the exits_file_text round trip unchanged.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "app/operator_api.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace phx::app;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  // An accepted body names validators one way: a non-empty pubkeys list or "all", never both or neither.
  if (auto r = parse_exit_request(text); r && r->all == !r->pubkeys.empty()) std::abort();
  if (auto f = parse_exits_file(text)) {
    auto again = parse_exits_file(exits_file_text(*f));
    if (!again || again->size() != f->size()) std::abort();
    for (std::size_t i = 0; i < f->size(); ++i)
      if ((*again)[i].pubkey != (*f)[i].pubkey || (*again)[i].epoch != (*f)[i].epoch ||
          (*again)[i].requested_at != (*f)[i].requested_at)
        std::abort();
  }
  return 0;
}
