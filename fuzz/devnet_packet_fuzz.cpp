// Fuzz target: the packets the devnet's emulated network (--chaos-net) reads from the nodes' TUN devices
// (packet_port): any bytes must route to a port in [0, nodes] or nowhere, never crash or read out of bounds.
#include <cstdint>
#include <cstdlib>
#include <span>

#include "app/devnet_net.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::uint8_t subnet[3] = {10, 201, 7};
  const std::uint32_t nodes = size > 0 ? 1u + data[0] % 16u : 4u;
  auto port = phx::app::packet_port(std::span<const std::uint8_t>(data, size), subnet, nodes);
  if (port && *port > nodes) std::abort();
  if (port && (size < 20 || (data[0] >> 4) != 4)) std::abort();
  return 0;
}
