#pragma once
/// A sans-IO QBFT instance (Moniz, "The Istanbul BFT Consensus Algorithm", arXiv:2002.03613, Algorithms 1-4):
/// PRE-PREPARE, PREPARE, COMMIT, ROUND-CHANGE, plus DECIDED (a quorum of commits) for late or restarted
/// nodes. No I/O, no clock, no threads: every input returns an Outbox that a thin driver executes (send the
/// messages, arm the one timer at the requested absolute deadline, deliver the decision, log the rejection).
#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "base/bytes.hpp"
#include "base/ids.hpp"
#include "consensus/qbft/message.hpp"
#include "consensus/qbft/signer.hpp"
#include "consensus/qbft/types.hpp"

namespace phx::consensus::qbft {

/// An encoded message to send: to one node (`to`) or to all other nodes (`to` empty).
struct Outgoing {
  std::optional<OperatorIdx> to;  ///< recipient, or empty for a broadcast to all other nodes
  Bytes bytes;                    ///< the encoded, signed message
};

/// Arm (or re-arm) the instance's single timer: call on_timeout(round) once `deadline_ns` (ns since the
/// duty's start) has passed; fire at once if it already has. Replaces any earlier request.
struct TimerRequest {
  Round round = 1;                ///< pass this to on_timeout
  std::uint64_t deadline_ns = 0;  ///< absolute: ns since the duty's start
};

/// The agreed value and the round whose commit quorum decided it.
struct Decision {
  Round round = 1;    ///< round of the commit quorum (1 for a fast decision)
  Value value;        ///< the decided value (bytes hash to value.hash)
  bool fast = false;  ///< decided by the fast path: PREPAREs of round 1 from all n nodes (2 message delays)
};

/// What the driver must do after one input.
struct Outbox {
  std::vector<Outgoing> messages;     ///< in order
  std::optional<TimerRequest> timer;  ///< new timer, if the round changed
  bool stop_timer = false;            ///< the instance decided: cancel the timer
  std::optional<Decision> decision;   ///< set once, on the input that decided
  std::optional<Reject> rejected;     ///< why the input was dropped (inputs that were used leave it empty)
};

/// One consensus instance. Preconditions: config.valid(); `signer` holds the key of config.self and both
/// references outlive the instance. Not thread-safe (one driver owns it).
class Instance {
 public:
  Instance(Config config, const Signer& signer, const Verifier& verifier);

  /// Starts participating. `value` is this node's input (may come later via on_value_available);
  /// `elapsed_ns` is the time since the duty's start, so that a node starting late (or restarting without
  /// state) joins the round that the timer strategy says is current, announcing it with a ROUND-CHANGE.
  Outbox on_start(std::optional<Value> value, std::uint64_t elapsed_ns = 0);
  /// Handles untrusted bytes from the network (already framed; the signature inside authenticates them).
  Outbox on_message(ByteSpan bytes);
  /// The timer for `round` expired: move to round + 1 and send ROUND-CHANGE (Moniz Alg. 3 upon timeout).
  Outbox on_timeout(Round round);
  /// This node's input value became available (it may now propose as leader).
  Outbox on_value_available(Value value);

  /// Current round (1 before start).
  Round round() const { return round_; }
  /// Whether on_start was called.
  bool started() const { return started_; }
  /// The decision, once made.
  const std::optional<Decision>& decision() const { return decision_; }
  /// Bytes of peer data currently held (messages, values, justifications); never exceeds memory_bound().
  std::size_t stored_bytes() const { return stored_bytes_; }
  /// Upper bound of stored_bytes() implied by the configuration (retained rounds × one message per sender and
  /// kind, each at most the size of its encoding with a maximal value and justification).
  static std::size_t memory_bound(const Config& config);
  /// The configuration.
  const Config& config() const { return cfg_; }

 private:
  struct RoundState {
    std::optional<Message> pre_prepare;                 // justified, from the round's leader
    std::vector<std::optional<SignedBody>> prepares;    // by sender
    std::vector<std::optional<SignedBody>> commits;     // by sender
    std::vector<std::optional<Message>> round_changes;  // justified, by sender
    bool sent_pre_prepare = false;
    bool sent_prepare = false;
    bool sent_commit = false;
    std::size_t bytes = 0;
  };

  struct VerifiedSig {
    std::uint32_t sender = 0;
    Root digest{};
    Signature signature{};
    friend bool operator==(const VerifiedSig&, const VerifiedSig&) = default;
  };
  static constexpr std::size_t kVerifiedCachePerNode = 8;

  bool verified(const SignedBody& b) const;
  RoundState& state(Round r);
  RoundState* find_state(Round r);
  void handle(Message m, Outbox& out);
  Reject check_window(const SignedBody& b) const;
  bool justify_quorum(const std::vector<SignedBody>& just, MsgType type, Round round, const Root& hash,
                      std::vector<SignedBody>* selected) const;
  bool justify_pre_prepare(const Message& m) const;
  bool justify_round_change(const Message& m) const;
  bool justify_fast(const std::vector<SignedBody>& just, const Root& hash, std::vector<SignedBody>* selected) const;
  std::optional<Root> forced_vote(const std::vector<const SignedBody*>& round_changes) const;
  bool try_fast_decide(Outbox& out);
  void evaluate(Outbox& out);
  bool try_decide(Outbox& out);
  bool try_round_change_rule(Outbox& out);
  bool try_accept_pre_prepare(Outbox& out);
  bool try_commit(Outbox& out);
  bool try_propose(Outbox& out);
  void move_to_round(Round r, bool announce, Outbox& out);
  void decide(Round r, Value v, std::vector<SignedBody> commits, Outbox& out, bool fast = false);
  void emit(Message m, std::optional<OperatorIdx> to, Outbox& out);
  void store_local(const Message& m);
  const Bytes* find_value(const Root& hash) const;
  SignedBody make_body(MsgType type, Round r, Round pr, const Root& hash) const;
  void prune();
  std::size_t prepared_bytes() const;

  Config cfg_;
  const Signer& signer_;
  const Verifier& verifier_;
  std::uint32_t leader_offset_ = 0;
  bool started_ = false;
  Round round_ = 1;
  std::optional<Value> input_;
  // Prepared state (Moniz pr_i, pv_i) and the quorum of prepares that justifies it.
  Round prepared_round_ = kNoRound;
  std::optional<Value> prepared_value_;
  std::vector<SignedBody> prepared_justification_;
  // The value this node sent a PREPARE for in round 1 (fast path: reported in its unprepared round changes).
  std::optional<Value> round1_vote_;
  std::map<Round, RoundState> rounds_;  // retained rounds: [round_ - 1, round_ + future_rounds]
  std::optional<Decision> decision_;
  std::vector<SignedBody> decided_commits_;
  std::vector<Round> answered_round_;            // per peer: highest ROUND-CHANGE round answered with DECIDED
  std::vector<std::uint32_t> decided_replies_;   // per peer: DECIDED answers sent
  std::vector<std::uint32_t> decided_received_;  // per peer: DECIDED messages checked
  std::size_t stored_bytes_ = 0;
  mutable std::vector<VerifiedSig> verified_cache_;  // ring of kVerifiedCachePerNode·n verified signatures
  mutable std::size_t verified_next_ = 0;
};

}  // namespace phx::consensus::qbft
