// Chunk stream for Charon's cluster hashes (see chunk_hasher.hpp).
#include "cluster/chunk_hasher.hpp"

#include <cstring>

#include "ssz/merkle.hpp"

namespace phx::cluster {

void ChunkHasher::put_padded(ByteSpan b) {
  append(buf_, b);
  if (const std::size_t rest = b.size() % 32; rest != 0) buf_.resize(buf_.size() + 32 - rest, 0);
}

void ChunkHasher::put_bytes(ByteSpan b) {
  if (b.size() <= 32) return put_padded(b);
  const std::size_t m = mark();
  put_padded(b);
  merkleize(m);
}

void ChunkHasher::put_u64(std::uint64_t v) {
  std::uint8_t le[8];
  put_le64(le, v);
  put_padded(le);
}

void ChunkHasher::put_bool(bool v) {
  const std::uint8_t b = v ? 1 : 0;
  put_padded(ByteSpan(&b, 1));
}

void ChunkHasher::merkleize(std::size_t m) {
  const ByteSpan chunks(buf_.data() + m, buf_.size() - m);
  const Root r = ssz::merkleize_packed(chunks, chunks.size() / 32);
  buf_.resize(m);
  append(buf_, r);
}

void ChunkHasher::merkleize_with_mixin(std::size_t m, std::uint64_t num, std::uint64_t limit) {
  const ByteSpan chunks(buf_.data() + m, buf_.size() - m);
  Root r{};
  if (chunks.size() / 32 > limit) {
    overflow_ = true;
  } else {
    r = ssz::mix_in_length(ssz::merkleize_packed(chunks, static_cast<std::size_t>(limit)), num);
  }
  buf_.resize(m);
  append(buf_, r);
}

std::optional<Root> ChunkHasher::root() const {
  if (overflow_ || buf_.size() != 32) return std::nullopt;
  Root r;
  std::memcpy(r.data(), buf_.data(), 32);
  return r;
}

}  // namespace phx::cluster
