// Fuzz target: transcript decoding and offline verification (verify_transcript). Must never crash.
#include <cstdint>

#include "dkg/transcript.hpp"
#include "dkg_fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace dkg_fuzz;
  (void)verify_transcript(params(), ByteSpan(data, size));
  return 0;
}
