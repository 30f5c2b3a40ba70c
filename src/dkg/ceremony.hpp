#pragma once
/// The sans-IO DKG ceremony (issue 14; docs/formats/dkg.md): rounds R0 Hello, R1 Deal, R2 Verdict, R3 Sign,
/// R4 Lock, R5 Done. No I/O, clock or threads: every input returns an Outbox that the runner executes in order
/// — persist the journal records (fsync), then send the messages, arm the timer, report progress, and finally
/// deliver the result or the failure.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <tuple>
#include <vector>

#include "base/bytes.hpp"
#include "crypto/bls/bls.hpp"
#include "dkg/deal.hpp"
#include "dkg/failure.hpp"
#include "dkg/journal.hpp"
#include "dkg/messages.hpp"
#include "dkg/params.hpp"
#include "dkg/plan.hpp"
#include "dkg/poly.hpp"
#include "dkg/signer.hpp"

namespace phx::dkg {

/// What only this node knows: who it is, its readiness, and its timing policy.
struct LocalConfig {
  std::uint32_t self = 0;                          ///< this node's participant index
  std::uint8_t preflight = 0;                      ///< 0: ready; otherwise the runner's reason code
  std::string preflight_detail;                    ///< e.g. "validator_keys/ exists in the data directory"
  std::uint64_t connect_timeout_ns = 1800'000'000'000ULL;  ///< R0 deadline after start (30 min)
  std::uint64_t round_timeout_ns = 120'000'000'000ULL;     ///< R1–R5 deadline after entering the round
  std::uint64_t retransmit_interval_ns = 2'000'000'000ULL; ///< ask peers for missing messages this often
};

/// An encoded envelope to send: to one participant, or to every other participant (`to` empty).
struct Outgoing {
  std::optional<std::uint32_t> to;  ///< recipient, or empty for a broadcast
  Bytes bytes;                      ///< the signed envelope
};

/// Progress of the current round.
struct Progress {
  Round round = Round::kHello;   ///< the round
  std::uint32_t done = 0;        ///< validators (R1: dealer-validator pairs) verified so far
  std::uint32_t total = 0;       ///< of this many
};

/// Why an input was dropped (inputs that were used leave Outbox::rejected empty).
enum class Reject : std::uint8_t {
  kDecode = 1,          ///< the bytes are not an envelope of this version
  kUnknownSender = 2,   ///< sender ≥ n
  kRole = 3,            ///< the sender's role does not send this kind (e.g. a Sign from a dealer-only node)
  kBadSignature = 4,    ///< the envelope signature does not verify
  kWrongSession = 5,    ///< the envelope is for another session (e.g. a replay of an old ceremony)
  kDuplicate = 6,       ///< already held (a no-op)
  kBufferFull = 7,      ///< an early message for a slot already buffered
  kBadEvidence = 8,     ///< an Abort whose evidence does not check
  kStopped = 9,         ///< the ceremony has ended (only Requests are still answered)
  kBadPart = 10,        ///< chunk index out of range
  kTooLarge = 11,       ///< payload above the largest legitimate message of its kind for these parameters
};
/// Human-readable reason.
const char* to_string(Reject r);

/// The successful outcome, delivered once R4 verifies (the runner then writes the artifacts).
struct CeremonyResult {
  Root session_id{};                                ///< the session
  std::vector<ValidatorPublic> validators;          ///< per validator: pubkey, pubshares (receiver order), signatures
  std::optional<std::uint32_t> share_x;             ///< this node's Shamir index (receivers only)
  std::vector<crypto::bls::SecretKey> secret_shares;  ///< [v] this node's secret share (receivers only; zeroized)
  Root lock_hash{};                                 ///< the lock hash every receiver signed
  G2Bytes signature_aggregate{};                    ///< Σ of the n·V partial signatures over the lock hash
  std::vector<ByteArray<65>> node_signatures;       ///< secp256k1 signatures over the lock hash (receiver order)
  Bytes transcript;                                 ///< SSZ Transcript (R0, R1 redacted, R2, R4); see transcript.hpp
};

/// What the runner must do after one input, in this order.
struct Outbox {
  std::vector<JournalRecord> journal;      ///< persist (fsync) BEFORE sending `messages`
  std::vector<Outgoing> messages;          ///< then send, in order
  std::optional<std::uint64_t> timer_ns;   ///< call on_timeout(now) once now ≥ this (replaces any earlier)
  std::vector<Progress> progress;          ///< progress events
  std::optional<Reject> rejected;          ///< why the input was dropped
  std::unique_ptr<CeremonyResult> result;  ///< set once, when R4 verified: write (stage) the artifacts
  std::optional<Failure> failure;          ///< set once, when the ceremony failed; after a result (in R5)
                                           ///< the staged artifacts must be discarded

  bool finished = false;                   ///< every receiver reported R5 with identical artifacts: publish
                                           ///< the staged artifacts, delete the journal
};

/// One ceremony at one node. Preconditions: validate(params) holds; local.self < n; the references outlive
/// the ceremony; plan.roots_per_validator() == params.roots_per_validator; for a reshare where this node
/// deals, `old_shares` holds its old share of every validator. Not thread-safe (one runner owns it).
class Ceremony {
 public:
  Ceremony(Params params, LocalConfig local, const NodeSigner& signer, const NodeVerifier& verifier,
           const ArtifactPlan& plan, SecretScalars old_shares = SecretScalars());
  ~Ceremony();
  Ceremony(const Ceremony&) = delete;
  Ceremony& operator=(const Ceremony&) = delete;

  /// Starts a new session with a fresh 32-byte seed from the CSPRNG: journals the seed, derives the nonce,
  /// ephemeral key and polynomials, and broadcasts R0.
  Outbox start(Seed seed, std::uint64_t now_ns);
  /// Continues a session from its journal (the records of every earlier outbox, in order): replays them,
  /// re-sends this node's latest messages and asks peers for what is missing. A journal without a seed fails
  /// with E_WRITE.
  Outbox resume(std::span<const JournalRecord> journal, std::uint64_t now_ns);
  /// Handles untrusted bytes from participant `from` (the transport-authenticated peer; the envelope's signed
  /// sender may differ for relayed messages).
  Outbox on_message(std::uint32_t from, ByteSpan bytes, std::uint64_t now_ns);
  /// The timer requested by an earlier outbox expired.
  Outbox on_timeout(std::uint64_t now_ns);
  /// The runner wrote the artifacts of the result; `artifacts` are the hashes of the shared ones (lock,
  /// deposit data) in a fixed order, which every receiver must report identically in R5.
  Outbox on_artifacts_written(std::span<const Root> artifacts, std::uint64_t now_ns);
  /// The runner could not write the artifacts: fails with E_WRITE (resumable from the journal).
  Outbox on_write_failed(const std::string& cause);

  /// The round this node is in.
  Round round() const;
  /// The session id, once every R0 arrived.
  const std::optional<Root>& session() const { return session_; }
  /// Whether the ceremony failed / finished.
  bool failed() const { return failed_; }
  bool finished() const { return finished_; }
  /// The transcript including R5 (once finished; before, without R5).
  Bytes transcript() const;
  /// The parameters.
  const Params& params() const { return p_; }

 private:
  enum class Phase : std::uint8_t { kIdle, kHello, kDeal, kVerdict, kSign, kLock, kWrite, kDone, kFinished };
  using Key = std::tuple<std::uint8_t, std::uint32_t, std::uint32_t>;  // (kind, sender, part)
  struct Stored {
    Bytes bytes;                     // the envelope as received / sent
    Root root{};                     // payload root
    std::optional<Decoded> decoded;  // dropped for processed chunks
  };
  struct SignState;

  // ceremony.cpp: inputs, store, retransmission, failures.
  void handle(std::uint32_t from, ByteSpan bytes, Outbox& out);
  void accept(Decoded d, Bytes bytes, Outbox& out);
  bool verify_sig(const Decoded& d) const;
  void answer_request(std::uint32_t from, const Request& r, Outbox& out);
  std::size_t max_payload(Kind k) const;
  void emit(Payload payload, Outbox& out);
  void fail(Failure f, Outbox& out, bool broadcast_abort);
  void fail_code(FailureCode code, std::vector<std::uint32_t> ops, std::string cause, Outbox& out);
  void request_missing(Outbox& out);
  void set_phase(Phase ph, std::uint64_t now, Outbox& out);
  void arm(Outbox& out);
  std::vector<Bytes> hello_envelopes() const;
  const Stored* find(Kind k, std::uint32_t sender, std::uint32_t part = 0) const;
  std::vector<MessageSlot> missing_slots() const;
  void advance(Outbox& out);

  // ceremony_deal.cpp: R0–R2.
  void on_hello(const Decoded& d, ByteSpan bytes, Outbox& out);
  void handle_complaint(std::uint32_t r, const Stored& s, Outbox& out);
  void accumulate(std::uint32_t dealer_pos, std::uint32_t v, const crypto::bls::Fr* share,
                  std::span<const crypto::bls::G1> commitments);
  void fail_deal(FailureCode code, std::vector<std::uint32_t> ops, const DealFault& fault, std::string cause,
                 std::vector<Bytes> evidence, Outbox& out);
  void begin_session(Outbox& out);
  void send_deal(Outbox& out);
  void process_deals(Outbox& out);
  bool process_chunk(std::uint32_t dealer, std::uint32_t chunk, Outbox& out);
  void complain(std::uint32_t dealer, const DealFault& fault, Outbox& out);
  void check_verdicts(Outbox& out);
  bool finish_keys(Outbox& out);

  // ceremony_sign.cpp: R3–R5.
  void send_sign(Outbox& out);
  void process_sign(Outbox& out);
  void send_lock(Outbox& out);
  void process_lock(Outbox& out);
  void process_done(Outbox& out);
  Bytes build_transcript(bool with_done) const;

  Params p_;
  LocalConfig local_;
  const NodeSigner& signer_;
  const NodeVerifier& verifier_;
  const ArtifactPlan& plan_;
  SecretScalars old_shares_;
  Root params_hash_{};
  std::vector<std::uint32_t> dealers_, receivers_;
  std::vector<std::uint32_t> dealer_pos_, receiver_pos_;  // participant → position (or n)
  std::vector<crypto::bls::Fr> weights_;                  // per dealer position

  Phase phase_ = Phase::kIdle;
  bool failed_ = false;
  bool finished_ = false;
  bool replaying_ = false;
  std::uint64_t now_ = 0;
  std::uint64_t deadline_ = 0;
  std::uint64_t next_retransmit_ = 0;

  // Secrets and own derived values.
  std::unique_ptr<Seed> seed_;
  Root nonce_{};
  crypto::bls::Fr eph_secret_{};
  DealerCommitments commitments_;

  // Messages.
  std::map<Key, Stored> store_;
  std::map<Key, Bytes> pending_;          // before the session id is known (unverified)
  std::map<Key, Bytes> journaled_sent_;   // from resume: what this node already signed
  std::vector<std::optional<Hello>> hellos_;
  std::optional<Root> session_;
  std::vector<crypto::bls::G1> eph_keys_;               // per participant
  std::vector<SecretArray<32>> keys_to_receivers_;      // per receiver position (as dealer)
  std::vector<std::optional<SecretArray<32>>> keys_from_dealers_;  // per dealer position (as receiver)

  // R1 accumulation.
  std::vector<bool> manifest_ok_;                       // per dealer position
  std::vector<std::vector<bool>> chunk_done_;           // [dealer pos][chunk]
  std::uint32_t chunks_done_ = 0;
  SecretScalars share_sum_;                             // [v] Σ λ_i s_{i,v,self}
  std::vector<crypto::bls::G1> agg_;                    // [v·t + k] Σ λ_i C_{i,v,k}
  std::vector<bool> verdict_checked_;                   // per receiver position
  std::vector<std::uint32_t> mismatch_from_;            // receivers whose R2 roots differ from ours
  std::set<std::uint32_t> probed_;                      // senders asked for their R0 view after a session mismatch
  std::map<std::pair<std::uint32_t, Key>, std::uint64_t> answered_;  // (requester, slot) → time last answered

  // R2 outputs and later rounds.
  std::vector<crypto::bls::PublicKey> pubkeys_;
  std::vector<std::vector<crypto::bls::PublicKey>> pubshares_;  // [v][receiver pos]
  std::unique_ptr<SignState> sign_;
  Root lock_hash_{};
  std::vector<Root> artifacts_;
};

}  // namespace phx::dkg
