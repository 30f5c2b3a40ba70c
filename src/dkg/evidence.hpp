#pragma once
/// Evidence of a failure that anyone holding the public parameters can check offline: the signed messages
/// that prove it, and the checks that re-derive the verdict (equivocation, restart without journal, bad
/// deal, false complaint, definition or preflight mismatch).
#include <cstdint>
#include <string>
#include <vector>

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "dkg/failure.hpp"
#include "dkg/params.hpp"
#include "dkg/signer.hpp"

namespace phx::dkg {

/// Encodes an Evidence container.
Bytes make_evidence(FailureCode code, std::uint32_t culprit, std::uint32_t validator, DealCheck check,
                    const std::vector<Bytes>& envelopes);

/// Checks `evidence` against the public parameters and returns the failure it proves (code, culprit first in
/// `operators`, check, validator, cause). What is re-derived per code:
/// - E_PEER_RESTARTED_WITHOUT_JOURNAL: two R0 from the culprit with valid signatures and different nonces;
/// - E_EQUIVOCATION: two validly signed messages of the culprit for one slot with different payload roots, or
///   a chunk whose root is not its manifest's entry (with every R0, for the session id);
/// - E_BAD_DEAL / E_FALSE_COMPLAINT: every R0, the dealer's manifest and chunk, and (for share faults) the
///   complainer's R2; the public checks and the adjudication are re-run;
/// - E_DEFINITION / E_PREFLIGHT: the culprit's signed R0.
/// Other codes (partials, lock mismatch) carry signed messages only; checking them needs the transcript.
/// The error is a one-line reason why the evidence does not prove anything.
Result<Failure, std::string> verify_evidence(const Params& p, const NodeVerifier& verifier, ByteSpan evidence);

}  // namespace phx::dkg
