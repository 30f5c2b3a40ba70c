#include "ssz/merkle.hpp"

#include <array>
#include <vector>

#include "base/assert.hpp"
#include "crypto/hash/sha256_pair.hpp"

namespace phx::ssz {
namespace {

std::array<Root, 65> make_zero_hashes() {
  std::array<Root, 65> z{};
  for (std::size_t d = 1; d < z.size(); ++d) z[d] = crypto::hash::sha256_pair(z[d - 1], z[d - 1]);
  return z;
}
const std::array<Root, 65> kZeroHashes = make_zero_hashes();

std::size_t ceil_log2(std::size_t n) {
  std::size_t d = 0;
  while ((std::size_t{1} << d) < n) ++d;
  return d;
}

}  // namespace

const Root& zero_hash(std::size_t depth) {
  PHX_ASSERT(depth < kZeroHashes.size());
  return kZeroHashes[depth];
}

Root merkleize_packed(ByteSpan data, std::size_t limit_chunks) {
  const std::size_t count = (data.size() + 31) / 32;
  PHX_ASSERT(count <= limit_chunks || (limit_chunks == 0 && count == 0));
  const std::size_t depth = ceil_log2(limit_chunks);
  if (count == 0) return kZeroHashes[depth];
  Root r{};
  if (count == 1) {
    std::memcpy(r.data(), data.data(), data.size());
    for (std::size_t d = 0; d < depth; ++d) r = crypto::hash::sha256_pair(r, kZeroHashes[d]);
    return r;
  }
  // Level 1: hash full 64-byte pairs straight from the input; the tail pair is zero padded.
  thread_local std::vector<std::uint8_t> scratch;
  std::size_t n = (data.size() + 63) / 64;  // nodes at level 1
  scratch.resize(32 * n + 32);
  const std::size_t full = data.size() / 64;
  crypto::hash::sha256_64_many(data.data(), scratch.data(), full);
  if (full < n) {
    std::uint8_t tail[64] = {};
    std::memcpy(tail, data.data() + 64 * full, data.size() - 64 * full);
    crypto::hash::sha256_64_many(tail, scratch.data() + 32 * full, 1);
  }
  std::size_t level = 1;
  while (n > 1) {
    if (n % 2 == 1) {
      std::memcpy(scratch.data() + 32 * n, kZeroHashes[level].data(), 32);
      ++n;
    }
    crypto::hash::sha256_64_many(scratch.data(), scratch.data(), n / 2);
    n /= 2;
    ++level;
  }
  std::memcpy(r.data(), scratch.data(), 32);
  for (std::size_t d = level; d < depth; ++d) r = crypto::hash::sha256_pair(r, kZeroHashes[d]);
  return r;
}

Root mix_in_length(const Root& root, std::uint64_t length) {
  Root len{};
  put_le64(len.data(), length);
  return crypto::hash::sha256_pair(root, len);
}

}  // namespace phx::ssz
