// PBKDF2-HMAC-SHA256 with precomputed HMAC states and interleaved SHA-NI lanes (see pbkdf2.hpp). One lane is
// one output block's chain U_1 … U_c (RFC 8018 §5.2); each iteration hashes U_{j-1} from the inner state and
// that digest from the outer state, both as one 64-byte block whose last 32 bytes are constant padding for a
// 96-byte message (64 key bytes + 32).
#include "crypto/hash/pbkdf2.hpp"

#include <algorithm>
#include <array>

#include "base/assert.hpp"
#include "base/secret.hpp"
#include "crypto/hash/sha256.hpp"
#include "crypto/hash/sha256_block.hpp"
#include "crypto/hash/sha256_pair.hpp"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define PHX_PBKDF2_X86 1
#endif

namespace phx::crypto::hash {
namespace {

using detail::compress_wk;
using detail::expand_wk;
using detail::kSha256Iv;
using detail::kSha256K;

constexpr std::uint32_t kHmacLenBits = (64 + 32) * 8;  // one key block + one digest

/// One output block's chain. Every field but `out`/`len` is secret (derived from the password).
struct Lane {
  std::uint32_t inner[8];   // SHA-256 state after absorbing K0 ^ ipad
  std::uint32_t outer[8];   // after K0 ^ opad
  std::uint32_t u[8];       // U_j
  std::uint32_t t[8];       // U_1 ^ … ^ U_j
  std::uint32_t remaining;  // iterations still to run
  std::uint8_t* out;        // where this block of the output goes
  std::size_t len;          // ≤ 32
};

void compress_words(std::uint32_t s[8], const std::uint32_t w16[16]) {
  std::uint32_t w[64];
  std::copy_n(w16, 16, w);
  expand_wk(w);
  compress_wk(s, w);
  secure_zero(w, sizeof w);
}

void compress_block(std::uint32_t s[8], const std::uint8_t* block) {
  std::uint32_t w[16];
  for (int i = 0; i < 16; ++i) w[i] = get_be32(block + 4 * i);
  compress_words(s, w);
  secure_zero(w, sizeof w);
}

/// Absorbs the message `a || b` that follows 64 bytes already in `s`, with SHA-256's final padding.
void finish_after_block(std::uint32_t s[8], ByteSpan a, ByteSpan b) {
  const std::uint64_t total = 64 + a.size() + b.size();
  std::uint8_t buf[128];
  std::size_t fill = 0;
  auto feed = [&](ByteSpan part) {
    for (std::uint8_t byte : part) {
      buf[fill++] = byte;
      if (fill == 64) {
        compress_block(s, buf);
        fill = 0;
      }
    }
  };
  feed(a);
  feed(b);
  buf[fill++] = 0x80;
  const std::size_t end = fill <= 56 ? 64 : 128;
  std::fill(buf + fill, buf + end - 8, std::uint8_t{0});
  put_be64(buf + end - 8, total * 8);
  compress_block(s, buf);
  if (end == 128) compress_block(s, buf + 64);
  secure_zero(buf, sizeof buf);
}

/// The outer hash of a 32-byte inner digest `h` from the outer state: the next U.
void outer_hash(const std::uint32_t outer[8], const std::uint32_t h[8], std::uint32_t u[8]) {
  std::uint32_t w[16] = {};
  std::copy_n(h, 8, w);
  w[8] = 0x80000000u;
  w[15] = kHmacLenBits;
  std::copy_n(outer, 8, u);
  compress_words(u, w);
  secure_zero(w, sizeof w);
}

/// Sets `lane` up for block `index` (1-based) of `job`: the HMAC states and U_1 = HMAC(P, S || INT(index)).
void setup(Lane& lane, const Pbkdf2Job& job, std::uint32_t index) {
  std::uint8_t k0[64] = {};
  if (job.password.size() > 64) {
    const Digest d = sha256(job.password);
    std::copy(d.begin(), d.end(), k0);
    Digest wipe = d;
    secure_zero(wipe.data(), wipe.size());
  } else {
    std::copy(job.password.begin(), job.password.end(), k0);
  }
  std::uint8_t pad[64];
  for (int i = 0; i < 64; ++i) pad[i] = static_cast<std::uint8_t>(k0[i] ^ 0x36);
  std::copy(kSha256Iv.begin(), kSha256Iv.end(), lane.inner);
  compress_block(lane.inner, pad);
  for (int i = 0; i < 64; ++i) pad[i] = static_cast<std::uint8_t>(k0[i] ^ 0x5c);
  std::copy(kSha256Iv.begin(), kSha256Iv.end(), lane.outer);
  compress_block(lane.outer, pad);
  secure_zero(k0, sizeof k0);
  secure_zero(pad, sizeof pad);

  std::uint8_t be_index[4];
  put_be32(be_index, index);
  std::uint32_t h[8];
  std::copy_n(lane.inner, 8, h);
  finish_after_block(h, job.salt, be_index);
  outer_hash(lane.outer, h, lane.u);
  secure_zero(h, sizeof h);
  std::copy_n(lane.u, 8, lane.t);
  lane.remaining = job.iterations - 1;
  const std::size_t offset = std::size_t{32} * (index - 1);
  lane.out = job.out.data() + offset;
  lane.len = std::min<std::size_t>(32, job.out.size() - offset);
}

/// `n` iterations of one lane, portable.
void iterate_portable(Lane& lane, std::uint32_t n) {
  std::uint32_t h[8];
  for (std::uint32_t j = 0; j < n; ++j) {
    outer_hash(lane.inner, lane.u, h);  // same block layout for the inner hash of U
    outer_hash(lane.outer, h, lane.u);
    for (int i = 0; i < 8; ++i) lane.t[i] ^= lane.u[i];
  }
  secure_zero(h, sizeof h);
}

#ifdef PHX_PBKDF2_X86
alignas(16) constexpr std::array<std::uint32_t, 64> kKAligned = kSha256K;

#define PHX_TARGET __attribute__((target("sha,sse4.1,ssse3"), always_inline)) inline

/// One compression of the block (w0 = W0..W3, w1 = W4..W7, then the constant padding of a 96-byte message)
/// from midstate (m0 = ABEF, m1 = CDGH) for L independent lanes, interleaved instruction by instruction; the
/// result (midstate added) as message words again: r0 = W0..W3 (A B C D), r1 = W4..W7 (E F G H).
template <int L>
PHX_TARGET void compress_lanes(const __m128i* m0, const __m128i* m1, const __m128i* w0, const __m128i* w1,
                               __m128i* r0, __m128i* r1) {
  const auto* kv = reinterpret_cast<const __m128i*>(kKAligned.data());
  const __m128i pad2 = _mm_set_epi32(0, 0, 0, static_cast<int>(0x80000000u));
  const __m128i pad3 = _mm_set_epi32(static_cast<int>(kHmacLenBits), 0, 0, 0);
  __m128i a0[L], a1[L], w[L][4];
  for (int k = 0; k < L; ++k) {
    a0[k] = m0[k];
    a1[k] = m1[k];
    w[k][0] = w0[k];
    w[k][1] = w1[k];
    w[k][2] = pad2;
    w[k][3] = pad3;
  }
  for (int j = 0; j < 16; ++j) {
    __m128i m[L];
    if (j < 4) {
      for (int k = 0; k < L; ++k) m[k] = _mm_add_epi32(w[k][j], _mm_load_si128(kv + j));
    } else {
      for (int k = 0; k < L; ++k) {
        __m128i x = _mm_sha256msg1_epu32(w[k][j & 3], w[k][(j + 1) & 3]);
        x = _mm_add_epi32(x, _mm_alignr_epi8(w[k][(j + 3) & 3], w[k][(j + 2) & 3], 4));
        x = _mm_sha256msg2_epu32(x, w[k][(j + 3) & 3]);
        w[k][j & 3] = x;
        m[k] = _mm_add_epi32(x, _mm_load_si128(kv + j));
      }
    }
    for (int k = 0; k < L; ++k) a1[k] = _mm_sha256rnds2_epu32(a1[k], a0[k], m[k]);
    for (int k = 0; k < L; ++k) m[k] = _mm_shuffle_epi32(m[k], 0x0E);
    for (int k = 0; k < L; ++k) a0[k] = _mm_sha256rnds2_epu32(a0[k], a1[k], m[k]);
  }
  for (int k = 0; k < L; ++k) {
    const __m128i s0 = _mm_add_epi32(a0[k], m0[k]);  // A B E F (lane 3 = A)
    const __m128i s1 = _mm_add_epi32(a1[k], m1[k]);  // C D G H
    const __m128i feba = _mm_shuffle_epi32(s0, 0x1B);
    const __m128i dchg = _mm_shuffle_epi32(s1, 0xB1);
    r0[k] = _mm_blend_epi16(feba, dchg, 0xF0);
    r1[k] = _mm_alignr_epi8(dchg, feba, 8);
  }
}

/// `n` iterations of `L` lanes at once with the SHA extensions.
template <int L>
__attribute__((target("sha,sse4.1,ssse3"))) void iterate_shani(Lane* const* lanes, std::uint32_t n) {
  __m128i in0[L], in1[L], out0[L], out1[L], u0[L], u1[L], t0[L], t1[L], h0[L], h1[L];
  auto abef = [](const std::uint32_t* s) {
    return _mm_set_epi32(static_cast<int>(s[0]), static_cast<int>(s[1]), static_cast<int>(s[4]),
                         static_cast<int>(s[5]));
  };
  auto cdgh = [](const std::uint32_t* s) {
    return _mm_set_epi32(static_cast<int>(s[2]), static_cast<int>(s[3]), static_cast<int>(s[6]),
                         static_cast<int>(s[7]));
  };
  for (int k = 0; k < L; ++k) {
    const Lane& l = *lanes[k];
    in0[k] = abef(l.inner);
    in1[k] = cdgh(l.inner);
    out0[k] = abef(l.outer);
    out1[k] = cdgh(l.outer);
    u0[k] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(l.u));
    u1[k] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(l.u + 4));
    t0[k] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(l.t));
    t1[k] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(l.t + 4));
  }
  for (std::uint32_t j = 0; j < n; ++j) {
    compress_lanes<L>(in0, in1, u0, u1, h0, h1);
    compress_lanes<L>(out0, out1, h0, h1, u0, u1);
    for (int k = 0; k < L; ++k) {
      t0[k] = _mm_xor_si128(t0[k], u0[k]);
      t1[k] = _mm_xor_si128(t1[k], u1[k]);
    }
  }
  for (int k = 0; k < L; ++k) {
    Lane& l = *lanes[k];
    _mm_storeu_si128(reinterpret_cast<__m128i*>(l.u), u0[k]);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(l.u + 4), u1[k]);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(l.t), t0[k]);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(l.t + 4), t1[k]);
  }
  for (auto* v : {in0, in1, out0, out1, u0, u1, t0, t1, h0, h1}) secure_zero(v, sizeof(__m128i) * L);
}
#undef PHX_TARGET

void iterate_shani_any(Lane* const* lanes, std::size_t count, std::uint32_t n) {
  switch (count) {
    case 1: iterate_shani<1>(lanes, n); break;
    case 2: iterate_shani<2>(lanes, n); break;
    case 3: iterate_shani<3>(lanes, n); break;
    case 4: iterate_shani<4>(lanes, n); break;
    case 5: iterate_shani<5>(lanes, n); break;
    default: iterate_shani<6>(lanes, n); break;
  }
}
static_assert(kPbkdf2Lanes == 6, "iterate_shani_any dispatches 1 … 6 lanes");
#endif

/// Runs every job's blocks through `iterate` (lanes, count, n), at most `max_lanes` at a time; a finished lane
/// is refilled with the next block.
template <class Iterate>
void run_lanes(std::span<const Pbkdf2Job> jobs, std::size_t max_lanes, Iterate iterate) {
  PHX_ASSERT(max_lanes >= 1 && max_lanes <= kPbkdf2Lanes);
  std::array<Lane, kPbkdf2Lanes> slots{};
  std::array<bool, kPbkdf2Lanes> live{};
  std::size_t job = 0;
  std::uint32_t block = 0;  // blocks of jobs[job] already handed out
  auto next = [&](Lane& lane) {
    for (; job < jobs.size(); ++job, block = 0) {
      const Pbkdf2Job& j = jobs[job];
      PHX_ASSERT(j.iterations >= 1);
      const std::size_t blocks = (j.out.size() + 31) / 32;
      if (block < blocks) {
        setup(lane, j, ++block);
        return true;
      }
    }
    return false;
  };
  for (;;) {
    std::array<Lane*, kPbkdf2Lanes> active{};
    std::size_t count = 0;
    std::uint32_t n = 0xffffffffu;
    for (std::size_t s = 0; s < max_lanes; ++s) {
      if (!live[s]) live[s] = next(slots[s]);
      if (!live[s]) continue;
      active[count++] = &slots[s];
      n = std::min(n, slots[s].remaining);
    }
    if (count == 0) break;
    if (n > 0) iterate(active.data(), count, n);
    for (std::size_t s = 0; s < max_lanes; ++s) {
      if (!live[s]) continue;
      Lane& l = slots[s];
      l.remaining -= n;
      if (l.remaining != 0) continue;
      std::uint8_t block_bytes[32];
      for (int i = 0; i < 8; ++i) put_be32(block_bytes + 4 * i, l.t[i]);
      std::copy_n(block_bytes, l.len, l.out);
      secure_zero(block_bytes, sizeof block_bytes);
      secure_zero(&l, sizeof l);
      live[s] = false;
    }
  }
  secure_zero(slots.data(), sizeof slots);
}

void iterate_portable_all(Lane* const* lanes, std::size_t count, std::uint32_t n) {
  for (std::size_t k = 0; k < count; ++k) iterate_portable(*lanes[k], n);
}

}  // namespace

void pbkdf2_hmac_sha256_many_portable(std::span<const Pbkdf2Job> jobs) {
  run_lanes(jobs, 1, iterate_portable_all);
}

void pbkdf2_hmac_sha256_many_lanes(std::span<const Pbkdf2Job> jobs, std::size_t lanes) {
#ifdef PHX_PBKDF2_X86
  if (sha256_uses_shani()) {
    run_lanes(jobs, std::clamp<std::size_t>(lanes, 1, kPbkdf2Lanes), iterate_shani_any);
    return;
  }
#endif
  (void)lanes;
  pbkdf2_hmac_sha256_many_portable(jobs);
}

void pbkdf2_hmac_sha256_many(std::span<const Pbkdf2Job> jobs) { pbkdf2_hmac_sha256_many_lanes(jobs, kPbkdf2Lanes); }

void pbkdf2_hmac_sha256(ByteSpan password, ByteSpan salt, std::uint32_t iterations, MutByteSpan out) {
  const Pbkdf2Job job{password, salt, iterations, out};
  pbkdf2_hmac_sha256_many(std::span<const Pbkdf2Job>(&job, 1));
}

}  // namespace phx::crypto::hash
