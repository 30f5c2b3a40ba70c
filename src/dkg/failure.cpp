// Failure code names and the standard next action per code.
#include "dkg/failure.hpp"

namespace phx::dkg {

const char* code_name(FailureCode c) {
  switch (c) {
    case FailureCode::kPreflight: return "E_PREFLIGHT";
    case FailureCode::kVersion: return "E_VERSION";
    case FailureCode::kDefinition: return "E_DEFINITION";
    case FailureCode::kConnectTimeout: return "E_CONNECT_TIMEOUT";
    case FailureCode::kRoundTimeout: return "E_ROUND_TIMEOUT";
    case FailureCode::kPeerRestartedWithoutJournal: return "E_PEER_RESTARTED_WITHOUT_JOURNAL";
    case FailureCode::kEquivocation: return "E_EQUIVOCATION";
    case FailureCode::kBadDeal: return "E_BAD_DEAL";
    case FailureCode::kFalseComplaint: return "E_FALSE_COMPLAINT";
    case FailureCode::kBadPartial: return "E_BAD_PARTIAL";
    case FailureCode::kLockMismatch: return "E_LOCK_MISMATCH";
    case FailureCode::kWrite: return "E_WRITE";
  }
  return "E_UNKNOWN";
}

bool known_code(std::uint8_t c) { return c >= 1 && c <= 12; }

const char* next_action(FailureCode c) {
  switch (c) {
    case FailureCode::kPreflight:
      return "the named operator fixes its data directory, then all operators start a new ceremony";
    case FailureCode::kVersion: return "all operators run the same phalanx version, then start a new ceremony";
    case FailureCode::kDefinition:
      return "all operators use the same cluster definition file, then start a new ceremony";
    case FailureCode::kConnectTimeout:
      return "check that the missing operators are running and reachable, then start a new ceremony";
    case FailureCode::kRoundTimeout:
      return "the missing operators resume with their journal (phalanx dkg --resume) before the ceremony deadline";
    case FailureCode::kPeerRestartedWithoutJournal:
      return "all operators stop and start a new ceremony together";
    case FailureCode::kEquivocation:
    case FailureCode::kBadDeal:
    case FailureCode::kFalseComplaint:
    case FailureCode::kBadPartial:
    case FailureCode::kLockMismatch:
      return "the cluster creator reviews the evidence file, replaces or contacts the named operator, and all "
             "operators start a new ceremony";
    case FailureCode::kWrite:
      return "fix the local write error (disk space, permissions), then run phalanx dkg --resume";
  }
  return "start a new ceremony";
}

}  // namespace phx::dkg
