#pragma once
/// How a ceremony fails: a stable code, a one-line cause, the operators concerned, the next action, and
/// evidence anyone can check (evidence.hpp).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.hpp"
#include "dkg/messages.hpp"
#include "dkg/types.hpp"

namespace phx::dkg {

/// Stable failure codes (their names, e.g. "E_BAD_DEAL", are part of the operator interface).
enum class FailureCode : std::uint8_t {
  kPreflight = 1,                   ///< a participant is not ready (dirty data dir, unwritable disk)
  kVersion = 2,                     ///< a participant runs another protocol version
  kDefinition = 3,                  ///< a participant has another definition or parameters
  kConnectTimeout = 4,              ///< R0 did not complete before the connect deadline
  kRoundTimeout = 5,                ///< a later round did not complete before its deadline
  kPeerRestartedWithoutJournal = 6, ///< a participant sent a second R0 (new nonce): it lost its journal
  kEquivocation = 7,                ///< a participant signed two different messages for one slot
  kBadDeal = 8,                     ///< a dealer's deal fails a check (which: DealCheck)
  kFalseComplaint = 9,              ///< a receiver complained about a valid deal
  kBadPartial = 10,                 ///< a partial signature in R3/R4 is invalid
  kLockMismatch = 11,               ///< a participant computed another lock hash or artifacts
  kWrite = 12,                      ///< this node could not write its artifacts (local; resumable)
};
/// "E_PREFLIGHT", "E_VERSION", …
const char* code_name(FailureCode c);
/// True for codes this version defines.
bool known_code(std::uint8_t c);

/// A ceremony failure, as reported to the operator.
struct Failure {
  FailureCode code = FailureCode::kRoundTimeout;
  Round round = Round::kHello;            ///< the round in which it was detected
  std::vector<std::uint32_t> operators;   ///< participant indices concerned (the culprit first)
  std::string cause;                      ///< one line, no secrets
  std::string next_action;                ///< what the operators should do
  DealCheck check = DealCheck::kNone;     ///< for E_BAD_DEAL
  std::optional<std::uint32_t> validator; ///< for E_BAD_DEAL / E_BAD_PARTIAL
  Bytes evidence;                         ///< SSZ Evidence (empty for timeouts and E_WRITE)
};

/// The standard next action for a code.
const char* next_action(FailureCode c);

}  // namespace phx::dkg
