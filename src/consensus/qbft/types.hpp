#pragma once
/// Basic QBFT types: rounds, values, limits, the rejection reasons of the engine and its configuration.
/// Spec: "The Istanbul BFT Consensus Algorithm" (Moniz, arXiv:2002.03613), Algorithms 1-4.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "base/bytes.hpp"
#include "base/ids.hpp"
#include "base/result.hpp"

namespace phx::consensus::qbft {

/// A consensus round, 1-based. 0 means "none" (e.g. no prepared round).
using Round = std::uint32_t;
inline constexpr Round kNoRound = 0;
/// Highest round any message may name; bounds timer arithmetic and decoding.
inline constexpr Round kMaxRound = 1U << 16;
/// Largest cluster the wire format accepts (justifications hold at most 2·n entries).
inline constexpr std::uint32_t kMaxNodes = 64;
/// Longest opaque instance id (the DV node uses an encoding of (slot, duty type)).
inline constexpr std::size_t kMaxInstanceIdBytes = 64;
/// Largest value the wire format accepts; Config::max_value_bytes may lower it.
inline constexpr std::size_t kMaxValueBytes = 1U << 20;

/// A value to agree on: its bytes and their SHA-256 (the engine agrees on the hash and carries the bytes once
/// per message that needs them).
struct Value {
  Root hash{};  ///< SHA-256(data)
  Bytes data;   ///< the value's bytes (opaque to the engine)

  /// Builds a value from its bytes, computing hash = SHA-256(data).
  static Value from_bytes(Bytes data);
  friend bool operator==(const Value&, const Value&) = default;
};

/// Why the engine dropped an input. Returned in the outbox; the driver logs it, tests assert it.
enum class Reject {
  kOk = 0,
  kMalformed,         ///< bytes do not decode as a canonical message
  kWrongInstance,     ///< message for another instance (duty)
  kUnknownSender,     ///< sender index ≥ n
  kFromSelf,          ///< a message signed with our own index arrived from the network
  kBadSignature,      ///< signature does not verify under the sender's identity key
  kValueTooLarge,     ///< value longer than Config::max_value_bytes
  kBadValueHash,      ///< carried value does not hash to the signed value hash
  kOldRound,          ///< round below the retention window (current round - 1)
  kFutureRound,       ///< round beyond current round + Config::future_rounds
  kNotLeader,         ///< pre-prepare from a node that does not lead that round
  kDuplicate,         ///< identical message already stored
  kEquivocation,      ///< a different message of the same kind and round from the same sender
  kBadJustification,  ///< justification (quorum of round changes / prepares / commits) invalid
  kAlreadyDecided,    ///< the instance has decided; only round changes are answered (with DECIDED)
  kStaleTimer,        ///< timeout for a round that is no longer current (or instance not running)
  kAlreadyStarted,    ///< on_start called twice
  kNoValueExpected,   ///< on_value_available after a value was already given
  kInvalidValue,      ///< proposed value failed Config::is_valid (external validity)
  kPeerLimit,         ///< the sender exceeded its budget (DECIDED messages: at most current round + 1)
  /// A round-1 PRE-PREPARE whose value differs from this node's own view (Config::round1_check): kept (its
  /// value may still be decided) but not prepared; later rounds do not apply the check.
  kLocalViewDiffers,
};
/// Human-readable reason.
const char* to_string(Reject r);
PHX_ERROR_ENUM(Reject, "qbft")

/// Round timer strategy: round r of an instance ends at an absolute deadline T(r), in nanoseconds since the
/// duty's start time (not since a node happened to start), so that honest nodes with synchronised clocks
/// change rounds together. duration(r) = first_ns + (r-1)·increment_ns (kLinear) or first_ns·2^(r-1)
/// (kExponential), T(r) = Σ_{i≤r} duration(i), saturating at UINT64_MAX. See docs/formats/qbft.md.
struct RoundTimer {
  enum class Kind : std::uint8_t { kLinear, kExponential };
  Kind kind = Kind::kLinear;
  std::uint64_t first_ns = 1'000'000'000;    ///< duration of round 1
  std::uint64_t increment_ns = 250'000'000;  ///< linear growth per round (kLinear only)

  /// Absolute end of round r (r ≥ 1), ns since the duty's start. Monotonic in r; saturating.
  std::uint64_t deadline_ns(Round r) const;
  /// The round whose window [T(r-1), T(r)) contains `elapsed_ns` (capped at kMaxRound).
  Round round_at(std::uint64_t elapsed_ns) const;
};

/// Configuration of one instance. n = 3f+1 is not required; f = ⌊(n-1)/3⌋, quorum = ⌈(n+f+1)/2⌉.
struct Config {
  Bytes instance_id;    ///< opaque id of the instance (the duty), 1..kMaxInstanceIdBytes
  std::uint32_t n = 4;  ///< number of nodes, 1..kMaxNodes
  OperatorIdx self{0};  ///< our index in [0, n)
  RoundTimer timer{};   ///< round deadlines
  std::size_t max_value_bytes = kMaxValueBytes;  ///< values longer than this are rejected
  Round future_rounds = 8;                       ///< messages for rounds > current + this are rejected
  /// Optional external validity predicate: a PRE-PREPARE whose value fails it is rejected (kInvalidValue) and
  /// not prepared. Must be deterministic and the same on every honest node. Empty = every value is valid.
  std::function<bool(const Value&)> is_valid;
  /// The fast path (docs/formats/qbft.md §Fast path): a node that holds PREPAREs of round 1 for one value from
  /// all n nodes decides at once (2 message delays instead of 3), and DECIDED may carry such n PREPAREs. Its
  /// round changes then report their round-1 vote, and a later leader that finds no prepared certificate among
  /// its round changes must propose a value voted for by f+1 of them when there is one. Every node of a
  /// cluster must use the same setting.
  bool fast_path = true;
  /// Optional local preference, round 1 only: a round-1 PRE-PREPARE whose value fails it is kept but not
  /// prepared (kLocalViewDiffers), so a leader whose data differs from this node's own source (e.g. its beacon
  /// node on another fork) needs others' votes, and the round can change. It may differ between honest nodes;
  /// rounds ≥ 2 use is_valid only, so it never blocks termination. Empty = no preference.
  std::function<bool(const Value&)> round1_check;

  /// Largest number of faulty nodes tolerated.
  std::uint32_t f() const { return (n - 1) / 3; }
  /// ⌈(n+f+1)/2⌉ (= 2f+1 when n = 3f+1).
  std::uint32_t quorum() const { return (n + f() + 2) / 2; }
  /// True when the fields are in range (driver-side precondition of Instance).
  bool valid() const;
};

}  // namespace phx::consensus::qbft

PHX_ERROR_ENUM_TRAIT(phx::consensus::qbft::Reject)
