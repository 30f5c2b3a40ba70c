#pragma once
/// The cluster side of a reshare (issue 15, `phalanx reshare`): the new operator set of each mode (Charon's
/// index rules), the new definition every operator derives identically from the old lock, the ceremony's
/// dkg::Params (dealers = the old operators that stay, dealing their old shares), and the new lock (old keys,
/// deposit data and registrations; new public shares) as an ArtifactPlan. Pure: no I/O.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "cluster/definition.hpp"
#include "cluster/dkg_inputs.hpp"
#include "dkg/params.hpp"
#include "dkg/plan.hpp"

namespace phx::dkg::runner {

/// What a reshare changes (named like Charon's `alpha edit` sub-commands).
enum class ReshareMode : std::uint8_t {
  kAddOperators,         ///< append operators (`enrs`: the new ones)
  kRemoveOperators,      ///< drop operators, the rest move up (`enrs`: the ones to remove)
  kReplaceOperator,      ///< one operator takes another's position (`enrs`: {old, new})
  kRecreatePrivateKeys,  ///< same operators, fresh shares (`enrs`: empty)
};
/// "add-operators", …
const char* to_string(ReshareMode m);

/// One reshare request, as every operator gives it on the command line.
struct ReshareRequest {
  ReshareMode mode = ReshareMode::kRecreatePrivateKeys;
  std::vector<std::string> enrs;               ///< see ReshareMode
  /// Old operators that take part although they leave (removed or replaced): they deal their old shares and
  /// receive nothing, so that fewer than the old threshold may stay (Charon's --participating-operator-enrs;
  /// operators that stay may be listed too, they always deal).
  std::vector<std::string> participating;
  std::optional<std::uint32_t> new_threshold;  ///< default: the old one when n is unchanged, else ⌈2n/3⌉
};

/// The new operator set: ENRs in new-lock order (removing compacts, adding appends, replacing keeps the
/// position; kept operators keep their old ENR text), the new threshold and the leaving old operators that deal.
/// Errors (one line): an ENR that does not parse, an operator added twice or already in the lock, one to remove,
/// replace or take part that is not in it, an empty result, a threshold outside 1..n, fewer than the old threshold
/// of dealers (the old operators that stay plus the participating ones that leave).
struct NewOperators {
  std::vector<std::string> enrs;             ///< the new lock's operators, in order
  std::uint32_t threshold = 0;               ///< the new lock's threshold
  std::vector<std::string> leaving_dealers;  ///< old ENRs (old order) of leaving operators that deal
};
Result<NewOperators, std::string> new_operator_set(const cluster::Lock& old, const ReshareRequest& r);

/// The new definition: the old one with `ops`' operators (unsigned: ENR only), their threshold, no creator
/// signature and a uuid derived from the old lock hash and the new operators, so that every operator derives
/// byte-identical definitions; everything else (name, version, timestamp, validators' addresses, fork, deposit
/// amounts, gas limit) is kept. Hashes recomputed.
Result<cluster::Definition, std::string> reshare_definition(const cluster::Lock& old, const NewOperators& ops);

/// The ceremony's parameters: participants = the new operators in new-lock order (receivers, share_x =
/// position + 1; those who were old operators also deal, with their old index), then the old operators among
/// `leaving_dealers` (ENRs) that are not in the new lock (dealers only, by old index); nothing is signed in R3
/// (deposits and registrations are kept); the resharing inputs (old lock hash, old threshold, keys, old public
/// shares) from `old`. Errors: an old lock key or share that does not decode, parameters that do not validate.
Result<Params, std::string> make_reshare_params(const cluster::DkgInputs& in, const cluster::Lock& old,
                                                std::span<const std::string> leaving_dealers = {},
                                                std::uint32_t chunk_validators = kMaxChunkValidators);

/// The new lock with `def` (= reshare_definition) and the ceremony's outputs: each validator of `old` with its
/// public shares replaced (keys, deposit data and registrations kept), lock hash computed, no signatures yet.
/// Errors: a key that is not the old one, a share count that is not def's operator count.
cluster::LockResult<cluster::Lock> reshared_lock(const cluster::Definition& def, const cluster::Lock& old,
                                                 std::span<const ValidatorPublic> validators);

/// The artifacts of a reshare: no R3 signing roots; R4 signs reshared_lock's hash.
class ReshareLockPlan final : public ArtifactPlan {
 public:
  /// `def` and `old` must outlive the plan.
  ReshareLockPlan(const cluster::Definition& def, const cluster::Lock& old) : def_(def), old_(old) {}
  std::uint32_t roots_per_validator() const override { return 0; }
  std::vector<Root> signing_roots(std::uint32_t, const crypto::bls::PublicKey&) const override { return {}; }
  /// reshared_lock(def, old, validators)->lock_hash, or a zero root (every node then computes the same zero
  /// root and the runner reports the error when it writes the lock).
  Root lock_hash(std::span<const ValidatorPublic> validators) const override;

 private:
  const cluster::Definition& def_;
  const cluster::Lock& old_;
};

/// The old lock's deposits grouped into deposit-data files: one list per amount (in the order of the first
/// validator's deposits), each with one entry per validator. Empty when the lock has no deposit data.
std::vector<std::vector<cluster::DepositData>> deposits_by_amount(const cluster::Lock& lock);

}  // namespace phx::dkg::runner
