#pragma once
/// The public transcript of a ceremony (dkg-transcript.ssz: signed R0, R1 with the ciphertexts replaced by
/// their roots, R2, R4 and R5) and its offline verification against the public parameters.
#include <cstdint>
#include <string>
#include <vector>

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "crypto/bls/bls.hpp"
#include "dkg/messages.hpp"
#include "dkg/params.hpp"

namespace phx::dkg {

/// Upper bound on transcript entries (R0 + manifests + chunks + R2 + R4 chunks + R5).
inline constexpr std::uint32_t kMaxTranscriptEnvelopes = kMaxOperators * (4 + 2 * kMaxChunks);

/// The transcript container (SSZ).
struct Transcript {
  ssz::ByteList<64> protocol;  ///< kProtocolId
  Root definition_hash{};
  Root session_id{};
  ssz::List<EnvelopeBytes, kMaxTranscriptEnvelopes> envelopes;  ///< R0 (participant order), R1 (dealer order:
                                                                ///< manifest, redacted chunks), R2, R4, R5
  PHX_SSZ_FIELDS(Transcript, protocol, definition_hash, session_id, envelopes)
};

/// What a verified transcript establishes.
struct TranscriptOutputs {
  Root session_id{};
  std::vector<crypto::bls::PublicKey> pubkeys;                  ///< [v] distributed keys
  std::vector<std::vector<crypto::bls::PublicKey>> pubshares;   ///< [v][receiver position]
  Root lock_hash{};                                             ///< what every receiver signed in R4
  G2Bytes signature_aggregate{};                                ///< Σ of the R4 partials (verified)
  std::vector<ByteArray<65>> node_signatures;                   ///< receiver order (verified)
  bool has_done = false;                                        ///< R5 present, identical everywhere
  std::vector<Root> artifacts;                                  ///< the R5 artifact hashes
};

/// Verifies a transcript offline, without secrets: (1) every envelope is signed by its participant's
/// identity key (params.participants) and the session id recomputes from the R0s; R0s agree with the
/// parameters and report no preflight failure; (2) every dealer's manifest matches H_i, its chunks match the
/// manifest, every R2 echoes the same manifest roots with no complaint; (3) every chunk passes the public
/// checks (points, counts, PoKs, resharing: C_0 = old public share) and Σ_i λ_i C_{i,v,0} is each distributed
/// key (resharing: the old one); (4) the aggregated commitments evaluate to the public shares; (5) the R4 lock
/// hashes agree, the node signatures recover to the identities and the n·V partials aggregate to a signature
/// that FastAggregateVerify accepts over every public share; (6) R5, when present, agrees. Returns the
/// outputs, which the caller compares with the lock file. The error is a one-line reason.
Result<TranscriptOutputs, std::string> verify_transcript(const Params& p, ByteSpan transcript);

}  // namespace phx::dkg
