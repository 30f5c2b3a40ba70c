// Fuzz target: the validator API's request-body decoders (submissions from a VC: attestations v1/v2, blocks and
// blinded blocks, aggregates v1/v2, sync messages, contributions, registrations, exits, DVT selections) and the
// rewriting of beacon-node answers and validator-id bodies. Input: byte 0 picks the decoder, byte 1 the flags
// (bit 0: SSZ body, bits 1-4: Eth-Consensus-Version header from a table incl. "" and an unknown name), the rest
// is the body. Whatever decodes from JSON must re-encode and decode to an equal value; errors carry a reason.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "beaconapi/vapi/codec.hpp"

namespace {
using namespace phx;
using namespace phx::beaconapi;
using namespace phx::beaconapi::vapi;

template <class T>
void items(std::string_view body, bool ssz) {
  auto v = decode_items<T>(body, ssz);
  if (!v) {
    if (v.error().empty()) std::abort();
    return;
  }
  ssz::Json arr = ssz::Json::array();
  for (const auto& x : *v) arr.push_back(ssz::to_json(x));
  auto again = decode_items<T>(arr.dump(), false);
  if (!again || *again != *v) std::abort();
}

const eth::ChainConfig& config() {
  // Forks spread over epochs, so a JSON body without the header picks its fork by slot.
  static const eth::ChainConfig c = [] {
    auto cfg = eth::devnet_config(eth::Fork::kFulu, 0, Root{});
    for (std::size_t i = 1; i < eth::kForkCount; ++i) cfg.forks[i].epoch = Epoch{i * 2};
    return cfg;
  }();
  return c;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  static const char* kVersions[] = {"", "phase0", "altair", "bellatrix", "capella", "deneb",
                                    "electra", "fulu", "gloas", "ALTAIR"};
  const std::uint8_t which = data[0];
  const bool ssz = (data[1] & 1) != 0;
  const std::string_view version = kVersions[((data[1] >> 1) & 0x0f) % 10];
  const std::string_view body(reinterpret_cast<const char*>(data + 2), size - 2);
  switch (which % 13) {
    case 0: items<eth::phase0::Attestation>(body, ssz); break;
    case 1: items<eth::electra::SingleAttestation>(body, ssz); break;
    case 2:
      if (auto b = decode_signed_block(body, ssz, version, config())) {
        auto [block, sig] = split_signed_block(*b);
        if (block.fork() != b->fork()) std::abort();
        (void)sig;
      }
      break;
    case 3:
      if (auto b = decode_signed_blinded_block(body, ssz, version, config())) {
        auto [block, sig] = split_signed_blinded_block(*b);
        if (block.fork() != b->fork()) std::abort();
        (void)sig;
      }
      break;
    case 4: (void)decode_aggregates(body, ssz, (data[1] & 0x20) != 0, version, config()); break;
    case 5: items<eth::altair::SyncCommitteeMessage>(body, ssz); break;
    case 6: items<eth::altair::SignedContributionAndProof>(body, ssz); break;
    case 7: items<eth::phase0::SignedValidatorRegistrationV1>(body, ssz); break;
    case 8: (void)decode_one<eth::phase0::SignedVoluntaryExit>(body, ssz); break;
    case 9: items<BeaconCommitteeSelection>(body, false); break;
    case 10: items<SyncCommitteeSelection>(body, false); break;
    case 11: {
      KeyMap map = [](const eth::BLSPubkey& k) -> std::optional<eth::BLSPubkey> {
        if (k[0] & 1) return std::nullopt;
        auto out = k;
        out[0] ^= 1;
        return out;
      };
      (void)rewrite_validators_body(body, map);
      if (auto j = ssz::parse_json(body)) (void)rewrite_answer_pubkeys(*j, map);
      std::vector<std::string> ids;
      for (std::size_t i = 0; i < body.size(); i += 98) ids.emplace_back(body.substr(i, 98));
      if (rewrite_ids(ids, map).size() != ids.size()) std::abort();
      break;
    }
    default: (void)body_fork(version, body, ssz, {"message", "slot"}, config()); break;
  }
  return 0;
}
