#pragma once
/// A stream of 32-byte SSZ chunks with marks, merkleized range by range: the model of the hasher Charon's
/// cluster hashes are defined with (ferranbt/fastssz's HashWalker). Building hashes the same way reproduces the
/// older layouts' quirks exactly: a byte string of up to 32 bytes is one right-padded chunk, a longer one is
/// merkleized to one chunk, and an empty one adds no chunk at all (so a container's width depends on content).
#include <cstdint>
#include <optional>

#include "base/bytes.hpp"

namespace phx::cluster {

class ChunkHasher {
 public:
  /// The position a later merkleize() folds back to.
  std::size_t mark() const { return buf_.size(); }
  /// Appends `b` right-padded to whole chunks (nothing when empty).
  void put_padded(ByteSpan b);
  /// put_padded() for up to 32 bytes; a longer `b` becomes the merkle root of its chunks.
  void put_bytes(ByteSpan b);
  void put_u64(std::uint64_t v);
  void put_bool(bool v);
  /// Replaces the chunks after `m` by their merkle root over the next power of two of their count (one zero
  /// chunk when there are none).
  void merkleize(std::size_t m);
  /// Replaces the chunks after `m` by mix_in_length(root over `limit` leaves, num). More chunks than `limit`
  /// leaves the stream unusable (overflowed()) instead of asserting: callers check sizes first.
  void merkleize_with_mixin(std::size_t m, std::uint64_t num, std::uint64_t limit);
  bool overflowed() const { return overflow_; }
  /// The final root, when exactly one chunk is left and nothing overflowed.
  std::optional<Root> root() const;

 private:
  Bytes buf_;
  bool overflow_ = false;
};

}  // namespace phx::cluster
