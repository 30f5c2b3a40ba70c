#pragma once
/// core::Consensus over the QBFT driver (dv/qbft_driver.hpp): one QBFT instance per duty, instance id =
/// core::encode_duty(duty), value = core::encode_unsigned_set(set), round timers counted from the time the
/// duty type is scheduled in its slot (core::tick_of: start, 1/3 or 2/3; the same on every node). The external validity predicate accepts a value only if it decodes for the
/// duty's type, names only cluster validators and every entry belongs to the duty's slot. Old instances are
/// expired as newer duties start (bounded memory). For attester duties a round-1 proposal is also compared with
/// this node's own attestation data (core::attestation_view_differs): one whose source or target differs is
/// not prepared in round 1 (qbft::Config::round1_check), so a leader whose BN is on a minority fork needs the
/// others' votes, which it does not get; the round changes. With a head check (set_head_check), a round-1
/// attestation proposal whose head block root this node's BN says it does not know (404) is not prepared either:
/// the driver holds the PRE-PREPARE (QbftDriver::set_round1_hold) while the BN is asked, at most
/// HeadCheckOptions::timeout, answers cached per root; no answer in time counts as known (never blocks consensus).
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "core/interfaces.hpp"
#include "dv/qbft_driver.hpp"
#include "runtime/runtime.hpp"

namespace phx::app {

/// Consensus counters (the app exports them).
struct ConsensusMetrics {
  std::uint64_t proposed = 0;
  std::uint64_t decided = 0;
  std::uint64_t invalid_values = 0;  ///< values refused by the validity predicate
  std::uint64_t bad_decisions = 0;   ///< decided bytes that did not decode (never expected)
  std::uint64_t round1_refused = 0;  ///< round-1 attestation proposals not prepared: they differ from our own data
  std::uint64_t round1_unknown_head = 0;  ///< of those: the head block root is unknown to our BN (404)
  std::uint64_t head_checks = 0;          ///< head block roots asked of our BN
  std::uint64_t head_checks_unanswered = 0;  ///< of those: no answer in time (treated as known)
  std::uint64_t rounds_sum = 0;      ///< Σ deciding round (1-based)
  Duration duration_sum{0};          ///< Σ start → decided
};

/// The adapter. Threading: the driver's executor (io thread).
class ConsensusAdapter final : public core::Consensus {
 public:
  /// None owned; all outlive the adapter. Registers the driver's callbacks.
  ConsensusAdapter(dv::QbftDriver& driver, const eth::ChainConfig& config, const core::KeyBook& keys);
  ~ConsensusAdapter() override;
  Result<void> propose(const core::Duty& duty, const core::UnsignedDataSet& value) override;
  void subscribe_decided(DecidedFn fn) override { subs_.push_back(std::move(fn)); }
  void subscribe_misbehaviour(MisbehaviourFn fn) override { misbehaviour_subs_.push_back(std::move(fn)); }
  /// Counters.
  const ConsensusMetrics& metrics() const { return metrics_; }
  /// Consensus round of `duty` (for explanations): {deciding round, true} once decided, {current round,
  /// false} while live and undecided, {0, false} when unknown (never started here, or forgotten).
  std::pair<std::uint32_t, bool> round(const core::Duty& duty) const;
  /// The validity predicate (public for tests).
  bool valid(ByteSpan instance_id, ByteSpan value) const;
  /// The round-1 preference: false for an attester proposal whose checkpoints differ from our own input.
  bool agrees_with_own_view(ByteSpan instance_id, ByteSpan value);
  /// TEST ONLY (`--test-fault lying-bn`): this node's own attestation data gets another target root before it
  /// is proposed, as if its beacon node followed a minority fork.
  void set_lying_bn_for_tests(bool on) { lying_bn_ = on; }
  /// TEST ONLY (`--test-fault unknown-head`): this node's own attestation data gets a head block root no beacon
  /// node knows, as if its BN followed a block nobody else saw.
  void set_unknown_head_for_tests(bool on) { unknown_head_ = on; }

  /// Whether this node's BN knows a block root: true, false (it answered 404), nullopt (no answer in time).
  using HeadKnownFn = std::function<runtime::Task<std::optional<bool>>(Root)>;
  /// Enables the head check: `fn` is asked once per unknown root (its own deadline bounds the hold), in a
  /// group on `ex` owned by the adapter. Call before the first duty.
  void set_head_check(HeadKnownFn fn, runtime::Executor ex);
  /// The round-1 hold (QbftDriver::set_round1_hold): true while a head root of this attester proposal is being
  /// asked of our BN (starting the question when new). Public for tests.
  bool head_check_pending(ByteSpan instance_id, ByteSpan value);

 private:
  void expire_old(Slot now);
  enum class Head : std::uint8_t { kPending, kKnown, kUnknown, kNoAnswer };
  /// Records `root`'s state, keeping at most kHeadCacheSize roots.
  void note_head(const Root& root, Head state);
  runtime::Task<void> ask_head(Root root);

  dv::QbftDriver& driver_;
  const eth::ChainConfig& config_;
  const core::KeyBook& keys_;
  std::vector<DecidedFn> subs_;
  std::vector<MisbehaviourFn> misbehaviour_subs_;
  std::map<core::Duty, bool> live_;  // started duties (value unused)
  std::map<core::Duty, std::uint32_t> decided_rounds_;  // deciding round per duty, pruned like live_
  std::map<core::Duty, core::UnsignedDataSet> own_attester_;  // our own input per live attester duty
  bool lying_bn_ = false;
  bool unknown_head_ = false;
  ConsensusMetrics metrics_;
  HeadKnownFn head_known_;
  std::unique_ptr<runtime::TaskGroup> head_group_;
  std::map<Root, Head> heads_;        // head block roots asked (or seen in our own data)
  std::deque<Root> head_order_;       // insertion order, for the bound
  std::map<Root, std::vector<Bytes>> head_waiting_;  // instance ids held for a root

};

}  // namespace phx::app
