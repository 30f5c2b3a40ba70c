// Preset-sensitive containers for the gnosis and minimal presets (Lodestar run with
// LODESTAR_PRESET=<preset>).
#include "registry_impl.hpp"

namespace phx::ssz::testing {

#define PHX_PRESET_CASES(ns)                                                                            \
  {                                                                                                     \
    PHX_CASE_IN(ns, altair, SyncAggregate), PHX_CASE_IN(ns, altair, SyncCommitteeContribution),         \
        PHX_CASE_IN(ns, altair, SignedContributionAndProof), PHX_CASE_IN(ns, altair, BeaconBlock),      \
        PHX_CASE_IN(ns, bellatrix, SignedBeaconBlock), PHX_CASE_IN(ns, capella, ExecutionPayload),      \
        PHX_CASE_IN(ns, capella, ExecutionPayloadHeader), PHX_CASE_IN(ns, capella, SignedBeaconBlock),  \
        PHX_CASE_IN(ns, capella, SignedBlindedBeaconBlock), PHX_CASE_IN(ns, deneb, ExecutionPayload),   \
        PHX_CASE_IN(ns, deneb, SignedBeaconBlock), PHX_CASE_IN(ns, deneb, SignedBlockContents),         \
        PHX_CASE_IN(ns, electra, Attestation), PHX_CASE_IN(ns, electra, IndexedAttestation),            \
        PHX_CASE_IN(ns, electra, SignedAggregateAndProof), PHX_CASE_IN(ns, electra, SignedBeaconBlock), \
        PHX_CASE_IN(ns, electra, SignedBlindedBeaconBlock), PHX_CASE_IN(ns, fulu, SignedBeaconBlock),   \
        PHX_CASE_IN(ns, fulu, SignedBlockContents),                                                     \
  }

const std::vector<TypeCase>& preset_type_cases(const std::string& preset) {
  static const std::vector<TypeCase> gnosis = PHX_PRESET_CASES(eth::gnosis);
  static const std::vector<TypeCase> minimal = PHX_PRESET_CASES(eth::minimal);
  static const std::vector<TypeCase> none;
  if (preset == "gnosis") return gnosis;
  if (preset == "minimal") return minimal;
  return none;
}

}  // namespace phx::ssz::testing
