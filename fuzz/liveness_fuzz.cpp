// Fuzz target: the decoder of a beacon node's liveness answer (app::decode_liveness, doppelganger protection).
// Any bytes give pairs or an error, never a crash; a decoded answer re-encoded decodes to the same pairs.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "app/bn_adapter.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace phx;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto r = app::decode_liveness(text);
  if (!r) return 0;
  std::string again = "{\"data\":[";
  for (std::size_t i = 0; i < r->size(); ++i) {
    if (i) again += ",";
    again += "{\"index\":\"" + std::to_string((*r)[i].first.value) + "\",\"is_live\":" +
             ((*r)[i].second ? "true" : "false") + "}";
  }
  again += "]}";
  auto back = app::decode_liveness(again);
  if (!back || *back != *r) std::abort();
  return 0;
}
