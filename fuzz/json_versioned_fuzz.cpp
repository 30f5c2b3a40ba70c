// Fuzz target: the Beacon API JSON decoders (versioned blocks, block contents, attestations, aggregates,
// genesis/spec/fork-schedule bodies). Whatever decodes must re-encode and decode to an equal value.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "beaconapi/config.hpp"
#include "beaconapi/versioned.hpp"

namespace {
using namespace phx::beaconapi;

template <class V>
void one(const phx::ssz::Json& j) {
  auto v = decode_versioned_json<V>(j);
  if (!v) {
    if (v.error().reason.empty()) std::abort();
    return;
  }
  auto again = decode_versioned_json<V>(encode_versioned_json(*v));
  if (!again || !(*again == *v)) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto j = phx::ssz::parse_json(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!j) return 0;
  one<VersionedSignedProducedBlock>(*j);
  one<VersionedProducedBlock>(*j);
  one<VersionedSignedBlindedBeaconBlock>(*j);
  one<VersionedAttestation>(*j);
  one<VersionedSignedAggregateAndProof>(*j);
  if (auto r = decode_produce_block_v3<VersionedProducedBlock, VersionedBlindedBeaconBlock>(*j)) {
    if (r->blinded() != (*j)["execution_payload_blinded"].get<bool>()) std::abort();
  }
  if (auto g = parse_genesis(*j)) {
    (void)parse_spec(*j, *g);
  }
  (void)parse_fork_schedule(*j);
  return 0;
}
