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
#include <set>
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

/// The partial exits of a cluster's validators and their recombined, verified full exits. Bounded: per
/// validator and share at most `max_messages_per_share` distinct exit messages (a further one from that share
/// is refused; others' shares are unaffected), so memory is validators × n × that. Not thread-safe.
class ExitBook {
 public:
  /// One exit message of one validator.
  struct Entry {
    eth::phase0::VoluntaryExit exit{};                    ///< the message
    std::map<std::uint32_t, eth::BLSSignature> partials;  ///< partials by share index (encodings checked)
    std::set<std::uint32_t> verified;                     ///< shares whose partial verified (alone or recombined)
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

  /// Stores `p` (its validator, share index and signature encoding checked); with `verify_now` it is first
  /// verified against the lock's public share (one pairing check). With t partials of the same message they are
  /// recombined (crypto/threshold) and the result verified against the DV key: one pairing check for the whole
  /// set when every partial is right (the node's mode: thousands of exits at once stay cheap on its io thread);
  /// otherwise each unverified partial is checked and the wrong ones dropped (take_rejections() says which).
  /// Errors: a sentence naming the validator, share and reason (not a validator of this cluster, unknown share
  /// index, bad encoding, does not verify, conflicts with the share's verified partial, too many messages from
  /// this share).
  Result<Added, std::string> add(const PartialExit& p, bool verify_now = true);
  /// The reasons for partials dropped since the last call (found wrong while recombining), oldest first.
  std::vector<std::string> take_rejections();
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
  bool verify_one(const core::PubKey& pubkey, const Entry& e, std::uint32_t share) const;
  /// Recombines `e` when it has t partials (dropping wrong ones); true when it has its full exit.
  bool try_recombine(const core::PubKey& pubkey, Entry& e);

  std::map<core::PubKey, std::vector<Entry>> entries_;
  std::vector<std::pair<std::pair<core::PubKey, std::uint32_t>, std::string>> rejections_;  ///< (validator, share)
};

}  // namespace phx::app
