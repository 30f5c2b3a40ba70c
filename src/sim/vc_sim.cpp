#include "sim/vc_sim.hpp"

#include <algorithm>
#include <regex>
#include <set>

#include "base/assert.hpp"
#include "base/log.hpp"
#include "crypto/hash/sha256.hpp"
#include "crypto/keystore/eip2335.hpp"
#include "eth/duty_signing.hpp"
#include "slashing/store.hpp"

namespace phx::sim {

namespace http = beaconapi::http;
namespace bls = crypto::bls;
using runtime::Task;

namespace {

/// TARGET_AGGREGATORS_PER_COMMITTEE and TARGET_AGGREGATORS_PER_SYNC_SUBCOMMITTEE (consensus-specs).
constexpr std::uint64_t kTargetAggregators = 16;
constexpr std::uint64_t kSyncSubcommitteeSize = eth::preset::kSyncCommitteeSize / eth::preset::kSyncCommitteeSubnetCount;

/// beacon-APIs BeaconCommitteeSelection / SyncCommitteeSelection (DVT endpoints).
struct CommitteeSelection {
  ValidatorIndex validator_index{};
  Slot slot{};
  eth::BLSSignature selection_proof{};
  PHX_SSZ_FIELDS(CommitteeSelection, validator_index, slot, selection_proof)
};
struct SyncSelection {
  ValidatorIndex validator_index{};
  Slot slot{};
  std::uint64_t subcommittee_index = 0;
  eth::BLSSignature selection_proof{};
  PHX_SSZ_FIELDS(SyncSelection, validator_index, slot, subcommittee_index, selection_proof)
};

/// bytes_to_uint64(hash(proof)[0:8]) % modulo == 0 (phase0 is_aggregator, altair
/// is_sync_committee_aggregator).
bool selected(const eth::BLSSignature& proof, std::uint64_t modulo) {
  auto h = crypto::hash::sha256(proof);
  return get_le64(h.data()) % std::max<std::uint64_t>(1, modulo) == 0;
}

std::string describe(const http::ClientError& e) {
  std::string s = e.status != 0 ? "HTTP " + std::to_string(e.status) : e.code.message();
  if (!e.message.empty()) s += ": " + e.message;
  return s;
}

eth::BLSSignature sign(const bls::SecretKey& sk, const Root& root) { return sk.sign(root).to_bytes(); }

/// Signs a produced full block into the publishBlockV2 body of the same fork.
template <std::size_t I = 0>
beaconapi::VersionedSignedProducedBlock sign_full(const beaconapi::VersionedProducedBlock& b,
                                                  const eth::BLSSignature& sig) {
  if constexpr (I + 1 < eth::kForkCount) {
    if (b.value.index() != I) return sign_full<I + 1>(b, sig);
  }
  const auto& x = std::get<I>(b.value);
  using Out = std::variant_alternative_t<I, beaconapi::VersionedSignedProducedBlock::Variant>;
  Out out;
  if constexpr (requires { x.kzg_proofs; }) {
    out.signed_block.message = x.block;
    out.signed_block.signature = sig;
    out.kzg_proofs = x.kzg_proofs;
    out.blobs = x.blobs;
  } else {
    out.message = x;
    out.signature = sig;
  }
  return beaconapi::VersionedSignedProducedBlock{
      beaconapi::VersionedSignedProducedBlock::Variant(std::in_place_index<I>, std::move(out))};
}

/// Signing root and slot of a produced full block (the block inside BlockContents from deneb on).
std::pair<Root, Slot> full_block_root(const eth::ChainConfig& chain, const beaconapi::VersionedProducedBlock& b) {
  return std::visit(
      [&](const auto& x) -> std::pair<Root, Slot> {
        if constexpr (requires { x.kzg_proofs; }) {
          return {eth::block_signing_root(chain, x.block), x.block.slot};
        } else {
          return {eth::block_signing_root(chain, x), x.slot};
        }
      },
      b.value);
}

/// Signs a blinded block; nullopt before bellatrix (no blinded blocks).
template <std::size_t I = 0>
std::optional<beaconapi::VersionedSignedBlindedBeaconBlock> sign_blinded(
    const beaconapi::VersionedBlindedBeaconBlock& b, const eth::BLSSignature& sig) {
  if constexpr (I + 1 < eth::kForkCount) {
    if (b.value.index() != I) return sign_blinded<I + 1>(b, sig);
  }
  const auto& x = std::get<I>(b.value);
  using Out = std::variant_alternative_t<I, beaconapi::VersionedSignedBlindedBeaconBlock::Variant>;
  if constexpr (std::is_same_v<std::remove_cvref_t<decltype(x)>, std::monostate>) {
    return std::nullopt;
  } else {
    Out out;
    out.message = x;
    out.signature = sig;
    return beaconapi::VersionedSignedBlindedBeaconBlock{
        beaconapi::VersionedSignedBlindedBeaconBlock::Variant(std::in_place_index<I>, std::move(out))};
  }
}

std::optional<std::pair<Root, Slot>> blinded_block_root(const eth::ChainConfig& chain,
                                                        const beaconapi::VersionedBlindedBeaconBlock& b) {
  return std::visit(
      [&](const auto& x) -> std::optional<std::pair<Root, Slot>> {
        if constexpr (std::is_same_v<std::remove_cvref_t<decltype(x)>, std::monostate>) {
          return std::nullopt;
        } else {
          return std::pair<Root, Slot>{eth::block_signing_root(chain, x), x.slot};
        }
      },
      b.value);
}

}  // namespace

const char* to_string(VcDuty d) {
  switch (d) {
    case VcDuty::kAttestation:
      return "attestation";
    case VcDuty::kProposal:
      return "proposal";
    case VcDuty::kAggregation:
      return "aggregation";
    case VcDuty::kSyncMessage:
      return "sync_message";
    case VcDuty::kSyncContribution:
      return "sync_contribution";
    case VcDuty::kRegistration:
      return "registration";
  }
  return "unknown";
}

ssz::Json VcSimStats::to_json() const {
  ssz::Json j = ssz::Json::object();
  for (std::size_t i = 0; i < kVcDutyCount; ++i) {
    const auto& c = duties[i];
    ssz::Json x = ssz::Json::object();
    x["scheduled"] = c.scheduled;
    x["submitted"] = c.submitted;
    x["failed"] = c.failed;
    ssz::Json f = ssz::Json::object();
    for (const auto& [reason, n] : c.failures) f[reason] = n;
    x["failures"] = std::move(f);
    j[to_string(static_cast<VcDuty>(i))] = std::move(x);
  }
  j["slashing_refusals"] = slashing_refusals;
  j["epochs"] = epochs;
  j["duty_fetch_failures"] = duty_fetch_failures;
  j["first_slot"] = first_slot;
  j["slots"] = slots;
  return j;
}

// ---------------------------------------------------------------------------------------------------------

struct VcSim::Impl {
  struct Key {
    bls::SecretKey secret;
    eth::BLSPubkey pubkey{};
  };
  struct Selection {
    http::AttesterDuty duty;
    eth::BLSSignature proof{};  ///< the combined proof (DV) or the own proof (plain BN)
  };
  struct SyncSel {
    ValidatorIndex validator_index{};
    std::size_t key = 0;
    std::uint64_t subcommittee = 0;
    eth::BLSSignature proof{};
  };
  struct SlotState {
    bool selections_done = false;
    std::vector<Selection> aggregators;
    std::vector<SyncSel> sync_aggregators;
    /// committee index → the attestation data signed at 1/3 (for the aggregate lookup).
    std::map<std::uint64_t, eth::phase0::AttestationData> data;
    std::optional<Root> head;  ///< block root signed by the sync messages
  };

  Impl(VcSim& s, std::vector<bls::SecretKey> secrets, const VcSimConfig& c)
      : self(s), client(c.endpoints, http::BnClientOptions{.timeout = c.timeout, .recheck_after = std::chrono::seconds(1)}) {
    for (auto& sk : secrets) {
      auto pk = sk.public_key().to_bytes();
      keys.push_back(Key{std::move(sk), pk});
    }
  }

  VcSim& self;
  http::BeaconNodeClient client;
  std::vector<Key> keys;
  std::map<ValidatorIndex, std::size_t> by_index;  ///< validator index → keys[i]
  std::optional<slashing::SlashingDb> db;
  std::map<Epoch, std::vector<http::AttesterDuty>> attester;
  std::map<Epoch, std::vector<http::ProposerDuty>> proposer;
  std::map<Epoch, std::vector<http::SyncCommitteeDuty>> sync;
  std::map<std::uint64_t, SlotState> slots;

  const eth::ChainConfig& chain() const { return self.chain_; }
  VcSimStats& stats() { return self.stats_; }

  void fail(VcDuty d, const std::string& reason, std::uint64_t n = 1) {
    auto& c = stats().of(d);
    c.failed += n;
    c.failures[reason] += n;
    log::debug("vc-sim: {} failed: {}", to_string(d), reason);
  }

  TimePoint slot_time(Slot s, std::uint64_t thirds = 0) const {
    auto ms = static_cast<std::int64_t>(chain().genesis_time * 1000 + s.value * chain().seconds_per_slot * 1000 +
                                        thirds * chain().seconds_per_slot * 1000 / 3);
    return TimePoint(std::chrono::duration_cast<TimePoint::duration>(std::chrono::milliseconds(ms)));
  }

  /// Sleeps until `t` in steps of at most 100 ms; false when a stop was requested.
  Task<bool> sleep_until(TimePoint t) {
    while (!self.stop_requested_) {
      auto left = t - self.clock_.now();
      if (left <= Duration::zero()) co_return true;
      co_await runtime::sleep_for(std::min<Duration>(left, std::chrono::milliseconds(100)));
    }
    co_return false;
  }

  eth::Fork fork_of(Slot s) const { return chain().fork_at(chain().epoch_at(s)); }

  // ---- duties ----

  Task<bool> fetch_duties(Epoch epoch) {
    std::vector<ValidatorIndex> indices;
    for (const auto& [i, k] : by_index) indices.push_back(i);
    auto att = co_await client.attester_duties(epoch, indices);
    if (!att) {
      log::warn("vc-sim: attester duties of epoch {}: {}", epoch.value, describe(att.error()));
      co_return false;
    }
    auto prop = co_await client.proposer_duties(epoch);
    if (!prop) {
      log::warn("vc-sim: proposer duties of epoch {}: {}", epoch.value, describe(prop.error()));
      co_return false;
    }
    std::vector<http::SyncCommitteeDuty> sync_duties;
    if (chain().fork_at(epoch) >= eth::Fork::kAltair) {
      auto sd = co_await client.sync_committee_duties(epoch, indices);
      if (!sd) {
        log::warn("vc-sim: sync duties of epoch {}: {}", epoch.value, describe(sd.error()));
        co_return false;
      }
      sync_duties = std::move(*sd);
    }
    auto& a = attester[epoch];
    for (auto& d : att->duties)
      if (by_index.contains(d.validator_index)) a.push_back(d);
    auto& p = proposer[epoch];
    for (auto& d : prop->duties)  // slot 0 is the genesis block: listed by BNs, proposed by nobody
      if (by_index.contains(d.validator_index) && d.slot.value != 0) p.push_back(d);
    auto& s = sync[epoch];
    for (auto& d : sync_duties)
      if (by_index.contains(d.validator_index)) s.push_back(d);
    stats().epochs++;
    // Forget epochs long gone.
    while (!attester.empty() && attester.begin()->first.value + 2 < epoch.value) attester.erase(attester.begin());
    while (!proposer.empty() && proposer.begin()->first.value + 2 < epoch.value) proposer.erase(proposer.begin());
    while (!sync.empty() && sync.begin()->first.value + 2 < epoch.value) sync.erase(sync.begin());
    co_return true;
  }

  std::vector<http::AttesterDuty> attester_at(Slot s) const {
    std::vector<http::AttesterDuty> out;
    auto it = attester.find(chain().epoch_at(s));
    if (it == attester.end()) return out;
    for (const auto& d : it->second)
      if (d.slot == s) out.push_back(d);
    return out;
  }

  // ---- proposal (slot start) ----

  Task<void> propose(Slot s, http::ProposerDuty duty) {
    auto& st = stats().of(VcDuty::kProposal);
    st.scheduled++;
    const auto& key = keys[by_index.at(duty.validator_index)];
    Epoch epoch = chain().epoch_at(s);
    eth::BLSSignature randao = sign(key.secret, eth::randao_signing_root(chain(), epoch));
    Root graffiti{};
    std::copy_n(self.config_.graffiti.begin(), std::min<std::size_t>(32, self.config_.graffiti.size()),
                graffiti.begin());
    auto produced = co_await client.produce_block_v3(s, randao, graffiti);
    if (!produced) co_return fail(VcDuty::kProposal, "produce block: " + describe(produced.error()));
    if (produced->blinded()) {
      const auto& b = std::get<1>(produced->block);
      auto root = blinded_block_root(chain(), b);
      if (!root || root->second != s) co_return fail(VcDuty::kProposal, "produce block: blinded block of the wrong slot");
      if (!co_await slashing_ok_block(key.pubkey, s, root->first)) co_return;
      auto signed_block = sign_blinded(b, sign(key.secret, root->first));
      if (!signed_block) co_return fail(VcDuty::kProposal, "blinded block before bellatrix");
      auto r = co_await client.publish_blinded_block(std::move(*signed_block));
      if (!r) co_return fail(VcDuty::kProposal, "publish blinded block: " + describe(r.error()));
    } else {
      const auto& b = std::get<0>(produced->block);
      auto [root, slot] = full_block_root(chain(), b);
      if (slot != s) co_return fail(VcDuty::kProposal, "produce block: block of the wrong slot");
      if (!co_await slashing_ok_block(key.pubkey, s, root)) co_return;
      auto signed_block = sign_full(b, sign(key.secret, root));
      auto r = co_await client.publish_block(std::move(signed_block));
      if (!r) co_return fail(VcDuty::kProposal, "publish block: " + describe(r.error()));
    }
    st.submitted++;
  }

  Task<bool> slashing_ok_block(const eth::BLSPubkey& pk, Slot s, const Root& root) {
    auto v = db->check_and_record_block(pk, s, root);
    if (!v) {
      stats().slashing_refusals++;
      fail(VcDuty::kProposal, "slashing protection: " + v.error().message());
      co_return false;
    }
    co_return true;
  }

  // ---- selections (slot start), for aggregation and sync contributions at 2/3 ----

  Task<void> select(Slot s) {
    auto& state = slots[s.value];
    auto duties = attester_at(s);
    // Attestation aggregation.
    std::vector<CommitteeSelection> partials;
    for (const auto& d : duties) {
      const auto& key = keys[by_index.at(d.validator_index)];
      partials.push_back({d.validator_index, s, sign(key.secret, eth::selection_proof_signing_root(chain(), s))});
    }
    std::map<ValidatorIndex, eth::BLSSignature> proofs;
    if (!partials.empty()) {
      if (self.config_.dvt_selections) {
        auto combined = co_await exchange("/eth/v1/validator/beacon_committee_selections", partials);
        if (!combined) {
          fail(VcDuty::kAggregation, "beacon_committee_selections: " + combined.error(), partials.size());
        } else {
          for (const auto& c : *combined) proofs[c.validator_index] = c.selection_proof;
        }
      } else {
        for (const auto& p : partials) proofs[p.validator_index] = p.selection_proof;
      }
    }
    for (const auto& d : duties) {
      auto it = proofs.find(d.validator_index);
      if (it == proofs.end()) continue;
      if (selected(it->second, d.committee_length / kTargetAggregators)) state.aggregators.push_back({d, it->second});
    }
    // Sync contributions: one selection per (validator, subcommittee).
    if (fork_of(s) >= eth::Fork::kAltair) {
      std::vector<SyncSelection> sync_partials;
      std::vector<SyncSel> candidates;
      if (auto it = sync.find(chain().epoch_at(s)); it != sync.end()) {
        for (const auto& d : it->second) {
          std::set<std::uint64_t> subs;
          for (auto pos : d.validator_sync_committee_indices) subs.insert(pos / kSyncSubcommitteeSize);
          std::size_t k = by_index.at(d.validator_index);
          for (auto sub : subs) {
            eth::altair::SyncAggregatorSelectionData data{s, sub};
            auto proof = sign(keys[k].secret, eth::sync_selection_proof_signing_root(chain(), data));
            sync_partials.push_back({d.validator_index, s, sub, proof});
            candidates.push_back({d.validator_index, k, sub, proof});
          }
        }
      }
      if (!sync_partials.empty() && self.config_.dvt_selections) {
        auto combined = co_await exchange("/eth/v1/validator/sync_committee_selections", sync_partials);
        if (!combined) {
          fail(VcDuty::kSyncContribution, "sync_committee_selections: " + combined.error(), sync_partials.size());
          candidates.clear();
        } else {
          std::map<std::pair<ValidatorIndex, std::uint64_t>, eth::BLSSignature> by;
          for (const auto& c : *combined) by[{c.validator_index, c.subcommittee_index}] = c.selection_proof;
          std::vector<SyncSel> kept;
          for (auto& c : candidates) {
            auto it = by.find({c.validator_index, c.subcommittee});
            if (it == by.end()) continue;
            c.proof = it->second;
            kept.push_back(c);
          }
          candidates = std::move(kept);
        }
      }
      for (const auto& c : candidates)
        if (selected(c.proof, kSyncSubcommitteeSize / kTargetAggregators)) state.sync_aggregators.push_back(c);
    }
    state.selections_done = true;
  }

  /// POSTs partial selections to a DVT endpoint and decodes the combined ones.
  template <class Sel>
  Task<Result<std::vector<Sel>, std::string>> exchange(const char* target, const std::vector<Sel>& partials) {
    ssz::Json body = ssz::Json::array();
    for (const auto& p : partials) body.push_back(ssz::to_json(p));
    http::ClientRequest req;
    req.method = http::Method::kPost;
    req.target = target;
    req.body = body.dump();
    auto resp = co_await client.call(std::move(req));
    if (!resp) co_return std::unexpected(describe(resp.error()));
    if (resp->status / 100 != 2) co_return std::unexpected("HTTP " + std::to_string(resp->status) + " " + resp->body);
    auto j = ssz::parse_json(resp->body);
    if (!j || !j->is_object() || !j->contains("data"))
      co_return std::unexpected(std::string("answer is not {\"data\":[…]}"));
    const auto& data = (*j)["data"];
    if (!data.is_array()) co_return std::unexpected(std::string("data: expected an array"));
    std::vector<Sel> out;
    for (std::size_t i = 0; i < data.size(); ++i) {
      auto v = ssz::from_json<Sel>(data[i], "data." + std::to_string(i));
      if (!v) co_return std::unexpected(v.error().message());
      out.push_back(*v);
    }
    co_return out;
  }

  // ---- attestations (1/3) ----

  Task<void> attest(Slot s) {
    auto duties = attester_at(s);
    if (duties.empty()) co_return;
    auto& st = stats().of(VcDuty::kAttestation);
    st.scheduled += duties.size();
    std::map<std::uint64_t, std::vector<http::AttesterDuty>> by_committee;
    for (const auto& d : duties) by_committee[d.committee_index].push_back(d);
    auto fork = fork_of(s);
    std::vector<eth::phase0::Attestation> phase0;
    std::vector<eth::electra::SingleAttestation> single;
    std::vector<http::AttesterDuty> signed_duties;
    for (const auto& [committee, list] : by_committee) {
      auto data = co_await client.attestation_data(s, committee);
      if (!data) {
        fail(VcDuty::kAttestation, "attestation data: " + describe(data.error()), list.size());
        continue;
      }
      if (data->slot != s) {
        fail(VcDuty::kAttestation, "attestation data of the wrong slot", list.size());
        continue;
      }
      slots[s.value].data[committee] = *data;
      Root root = eth::attestation_signing_root(chain(), *data);
      for (const auto& d : list) {
        const auto& key = keys[by_index.at(d.validator_index)];
        auto v = db->check_and_record_attestation(key.pubkey, data->source.epoch, data->target.epoch, root);
        if (!v) {
          stats().slashing_refusals++;
          fail(VcDuty::kAttestation, "slashing protection: " + v.error().message());
          continue;
        }
        auto sig = sign(key.secret, root);
        if (fork >= eth::Fork::kElectra) {
          single.push_back({d.committee_index, d.validator_index, *data, sig});
        } else {
          eth::phase0::Attestation a;
          a.aggregation_bits = ssz::Bitlist<eth::preset::kMaxValidatorsPerCommittee>(d.committee_length);
          if (d.validator_committee_index >= d.committee_length) {
            fail(VcDuty::kAttestation, "duty position outside its committee");
            continue;
          }
          a.aggregation_bits.set(d.validator_committee_index, true);
          a.data = *data;
          a.signature = sig;
          phase0.push_back(std::move(a));
        }
        signed_duties.push_back(d);
      }
    }
    if (signed_duties.empty()) co_return;
    Result<void, http::ClientError> r;
    if (fork >= eth::Fork::kElectra)
      r = co_await client.submit_single_attestations(fork, std::move(single));
    else
      r = co_await client.submit_attestations(fork, std::move(phase0));
    if (!r) co_return fail(VcDuty::kAttestation, "submit: " + describe(r.error()), signed_duties.size());
    st.submitted += signed_duties.size();
  }

  // ---- sync committee messages (1/3) ----

  Task<void> sync_messages(Slot s) {
    if (fork_of(s) < eth::Fork::kAltair) co_return;
    auto it = sync.find(chain().epoch_at(s));
    if (it == sync.end() || it->second.empty()) co_return;
    auto& st = stats().of(VcDuty::kSyncMessage);
    st.scheduled += it->second.size();
    auto head = co_await client.block_root("head");
    if (!head) co_return fail(VcDuty::kSyncMessage, "head block root: " + describe(head.error()), it->second.size());
    slots[s.value].head = *head;
    Root root = eth::sync_committee_message_signing_root(chain(), s, *head);
    std::vector<eth::altair::SyncCommitteeMessage> msgs;
    for (const auto& d : it->second) {
      const auto& key = keys[by_index.at(d.validator_index)];
      msgs.push_back({s, *head, d.validator_index, sign(key.secret, root)});
    }
    auto n = msgs.size();
    auto r = co_await client.submit_sync_committee_messages(std::move(msgs));
    if (!r) co_return fail(VcDuty::kSyncMessage, "submit: " + describe(r.error()), n);
    st.submitted += n;
  }

  // ---- aggregation and contributions (2/3) ----

  Task<void> wait_selections(Slot s) {
    // Selections run from the slot start; give them until the end of the slot.
    auto end = slot_time(Slot{s.value + 1});
    while (!slots[s.value].selections_done && self.clock_.now() < end && !self.stop_requested_)
      co_await runtime::sleep_for(std::chrono::milliseconds(20));
  }

  Task<void> aggregate(Slot s) {
    auto& state = slots[s.value];
    if (state.aggregators.empty()) co_return;
    auto& st = stats().of(VcDuty::kAggregation);
    st.scheduled += state.aggregators.size();
    auto fork = fork_of(s);
    std::vector<beaconapi::VersionedSignedAggregateAndProof> items;
    for (const auto& sel : state.aggregators) {
      auto dit = state.data.find(sel.duty.committee_index);
      if (dit == state.data.end()) {
        fail(VcDuty::kAggregation, "no attestation data of the committee");
        continue;
      }
      Root data_root = ssz::hash_tree_root(dit->second);
      auto agg = co_await client.aggregate_attestation(s, data_root, sel.duty.committee_index);
      if (!agg) {
        fail(VcDuty::kAggregation, "aggregate attestation: " + describe(agg.error()));
        continue;
      }
      const auto& key = keys[by_index.at(sel.duty.validator_index)];
      if (fork >= eth::Fork::kElectra) {
        const auto* a = std::get_if<static_cast<std::size_t>(eth::Fork::kElectra)>(&agg->value);
        const auto* f = std::get_if<static_cast<std::size_t>(eth::Fork::kFulu)>(&agg->value);
        if (a == nullptr) a = f;
        if (a == nullptr) {
          fail(VcDuty::kAggregation, "aggregate of the wrong fork");
          continue;
        }
        eth::electra::SignedAggregateAndProof out;
        out.message = {sel.duty.validator_index, *a, sel.proof};
        out.signature = sign(key.secret, eth::aggregate_and_proof_signing_root(chain(), out.message));
        items.push_back(fork == eth::Fork::kFulu
                            ? beaconapi::VersionedSignedAggregateAndProof::make<eth::Fork::kFulu>(std::move(out))
                            : beaconapi::VersionedSignedAggregateAndProof::make<eth::Fork::kElectra>(std::move(out)));
      } else {
        if (agg->value.index() >= static_cast<std::size_t>(eth::Fork::kElectra)) {
          fail(VcDuty::kAggregation, "aggregate of the wrong fork");
          continue;
        }
        const auto& a = std::visit(
            [](const auto& x) -> const eth::phase0::Attestation* {
              if constexpr (std::is_same_v<std::remove_cvref_t<decltype(x)>, eth::phase0::Attestation>)
                return &x;
              else
                return nullptr;
            },
            agg->value);
        eth::phase0::SignedAggregateAndProof out;
        out.message = {sel.duty.validator_index, *a, sel.proof};
        out.signature = sign(key.secret, eth::aggregate_and_proof_signing_root(chain(), out.message));
        beaconapi::VersionedSignedAggregateAndProof v{
            beaconapi::VersionedSignedAggregateAndProof::Variant(std::in_place_index<0>, std::move(out))};
        // Same phase0 container for phase0 … deneb: put it at the slot's fork index.
        v = rebrand(std::move(v), fork);
        items.push_back(std::move(v));
      }
    }
    if (items.empty()) co_return;
    auto n = items.size();
    auto r = co_await client.submit_aggregate_and_proofs(fork, std::move(items));
    if (!r) co_return fail(VcDuty::kAggregation, "submit: " + describe(r.error()), n);
    st.submitted += n;
  }

  /// Moves a phase0-layout aggregate to the variant index of `fork` (phase0 … deneb share the container).
  template <std::size_t I = 0>
  static beaconapi::VersionedSignedAggregateAndProof rebrand(beaconapi::VersionedSignedAggregateAndProof v,
                                                             eth::Fork fork) {
    if constexpr (I < static_cast<std::size_t>(eth::Fork::kElectra)) {
      if (static_cast<std::size_t>(fork) != I) return rebrand<I + 1>(std::move(v), fork);
      auto x = std::get<0>(std::move(v.value));
      return beaconapi::VersionedSignedAggregateAndProof{
          beaconapi::VersionedSignedAggregateAndProof::Variant(std::in_place_index<I>, std::move(x))};
    } else {
      return v;
    }
  }

  Task<void> contribute(Slot s) {
    auto& state = slots[s.value];
    if (state.sync_aggregators.empty()) co_return;
    auto& st = stats().of(VcDuty::kSyncContribution);
    st.scheduled += state.sync_aggregators.size();
    if (!state.head) {
      auto head = co_await client.block_root("head");
      if (!head)
        co_return fail(VcDuty::kSyncContribution, "head block root: " + describe(head.error()),
                       state.sync_aggregators.size());
      state.head = *head;
    }
    std::vector<eth::altair::SignedContributionAndProof> items;
    for (const auto& c : state.sync_aggregators) {
      auto contribution = co_await client.sync_committee_contribution(s, c.subcommittee, *state.head);
      if (!contribution) {
        fail(VcDuty::kSyncContribution, "contribution: " + describe(contribution.error()));
        continue;
      }
      eth::altair::SignedContributionAndProof out;
      out.message = {c.validator_index, *contribution, c.proof};
      out.signature = sign(keys[c.key].secret, eth::contribution_and_proof_signing_root(chain(), out.message));
      items.push_back(std::move(out));
    }
    if (items.empty()) co_return;
    auto n = items.size();
    auto r = co_await client.submit_contribution_and_proofs(std::move(items));
    if (!r) co_return fail(VcDuty::kSyncContribution, "submit: " + describe(r.error()), n);
    st.submitted += n;
  }

  // ---- builder registration (once) ----

  Task<void> register_validators() {
    auto& st = stats().of(VcDuty::kRegistration);
    std::vector<eth::phase0::SignedValidatorRegistrationV1> regs;
    for (const auto& [index, k] : by_index) {
      const auto& key = keys[k];
      eth::phase0::ValidatorRegistrationV1 msg{self.config_.fee_recipient, self.config_.gas_limit,
                                               chain().genesis_time, key.pubkey};
      // A DV node registers the DV key: every operator signs the message holding it, sends its own key.
      eth::phase0::ValidatorRegistrationV1 signed_msg = msg;
      if (auto it = self.config_.dv_pubkeys.find(key.pubkey); it != self.config_.dv_pubkeys.end())
        signed_msg.pubkey = it->second;
      regs.push_back({msg, sign(key.secret, eth::registration_signing_root(chain(), signed_msg))});
    }
    st.scheduled += regs.size();
    auto n = regs.size();
    auto r = co_await client.register_validators(std::move(regs));
    if (!r) co_return fail(VcDuty::kRegistration, "register: " + describe(r.error()), n);
    st.submitted += n;
  }

  // ---- one slot ----

  Task<void> run_slot(Slot s) {
    runtime::TaskGroup group(co_await runtime::asio::this_coro::executor);
    auto pit = proposer.find(chain().epoch_at(s));
    if (pit != proposer.end()) {
      for (const auto& d : pit->second)
        if (d.slot == s) group.spawn(propose(s, d));
    }
    group.spawn(select(s));
    // A validator client's attestation and sync committee services run independently: a slow attestation-data
    // answer (the cluster's QBFT in a round change) must not hold the sync messages past the slot, where the head
    // they sign would be the next slot's block.
    if (co_await sleep_until(slot_time(s, 1))) {
      group.spawn(sync_messages(s));
      co_await attest(s);
    }
    if (co_await sleep_until(slot_time(s, 2))) {
      co_await wait_selections(s);
      group.spawn(contribute(s));
      co_await aggregate(s);
    }
    co_await group.join();
    slots.erase(s.value);
  }
};

// ---------------------------------------------------------------------------------------------------------

VcSim::VcSim(VcSimConfig config, std::vector<crypto::bls::SecretKey> keys, const Clock& clock)
    : config_(std::move(config)), clock_(clock) {
  PHX_ASSERT(!keys.empty());
  PHX_ASSERT(!config_.endpoints.empty());
  impl_ = std::make_unique<Impl>(*this, std::move(keys), config_);
}

VcSim::~VcSim() = default;

runtime::Task<Result<void, std::string>> VcSim::run() {
  auto& im = *impl_;
  // 1. The chain, retried until the node answers (it may still be starting).
  while (true) {
    if (stop_requested_) co_return std::unexpected(std::string("stopped before the node answered"));
    auto cc = co_await im.client.chain_config();
    if (cc) {
      chain_ = std::move(*cc);
      break;
    }
    log::debug("vc-sim: chain config: {}", describe(cc.error()));
    co_await runtime::sleep_for(std::chrono::milliseconds(250));
  }
  if (!chain_.valid() || chain_.seconds_per_slot == 0) co_return std::unexpected(std::string("invalid chain config"));
  // 2. Own validators.
  std::vector<eth::BLSPubkey> pubkeys;
  for (const auto& k : im.keys) pubkeys.push_back(k.pubkey);
  // A node that is still starting may answer with an error or without our keys: retry until the last slot.
  while (im.by_index.empty()) {
    if (stop_requested_) co_return std::unexpected(std::string("stopped before the validators were known"));
    auto vals = co_await im.client.validators_by_pubkey("head", pubkeys);
    if (vals) {
      for (const auto& v : *vals) {
        for (std::size_t i = 0; i < im.keys.size(); ++i)
          if (im.keys[i].pubkey == v.validator.pubkey) im.by_index[v.index] = i;
      }
    } else {
      log::debug("vc-sim: validators: {}", describe(vals.error()));
    }
    if (!im.by_index.empty()) break;
    if (config_.last_slot && clock_.now() >= im.slot_time(Slot{config_.last_slot->value + 1}))
      co_return std::unexpected("none of the " + std::to_string(im.keys.size()) + " keys is a known validator");
    co_await runtime::sleep_for(std::chrono::milliseconds(250));
  }
  // 3. Slashing protection.
  auto db = config_.slashing_db ? slashing::SlashingDb::open(*config_.slashing_db, chain_.genesis_validators_root)
                                : slashing::SlashingDb::open_in_memory(chain_.genesis_validators_root);
  if (!db) co_return std::unexpected("slashing database: " + db.error().message());
  im.db.emplace(std::move(*db));
  log::info("vc-sim: {} of {} keys are validators; genesis {}, {} s slots", im.by_index.size(), im.keys.size(),
            chain_.genesis_time, chain_.seconds_per_slot);
  // 4. Registrations once.
  if (config_.builder_registration) co_await im.register_validators();
  // 5. Slots: from the next slot start (or genesis).
  std::uint64_t now_ms = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(clock_.now().time_since_epoch()).count());
  std::uint64_t genesis_ms = chain_.genesis_time * 1000;
  Slot slot{now_ms < genesis_ms ? 0 : (now_ms - genesis_ms) / (chain_.seconds_per_slot * 1000) + 1};
  stats_.first_slot = slot.value;
  runtime::TaskGroup group(co_await runtime::asio::this_coro::executor);
  std::optional<Epoch> fetched;
  // The first epoch's duties right away (typically before genesis), not at the first slot's start.
  if (co_await im.fetch_duties(chain_.epoch_at(slot))) fetched = chain_.epoch_at(slot);
  while (!stop_requested_ && (!config_.last_slot || slot <= *config_.last_slot)) {
    if (!co_await im.sleep_until(im.slot_time(slot))) break;
    Epoch epoch = chain_.epoch_at(slot);
    if (!fetched || *fetched != epoch) {
      if (co_await im.fetch_duties(epoch))
        fetched = epoch;
      else
        stats_.duty_fetch_failures++;
    }
    group.spawn(im.run_slot(slot));
    stats_.slots++;
    slot = Slot{slot.value + 1};
  }
  co_await group.join();
  co_return Result<void, std::string>{};
}

// ---------------------------------------------------------------------------------------------------------

Result<std::vector<crypto::bls::SecretKey>, std::string> load_keystores(const std::filesystem::path& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return std::unexpected(dir.string() + ": not a folder");
  static const std::regex kName("keystore-([0-9]{1,6})\\.json");
  std::vector<std::pair<unsigned long, fs::path>> files;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    std::smatch m;
    std::string name = e.path().filename().string();
    if (std::regex_match(name, m, kName)) files.emplace_back(std::stoul(m[1]), e.path());
  }
  if (ec) return std::unexpected(dir.string() + ": " + ec.message());
  std::sort(files.begin(), files.end());
  if (files.empty()) return std::unexpected(dir.string() + ": no keystore-*.json");
  auto read = [](const fs::path& p) -> std::optional<std::string> {
    std::FILE* f = std::fopen(p.c_str(), "rb");
    if (f == nullptr) return std::nullopt;
    std::string s;
    char buf[4096];
    std::size_t n = 0;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0 && s.size() < (1u << 20)) s.append(buf, n);
    std::fclose(f);
    return s;
  };
  std::vector<crypto::bls::SecretKey> out;
  for (const auto& [n, json_path] : files) {
    fs::path txt = json_path;
    txt.replace_extension(".txt");
    auto json = read(json_path);
    auto pw = read(txt);
    if (!json) return std::unexpected(json_path.string() + ": unreadable");
    if (!pw) return std::unexpected(txt.string() + ": password file missing or unreadable");
    while (!pw->empty() && (pw->back() == '\n' || pw->back() == '\r')) pw->pop_back();
    auto sk = crypto::keystore::decrypt(*json, *pw);
    secure_zero(pw->data(), pw->size());
    if (!sk) return std::unexpected(json_path.string() + ": " + sk.error().message());
    out.push_back(std::move(*sk));
  }
  return out;
}

}  // namespace phx::sim
