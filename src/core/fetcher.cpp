// g++ 12 at -O1/-O2 (RelWithDebInfo, sanitizer builds) reports a false -Wmismatched-new-delete on the frame
// deallocation of asio::awaitable coroutines (operator new/delete of awaitable_frame_base are a matching pair).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
#include "core/fetcher.hpp"

#include <algorithm>

#include "base/log.hpp"
#include "crypto/hash/sha256.hpp"
#include "eth/preset.hpp"
#include "ssz/merkle.hpp"

namespace phx::core {

namespace {

bool selected(std::uint64_t modulo, const eth::BLSSignature& proof) {
  const auto digest = crypto::hash::sha256(ByteSpan(proof.data(), proof.size()));
  return get_le64(digest.data()) % std::max<std::uint64_t>(1, modulo) == 0;
}

constexpr std::uint64_t kSyncSubcommitteeSize = eth::preset::kSyncCommitteeSize / eth::preset::kSyncCommitteeSubnetCount;

}  // namespace

bool is_aggregator(std::uint64_t committee_length, const eth::BLSSignature& selection_proof) {
  return selected(committee_length / kTargetAggregatorsPerCommittee, selection_proof);
}

bool is_sync_committee_aggregator(const eth::BLSSignature& selection_proof) {
  return selected(kSyncSubcommitteeSize / kTargetAggregatorsPerSyncSubcommittee, selection_proof);
}

std::uint64_t sync_subcommittee_of(std::uint64_t sync_committee_index) {
  return sync_committee_index / kSyncSubcommitteeSize;
}


Fetcher::Fetcher(const eth::ChainConfig& config, BeaconNode& bn, FetcherWaits waits, FetcherOptions options)
    : config_(config), bn_(bn), waits_(std::move(waits)), options_(options) {}

Task<Result<UnsignedDataSet>> Fetcher::fetch(Duty duty, std::map<PubKey, DutyDefinition> defs) {
  switch (duty.type) {
    case DutyType::kAttester:
      co_return co_await fetch_attester(duty, std::move(defs));
    case DutyType::kProposer:
    case DutyType::kBuilderProposer:
      co_return co_await fetch_proposer(duty, std::move(defs));
    case DutyType::kAggregator:
      co_return co_await fetch_aggregator(duty, std::move(defs));
    case DutyType::kSyncMessage:
      co_return co_await fetch_sync_message(duty, std::move(defs));
    case DutyType::kSyncContribution:
      co_return co_await fetch_sync_contribution(duty, std::move(defs));
    default:
      co_return fail(CoreError::kWrongDataType);
  }
}

Task<Result<SignedData>> Fetcher::selection(Duty duty, PubKey pubkey, bool first) {
  if (!first && waits_.aggregate_signature_now) co_return waits_.aggregate_signature_now(duty, pubkey);
  co_return co_await waits_.aggregate_signature(duty, pubkey);
}

Task<Result<UnsignedDataSet>> Fetcher::fetch_attester(Duty duty, std::map<PubKey, DutyDefinition> defs) {
  std::map<eth::CommitteeIndex, std::vector<PubKey>> committees;
  for (const auto& [pk, def] : defs) committees[def.committee_index].push_back(pk);
  UnsignedDataSet set;
  for (const auto& [ci, pubkeys] : committees) {
    auto data = co_await bn_.attestation_data(duty.slot, ci);
    if (!data) co_return std::unexpected(data.error());
    if (data->slot != duty.slot) {
      log::warn("fetcher: beacon node returned attestation data of slot {} for {}", data->slot.value,
                to_string(duty));
      co_return fail(CoreError::kWrongDataType);
    }
    for (const auto& pk : pubkeys) set[pk] = AttesterData{*data, ci};
  }
  co_return set;
}

Task<Result<UnsignedDataSet>> Fetcher::fetch_proposer(Duty duty, std::map<PubKey, DutyDefinition> defs) {
  UnsignedDataSet set;
  std::optional<std::error_code> last_error;
  for (const auto& [pk, def] : defs) {
    const Duty randao{duty.slot, DutyType::kRandao};
    auto reveal = co_await waits_.aggregate_signature(randao, pk);
    if (!reveal) {
      last_error = reveal.error();
      continue;
    }
    const Root graffiti = options_.graffiti;
    auto block = co_await bn_.produce_block(duty.slot, reveal->signature.to_bytes(), graffiti, options_.builder);
    if (!block) co_return std::unexpected(block.error());
    Slot slot{};
    ValidatorIndex proposer{};
    if (const auto* full = std::get_if<ProposalData>(&*block)) {
      const auto b = block_of(full->block);
      slot = slot_of(b);
      proposer = std::visit(
          [](const auto& x) -> ValidatorIndex {
            if constexpr (requires { x.proposer_index; }) return x.proposer_index;
            else return ValidatorIndex{};
          },
          b.value);
    } else if (const auto* blinded = std::get_if<BlindedProposalData>(&*block)) {
      slot = slot_of(blinded->block);
      proposer = std::visit(
          [](const auto& x) -> ValidatorIndex {
            if constexpr (requires { x.proposer_index; }) return x.proposer_index;
            else return ValidatorIndex{};
          },
          blinded->block.value);
    } else {
      co_return fail(CoreError::kWrongDataType);
    }
    if (slot != duty.slot || proposer != def.validator_index) {
      log::warn("fetcher: beacon node returned a block for slot {} proposer {} at {}", slot.value, proposer.value,
                to_string(duty));
      co_return fail(CoreError::kWrongDataType);
    }
    set[pk] = std::move(*block);
  }
  if (set.empty() && last_error) co_return std::unexpected(*last_error);
  co_return set;
}

Task<Result<UnsignedDataSet>> Fetcher::fetch_aggregator(Duty duty, std::map<PubKey, DutyDefinition> defs) {
  UnsignedDataSet set;
  std::optional<std::error_code> last_error;
  std::map<eth::CommitteeIndex, AggregatedAttestationData> by_committee;
  bool first = true;
  for (const auto& [pk, def] : defs) {
    const Duty prepare{duty.slot, DutyType::kPrepareAggregator};
    auto proof = co_await selection(prepare, pk, first);
    first = false;
    if (!proof) {
      last_error = proof.error();
      continue;
    }
    if (!is_aggregator(def.committee_length, proof->signature.to_bytes())) continue;
    auto cached = by_committee.find(def.committee_index);
    if (cached == by_committee.end()) {
      auto data = co_await waits_.attestation_data(duty.slot, def.committee_index);
      if (!data) {
        last_error = data.error();
        continue;
      }
      const Root root = ssz::hash_tree_root(*data);
      auto agg = co_await bn_.aggregate_attestation(duty.slot, root, def.committee_index);
      if (!agg) co_return std::unexpected(agg.error());
      if (!(data_of(agg->attestation) == *data)) {
        log::warn("fetcher: beacon node returned an aggregate of other data at {}", to_string(duty));
        co_return fail(CoreError::kWrongDataType);
      }
      cached = by_committee.emplace(def.committee_index, std::move(*agg)).first;
    }
    set[pk] = cached->second;
  }
  if (set.empty() && last_error) co_return std::unexpected(*last_error);
  co_return set;
}

Task<Result<UnsignedDataSet>> Fetcher::fetch_sync_message(Duty duty, std::map<PubKey, DutyDefinition> defs) {
  auto root = co_await bn_.head_block_root(duty.slot);
  if (!root) co_return std::unexpected(root.error());
  UnsignedDataSet set;
  for (const auto& [pk, def] : defs) set[pk] = SyncBlockRootData{*root};
  co_return set;
}

Task<Result<UnsignedDataSet>> Fetcher::fetch_sync_contribution(Duty duty, std::map<PubKey, DutyDefinition> defs) {
  UnsignedDataSet set;
  std::optional<std::error_code> last_error;
  std::map<std::uint64_t, eth::altair::SyncCommitteeContribution> by_subcommittee;
  std::optional<Root> root;
  bool first = true;
  const std::optional<std::uint64_t> sub = duty.subcommittee;  // defs: the members of this subcommittee
  for (const auto& [pk, def] : defs) {
    const Duty prepare{duty.slot, DutyType::kPrepareSyncContribution, duty.subcommittee};
    auto proof = co_await selection(prepare, pk, first);
    first = false;
    if (!proof) {
      last_error = proof.error();
      continue;
    }
    const auto* sel = std::get_if<eth::altair::SyncAggregatorSelectionData>(&proof->message);
    if (sel == nullptr || sel->slot != duty.slot || sel->subcommittee_index != *sub) continue;
    if (!is_sync_committee_aggregator(proof->signature.to_bytes())) continue;
    if (!root) {
      auto r = co_await waits_.sync_block_root(duty.slot);
      if (!r) {
        last_error = r.error();
        break;
      }
      root = *r;
    }
    auto cached = by_subcommittee.find(*sub);
    if (cached == by_subcommittee.end()) {
      auto c = co_await bn_.sync_contribution(duty.slot, *sub, *root);
      if (!c) co_return std::unexpected(c.error());
      if (c->slot != duty.slot || c->subcommittee_index != *sub || c->beacon_block_root != *root) {
        log::warn("fetcher: beacon node returned a contribution for other data at {}", to_string(duty));
        co_return fail(CoreError::kWrongDataType);
      }
      cached = by_subcommittee.emplace(*sub, *c).first;
    }
    set[pk] = SyncContributionData{cached->second};
  }
  if (set.empty() && last_error) co_return std::unexpected(*last_error);
  co_return set;
}

}  // namespace phx::core
