// Beacon-node simulator: the duty data it serves and the signature checks of what VCs submit.
#include <algorithm>
#include <set>
#include <type_traits>
#include <utility>
#include <variant>

#include "base/assert.hpp"
#include "crypto/hash/sha256.hpp"
#include "crypto/threshold/threshold.hpp"
#include "eth/duty_signing.hpp"
#include "sim/beacon_sim.hpp"
#include "sim/beacon_sim_detail.hpp"

namespace phx::sim {

using namespace detail;

namespace {

/// bytes_to_uint64(hash(signature)[0:8]) % modulo == 0 (phase0 is_aggregator, altair
/// is_sync_committee_aggregator).
bool selects_aggregator(const eth::BLSSignature& proof, std::uint64_t modulo) {
  auto h = crypto::hash::sha256(proof);
  return get_le64(h.data()) % std::max<std::uint64_t>(1, modulo) == 0;
}

bool verify_sig(const crypto::bls::PublicKey& key, const Root& signing_root, const eth::BLSSignature& sig) {
  auto s = crypto::bls::Signature::from_bytes(sig);
  return s && crypto::bls::verify(key, signing_root, *s);
}

/// Everything a produced block's contents derive from.
struct BlockSeed {
  Slot slot{};
  ValidatorIndex proposer{};
  Root parent_root{};
  Root state_root{};
  eth::BLSSignature randao_reveal{};
  Root graffiti{};
  eth::phase0::Eth1Data eth1{};
  Root el_parent_hash{};
  Root el_block_hash{};
  Root el_state_root{};
  Root el_receipts_root{};
  Root prev_randao{};
  eth::ExecutionAddress fee_recipient{};
  std::uint64_t timestamp = 0;
};

template <class Payload>
void fill_payload(Payload& p, const BlockSeed& s) {
  p.parent_hash = s.el_parent_hash;
  p.fee_recipient = s.fee_recipient;
  p.state_root = s.el_state_root;
  p.receipts_root = s.el_receipts_root;
  p.prev_randao = s.prev_randao;
  p.block_number = s.slot.value;
  p.gas_limit = 30'000'000;
  p.gas_used = 0;
  p.timestamp = s.timestamp;
  p.base_fee_per_gas = ssz::Uint256::from_u64(7);
  p.block_hash = s.el_block_hash;
}

/// The execution payload type whose header is H.
template <class H>
struct PayloadOf;
template <>
struct PayloadOf<eth::bellatrix::ExecutionPayloadHeader> {
  using type = eth::bellatrix::ExecutionPayload;
};
template <>
struct PayloadOf<eth::capella::ExecutionPayloadHeader> {
  using type = eth::capella::ExecutionPayload;
};
template <>
struct PayloadOf<eth::deneb::ExecutionPayloadHeader> {
  using type = eth::deneb::ExecutionPayload;
};

/// execution_payload_header of a payload (same hash_tree_root as the payload).
template <class H, class P>
H header_of(const P& p) {
  H h;
  h.parent_hash = p.parent_hash;
  h.fee_recipient = p.fee_recipient;
  h.state_root = p.state_root;
  h.receipts_root = p.receipts_root;
  h.logs_bloom = p.logs_bloom;
  h.prev_randao = p.prev_randao;
  h.block_number = p.block_number;
  h.gas_limit = p.gas_limit;
  h.gas_used = p.gas_used;
  h.timestamp = p.timestamp;
  h.extra_data = p.extra_data;
  h.base_fee_per_gas = p.base_fee_per_gas;
  h.block_hash = p.block_hash;
  h.transactions_root = ssz::hash_tree_root(p.transactions);
  if constexpr (requires { p.withdrawals; }) h.withdrawals_root = ssz::hash_tree_root(p.withdrawals);
  if constexpr (requires { p.blob_gas_used; }) {
    h.blob_gas_used = p.blob_gas_used;
    h.excess_blob_gas = p.excess_blob_gas;
  }
  return h;
}

template <class Block>
void fill_block(Block& b, const BlockSeed& s) {
  b.slot = s.slot;
  b.proposer_index = s.proposer;
  b.parent_root = s.parent_root;
  b.state_root = s.state_root;
  auto& body = b.body;
  body.randao_reveal = s.randao_reveal;
  body.eth1_data = s.eth1;
  body.graffiti = s.graffiti;
  if constexpr (requires { body.sync_aggregate; }) {
    body.sync_aggregate.sync_committee_signature[0] = 0xc0;  // G2 point at infinity: no participants
  }
  if constexpr (requires { body.execution_payload; }) fill_payload(body.execution_payload, s);
  if constexpr (requires { body.execution_payload_header; }) {
    using H = std::remove_cvref_t<decltype(body.execution_payload_header)>;
    typename PayloadOf<H>::type payload;
    fill_payload(payload, s);
    body.execution_payload_header = header_of<H>(payload);
  }
}

/// The execution block hash a block carries (zero before bellatrix).
template <class Block>
Root el_block_hash_of(const Block& b) {
  if constexpr (requires { b.body.execution_payload; }) {
    return b.body.execution_payload.block_hash;
  } else if constexpr (requires { b.body.execution_payload_header; }) {
    return b.body.execution_payload_header.block_hash;
  } else {
    return Root{};
  }
}

}  // namespace

// ---- attestations ----

void BeaconSim::pool_attestation(const eth::phase0::AttestationData& data, std::uint64_t committee_index,
                                 std::uint64_t committee_length, std::uint64_t position,
                                 const crypto::bls::Signature& sig) {
  while (!attestation_pool_.empty() && std::get<0>(attestation_pool_.begin()->first) + kKeepSlots < data.slot.value) {
    attestation_pool_.erase(attestation_pool_.begin());
  }
  auto& e = attestation_pool_[{data.slot.value, committee_index, ssz::hash_tree_root(data)}];
  e.data = data;
  e.committee_length = committee_length;
  e.by_position.insert_or_assign(position, sig);
}

Result<BeaconSim::PendingAttestation, Reject> BeaconSim::precheck(ValidatorIndex v,
                                                                  const eth::phase0::AttestationData& data,
                                                                  const eth::BLSSignature& sig,
                                                                  std::uint64_t committee_index) const {
  if (key_of(v) == nullptr) return std::unexpected(Reject::kUnknownValidator);
  const auto& as = assignments(config_.chain.epoch_at(data.slot));
  auto a = as.find(v);
  if (a == as.end() || a->second.slot != data.slot || a->second.committee_index != committee_index) {
    return std::unexpected(Reject::kNoDuty);
  }
  const bool wrong_data = !(data == attestation_data(data.slot, committee_index));
  auto s = crypto::bls::Signature::from_bytes(sig);
  if (!s) return std::unexpected(wrong_data ? Reject::kWrongData : Reject::kBadSignature);
  return PendingAttestation{v, data, committee_index, a->second.committee_length, a->second.position, *s,
                            wrong_data};
}

Result<BeaconSim::PendingAttestation, Reject> BeaconSim::precheck(const eth::phase0::Attestation& att) const {
  if (config_.chain.fork_at(config_.chain.epoch_at(att.data.slot)) >= eth::Fork::kElectra) {
    return std::unexpected(Reject::kWrongFormat);
  }
  std::optional<std::size_t> bit;
  std::size_t set = 0;
  for (std::size_t i = 0; i < att.aggregation_bits.size(); ++i) {
    if (att.aggregation_bits.get(i)) {
      ++set;
      bit = i;
    }
  }
  if (set != 1) return std::unexpected(Reject::kBadAggregationBits);
  const auto& ea = epoch_assignments(config_.chain.epoch_at(att.data.slot));
  auto c = ea.committees.find({att.data.slot.value, att.data.index});
  if (c == ea.committees.end() || *bit >= c->second.size()) return std::unexpected(Reject::kNoDuty);
  if (committee_length(c->second.size()) != att.aggregation_bits.size())
    return std::unexpected(Reject::kBadAggregationBits);
  return precheck(c->second[*bit], att.data, att.signature, att.data.index);
}

Result<BeaconSim::PendingAttestation, Reject> BeaconSim::precheck(
    const eth::electra::SingleAttestation& att) const {
  if (config_.chain.fork_at(config_.chain.epoch_at(att.data.slot)) < eth::Fork::kElectra ||
      att.data.index != 0) {
    return std::unexpected(Reject::kWrongFormat);
  }
  return precheck(att.attester_index, att.data, att.signature, att.committee_index);
}

std::vector<Result<void, Reject>> BeaconSim::verify_attestations(
    std::vector<Result<PendingAttestation, Reject>> pending) {
  std::vector<Result<void, Reject>> out(pending.size());
  // Attestations over the same AttestationData share a signing root: one same-message check per group.
  std::map<Root, std::vector<std::size_t>> groups;
  for (std::size_t i = 0; i < pending.size(); ++i) {
    if (!pending[i]) {
      out[i] = std::unexpected(pending[i].error());
      continue;
    }
    const auto& p = *pending[i];
    const Root data_root = ssz::hash_tree_root(p.data);
    // Already pooled with this very signature (another node of the cluster submitted it): accepted without
    // verifying again, as a beacon node's seen-cache does.
    if (auto it = attestation_pool_.find({p.data.slot.value, p.committee_index, data_root});
        it != attestation_pool_.end()) {
      if (auto s = it->second.by_position.find(p.position); s != it->second.by_position.end() && s->second == p.sig) {
        continue;
      }
    }
    groups[data_root].push_back(i);
  }
  for (const auto& [data_root, items] : groups) {
    const auto& data = pending[items.front()]->data;
    const Root signing_root = eth::attestation_signing_root(config_.chain, data);
    std::vector<crypto::bls::PublicKey> pks;
    std::vector<crypto::bls::Signature> sigs;
    for (auto i : items) {
      pks.push_back(*key_of(pending[i]->validator));
      sigs.push_back(pending[i]->sig);
    }
    for (auto bad : crypto::threshold::find_invalid_partials(pks, signing_root, sigs)) {
      out[items[bad]] = std::unexpected(pending[items[bad]]->wrong_data ? Reject::kWrongData : Reject::kBadSignature);
    }
    for (auto i : items) {
      if (!out[i]) continue;
      const auto& p = *pending[i];
      oracle_.record_attestation(p.validator, p.data);  // validly signed: slashable or not, it is on record
      if (p.wrong_data) {
        out[i] = std::unexpected(Reject::kWrongData);
        continue;
      }
      pool_attestation(p.data, p.committee_index, p.committee_length, p.position, p.sig);
    }
  }
  for (const auto& r : out) count(r);
  return out;
}

Result<void, Reject> BeaconSim::submit(const eth::phase0::Attestation& att) {
  return submit_attestations(std::span<const eth::phase0::Attestation>(&att, 1)).front();
}

Result<void, Reject> BeaconSim::submit(const eth::electra::SingleAttestation& att) {
  return submit_attestations(std::span<const eth::electra::SingleAttestation>(&att, 1)).front();
}

std::vector<Result<void, Reject>> BeaconSim::submit_attestations(std::span<const eth::phase0::Attestation> atts) {
  std::vector<Result<PendingAttestation, Reject>> pending;
  pending.reserve(atts.size());
  for (const auto& a : atts) pending.push_back(precheck(a));
  return verify_attestations(std::move(pending));
}

std::vector<Result<void, Reject>> BeaconSim::submit_attestations(
    std::span<const eth::electra::SingleAttestation> atts) {
  std::vector<Result<PendingAttestation, Reject>> pending;
  pending.reserve(atts.size());
  for (const auto& a : atts) pending.push_back(precheck(a));
  return verify_attestations(std::move(pending));
}

std::optional<beaconapi::VersionedAttestation> BeaconSim::aggregate_attestation(
    Slot slot, const Root& data_root, std::uint64_t committee_index) const {
  auto it = attestation_pool_.find({slot.value, committee_index, data_root});
  if (it == attestation_pool_.end() || it->second.by_position.empty()) return std::nullopt;
  const auto& e = it->second;
  std::vector<crypto::bls::Signature> sigs;
  for (const auto& [pos, sig] : e.by_position) sigs.push_back(sig);
  auto agg = crypto::bls::aggregate(sigs);
  if (!agg) return std::nullopt;
  auto fork = config_.chain.fork_at(config_.chain.epoch_at(slot));
  if (fork >= eth::Fork::kElectra) {
    eth::electra::Attestation a;
    a.aggregation_bits = decltype(a.aggregation_bits)(e.committee_length);
    for (const auto& [pos, sig] : e.by_position) a.aggregation_bits.set(pos, true);
    a.data = e.data;
    a.signature = agg->to_bytes();
    a.committee_bits.set(committee_index, true);
    return versioned_at<beaconapi::VersionedAttestation>(fork, std::move(a));
  }
  eth::phase0::Attestation a;
  a.aggregation_bits = decltype(a.aggregation_bits)(e.committee_length);
  for (const auto& [pos, sig] : e.by_position) a.aggregation_bits.set(pos, true);
  a.data = e.data;
  a.signature = agg->to_bytes();
  return versioned_at<beaconapi::VersionedAttestation>(fork, std::move(a));
}

// ---- aggregates ----

template <class AggregateAndProofT>
Result<void, Reject> BeaconSim::check_aggregate(eth::Fork fork, const eth::Signed<AggregateAndProofT>& item) {
  const auto& msg = item.message;
  const auto& agg = msg.aggregate;
  const auto& data = agg.data;
  const auto epoch = config_.chain.epoch_at(data.slot);
  if (config_.chain.fork_at(epoch) != fork) return std::unexpected(Reject::kWrongFormat);
  const auto* key = key_of(msg.aggregator_index);
  if (key == nullptr) return std::unexpected(Reject::kUnknownValidator);
  std::uint64_t committee_index = data.index;
  if constexpr (requires { agg.committee_bits; }) {
    if (data.index != 0) return std::unexpected(Reject::kWrongFormat);
    std::size_t set = 0;
    for (std::size_t i = 0; i < agg.committee_bits.size(); ++i) {
      if (agg.committee_bits.get(i)) {
        ++set;
        committee_index = i;
      }
    }
    if (set != 1) return std::unexpected(Reject::kBadAggregationBits);
  }
  const auto& ea = epoch_assignments(epoch);
  auto a = ea.by_validator.find(msg.aggregator_index);
  if (a == ea.by_validator.end() || a->second.slot != data.slot || a->second.committee_index != committee_index) {
    return std::unexpected(Reject::kNoDuty);
  }
  const auto& members = ea.committees.at({data.slot.value, committee_index});
  // Positions from members.size() on belong to keyless stand-ins (total_validators): none of them signs.
  const std::uint64_t length = committee_length(members.size());
  bool stand_in_bit = false;
  for (std::size_t i = members.size(); i < agg.aggregation_bits.size(); ++i)
    stand_in_bit = stand_in_bit || agg.aggregation_bits.get(i);
  // The inner attestation's signers, if its signature holds; each is on record for the slashing oracle.
  auto inner_signers = [&]() -> std::optional<std::vector<ValidatorIndex>> {
    if (agg.aggregation_bits.size() != length || stand_in_bit) return std::nullopt;
    std::vector<crypto::bls::PublicKey> pks;
    std::vector<ValidatorIndex> who;
    for (std::size_t i = 0; i < members.size(); ++i) {
      if (!agg.aggregation_bits.get(i)) continue;
      pks.push_back(*key_of(members[i]));
      who.push_back(members[i]);
    }
    auto inner = crypto::bls::Signature::from_bytes(agg.signature);
    if (pks.empty() || !inner ||
        !crypto::bls::fast_aggregate_verify(pks, eth::attestation_signing_root(config_.chain, data), *inner)) {
      return std::nullopt;
    }
    for (const auto v : who) oracle_.record_attestation(v, data);
    return who;
  };
  if (!(data == attestation_data(data.slot, committee_index))) {
    (void)inner_signers();
    return std::unexpected(Reject::kWrongData);
  }
  if (!verify_sig(*key, eth::selection_proof_signing_root(config_.chain, data.slot), msg.selection_proof)) {
    return std::unexpected(Reject::kBadSelectionProof);
  }
  if (!selects_aggregator(msg.selection_proof, length / kTargetAggregatorsPerCommittee)) {
    return std::unexpected(Reject::kNotAggregator);
  }
  if (agg.aggregation_bits.size() != length || stand_in_bit) return std::unexpected(Reject::kBadAggregationBits);
  bool any = false;
  for (std::size_t i = 0; i < members.size(); ++i) any = any || agg.aggregation_bits.get(i);
  if (!any) return std::unexpected(Reject::kBadAggregationBits);
  if (!inner_signers()) return std::unexpected(Reject::kBadAggregateSignature);
  if (!verify_sig(*key, eth::aggregate_and_proof_signing_root(config_.chain, msg), item.signature)) {
    return std::unexpected(Reject::kBadSignature);
  }
  return {};
}

bool BeaconSim::seen_before(Slot slot, const Root& item_root) const {
  auto it = seen_items_.find(slot.value);
  return it != seen_items_.end() && it->second.contains(item_root);
}

void BeaconSim::remember(Slot slot, const Root& item_root) {
  while (!seen_items_.empty() && seen_items_.begin()->first + kKeepSlots < slot.value) {
    seen_items_.erase(seen_items_.begin());
  }
  seen_items_[slot.value].insert(item_root);
}

Result<void, Reject> BeaconSim::submit_aggregate(const beaconapi::VersionedSignedAggregateAndProof& item) {
  const Slot slot = std::visit([](const auto& x) { return x.message.aggregate.data.slot; }, item.value);
  const Root item_root = std::visit([](const auto& x) { return ssz::hash_tree_root(x); }, item.value);
  // The same signed aggregate accepted before (each node of a cluster submits it): accepted as known.
  if (seen_before(slot, item_root)) return count(SimDuty::kAggregate, Result<void, Reject>{});
  auto r = std::visit(
      [&](const auto& x) -> Result<void, Reject> { return check_aggregate(item.fork(), x); }, item.value);
  if (r) remember(slot, item_root);
  return count(SimDuty::kAggregate, r);
}

// ---- blocks ----

Result<beaconapi::ProduceBlockV3Response, std::string> BeaconSim::produce_block(
    Slot slot, const eth::BLSSignature& randao_reveal, const Root& graffiti,
    std::optional<std::uint64_t> builder_boost_factor) const {
  if (config_.validators.empty()) return std::unexpected(std::string("no validators"));
  const auto epoch = config_.chain.epoch_at(slot);
  const auto fork = config_.chain.fork_at(epoch);
  const ValidatorIndex proposer = proposer_at(slot);
  const auto* key = key_of(proposer);
  if (key == nullptr) return std::unexpected(std::string("the slot's proposer is not one of the simulated keys"));
  if (!verify_sig(*key, eth::randao_signing_root(config_.chain, epoch), randao_reveal)) {
    return std::unexpected(std::string("randao_reveal does not verify for the slot's proposer"));
  }
  BlockSeed s;
  s.slot = slot;
  s.proposer = proposer;
  s.parent_root = slot.value == 0 ? Root{} : block_root(Slot{slot.value - 1});
  s.state_root = state_root(slot);
  s.randao_reveal = randao_reveal;
  s.graffiti = graffiti;
  s.eth1 = {derive("deposit_root", 0), chain_validators(), derive("eth1_block", epoch.value)};
  s.el_parent_hash = derive("el_block", slot.value == 0 ? 0 : slot.value - 1);
  s.el_block_hash = derive("el_block", slot.value);
  s.el_state_root = derive("el_state", slot.value);
  s.el_receipts_root = derive("el_receipts", slot.value);
  s.prev_randao = derive("prev_randao", slot.value);
  if (auto it = fee_recipients_.find(proposer); it != fee_recipients_.end()) s.fee_recipient = it->second;
  s.timestamp = config_.chain.genesis_time + slot.value * config_.chain.seconds_per_slot;

  const bool blinded = config_.builder_blocks && fork >= eth::Fork::kBellatrix &&
                       builder_boost_factor.value_or(100) != 0;
  beaconapi::ProduceBlockV3Response out;
  with_fork_index(fork, [&](auto ic) {
    constexpr std::size_t kI = decltype(ic)::value;
    using Blinded = std::variant_alternative_t<kI, beaconapi::VersionedBlindedBeaconBlock::Variant>;
    using Full = std::variant_alternative_t<kI, beaconapi::VersionedProducedBlock::Variant>;
    if constexpr (!std::is_same_v<Blinded, std::monostate>) {
      if (blinded) {
        Blinded b;
        fill_block(b, s);
        out.block.template emplace<1>(beaconapi::VersionedBlindedBeaconBlock{
            typename beaconapi::VersionedBlindedBeaconBlock::Variant(std::in_place_index<kI>, std::move(b))});
        return;
      }
    }
    Full f;
    if constexpr (requires { f.block; }) {
      fill_block(f.block, s);
    } else {
      fill_block(f, s);
    }
    out.block.template emplace<0>(beaconapi::VersionedProducedBlock{
        typename beaconapi::VersionedProducedBlock::Variant(std::in_place_index<kI>, std::move(f))});
  });
  out.execution_payload_value = ssz::Uint256::from_u64(fork >= eth::Fork::kBellatrix ? 1'000'000'000 : 0);
  out.consensus_block_value = ssz::Uint256::from_u64(1'000'000);
  return out;
}

template <class SignedBlock>
Result<void, Reject> BeaconSim::check_block(eth::Fork fork, const SignedBlock& signed_block) {
  const auto& b = signed_block.message;
  const auto epoch = config_.chain.epoch_at(b.slot);
  if (config_.chain.fork_at(epoch) != fork) return std::unexpected(Reject::kWrongFormat);
  const auto* key = key_of(b.proposer_index);
  if (key == nullptr) return std::unexpected(Reject::kUnknownValidator);
  if (proposer_at(b.slot) != b.proposer_index) return std::unexpected(Reject::kWrongProposer);
  Root parent = b.slot.value == 0 ? Root{} : block_root(Slot{b.slot.value - 1});
  const bool wrong_data = b.parent_root != parent ||
                          (fork >= eth::Fork::kBellatrix && el_block_hash_of(b) != derive("el_block", b.slot.value));
  if (!verify_sig(*key, eth::randao_signing_root(config_.chain, epoch), b.body.randao_reveal)) {
    return std::unexpected(wrong_data ? Reject::kWrongData : Reject::kBadRandao);
  }
  const Root root = ssz::hash_tree_root(b);
  const auto domain = eth::get_domain(config_.chain, eth::domain::kBeaconProposer, epoch);
  if (!verify_sig(*key, eth::compute_signing_root(root, domain), signed_block.signature)) {
    return std::unexpected(wrong_data ? Reject::kWrongData : Reject::kBadSignature);
  }
  oracle_.record_block(b.proposer_index, b.slot, root);  // validly signed: on record for the slashing oracle
  if (wrong_data) return std::unexpected(Reject::kWrongData);
  auto [it, inserted] = published_blocks_.emplace(b.slot.value, root);
  if (!inserted && it->second != root) return std::unexpected(Reject::kEquivocation);
  while (published_blocks_.begin()->first + kKeepSlots < b.slot.value) {
    published_blocks_.erase(published_blocks_.begin());
  }
  return {};
}

Result<void, Reject> BeaconSim::submit_block(const beaconapi::VersionedSignedProducedBlock& block) {
  auto r = std::visit(
      [&](const auto& x) -> Result<void, Reject> {
        if constexpr (requires { x.signed_block; }) {
          if (x.blobs.size() != x.signed_block.message.body.blob_kzg_commitments.size()) {
            return std::unexpected(Reject::kWrongData);
          }
          return check_block(block.fork(), x.signed_block);
        } else {
          return check_block(block.fork(), x);
        }
      },
      block.value);
  return count(SimDuty::kProposal, r);
}

Result<void, Reject> BeaconSim::submit_blinded_block(const beaconapi::VersionedSignedBlindedBeaconBlock& block) {
  auto r = std::visit(
      [&](const auto& x) -> Result<void, Reject> {
        if constexpr (std::is_same_v<std::remove_cvref_t<decltype(x)>, std::monostate>) {
          return std::unexpected(Reject::kWrongFormat);
        } else {
          return check_block(block.fork(), x);
        }
      },
      block.value);
  return count(SimDuty::kBlindedProposal, r);
}

// ---- sync committee ----

bool BeaconSim::known_block_root(Slot slot, const Root& root) const {
  const std::uint64_t lowest = slot.value > kKeepSlots ? slot.value - kKeepSlots : 0;
  for (std::uint64_t s = slot.value + 1; s-- > lowest;) {
    if (block_root(Slot{s}) == root) return true;
  }
  return false;
}

Result<void, Reject> BeaconSim::submit_sync_message(const eth::altair::SyncCommitteeMessage& msg) {
  return submit_sync_messages(std::span<const eth::altair::SyncCommitteeMessage>(&msg, 1)).front();
}

std::vector<Result<void, Reject>> BeaconSim::submit_sync_messages(
    std::span<const eth::altair::SyncCommitteeMessage> msgs) {
  std::vector<Result<void, Reject>> out(msgs.size());
  std::vector<std::optional<crypto::bls::Signature>> sigs(msgs.size());
  // (slot, root) → items that passed the non-cryptographic checks: they share one signing root.
  std::map<std::pair<std::uint64_t, Root>, std::vector<std::size_t>> groups;
  for (std::size_t i = 0; i < msgs.size(); ++i) {
    const auto& msg = msgs[i];
    out[i] = [&]() -> Result<void, Reject> {
      const auto epoch = config_.chain.epoch_at(msg.slot);
      if (config_.chain.fork_at(epoch) < eth::Fork::kAltair) return std::unexpected(Reject::kWrongFormat);
      if (key_of(msg.validator_index) == nullptr) return std::unexpected(Reject::kUnknownValidator);
      auto committee = sync_committee(epoch);
      if (std::find(committee.begin(), committee.end(), msg.validator_index) == committee.end()) {
        return std::unexpected(Reject::kNoDuty);
      }
      if (!known_block_root(msg.slot, msg.beacon_block_root)) return std::unexpected(Reject::kWrongData);
      auto sig = crypto::bls::Signature::from_bytes(msg.signature);
      if (!sig) return std::unexpected(Reject::kBadSignature);
      sigs[i] = *sig;
      return {};
    }();
    if (!out[i]) continue;
    // Already pooled with this very signature: accepted without verifying again (seen-cache).
    if (auto it = sync_pool_.find({msg.slot.value, msg.beacon_block_root}); it != sync_pool_.end()) {
      if (auto s = it->second.find(msg.validator_index); s != it->second.end() && s->second == *sigs[i]) continue;
    }
    groups[{msg.slot.value, msg.beacon_block_root}].push_back(i);
  }
  for (const auto& [key, items] : groups) {
    const Root signing_root = eth::sync_committee_message_signing_root(config_.chain, Slot{key.first}, key.second);
    std::vector<crypto::bls::PublicKey> pks;
    std::vector<crypto::bls::Signature> group_sigs;
    for (auto i : items) {
      pks.push_back(*key_of(msgs[i].validator_index));
      group_sigs.push_back(*sigs[i]);
    }
    // One randomised same-message check when all are valid; bisection finds the bad ones otherwise.
    for (auto bad : crypto::threshold::find_invalid_partials(pks, signing_root, group_sigs)) {
      out[items[bad]] = std::unexpected(Reject::kBadSignature);
    }
    while (!sync_pool_.empty() && sync_pool_.begin()->first.first + kKeepSlots < key.first) {
      sync_pool_.erase(sync_pool_.begin());
    }
    for (auto i : items) {
      if (out[i]) sync_pool_[key].insert_or_assign(msgs[i].validator_index, *sigs[i]);
    }
  }
  for (const auto& r : out) count(SimDuty::kSyncMessage, r);
  return out;
}

std::optional<eth::altair::SyncCommitteeContribution> BeaconSim::sync_committee_contribution(
    Slot slot, std::uint64_t subcommittee_index, const Root& beacon_block_root) const {
  if (subcommittee_index >= eth::preset::kSyncCommitteeSubnetCount) return std::nullopt;
  auto it = sync_pool_.find({slot.value, beacon_block_root});
  if (it == sync_pool_.end()) return std::nullopt;
  auto committee = sync_committee(config_.chain.epoch_at(slot));
  eth::altair::SyncCommitteeContribution c;
  c.slot = slot;
  c.beacon_block_root = beacon_block_root;
  c.subcommittee_index = subcommittee_index;
  std::vector<crypto::bls::Signature> sigs;
  for (std::size_t i = 0; i < kSyncSubcommitteeSize; ++i) {
    auto s = it->second.find(committee[subcommittee_index * kSyncSubcommitteeSize + i]);
    if (s == it->second.end()) continue;
    c.aggregation_bits.set(i, true);
    sigs.push_back(s->second);
  }
  if (sigs.empty()) return std::nullopt;
  auto agg = crypto::bls::aggregate(sigs);
  if (!agg) return std::nullopt;
  c.signature = agg->to_bytes();
  return c;
}

Result<void, Reject> BeaconSim::submit_contribution(const eth::altair::SignedContributionAndProof& item) {
  const Slot slot = item.message.contribution.slot;
  const Root item_root = ssz::hash_tree_root(item);
  if (seen_before(slot, item_root)) return count(SimDuty::kSyncContribution, Result<void, Reject>{});
  auto r = [&]() -> Result<void, Reject> {
    const auto& msg = item.message;
    const auto& c = msg.contribution;
    const auto epoch = config_.chain.epoch_at(c.slot);
    if (config_.chain.fork_at(epoch) < eth::Fork::kAltair) return std::unexpected(Reject::kWrongFormat);
    const auto* key = key_of(msg.aggregator_index);
    if (key == nullptr) return std::unexpected(Reject::kUnknownValidator);
    if (c.subcommittee_index >= eth::preset::kSyncCommitteeSubnetCount) return std::unexpected(Reject::kWrongData);
    auto committee = sync_committee(epoch);
    const auto first = c.subcommittee_index * kSyncSubcommitteeSize;
    bool member = false;
    for (std::size_t i = 0; i < kSyncSubcommitteeSize; ++i) member = member || committee[first + i] == msg.aggregator_index;
    if (!member) return std::unexpected(Reject::kNoDuty);
    if (!known_block_root(c.slot, c.beacon_block_root)) return std::unexpected(Reject::kWrongData);
    const eth::altair::SyncAggregatorSelectionData sel{c.slot, c.subcommittee_index};
    if (!verify_sig(*key, eth::sync_selection_proof_signing_root(config_.chain, sel), msg.selection_proof)) {
      return std::unexpected(Reject::kBadSelectionProof);
    }
    constexpr std::uint64_t kModulo = kSyncSubcommitteeSize / kTargetAggregatorsPerSyncSubcommittee;
    if (!selects_aggregator(msg.selection_proof, kModulo)) return std::unexpected(Reject::kNotAggregator);
    std::vector<crypto::bls::PublicKey> pks;
    for (std::size_t i = 0; i < kSyncSubcommitteeSize; ++i) {
      if (!c.aggregation_bits.get(i)) continue;
      const auto* member_key = key_of(committee[first + i]);
      if (member_key == nullptr) return std::unexpected(Reject::kBadAggregationBits);  // a keyless stand-in
      pks.push_back(*member_key);
    }
    if (pks.empty()) return std::unexpected(Reject::kBadAggregationBits);
    auto sig = crypto::bls::Signature::from_bytes(c.signature);
    if (!sig || !crypto::bls::fast_aggregate_verify(
                    pks, eth::sync_committee_message_signing_root(config_.chain, c.slot, c.beacon_block_root),
                    *sig)) {
      return std::unexpected(Reject::kBadAggregateSignature);
    }
    if (!verify_sig(*key, eth::contribution_and_proof_signing_root(config_.chain, msg), item.signature)) {
      return std::unexpected(Reject::kBadSignature);
    }
    return {};
  }();
  if (r) remember(slot, item_root);
  return count(SimDuty::kSyncContribution, r);
}

// ---- registrations, exits, preparations ----

Result<void, Reject> BeaconSim::submit_registration(const eth::phase0::SignedValidatorRegistrationV1& reg) {
  auto r = [&]() -> Result<void, Reject> {
    auto it = by_pubkey_.find(reg.message.pubkey);
    if (it == by_pubkey_.end()) return std::unexpected(Reject::kUnknownValidator);
    if (!verify_sig(*key_of(it->second), eth::registration_signing_root(config_.chain, reg.message),
                    reg.signature)) {
      return std::unexpected(Reject::kBadSignature);
    }
    return {};
  }();
  return count(SimDuty::kBuilderRegistration, r);
}

Result<void, Reject> BeaconSim::submit_exit(const eth::phase0::SignedVoluntaryExit& exit) {
  auto r = [&]() -> Result<void, Reject> {
    const auto* key = key_of(exit.message.validator_index);
    if (key == nullptr) return std::unexpected(Reject::kUnknownValidator);
    const auto now = current_epoch();
    if (exit.message.epoch.value > now.value) return std::unexpected(Reject::kWrongData);  // not yet valid
    if (!verify_sig(*key, eth::voluntary_exit_signing_root(config_.chain, exit.message, now), exit.signature)) {
      return std::unexpected(Reject::kBadSignature);
    }
    constexpr std::uint64_t kMaxSeedLookahead = 4;  // compute_activation_exit_epoch (phase0)
    exit_epochs_.try_emplace(exit.message.validator_index, Epoch{now.value + 1 + kMaxSeedLookahead});
    return {};
  }();
  return count(SimDuty::kVoluntaryExit, r);
}

Result<void, Reject> BeaconSim::submit_preparation(const http::ProposerPreparation& prep) {
  if (key_of(prep.validator_index) == nullptr) {
    return count(SimDuty::kPrepareProposer, std::unexpected(Reject::kUnknownValidator));
  }
  fee_recipients_.insert_or_assign(prep.validator_index, prep.fee_recipient);
  return count(SimDuty::kPrepareProposer, {});
}

Result<void, Reject> BeaconSim::submit_committee_subscription(const http::BeaconCommitteeSubscription& sub) {
  if (key_of(sub.validator_index) == nullptr) {
    return count(SimDuty::kCommitteeSubscription, std::unexpected(Reject::kUnknownValidator));
  }
  return count(SimDuty::kCommitteeSubscription, {});
}

Result<void, Reject> BeaconSim::submit_sync_subscription(const http::SyncCommitteeSubscription& sub) {
  if (key_of(sub.validator_index) == nullptr) {
    return count(SimDuty::kSyncSubscription, std::unexpected(Reject::kUnknownValidator));
  }
  return count(SimDuty::kSyncSubscription, {});
}

}  // namespace phx::sim
