// Fuzz target: the TLS identity extension (DER SignedKey, libp2p protobuf key, signature check) and whole
// peer certificates in DER. Inputs are untrusted; a forged input must never verify.
#include <cstdint>
#include <cstdlib>

#include "p2p/identity.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace phx;
  using namespace phx::p2p;
  ByteSpan in(data, size);
  static const Bytes kSpki(91, 0x42);
  if (auto sk = decode_signed_key(in)) {
    if (encode_signed_key(*sk) != Bytes(in.begin(), in.end())) std::abort();  // DER is canonical
    (void)decode_libp2p_public_key(sk->public_key);
    (void)verify_identity_extension(in, kSpki);
  }
  (void)decode_libp2p_public_key(in);
  (void)verify_peer_certificate_der(in);
  return 0;
}
