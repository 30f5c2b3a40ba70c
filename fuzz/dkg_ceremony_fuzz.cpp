// Fuzz target: the DKG state machine's inputs. A ceremony at participant 0 (fixed seed and parameters, so the
// seed corpus of recorded messages from a real run drives it through every round) receives the input split
// into chunks (u16 big-endian length + bytes): a chunk's first byte names the transport peer, the rest goes
// to on_message; a one-byte chunk advances the clock and fires on_timeout; a two-byte chunk reports written
// artifacts. Signatures are accepted unchecked (AcceptAllVerifierForFuzzing). Must never crash or assert.
#include <cstdint>

#include "dkg_fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace dkg_fuzz;
  static const AcceptAllVerifierForFuzzing verifier;
  static const ZeroSignerForFuzzing signer;
  static const HashingPlanForFuzzing plan;
  LocalConfig l;
  l.self = 0;
  Ceremony c(params(), l, signer, verifier, plan);
  std::uint64_t now = 0;
  (void)c.start(seed(0), now);
  std::size_t pos = 0;
  while (pos + 2 <= size) {
    const std::size_t len = (std::size_t{data[pos]} << 8) | data[pos + 1];
    pos += 2;
    if (len > size - pos) break;
    const ByteSpan chunk(data + pos, len);
    pos += len;
    if (len == 1) {
      now += std::uint64_t{chunk[0]} * 1'000'000'000ULL;
      (void)c.on_timeout(now);
    } else if (len == 2) {
      const std::vector<Root> arts(chunk[0] % 4, Root{});
      (void)c.on_artifacts_written(arts, now);
    } else if (len > 2) {
      (void)c.on_message(chunk[0] % 5, chunk.subspan(1), now);
    }
  }
  (void)c.transcript();
  return 0;
}
