// Fuzz target: DKG journal record decoding (the runner's file format). A record that decodes re-encodes to
// the same bytes; resume() of a ceremony from decoded records never crashes.
#include <cstdint>
#include <cstdlib>

#include "dkg/journal.hpp"
#include "dkg_fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace dkg_fuzz;
  const ByteSpan in(data, size);
  auto r = decode_journal_record(in);
  if (r) {
    const SecretBytes again = encode_journal_record(*r);
    if (again.size() != size || !std::equal(again.view().begin(), again.view().end(), data)) std::abort();
  }
  // A journal made of the input split into records (u16 big-endian length prefixes), resumed.
  std::vector<JournalRecord> records;
  std::size_t pos = 0;
  while (pos + 2 <= size) {
    const std::size_t len = (std::size_t{data[pos]} << 8) | data[pos + 1];
    pos += 2;
    if (len > size - pos) break;
    if (auto rec = decode_journal_record(in.subspan(pos, len))) records.push_back(std::move(*rec));
    pos += len;
  }
  static const AcceptAllVerifierForFuzzing verifier;
  static const ZeroSignerForFuzzing signer;
  static const HashingPlanForFuzzing plan;
  LocalConfig l;
  l.self = 0;
  Ceremony c(params(), l, signer, verifier, plan);
  (void)c.resume(records, 0);
  return 0;
}
