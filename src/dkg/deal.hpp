#pragma once
/// R1 deals: what a dealer builds (commitments, proofs, ciphertexts per chunk) and what every receiver and
/// third party checks — the public checks on a chunk, the receiver's private checks on its shares, and the
/// adjudication of a complaint from a revealed ephemeral key.
#include <cstdint>
#include <optional>
#include <span>
#include <variant>
#include <vector>

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "crypto/bls/fr.hpp"
#include "crypto/bls/g1.hpp"
#include "dkg/batch.hpp"
#include "dkg/messages.hpp"
#include "dkg/params.hpp"
#include "dkg/poly.hpp"

namespace phx::dkg {

/// A fault of a dealer: which check failed, for which validator (ceremony index).
struct DealFault {
  DealCheck check = DealCheck::kNone;
  std::uint32_t validator = 0;
};

/// The dealer's public commitments for every validator, computed before R0 (their hash is H_i).
struct DealerCommitments {
  std::vector<crypto::bls::G1> points;  ///< [v·t + k]
  std::vector<G1Bytes> compressed;      ///< same order, compressed
  std::vector<Root> chunk_roots;        ///< commitment root per chunk
  Root hash{};                          ///< H_i = commitments_hash(chunk_roots)
};

/// The dealer's secrets: seed, nonce and the definition hash that domain-separate its polynomials, and (for a
/// reshare) its old shares per validator, which become the constant terms.
struct DealerSecrets {
  const Seed* seed = nullptr;
  Root definition_hash{};
  Root nonce{};
  const SecretScalars* old_shares = nullptr;  ///< resharing: [v] own old share; null for a DKG
};

/// Derives every polynomial and commits to it: points, compressed points, per-chunk roots and H_i.
/// Constant time in the secrets (one fixed-base multiplication per coefficient).
DealerCommitments commit_all(const Params& p, const DealerSecrets& s);

/// sha256 of the concatenated compressed commitments of a chunk (validator order, then k).
Root chunk_commitment_root(std::span<const G1Bytes> compressed);

/// Builds one chunk of this dealer's R1: commitments (from `c`), a PoK per validator, and one ciphertext per
/// receiver under `keys[r]` (receiver order). Also returns the dealer's own evaluations for `own_x` (when it
/// is a receiver; else empty), which it adds to its own share without encrypting.
struct BuiltChunk {
  DealChunk chunk;
  SecretScalars own_shares;  ///< f_v(own_x) for the chunk's validators
};
BuiltChunk build_chunk(const Params& p, const DealerSecrets& s, const DealerCommitments& c, const Root& session,
                       std::uint32_t dealer, std::uint32_t chunk, std::span<const SecretArray<32>> keys,
                       std::optional<std::uint32_t> own_x);

/// Checks a dealer's manifest against its R0: chunk and commitment root counts, and H_i. nullopt if good.
std::optional<DealFault> check_manifest(const Params& p, const Hello& dealer_hello, const DealManifest& m);

/// A chunk's points, decoded and checked.
struct CheckedChunk {
  std::vector<crypto::bls::G1> commitments;  ///< [m·t + k] for the chunk's m validators
};

/// The public checks of a chunk (anyone can run them), in this order: index in range, counts (validators, t
/// commitments, one ciphertext per receiver), every point decodes in the subgroup and is not the identity,
/// z < r, the commitments hash to the manifest's root (so to H_i of R0), for a reshare C_0 == the dealer's old
/// public share, every PoK (batched, bisected on failure). The caller checks that the chunk's payload root is the manifest's
/// entry (it holds the root).
Result<CheckedChunk, DealFault> check_chunk_public(const Params& p, const Root& session, std::uint32_t dealer,
                                                   const DealManifest& m, const DealChunk& c, BatchRng& rng);

/// The receiver's private checks: opens its ciphertext and checks every share against the commitments
/// (batched, bisected on failure). Returns the shares of the chunk's validators.
/// `receiver` is the receiver's participant index.
Result<SecretScalars, DealFault> open_chunk(const Params& p, const Root& session, std::uint32_t dealer,
                                            std::uint32_t receiver, const DealChunk& c, const CheckedChunk& checked,
                                            const SecretArray<32>& key, BatchRng& rng);

/// The outcome of a complaint.
struct Adjudication {
  enum class Outcome { kDealerGuilty, kFalseComplaint, kInvalid };
  Outcome outcome = Outcome::kInvalid;
  DealFault fault;   ///< for kDealerGuilty
  std::string why;   ///< for kInvalid
};

/// Decides a complaint by receiver `complainer` against `dealer` about `chunk`: checks the revealed key
/// against the complainer's R0 key, derives K_ij, opens the ciphertext and checks every share. Dealer guilty
/// if the chunk fails a public check, does not open, or any share is bad; otherwise a false complaint.
Adjudication adjudicate(const Params& p, std::span<const Hello> hellos, const Root& session, std::uint32_t dealer,
                        std::uint32_t complainer, const DealManifest& m, const DealChunk& c, ByteSpan revealed_key);

/// Decodes a compressed G1 point that must be in the subgroup and not the identity.
Result<crypto::bls::G1, DealCheck> decode_point(const G1Bytes& b);

}  // namespace phx::dkg
