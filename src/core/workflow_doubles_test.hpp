#pragma once
// Test doubles of the workflow's ports (test and benchmark code only): an in-memory beacon node serving
// deterministic data and verifying every submitted aggregate with the DV key, a consensus double that decides
// the first proposal of each duty, an in-memory partial-signature bus, a signer with real key shares (optionally
// signing wrong data), a slashing guard with the double-vote / double-proposal rules, virtual time, and a
// harness that runs N Workflows on one io_context.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "core/workflow.hpp"
#include "crypto/hash/sha256.hpp"
#include "crypto/threshold/threshold.hpp"
#include "ssz/merkle.hpp"

namespace phx::core::testing {

namespace bls = crypto::bls;
namespace threshold = crypto::threshold;
namespace asio = boost::asio;
using runtime::RuntimeError;

/// A validator of the test cluster: DV key and every operator's key share.
struct TestValidator {
  PubKey pubkey{};
  std::vector<threshold::KeyShare> shares;
};

/// Real BLS keys split t-of-n, and the KeyBook built from them.
struct TestKeys {
  std::vector<TestValidator> validators;  // ordered by pubkey (as the KeyBook)
  KeyBook book;
};

inline TestKeys make_keys(std::size_t count, std::uint32_t t, std::uint32_t n) {
  std::vector<TestValidator> vals;
  std::vector<LockValidator> lock;
  for (std::size_t i = 0; i < count; ++i) {
    const bls::SecretKey sk = bls::SecretKey::from_scalar(bls::Fr::random());
    auto split = threshold::split(sk, t, n);
    LockValidator lv;
    const auto pk = sk.public_key().to_bytes();
    lv.distributed_public_key.assign(pk.begin(), pk.end());
    for (const auto& s : split->shares) {
      const auto b = s.secret.public_key().to_bytes();
      lv.public_shares.emplace_back(b.begin(), b.end());
    }
    lock.push_back(std::move(lv));
    vals.push_back(TestValidator{pk, std::move(split->shares)});
  }
  std::sort(vals.begin(), vals.end(), [](const auto& a, const auto& b) { return a.pubkey < b.pubkey; });
  auto book = KeyBook::from_lock(lock, t);
  return TestKeys{std::move(vals), std::move(*book)};
}

/// The value of family V for `fork`, default-constructed and then filled by `fill` (not called for forks
/// where the family does not exist).
template <class V, class F, std::size_t I = 0>
V make_versioned(eth::Fork fork, F&& fill) {
  if constexpr (I == eth::kForkCount) {
    return V{};
  } else {
    if (static_cast<std::size_t>(fork) != I) return make_versioned<V, F, I + 1>(fork, std::forward<F>(fill));
    using T = std::variant_alternative_t<I, typename V::Variant>;
    T t{};
    if constexpr (!std::is_same_v<T, std::monostate>) fill(t);
    return V{typename V::Variant(std::in_place_index<I>, std::move(t))};
  }
}

/// Virtual time: sleeps register a waiter; the driver advances the ManualClock to the earliest waiter when
/// the io_context has nothing else to do.
class VirtualTime {
 public:
  VirtualTime(runtime::Executor ex, ManualClock& clock) : ex_(ex), clock_(clock) {}
  /// The sleep hook for WorkflowOptions::sleep_until.
  std::function<Task<void>(TimePoint)> hook() {
    return [this](TimePoint t) { return sleep_until(t); };
  }
  Task<void> sleep_until(TimePoint t) {
    if (clock_.now() >= t) co_return;
    auto ev = std::make_shared<runtime::Event>(ex_);
    waiters_.emplace(t, ev);
    co_await ev->wait();
  }
  bool empty() const { return waiters_.empty(); }
  TimePoint earliest() const { return waiters_.begin()->first; }
  /// Sets the clock to `t` and wakes every waiter due by then.
  void advance_to(TimePoint t) {
    if (clock_.now() < t) clock_.set(t);
    while (!waiters_.empty() && waiters_.begin()->first <= t) {
      waiters_.begin()->second->notify_all();
      waiters_.erase(waiters_.begin());
    }
  }

 private:
  runtime::Executor ex_;
  ManualClock& clock_;
  std::multimap<TimePoint, std::shared_ptr<runtime::Event>> waiters_;
};

/// Deterministic beacon node over a fixed validator set; verifies every submission with the DV key.
class BeaconNodeDouble final : public BeaconNode {
 public:
  BeaconNodeDouble(const eth::ChainConfig& config, const TestKeys& keys) : config_(config) {
    std::uint64_t i = 0;
    for (const auto& v : keys.validators) {
      index_of_[v.pubkey] = ValidatorIndex{100 + i};
      pubkeys_.push_back(v.pubkey);
      keys_.emplace(v.pubkey, *bls::PublicKey::from_bytes(v.pubkey));
      ++i;
    }
  }

  // ---- knobs
  bool builder_blocks = true;          ///< with builder=true, even proposer positions get a blinded block
  std::size_t committee_count = 2;     ///< committees at each slot
  std::set<std::size_t> sync_members = {0, 2};  ///< validator positions in the sync committee
  bool proposers = true;               ///< the first 4 validators propose (see proposer_at)
  bool attest_every_slot = false;      ///< every validator attests at every slot (benchmarks)
  bool verify = true;                  ///< verify submitted aggregates with the DV key
  bool fail_attestation_data = false;  ///< attestation_data answers with an error (BN outage)
  std::uint64_t attestation_slot_shift = 0;  ///< attestation_data answers for slot + this (a faulty BN)
  int fail_attestation_data_calls = 0; ///< the next this-many attestation_data calls fail (a BN hiccup)
  int fail_duty_calls = 0;             ///< the next this-many attester_duties calls fail
  /// Chain view for dependent roots: the root the BN reports for the block at the last slot of `epoch`
  /// (default: a root derived from the epoch; tests change it to model a reorg or a late block).
  std::map<std::uint64_t, Root> end_of_epoch_root;
  /// Proposer slots of `epoch` move by this many slots (a changed shuffling, e.g. after a reorg).
  std::map<std::uint64_t, std::uint64_t> proposer_shift;
  std::map<std::uint64_t, std::uint64_t> proposer_calls;  ///< proposer_duties calls by epoch
  std::map<std::uint64_t, std::uint64_t> attester_calls;  ///< attester_duties calls by epoch

  /// The root at the last slot of `epoch` as this BN sees it now.
  Root end_root(std::int64_t epoch) const {
    Root r{};
    if (epoch < 0) return r;  // before genesis: the genesis block (all zero here)
    auto it = end_of_epoch_root.find(static_cast<std::uint64_t>(epoch));
    if (it != end_of_epoch_root.end()) return it->second;
    r[0] = 0xe0;
    r[1] = static_cast<std::uint8_t>(epoch);
    r[2] = static_cast<std::uint8_t>(epoch >> 8);
    return r;
  }

  // ---- what was submitted
  struct Stats {
    std::map<DutyType, std::uint64_t> accepted;
    std::map<DutyType, std::uint64_t> rejected;
    std::uint64_t conflicts = 0;  ///< a second, different aggregate for one (duty, pubkey)
    std::uint64_t duplicates = 0;
  };
  Stats stats;

  std::size_t position(const PubKey& pk) const { return index_of_.at(pk).value - 100; }

  Task<Result<eth::ChainConfig>> chain_config() override { co_return config_; }

  Task<Result<std::vector<ValidatorRef>>> validators(std::vector<PubKey> pubkeys) override {
    std::vector<ValidatorRef> out;
    for (const auto& pk : pubkeys) {
      auto it = index_of_.find(pk);
      if (it != index_of_.end()) out.push_back(ValidatorRef{pk, it->second, true});
    }
    co_return out;
  }

  /// Attester slot of validator at `pos` in `epoch`.
  Slot attester_slot(std::size_t pos, Epoch epoch) const {
    return Slot{epoch.value * config_.slots_per_epoch + (5 * pos + 3 * epoch.value + 1) % config_.slots_per_epoch};
  }
  /// Proposer slots: validator at `pos` proposes at epoch start + 2 + 8·pos (pos < 4).
  std::optional<std::size_t> proposer_at(Slot slot) const {
    const std::uint64_t epoch = slot.value / config_.slots_per_epoch;
    const auto shift = proposer_shift.contains(epoch) ? proposer_shift.at(epoch) : 0;
    const std::uint64_t in_epoch = (slot.value + config_.slots_per_epoch - shift % config_.slots_per_epoch) %
                                   config_.slots_per_epoch;
    if (!proposers || in_epoch < 2 || (in_epoch - 2) % 8 != 0) return std::nullopt;
    const std::size_t pos = (in_epoch - 2) / 8;
    if (pos >= pubkeys_.size()) return std::nullopt;
    return pos;
  }
  eth::CommitteeIndex committee_of(std::size_t pos) const { return pos % committee_count; }
  std::uint64_t committee_length(eth::CommitteeIndex ci) const { return ci == 0 ? 8 : 64; }

  Task<Result<AttesterDuties>> attester_duties(Epoch epoch, std::vector<ValidatorIndex> indices) override {
    ++calls_;
    ++attester_calls[epoch.value];
    if (fail_duty_calls > 0) {
      --fail_duty_calls;
      co_return phx::fail(RuntimeError::kTimeout);
    }
    AttesterDuties answer;
    answer.dependent_root = end_root(static_cast<std::int64_t>(epoch.value) - 2);
    auto& out = answer.duties;
    for (const auto& idx : indices) {
      const std::size_t pos = idx.value - 100;
      if (pos >= pubkeys_.size()) continue;
      AttesterDutyDef d;
      d.slot = attester_slot(pos, epoch);
      if (attest_every_slot) {
        for (std::uint64_t s = 0; s < config_.slots_per_epoch; ++s) {
          d.slot = Slot{epoch.value * config_.slots_per_epoch + s};
          d.def.pubkey = pubkeys_[pos];
          d.def.validator_index = idx;
          d.def.committee_index = committee_of(pos);
          d.def.committee_length = committee_length(d.def.committee_index);
          d.def.committees_at_slot = committee_count;
          d.def.validator_committee_index = pos % 8;
          out.push_back(d);
        }
        continue;
      }
      d.def.pubkey = pubkeys_[pos];
      d.def.validator_index = idx;
      d.def.committee_index = committee_of(pos);
      d.def.committee_length = committee_length(d.def.committee_index);
      d.def.committees_at_slot = committee_count;
      d.def.validator_committee_index = pos % 8;
      out.push_back(std::move(d));
    }
    co_return answer;
  }

  Task<Result<ProposerDuties>> proposer_duties(Epoch epoch) override {
    ++proposer_calls[epoch.value];
    ProposerDuties answer;
    // Fulu's proposer lookahead: the proposers of an epoch are fixed one epoch earlier.
    const std::int64_t back = config_.fork_at(epoch) >= eth::Fork::kFulu ? 2 : 1;
    answer.dependent_root = end_root(static_cast<std::int64_t>(epoch.value) - back);
    auto& out = answer.duties;
    for (std::uint64_t s = 0; s < config_.slots_per_epoch; ++s) {
      const Slot slot{epoch.value * config_.slots_per_epoch + s};
      ProposerDutyDef p;
      p.slot = slot;
      if (auto pos = proposer_at(slot)) {
        p.pubkey = pubkeys_[*pos];
        p.validator_index = index_of_.at(p.pubkey);
      } else {
        p.pubkey[0] = 0xaa;  // somebody else
        p.validator_index = ValidatorIndex{9000 + s};
      }
      out.push_back(p);
    }
    co_return answer;
  }

  Task<Result<std::vector<SyncDutyDef>>> sync_duties(Epoch, std::vector<ValidatorIndex> indices) override {
    std::vector<SyncDutyDef> out;
    for (const auto& idx : indices) {
      const std::size_t pos = idx.value - 100;
      if (!sync_members.contains(pos)) continue;
      SyncDutyDef d;
      d.def.pubkey = pubkeys_[pos];
      d.def.validator_index = idx;
      d.def.sync_committee_indices = {pos * 64 + 3, pos * 64 + 300};
      out.push_back(std::move(d));
    }
    co_return out;
  }

  eth::phase0::AttestationData make_attestation_data(Slot slot, eth::CommitteeIndex ci) const {
    eth::phase0::AttestationData d{};
    const Epoch epoch = config_.epoch_at(slot);
    d.slot = slot;
    d.index = config_.fork_at(epoch) >= eth::Fork::kElectra ? 0 : ci;
    d.beacon_block_root = head_root(slot);
    d.source.epoch = Epoch{epoch.value == 0 ? 0 : epoch.value - 1};
    d.target.epoch = epoch;
    d.target.root = head_root(Slot{epoch.value * config_.slots_per_epoch});
    return d;
  }
  static Root head_root(Slot slot) {
    std::uint8_t b[8];
    put_le64(b, slot.value);
    return crypto::hash::sha256(ByteSpan(b, 8));
  }

  Task<Result<eth::phase0::AttestationData>> attestation_data(Slot slot, eth::CommitteeIndex ci) override {
    ++calls_;
    if (fail_attestation_data) co_return phx::fail(RuntimeError::kTimeout);
    if (fail_attestation_data_calls > 0) {
      --fail_attestation_data_calls;
      co_return phx::fail(RuntimeError::kTimeout);
    }
    co_return make_attestation_data(Slot{slot.value + attestation_slot_shift}, ci);
  }

  Task<Result<UnsignedData>> produce_block(Slot slot, eth::BLSSignature randao_reveal, Root graffiti,
                                           bool builder) override {
    auto pos = proposer_at(slot);
    if (!pos) co_return phx::fail(CoreError::kNotFound);
    // A real BN checks the RANDAO reveal against the proposer's key: so does the double.
    auto sig = bls::Signature::from_bytes(randao_reveal);
    const Root root = eth::randao_signing_root(config_, config_.epoch_at(slot));
    if (!sig || !bls::verify(keys_.at(pubkeys_[*pos]), root, *sig)) {
      ++bad_randao;
      co_return phx::fail(CoreError::kBadSignature);
    }
    const ValidatorIndex proposer = index_of_.at(pubkeys_[*pos]);
    const eth::Fork fork = config_.fork_at(config_.epoch_at(slot));
    auto fill = [&](auto& x) {
      auto& b = [&]() -> auto& {
        if constexpr (requires { x.block; }) return x.block;
        else return x;
      }();
      b.slot = slot;
      b.proposer_index = proposer;
      b.parent_root = head_root(Slot{slot.value == 0 ? 0 : slot.value - 1});
      b.body.randao_reveal = randao_reveal;
      b.body.graffiti = graffiti;
    };
    // Every other proposer gets a builder block (when asked for one).
    if (builder && builder_blocks && fork >= eth::Fork::kBellatrix && *pos % 2 == 0)
      co_return UnsignedData{BlindedProposalData{make_versioned<eth::VersionedBlindedBeaconBlock>(fork, fill)}};
    co_return UnsignedData{ProposalData{make_versioned<eth::VersionedProducedBlock>(fork, fill)}};
  }

  Task<Result<AggregatedAttestationData>> aggregate_attestation(Slot slot, Root data_root,
                                                                eth::CommitteeIndex ci) override {
    const auto data = make_attestation_data(slot, ci);
    if (ssz::hash_tree_root(data) != data_root) co_return phx::fail(CoreError::kNotFound);
    const eth::Fork fork = config_.fork_at(config_.epoch_at(slot));
    const std::uint64_t len = committee_length(ci);
    auto att = make_versioned<eth::VersionedAttestation>(fork, [&](auto& x) {
      x.aggregation_bits = std::decay_t<decltype(x.aggregation_bits)>(len);
      x.aggregation_bits.set(0, true);
      x.data = data;
      x.signature[0] = 0xc0;  // the aggregate's own signature is not checked by the workflow
      if constexpr (requires { x.committee_bits; }) x.committee_bits.set(ci, true);
    });
    co_return AggregatedAttestationData{std::move(att)};
  }

  Task<Result<Root>> head_block_root(Slot slot) override { co_return head_root(slot); }

  Task<Result<eth::altair::SyncCommitteeContribution>> sync_contribution(Slot slot, std::uint64_t sub,
                                                                        Root root) override {
    eth::altair::SyncCommitteeContribution c{};
    c.slot = slot;
    c.beacon_block_root = root;
    c.subcommittee_index = sub;
    c.aggregation_bits.set(3, true);
    c.signature[0] = 0xc0;
    co_return c;
  }

  Task<Result<void>> submit(Duty duty, std::vector<Submission> aggregates) override {
    for (const auto& s : aggregates) {
      auto key = keys_.find(s.pubkey);
      const Root root = signing_root(config_, s.data.message);
      const bool ok = key != keys_.end() && duty_type_of(s.data.message) == duty.type &&
                      (!verify || bls::verify(key->second, root, s.data.signature)) && content_ok(duty, s);
      if (!ok) {
        ++stats.rejected[duty.type];
        continue;
      }
      const auto sig = s.data.signature.to_bytes();
      auto [it, inserted] = submitted_.try_emplace(std::make_pair(duty, s.pubkey), std::make_pair(root, sig));
      if (!inserted) {
        if (it->second != std::make_pair(root, sig)) ++stats.conflicts;
        else ++stats.duplicates;
        continue;
      }
      ++stats.accepted[duty.type];
    }
    co_return Result<void>{};
  }

  Task<Result<void>> subscribe_committees(std::vector<CommitteeSubscription> subs) override {
    committee_subscriptions.insert(committee_subscriptions.end(), subs.begin(), subs.end());
    co_return Result<void>{};
  }
  Task<Result<void>> subscribe_sync_committees(std::vector<SyncCommitteeSubscription> subs) override {
    sync_subscriptions.insert(sync_subscriptions.end(), subs.begin(), subs.end());
    co_return Result<void>{};
  }
  Task<Result<void>> prepare_proposers(std::vector<ProposerPreparation> preps) override {
    preparations.insert(preparations.end(), preps.begin(), preps.end());
    co_return Result<void>{};
  }

  // ---- what a validator client would have told the BN (embedded mode)
  std::vector<CommitteeSubscription> committee_subscriptions;
  std::vector<SyncCommitteeSubscription> sync_subscriptions;
  std::vector<ProposerPreparation> preparations;

  std::uint64_t bad_randao = 0;
  std::uint64_t calls_ = 0;

 private:
  bool content_ok(const Duty& duty, const Submission& s) const {
    if (duty.type == DutyType::kAttester) {
      const auto* d = std::get_if<eth::phase0::AttestationData>(&s.data.message);
      return d != nullptr && *d == make_attestation_data(duty.slot, s.def.committee_index) &&
             s.def.validator_index == index_of_.at(s.pubkey);
    }
    return true;
  }

  eth::ChainConfig config_;
  std::map<PubKey, ValidatorIndex> index_of_;
  std::vector<PubKey> pubkeys_;
  std::map<PubKey, bls::PublicKey> keys_;
  std::map<std::pair<Duty, PubKey>, std::pair<Root, ByteArray<96>>> submitted_;
};

/// Shared state of the consensus double: decides the first proposal of each duty and tells every node.
class ConsensusHub {
 public:
  explicit ConsensusHub(runtime::Executor ex) : ex_(ex) {}
  void add(std::function<void(const Duty&, const UnsignedDataSet&)> deliver) { nodes_.push_back(std::move(deliver)); }
  Result<void> propose(const Duty& duty, const UnsignedDataSet& value) {
    ++proposals;
    if (decided_.contains(duty)) return {};
    decided_[duty] = value;
    for (const auto& n : nodes_) asio::post(ex_, [n, duty, value] { n(duty, value); });
    return {};
  }
  /// Delivers `value` as a decision of `duty` to every node even if another was decided (a faulty adapter).
  void force_decide(const Duty& duty, const UnsignedDataSet& value) {
    for (const auto& n : nodes_) asio::post(ex_, [n, duty, value] { n(duty, value); });
  }
  std::uint64_t proposals = 0;
  std::size_t decided() const { return decided_.size(); }

 private:
  runtime::Executor ex_;
  std::vector<std::function<void(const Duty&, const UnsignedDataSet&)>> nodes_;
  std::map<Duty, UnsignedDataSet> decided_;
};

/// One node's consensus port.
class ConsensusDouble final : public Consensus {
 public:
  explicit ConsensusDouble(ConsensusHub& hub) : hub_(hub) {
    hub_.add([this](const Duty& d, const UnsignedDataSet& v) {
      for (const auto& fn : subs_) fn(d, v);
    });
  }
  Result<void> propose(const Duty& duty, const UnsignedDataSet& value) override { return hub_.propose(duty, value); }
  void subscribe_decided(DecidedFn fn) override { subs_.push_back(std::move(fn)); }
  void subscribe_misbehaviour(MisbehaviourFn fn) override { misbehaviour_subs_.push_back(std::move(fn)); }
  /// What the QBFT adapter does when a peer is proven to equivocate.
  void report_misbehaviour(const Duty& duty, ShareIdx share) {
    for (const auto& fn : misbehaviour_subs_) fn(duty, share);
  }

 private:
  ConsensusHub& hub_;
  std::vector<DecidedFn> subs_;
  std::vector<MisbehaviourFn> misbehaviour_subs_;
};

/// In-memory partial-signature bus between the nodes.
class ParSigBus {
 public:
  explicit ParSigBus(runtime::Executor ex) : ex_(ex) {}
  using Deliver = std::function<void(const Duty&, const PubKey&, const ParSignedData&)>;
  std::size_t add(Deliver d) {
    nodes_.push_back(std::move(d));
    return nodes_.size() - 1;
  }
  void broadcast(std::size_t from, const Duty& duty, std::vector<std::pair<PubKey, ParSignedData>> partials) {
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
      if (i == from) continue;
      auto n = nodes_[i];
      asio::post(ex_, [n, duty, partials] {
        for (const auto& [pk, p] : partials) n(duty, pk, p);
      });
    }
  }

 private:
  runtime::Executor ex_;
  std::vector<Deliver> nodes_;
};

/// One node's partial-signature exchange port.
class ParSigExchangeDouble final : public ParSigExchange {
 public:
  explicit ParSigExchangeDouble(ParSigBus& bus) : bus_(bus) {
    id_ = bus_.add([this](const Duty& d, const PubKey& pk, const ParSignedData& p) {
      for (const auto& fn : subs_) fn(d, pk, p);
    });
  }
  Result<void> broadcast(const Duty& duty, std::span<const std::pair<PubKey, ParSignedData>> partials) override {
    bus_.broadcast(id_, duty, {partials.begin(), partials.end()});
    sent += partials.size();
    return {};
  }
  void subscribe_received(ReceivedFn fn) override { subs_.push_back(std::move(fn)); }
  /// Hands a partial to this node's subscribers as if a peer had sent it (crafted input).
  void inject(const Duty& d, const PubKey& pk, const ParSignedData& p) {
    for (const auto& fn : subs_) fn(d, pk, p);
  }
  std::uint64_t sent = 0;

 private:
  ParSigBus& bus_;
  std::size_t id_ = 0;
  std::vector<ReceivedFn> subs_;
};

/// Signs with one operator's real key shares; `bad` signs another message (valid-looking, wrong).
class SignerDouble final : public Signer {
 public:
  SignerDouble(const eth::ChainConfig& config, const TestKeys& keys, ShareIdx share)
      : config_(config), keys_(keys), share_(share) {}
  bool bad = false;
  std::uint64_t signed_count = 0;
  std::map<Duty, std::uint64_t> signed_by_duty;
  std::set<PubKey> not_loaded;  ///< keys "still being decrypted": ready() is false, sign() fails
  bool ready(const PubKey& pubkey) const override { return !not_loaded.contains(pubkey); }
  Result<ParSignedData> sign(const Duty& duty, const PubKey& pubkey, const SignedMessage& message) override {
    if (not_loaded.contains(pubkey)) return phx::fail(CoreError::kKeyNotLoaded);
    for (const auto& v : keys_.validators) {
      if (v.pubkey != pubkey) continue;
      Root root = signing_root(config_, message);
      if (bad) root[0] ^= 0x5a;
      ++signed_count;
      ++signed_by_duty[duty];
      return ParSignedData{SignedData{message, v.shares[share_.value - 1].secret.sign(root)}, share_};
    }
    return phx::fail(CoreError::kUnknownPubkey);
  }

 private:
  const eth::ChainConfig& config_;
  const TestKeys& keys_;
  ShareIdx share_;
};

/// Slashing guard with the double-vote and double-proposal rules (per pubkey); `refuse_all` refuses
/// attestations and blocks.
class GuardDouble final : public SlashingGuard {
 public:
  explicit GuardDouble(const eth::ChainConfig& config) : config_(config) {}
  bool refuse_all = false;
  bool permissive = false;  ///< records nothing, refuses nothing (benchmarks signing many slots per epoch)
  std::uint64_t refused = 0;
  Result<void> check_and_record(const PubKey& pubkey, const SignedMessage& message) override {
    const Root root = signing_root(config_, message);
    std::optional<std::pair<int, std::uint64_t>> key;
    if (const auto* a = std::get_if<eth::phase0::AttestationData>(&message)) key = {0, a->target.epoch.value};
    if (const auto* b = std::get_if<eth::VersionedBeaconBlock>(&message)) key = {1, slot_of(*b).value};
    if (const auto* b = std::get_if<eth::VersionedBlindedBeaconBlock>(&message)) key = {1, slot_of(*b).value};
    if (!key || permissive) return {};
    if (refuse_all) {
      ++refused;
      return phx::fail(CoreError::kConflict);
    }
    auto [it, inserted] = seen_.try_emplace(std::make_tuple(pubkey, key->first, key->second), root);
    if (!inserted && it->second != root) {
      ++refused;
      return phx::fail(CoreError::kConflict);
    }
    return {};
  }

 private:
  const eth::ChainConfig& config_;
  std::map<std::tuple<PubKey, int, std::uint64_t>, Root> seen_;
};

/// A SigningGate that allows everything until told otherwise (doppelganger protection's port).
class GateDouble final : public SigningGate {
 public:
  bool allow = true;
  bool may_sign(const PubKey&) const override { return allow; }
};

/// N workflows on one io_context with virtual time.
class Harness {
 public:
  struct Node {
    std::unique_ptr<ConsensusDouble> consensus;
    std::unique_ptr<ParSigExchangeDouble> parsigex;
    std::unique_ptr<SignerDouble> signer;
    std::unique_ptr<GuardDouble> guard;
    std::unique_ptr<GateDouble> gate;
    std::unique_ptr<Workflow> workflow;
    std::vector<DutyResult> results;
  };

  /// Nodes for the given share indices (1-based), all in `mode`.
  Harness(const eth::ChainConfig& config, const TestKeys& keys, std::vector<std::uint32_t> shares,
          SigningMode mode = SigningMode::kEmbedded, bool builder = true, std::set<DutyType> skip = {},
          bool real_time = false, std::function<void(WorkflowOptions&)> tweak = {})
      : config_(config),
        keys_(keys),
        clock_(TimePoint{std::chrono::seconds(config.genesis_time)} - std::chrono::seconds(1)),
        vt_(ctx_.get_executor(), clock_),
        bn_(config, keys),
        hub_(ctx_.get_executor()),
        bus_(ctx_.get_executor()) {
    for (const std::uint32_t s : shares) {
      auto n = std::make_unique<Node>();
      n->consensus = std::make_unique<ConsensusDouble>(hub_);
      n->parsigex = std::make_unique<ParSigExchangeDouble>(bus_);
      n->signer = std::make_unique<SignerDouble>(config_, keys_, ShareIdx{s});
      n->guard = std::make_unique<GuardDouble>(config_);
      WorkflowOptions o;
      o.mode = mode;
      o.share_idx = ShareIdx{s};
      o.builder = builder;
      o.fee_recipient[0] = 0xfe;
      if (!real_time) o.sleep_until = vt_.hook();
      o.skip_duties = skip;
      if (tweak) tweak(o);
      const Clock& clock = real_time ? static_cast<const Clock&>(system_clock_) : clock_;
      n->gate = std::make_unique<GateDouble>();
      WorkflowPorts ports{bn_, *n->consensus, *n->parsigex, *n->guard, n->signer.get(), clock, n->gate.get()};
      n->workflow = std::make_unique<Workflow>(ctx_.get_executor(), config_, keys_.book, ports, std::move(o));
      Node* raw = n.get();
      n->workflow->subscribe_results([raw](const DutyResult& r) { raw->results.push_back(r); });
      nodes_.push_back(std::move(n));
    }
  }
  ~Harness() { stop(); }

  void start() {
    for (auto& n : nodes_) n->workflow->start();
  }
  /// True while a workflow waits for its aggregation worker.
  bool busy() const {
    for (const auto& n : nodes_)
      if (n->workflow->worker_jobs_in_flight() > 0) return true;
    return false;
  }
  /// Runs until nothing is left to do before `end` (virtual time).
  void run_until(TimePoint end) {
    for (;;) {
      if (ctx_.stopped()) ctx_.restart();
      if (ctx_.poll() > 0) continue;
      if (busy()) {  // an aggregation runs on a worker thread: its result is not yet back
        ctx_.run_one_for(std::chrono::milliseconds(100));
        continue;
      }
      if (vt_.empty() || vt_.earliest() > end) break;
      vt_.advance_to(vt_.earliest());
    }
    if (clock_.now() < end) clock_.set(end);
  }
  /// Real-time mode: runs the io_context for `d` of wall-clock time.
  void run_for(std::chrono::milliseconds d) {
    if (ctx_.stopped()) ctx_.restart();
    ctx_.run_for(d);
  }
  /// Runs `slots` slots from the current time.
  void run_slots(std::uint64_t slots) {
    run_until(clock_.now() + std::chrono::seconds(config_.seconds_per_slot * slots));
  }
  void stop() {
    if (stopped_) return;
    stopped_ = true;
    for (auto& n : nodes_) {
      asio::co_spawn(ctx_, n->workflow->stop(), asio::detached);
    }
    if (ctx_.stopped()) ctx_.restart();
    ctx_.run_for(std::chrono::seconds(5));
  }
  TimePoint slot_start(Slot slot) const {
    return TimePoint{std::chrono::seconds(config_.genesis_time + slot.value * config_.seconds_per_slot)};
  }

  asio::io_context& ctx() { return ctx_; }
  ManualClock& clock() { return clock_; }
  BeaconNodeDouble& bn() { return bn_; }
  const eth::ChainConfig& config() const { return config_; }
  ConsensusHub& hub() { return hub_; }
  std::vector<std::unique_ptr<Node>>& nodes() { return nodes_; }

 private:
  eth::ChainConfig config_;
  const TestKeys& keys_;
  asio::io_context ctx_;
  ManualClock clock_;
  SystemClock system_clock_;
  VirtualTime vt_;
  BeaconNodeDouble bn_;
  ConsensusHub hub_;
  ParSigBus bus_;
  std::vector<std::unique_ptr<Node>> nodes_;
  bool stopped_ = false;
};

}  // namespace phx::core::testing
