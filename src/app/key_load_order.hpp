#pragma once
/// The order in which a node decrypts its keystores at start-up (pure, no I/O, not thread-safe): the keys of
/// this node's upcoming duties first — proposers by slot, then sync-committee members and attesters by the
/// slot of their duty — and every other key afterwards in file order. Duties arrive while keys are being
/// decrypted (each resolved epoch); a key whose new duty is earlier than what it had moves up the queue, and a
/// key whose duty has passed moves back (pop).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <tuple>
#include <vector>

#include "base/ids.hpp"

namespace phx::app {

/// What a key is needed for next.
enum class KeyNeed : std::uint8_t {
  kProposer = 0,   ///< a block proposal at `slot` (first: a missed proposal costs the most)
  kSync = 1,       ///< a sync-committee member from `slot` on (signs every slot; before an attester of that slot)
  kAttester = 2,   ///< an attestation at `slot`
};

/// A priority queue of keystore positions 0 … count − 1.
class KeyLoadOrder {
 public:
  /// Every position queued, in position order, with no known duty.
  explicit KeyLoadOrder(std::size_t count);
  /// Position `index` is needed for `need` at `slot`: it moves up when that is earlier than what it had.
  /// Positions already handed out by pop() and positions out of range are ignored.
  void on_duty(std::size_t index, KeyNeed need, Slot slot);
  /// The next position to decrypt (removed from the queue), or nullopt when every position was handed out.
  /// A position whose proposal or attestation is at a slot before `now` is not urgent any more (the duty is
  /// over): it goes back among the keys without a known duty, in file order, and a later duty moves it up
  /// again. So a node that decrypts more slowly than its duties come (many keys, shared cores) works on the
  /// upcoming slots instead of falling further behind on past ones. Sync-committee members stay (they sign
  /// every slot).
  std::optional<std::size_t> pop(Slot now = Slot{0});
  /// Positions not yet handed out.
  std::size_t pending() const { return queue_.size(); }

 private:
  // (tier, slot, need, index): tier 0 proposers, 1 sync members and attesters, 2 keys without a known duty.
  using Key = std::tuple<std::uint8_t, std::uint64_t, std::uint8_t, std::size_t>;
  std::set<Key> queue_;
  std::vector<std::optional<Key>> where_;  // each position's current key; nullopt once popped
};

}  // namespace phx::app
