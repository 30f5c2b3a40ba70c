// Fuzz target: the DKG runner's sealed journal file (dkg::runner::decode_journal_file) under a fixed ENR key
// and definition hash. Never crashes; whatever decodes re-seals and decodes to the same records.
#include <cstdint>
#include <cstdlib>

#include "dkg/runner/journal_file.hpp"

namespace {

const phx::crypto::k1::SecretKey& fuzz_key() {
  static const auto key = [] {
    phx::ByteArray<32> b{};
    b[31] = 0x2a;
    return *phx::crypto::k1::SecretKey::from_bytes(b);
  }();
  return key;
}

}  // namespace

/// The fixed definition hash of the corpus (0x42 repeated).
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace phx;
  Root def{};
  def.fill(0x42);
  bool torn = false;
  auto recs = dkg::runner::decode_journal_file(ByteSpan(data, size), fuzz_key(), def, &torn);
  if (recs) {
    for (const auto& r : *recs) {
      const SecretBytes enc = dkg::encode_journal_record(r);
      auto again = dkg::decode_journal_record(enc.view());
      if (!again || again->type != r.type || again->data.size() != r.data.size()) std::abort();
    }
  }
  return 0;
}
