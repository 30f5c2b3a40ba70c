// Fuzz target: DKG envelope and payload decoders (every message kind, docs/formats/dkg.md) and the transcript
// redaction. Whatever decodes must re-encode to the same bytes; redaction must keep the payload root.
#include <cstdint>
#include <cstdlib>

#include "dkg/messages.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace phx::dkg;
  const phx::ByteSpan in(data, size);
  if (auto d = decode_envelope(in)) {
    const phx::Bytes again = encode_envelope(d->envelope);
    if (again.size() != size || !std::equal(again.begin(), again.end(), data)) std::abort();
    if (encode_payload(d->payload) != phx::Bytes(d->envelope.payload.begin(), d->envelope.payload.end())) std::abort();
    (void)slot_of(*d);
    const phx::Bytes red = redact_envelope(*d);
    auto r = decode_redacted_envelope(red, nullptr);
    if (!r || r->payload_root != d->payload_root) std::abort();
  }
  (void)decode_redacted_envelope(in, nullptr);
  // The same bytes as a bare payload of every kind.
  for (int k : {0x00, 0x10, 0x11, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70}) {
    if (auto p = decode_payload(static_cast<Kind>(k), in)) {
      if (encode_payload(*p) != phx::Bytes(in.begin(), in.end())) std::abort();
      (void)payload_root(*p);
    }
  }
  return 0;
}
