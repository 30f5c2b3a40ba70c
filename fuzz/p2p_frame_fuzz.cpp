// Fuzz target: p2p frame decoding (header checks, splitting with per-protocol limits) and the hello and
// peer-info bodies (with and without the extension). Inputs are untrusted peer bytes; any outcome but a
// crash/sanitizer report is fine; frames and hellos that decode re-encode to the same bytes, peer-info bodies
// to bytes that decode to the same values.
#include <cstdint>
#include <cstdlib>

#include "p2p/wire.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace phx;
  using namespace phx::p2p;
  ByteSpan in(data, size);
  ProtocolLimits limits;
  limits.set(kPingProtocol, 8);
  limits.set(kPeerInfoProtocol, kPeerInfoMaxSize);
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
    // What decodes re-encodes to something that decodes to the same (unknown fields are dropped).
    auto again = decode_peer_info(encode_peer_info(*p));
    if (!again || again->extension != p->extension || again->time_ms != p->time_ms) std::abort();
  }
  return 0;
}
