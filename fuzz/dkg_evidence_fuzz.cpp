// Fuzz target: evidence decoding and offline re-checking (verify_evidence) with accept-all signatures, so
// forged evidence reaches the adjudication paths. Must never crash.
#include <cstdint>

#include "dkg/evidence.hpp"
#include "dkg_fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace dkg_fuzz;
  static const AcceptAllVerifierForFuzzing verifier;
  (void)verify_evidence(params(), verifier, ByteSpan(data, size));
  return 0;
}
