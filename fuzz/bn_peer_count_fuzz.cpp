// Fuzz target: the beacon node's peer-count answers (parse_peer_count for GET /eth/v1/node/peer_count,
// parse_connected_peers for GET /eth/v1/node/peers) and printable_ascii on BN/VC strings. Any bytes give a count or
// none, never a crash; a count from getPeers never exceeds the bytes it came from; printable_ascii only yields
// printable ASCII of at most the asked length.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "app/bn_adapter.hpp"
#include "app/monitor.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace phx;
  std::string_view body(reinterpret_cast<const char*>(data), size);
  (void)app::parse_peer_count(body);
  if (auto n = app::parse_connected_peers(body); n && *n > size) std::abort();
  const auto text = app::printable_ascii(body, 64);
  if (text.size() > 64 || text.size() > size) std::abort();
  for (char c : text)
    if (c < 0x20 || c > 0x7e) std::abort();
  return 0;
}
