#pragma once
/// Why a duty failed, as a stable code: the reason enum, its verdict (whose fault), the workflow step it
/// stops, a sentence for people and the next action. docs/reasons.md is generated from this table
/// (reasons_markdown(); a test fails when the file is stale). Pure data, no I/O.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace phx::core {

/// Workflow steps in order.
enum class Step : std::uint8_t {
  kScheduled = 0,   ///< duty known from the scheduler
  kFetched = 1,     ///< unsigned data fetched from the BN
  kDecided = 2,     ///< consensus decided
  kPartialsIn = 3,  ///< threshold partials present for every validator of the duty
  kAggregated = 4,  ///< aggregates verified
  kBroadcast = 5,   ///< submitted to the BN
};
/// Lower-case name of a step.
const char* to_string(Step s);

/// Whose fault a failure is.
enum class Verdict : std::uint8_t {
  kNone = 0,      ///< the duty succeeded
  kSelf = 1,      ///< this node (its host, clock, signer, slashing database)
  kCluster = 2,   ///< other operators (named in the explanation)
  kUpstream = 3,  ///< this node's beacon node or validator client
  kChain = 4,     ///< the chain (reserved: inclusion is not checked yet, no reason uses it)
  kConfig = 5,    ///< a known configuration-level cause; an expected failure
  kUnknown = 6,   ///< no classification
};
/// Lower-case name of a verdict ("self", "cluster", …).
const char* to_string(Verdict v);

/// Why a duty failed. Values are stable; codes (reason_info().code) are label values of
/// phalanx_duty_failures_total and never change meaning. Add new reasons at the end.
enum class Reason : std::uint8_t {
  kNone = 0,                      ///< success
  kFetchBnError = 1,              ///< the BN failed to return the duty's data
  kFetchInconsistent = 2,         ///< the BN returned full and blinded blocks for one proposal
  kFetchTimeout = 3,              ///< the BN had not answered the fetch at the deadline
  kDeadlineBeforeStart = 4,       ///< the deadline passed before the node started the duty
  kConsensusError = 5,            ///< this node could not start consensus
  kNoConsensus = 6,               ///< consensus did not decide before the deadline
  kDutyDbError = 7,               ///< the decided value was refused by DutyDB (a bug)
  kSlashingRefused = 8,           ///< slashing protection refused to sign
  kSignerError = 9,               ///< the embedded signer failed
  kMissingSelectionProof = 10,    ///< the prerequisite selection duty had no aggregate
  kVcNeverAsked = 11,             ///< VC mode: the VC never asked for the decided data
  kNoLocalVcPartial = 12,         ///< VC mode: the VC asked but sent no partial
  kNoOwnPartial = 13,             ///< embedded mode: this node's partial was not made in time
  kNoPeerPartials = 14,           ///< no peer sent a partial
  kInsufficientPeerPartials = 15, ///< fewer than threshold partials arrived
  kInvalidPeerPartials = 16,      ///< peers' partials did not verify, too few good ones left
  kAggregationIncomplete = 17,    ///< threshold partials present but no aggregate by the deadline
  kSubmitNotDecided = 18,         ///< proposer: aggregate ready, no decision seen here
  kSubmitBnError = 19,            ///< the BN refused or failed the submission
  kSubmitTimeout = 20,            ///< the BN had not accepted the submission at the deadline
  kVcWithoutDvtSelections = 21,   ///< VC mode: the VC does not use the DVT selection endpoints
  kUnknown = 22,                  ///< not classified
  kKeyNotLoaded = 23,             ///< embedded mode: the key share was still being decrypted (start-up)
};
/// Number of Reason values (the last one + 1).
inline constexpr std::size_t kReasonCount = 24;

/// The fixed description of a reason.
struct ReasonInfo {
  const char* code;     ///< stable snake_case code (metric label value, API field)
  Verdict verdict;      ///< whose fault
  const char* step;     ///< the step that did not complete ("" for kNone)
  const char* text;     ///< what happened, one sentence
  const char* action;   ///< what the operator should do next
};
/// The description of `r` (kUnknown's for values out of range).
const ReasonInfo& reason_info(Reason r);
/// The reason whose code is `code`, or nullopt.
std::optional<Reason> reason_from_code(std::string_view code);
/// docs/reasons.md: a Markdown table of every reason, generated from the table above.
std::string reasons_markdown();

}  // namespace phx::core
