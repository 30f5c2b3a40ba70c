#include "crypto/hash/keccak.hpp"

#include <cstring>

#include "base/secret.hpp"

namespace phx::crypto::hash {
namespace {

constexpr std::uint64_t kRoundConstants[24] = {
    0x0000000000000001ULL, 0x0000000000008082ULL, 0x800000000000808aULL, 0x8000000080008000ULL,
    0x000000000000808bULL, 0x0000000080000001ULL, 0x8000000080008081ULL, 0x8000000000008009ULL,
    0x000000000000008aULL, 0x0000000000000088ULL, 0x0000000080008009ULL, 0x000000008000000aULL,
    0x000000008000808bULL, 0x800000000000008bULL, 0x8000000000008089ULL, 0x8000000000008003ULL,
    0x8000000000008002ULL, 0x8000000000000080ULL, 0x000000000000800aULL, 0x800000008000000aULL,
    0x8000000080008081ULL, 0x8000000000008080ULL, 0x0000000080000001ULL, 0x8000000080008008ULL};

// Rotation offsets r[x][y] for lane (x, y), lane index x + 5y.
constexpr int kRotation[25] = {0,  1,  62, 28, 27, 36, 44, 6,  55, 20, 3,  10, 43,
                               25, 39, 41, 45, 15, 21, 8,  18, 2,  61, 56, 14};

inline std::uint64_t rotl(std::uint64_t v, int n) { return n == 0 ? v : (v << n) | (v >> (64 - n)); }

void keccak_f1600(std::uint64_t a[25]) {
  for (std::uint64_t rc : kRoundConstants) {
    // θ
    std::uint64_t c[5], d[5];
    for (int x = 0; x < 5; ++x) c[x] = a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20];
    for (int x = 0; x < 5; ++x) d[x] = c[(x + 4) % 5] ^ rotl(c[(x + 1) % 5], 1);
    for (int i = 0; i < 25; ++i) a[i] ^= d[i % 5];
    // ρ and π: B[y][2x+3y] = rot(A[x][y], r[x][y])
    std::uint64_t b[25];
    for (int x = 0; x < 5; ++x)
      for (int y = 0; y < 5; ++y) b[y + 5 * ((2 * x + 3 * y) % 5)] = rotl(a[x + 5 * y], kRotation[x + 5 * y]);
    // χ
    for (int y = 0; y < 5; ++y)
      for (int x = 0; x < 5; ++x)
        a[x + 5 * y] = b[x + 5 * y] ^ (~b[(x + 1) % 5 + 5 * y] & b[(x + 2) % 5 + 5 * y]);
    // ι
    a[0] ^= rc;
  }
}

}  // namespace

ByteArray<32> keccak256(ByteSpan data) {
  constexpr std::size_t kRate = 136;
  std::uint64_t state[25] = {};
  auto absorb = [&](const std::uint8_t* block) {
    for (std::size_t i = 0; i < kRate / 8; ++i) state[i] ^= get_le64(block + 8 * i);
    keccak_f1600(state);
  };
  std::size_t off = 0;
  for (; off + kRate <= data.size(); off += kRate) absorb(data.data() + off);
  std::uint8_t last[kRate] = {};
  std::size_t rem = data.size() - off;
  if (rem) std::memcpy(last, data.data() + off, rem);
  last[rem] ^= 0x01;
  last[kRate - 1] ^= 0x80;
  absorb(last);
  ByteArray<32> out{};
  for (std::size_t i = 0; i < 4; ++i) put_le64(out.data() + 8 * i, state[i]);
  secure_zero(state, sizeof state);
  secure_zero(last, sizeof last);
  return out;
}

}  // namespace phx::crypto::hash
