// Fuzz target: p2p frame decoding (header checks, splitting with per-protocol limits) and the hello and
// peer-info bodies. Inputs are untrusted peer bytes; any outcome but a crash/sanitizer report is fine, and
// whatever decodes must re-encode to the same bytes.
#include <cstdint>
#include <cstdlib>

#include "p2p/wire.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace phx;
  using namespace phx::p2p;
  ByteSpan in(data, size);
  ProtocolLimits limits;
  limits.set(kPingProtocol, 8);
  limits.set(kPeerInfoProtocol, kPeerInfoSize);
  limits.set(kFirstUserProtocol, 4096);
  limits.set(kFirstUserProtocol + 1, 64);
  if (auto frames = split_frames(in, limits)) {
    Bytes again;
    for (const auto& f : *frames) {
      encode_frame(again, f.header.protocol, f.header.kind, f.header.request_id, f.body);
      if (f.body.size() > limits.get(f.header.protocol).value_or(0) &&
          f.header.kind != FrameKind::kErrorResponse) {
        std::abort();
      }
    }
    if (again != Bytes(in.begin(), in.end())) std::abort();
  }
  if (auto h = decode_hello(in)) {
    if (encode_hello(*h) != Bytes(in.begin(), in.end())) std::abort();
  }
  if (auto p = decode_peer_info(in)) {
    (void)encode_peer_info(*p);
  }
  return 0;
}
