#pragma once
/// Partial voluntary exits of a cluster's validators, verified and kept without recombining any key: the
/// partial-exits file format (a node's DATA_DIR/exit-partials.json and the files `phalanx exit sign` writes
/// when no node runs), the full signed exit format (Charon's exit-0x<pubkey>.json), and ExitBook, the bounded
/// store that verifies each partial against its operator's public share, recombines t of them into the full
/// exit and verifies that against the validator's key. Every operator signs VoluntaryExit{epoch,
/// validator_index} with the exit domain of the exit's epoch (EIP-7044: Capella's fork version from Deneb
/// on), exactly what core::Workflow::request_exit signs. Pure: no I/O. Formats: docs/formats/exits.md.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.hpp"
#include "core/types.hpp"
#include "eth/fork.hpp"
#include "eth/types.hpp"
#include "ssz/json.hpp"

namespace phx::app {

/// "0x" + 96 hex digits in `j` as a DV or share public key. Errors name `where`.
Result<core::PubKey, std::string> pubkey_from_json(const ssz::Json& j, std::string_view where);
/// A decimal string or unsigned number in `j`. Errors name `where`.
Result<std::uint64_t, std::string> u64_from_json(const ssz::Json& j, std::string_view where);

/// Parses a versioned JSON file {"version":1,"<list_key>":[…],…} (untrusted): the object, or a message ("not
/// JSON", "expected an object with "version" and "<list_key>"<what>", "version: only version 1 is known").
Result<ssz::Json, std::string> parse_v1_file(std::string_view text, std::string_view list_key, std::string_view what);

/// The signing root every operator signs for `exit`: the exit domain at the exit's own epoch (the chain's epoch
/// is never later than that when signed: see core::ExitMessage), EIP-7044 from Deneb on.
Root exit_signing_root(const eth::ChainConfig& config, const eth::phase0::VoluntaryExit& exit);

/// One operator's partial signature of one validator's exit.
struct PartialExit {
  core::PubKey pubkey{};                ///< the DV key
  eth::phase0::VoluntaryExit exit{};    ///< the signed message
  ShareIdx share_idx{};                 ///< the signer's share index (1-based)
  eth::BLSSignature signature{};        ///< partial signature over exit_signing_root(exit)
};

/// A partial-exits file: {"version":1,["lock_hash":"0x…",]"partials":[{"pubkey","epoch","validator_index",
/// "share_idx","signature"}…]}.
struct PartialExitsFile {
  std::optional<Root> lock_hash;      ///< the cluster lock the shares belong to (the CLI's files carry it)
  std::vector<PartialExit> partials;  ///< in file order
};
/// Upper bound on the entries of one file (a node keeps far fewer: see ExitBook).
inline constexpr std::size_t kMaxPartialExitsInFile = 1u << 16;
/// Decodes a partial-exits file (untrusted: a file, maybe from another operator). Checks the syntax only (a
/// signature is 96 bytes, a share index ≥ 1); ExitBook::add verifies. Errors: a message naming the entry and
/// field.
Result<PartialExitsFile, std::string> parse_partial_exits(std::string_view text);
/// Encodes a partial-exits file (entries in the given order).
std::string partial_exits_text(const PartialExitsFile& file);

/// Decodes a full exit, the Beacon API's SignedVoluntaryExit JSON {"message":{"epoch","validator_index"},
/// "signature"} (Charon's exit-0x<pubkey>.json). Untrusted. Errors: a message naming the field.
Result<eth::phase0::SignedVoluntaryExit, std::string> parse_signed_exit(std::string_view text);
/// Encodes a full exit as that JSON (with a final newline).
std::string signed_exit_text(const eth::phase0::SignedVoluntaryExit& exit);
/// Verifies a full exit against the validator's key `pubkey` and the exit domain. Errors: a sentence saying
/// which check failed (bad key, bad signature encoding, does not verify).
Result<void, std::string> verify_full_exit(const eth::ChainConfig& config, const core::PubKey& pubkey,
                                           const eth::phase0::SignedVoluntaryExit& exit);

/// The verified partial exits of a cluster's validators and their recombined full exits. Bounded: per
/// validator and share at most `max_messages_per_share` distinct exit messages (a further one from that share
/// is refused; others' shares are unaffected), so memory is validators × n × that. Not thread-safe.
class ExitBook {
 public:
  /// One exit message of one validator.
  struct Entry {
    eth::phase0::VoluntaryExit exit{};                    ///< the message
    std::map<std::uint32_t, eth::BLSSignature> partials;  ///< verified partials by share index
    std::optional<eth::BLSSignature> full;                ///< recombined and verified once t partials agree
  };
  /// What add() did.
  enum class Added : std::uint8_t {
    kKnown,  ///< the same partial was already held
    kNew,    ///< stored; fewer than t partials of this message, or the full exit was already there
    kReady,  ///< stored, and the message now has its full exit
  };

  /// `config` and `keys` are not owned and must outlive the book.
  ExitBook(const eth::ChainConfig& config, const core::KeyBook& keys, std::size_t max_messages_per_share = 4)
      : config_(config), keys_(keys), max_per_share_(max_messages_per_share) {}

  /// Verifies `p` against the lock's public share of its share index and stores it; with t partials of the
  /// same message, recombines them (crypto/threshold) and verifies the result against the DV key. Errors: a
  /// sentence naming the validator, share and reason (not a validator of this cluster, unknown share index,
  /// the partial does not verify, too many messages from this share). Costs one pairing check per new partial
  /// (two when it completes the set).
  Result<Added, std::string> add(const PartialExit& p);
  /// The entry of (`pubkey`, `epoch`) with a full exit, else the one with most partials; nullptr if none.
  const Entry* find(const core::PubKey& pubkey, Epoch epoch) const;
  /// The full exit of `pubkey` with the highest epoch, if any.
  std::optional<eth::phase0::SignedVoluntaryExit> full_exit(const core::PubKey& pubkey) const;
  /// Every entry by validator.
  const std::map<core::PubKey, std::vector<Entry>>& entries() const { return entries_; }
  /// Every partial held, by validator, message and share (for saving).
  std::vector<PartialExit> partials() const;

 private:
  const eth::ChainConfig& config_;
  const core::KeyBook& keys_;
  std::size_t max_per_share_;
  std::map<core::PubKey, std::vector<Entry>> entries_;
};

}  // namespace phx::app
