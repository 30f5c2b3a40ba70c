// Two-chunk SHA-256 (see sha256_pair.hpp). The SHA-NI path follows the instruction set's documented use
// (Intel SHA extensions reference): state held as ABEF/CDGH, four rounds per sha256rnds2 pair.
#include "crypto/hash/sha256_pair.hpp"
#include "crypto/hash/sha256_block.hpp"

#include <array>
#include <cstring>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <immintrin.h>
#define PHX_SHA_X86 1
#endif

namespace phx::crypto::hash {
namespace {

using detail::compress_wk;
using detail::expand_wk;
constexpr const auto& kK = detail::kSha256K;
constexpr const auto& kIv = detail::kSha256Iv;

// W[t] + K[t] of the padding block that follows a 64-byte message: 0x80, zeros, bit length 512.
constexpr std::array<std::uint32_t, 64> make_pad_wk() {
  std::array<std::uint32_t, 64> w{};
  w[0] = 0x80000000u;
  w[15] = 512;
  expand_wk(w.data());
  return w;
}
alignas(16) constexpr std::array<std::uint32_t, 64> kPadWk = make_pad_wk();

void portable_one(const std::uint8_t* in, std::uint8_t* out) {
  std::uint32_t w[64];
  for (int t = 0; t < 16; ++t) w[t] = get_be32(in + 4 * t);
  expand_wk(w);
  std::uint32_t s[8];
  for (int i = 0; i < 8; ++i) s[i] = kIv[i];
  compress_wk(s, w);
  compress_wk(s, kPadWk.data());
  for (int i = 0; i < 8; ++i) put_be32(out + 4 * i, s[i]);
}

#ifdef PHX_SHA_X86
alignas(16) constexpr std::array<std::uint32_t, 64> kKAligned = kK;

// Four rounds with message+constant vector `wk`.
#define PHX_SHA_ROUNDS4(wk)                             \
  do {                                                  \
    __m128i m_ = (wk);                                  \
    state1 = _mm_sha256rnds2_epu32(state1, state0, m_); \
    m_ = _mm_shuffle_epi32(m_, 0x0E);                   \
    state0 = _mm_sha256rnds2_epu32(state0, state1, m_); \
  } while (0)

// Two independent messages interleaved, so that a CPU whose sha256rnds2 latency exceeds its throughput can
// overlap them. On the project machine this gained only ~5% (20.8 vs 19.8 M hashes/s, bench/ssz
// BM_Sha256_64B_Dispatch): the SHA unit is throughput-bound there.
#define PHX_SHA_ROUNDS4_2(wka, wkb)          \
  do {                                       \
    __m128i ma_ = (wka);                     \
    __m128i mb_ = (wkb);                     \
    a1 = _mm_sha256rnds2_epu32(a1, a0, ma_); \
    b1 = _mm_sha256rnds2_epu32(b1, b0, mb_); \
    ma_ = _mm_shuffle_epi32(ma_, 0x0E);      \
    mb_ = _mm_shuffle_epi32(mb_, 0x0E);      \
    a0 = _mm_sha256rnds2_epu32(a0, a1, ma_); \
    b0 = _mm_sha256rnds2_epu32(b0, b1, mb_); \
  } while (0)

__attribute__((target("sha,sse4.1,ssse3"))) inline void shani_store(__m128i state0, __m128i state1,
                                                                    __m128i bswap, std::uint8_t* o) {
  // ABEF/CDGH back to ABCD/EFGH (lane 0 = A), then big-endian bytes.
  const __m128i feba = _mm_shuffle_epi32(state0, 0x1B);
  const __m128i dchg = _mm_shuffle_epi32(state1, 0xB1);
  const __m128i dcba = _mm_blend_epi16(feba, dchg, 0xF0);
  const __m128i hgfe = _mm_alignr_epi8(dchg, feba, 8);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(o), _mm_shuffle_epi8(dcba, bswap));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(o + 16), _mm_shuffle_epi8(hgfe, bswap));
}

__attribute__((target("sha,sse4.1,ssse3"))) void shani_many(const std::uint8_t* in, std::uint8_t* out,
                                                            std::size_t n) {
  const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);
  // Initial state as ABEF / CDGH.
  const __m128i iv_abef = _mm_set_epi32(static_cast<int>(kIv[0]), static_cast<int>(kIv[1]),
                                        static_cast<int>(kIv[4]), static_cast<int>(kIv[5]));
  const __m128i iv_cdgh = _mm_set_epi32(static_cast<int>(kIv[2]), static_cast<int>(kIv[3]),
                                        static_cast<int>(kIv[6]), static_cast<int>(kIv[7]));
  const auto* kv = reinterpret_cast<const __m128i*>(kKAligned.data());
  const auto* pv = reinterpret_cast<const __m128i*>(kPadWk.data());
  std::size_t blk = 0;
  for (; blk + 2 <= n; blk += 2) {
    const std::uint8_t* p = in + 64 * blk;
    const std::uint8_t* q = p + 64;
    __m128i wa[4], wb[4];
    for (int i = 0; i < 4; ++i) {
      wa[i] = _mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * i)), bswap);
      wb[i] = _mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(q + 16 * i)), bswap);
    }
    __m128i a0 = iv_abef, a1 = iv_cdgh, b0 = iv_abef, b1 = iv_cdgh;
    for (int j = 0; j < 4; ++j) {
      const __m128i k = _mm_load_si128(kv + j);
      PHX_SHA_ROUNDS4_2(_mm_add_epi32(wa[j], k), _mm_add_epi32(wb[j], k));
    }
    for (int j = 4; j < 16; ++j) {
      __m128i xa = _mm_sha256msg1_epu32(wa[j & 3], wa[(j + 1) & 3]);
      __m128i xb = _mm_sha256msg1_epu32(wb[j & 3], wb[(j + 1) & 3]);
      xa = _mm_add_epi32(xa, _mm_alignr_epi8(wa[(j + 3) & 3], wa[(j + 2) & 3], 4));
      xb = _mm_add_epi32(xb, _mm_alignr_epi8(wb[(j + 3) & 3], wb[(j + 2) & 3], 4));
      xa = _mm_sha256msg2_epu32(xa, wa[(j + 3) & 3]);
      xb = _mm_sha256msg2_epu32(xb, wb[(j + 3) & 3]);
      wa[j & 3] = xa;
      wb[j & 3] = xb;
      const __m128i k = _mm_load_si128(kv + j);
      PHX_SHA_ROUNDS4_2(_mm_add_epi32(xa, k), _mm_add_epi32(xb, k));
    }
    a0 = _mm_add_epi32(a0, iv_abef);
    a1 = _mm_add_epi32(a1, iv_cdgh);
    b0 = _mm_add_epi32(b0, iv_abef);
    b1 = _mm_add_epi32(b1, iv_cdgh);
    const __m128i ma0 = a0, ma1 = a1, mb0 = b0, mb1 = b1;
    for (int j = 0; j < 16; ++j) {
      const __m128i k = _mm_load_si128(pv + j);
      PHX_SHA_ROUNDS4_2(k, k);
    }
    // Both messages were fully read above, so writing over them (in-place use) is safe.
    shani_store(_mm_add_epi32(a0, ma0), _mm_add_epi32(a1, ma1), bswap, out + 32 * blk);
    shani_store(_mm_add_epi32(b0, mb0), _mm_add_epi32(b1, mb1), bswap, out + 32 * blk + 32);
  }
  for (; blk < n; ++blk) {
    const std::uint8_t* p = in + 64 * blk;
    __m128i w[4];
    for (int i = 0; i < 4; ++i) {
      w[i] = _mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * i)), bswap);
    }
    __m128i state0 = iv_abef;
    __m128i state1 = iv_cdgh;
    for (int j = 0; j < 4; ++j) PHX_SHA_ROUNDS4(_mm_add_epi32(w[j], _mm_load_si128(kv + j)));
    for (int j = 4; j < 16; ++j) {
      // W[4j..4j+3] from the previous sixteen words; w[j % 4] holds W[4(j-4)..].
      __m128i x = _mm_sha256msg1_epu32(w[j & 3], w[(j + 1) & 3]);
      x = _mm_add_epi32(x, _mm_alignr_epi8(w[(j + 3) & 3], w[(j + 2) & 3], 4));
      x = _mm_sha256msg2_epu32(x, w[(j + 3) & 3]);
      w[j & 3] = x;
      PHX_SHA_ROUNDS4(_mm_add_epi32(x, _mm_load_si128(kv + j)));
    }
    state0 = _mm_add_epi32(state0, iv_abef);
    state1 = _mm_add_epi32(state1, iv_cdgh);
    const __m128i mid0 = state0;
    const __m128i mid1 = state1;
    for (int j = 0; j < 16; ++j) PHX_SHA_ROUNDS4(_mm_load_si128(pv + j));
    shani_store(_mm_add_epi32(state0, mid0), _mm_add_epi32(state1, mid1), bswap, out + 32 * blk);
  }
}
#undef PHX_SHA_ROUNDS4_2
#undef PHX_SHA_ROUNDS4

bool detect_shani() {
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return false;
  const bool ssse3 = (c & (1u << 9)) != 0;
  const bool sse41 = (c & (1u << 19)) != 0;
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return false;
  const bool sha = (b & (1u << 29)) != 0;
  return ssse3 && sse41 && sha;
}
const bool kHasShani = detect_shani();
#endif

}  // namespace

void sha256_64_many_portable(const std::uint8_t* in, std::uint8_t* out, std::size_t n) noexcept {
  for (std::size_t i = 0; i < n; ++i) portable_one(in + 64 * i, out + 32 * i);
}

bool sha256_uses_shani() noexcept {
#ifdef PHX_SHA_X86
  return kHasShani;
#else
  return false;
#endif
}

void sha256_64_many(const std::uint8_t* in, std::uint8_t* out, std::size_t n) noexcept {
#ifdef PHX_SHA_X86
  if (kHasShani) {
    shani_many(in, out, n);
    return;
  }
#endif
  sha256_64_many_portable(in, out, n);
}

}  // namespace phx::crypto::hash
