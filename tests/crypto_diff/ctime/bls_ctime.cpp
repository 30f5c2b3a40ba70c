// Constant-time check in the style of bitcoin-core/secp256k1's ctime_tests: the secret key bytes are marked
// *undefined* for valgrind's memcheck, then the secret-key operations run. Any branch or memory address that
// depends on the secret makes memcheck report "Conditional jump or move depends on uninitialised value(s)" or
// "Use of uninitialised value of size N"; CTest runs this under `valgrind --error-exitcode=1`, so any such
// report fails the test. Outputs are marked defined again (declassified) before they are compared or printed.
//
// Usage: bls_ctime <operation>   with operation one of:
//   sk_to_pk   SecretKey::public_key              ([sk]G1, draft-irtf-cfrg-bls-signature-05 §2.4)
//   sign       SecretKey::sign                    ([sk]H(m), §2.6)
//   from_bytes SecretKey::from_bytes              (range check of untrusted key bytes)
//   from_scalar Fr::from_bytes_be_reduce + SecretKey::from_scalar
//   eip2333    keystore::derive_master_sk + derive_child_sk (EIP-2333)
//   threshold  threshold::split + recover_secret  (Shamir over Fr)
//   fp_inverse Fp::inverse                        (safegcd divsteps; used on secret-derived coordinates)
//   pbkdf2     hash::pbkdf2_hmac_sha256_many + _portable (EIP-2335 KDF; passwords and salts secret, one > 64 bytes)
#include <valgrind/memcheck.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "crypto/bls/bls.hpp"
#include "crypto/hash/pbkdf2.hpp"
#include "crypto/keystore/eip2333.hpp"
#include "crypto/threshold/threshold.hpp"

namespace {

using namespace phx;
using namespace phx::crypto;

template <class T>
void mark_secret(const T* p, std::size_t n) {
  (void)VALGRIND_MAKE_MEM_UNDEFINED(p, n);
}
template <class T>
void declassify(T* p, std::size_t n) {
  (void)VALGRIND_MAKE_MEM_DEFINED(p, n);
}

// A fixed, valid secret key whose scalar is then marked undefined in place, so that only the operation under
// test (not the key's construction, which has its own mode) is checked.
bls::SecretKey secret_key() {
  std::uint8_t raw[32];
  for (int i = 0; i < 32; ++i) raw[i] = static_cast<std::uint8_t>(0x35 + 7 * i);
  raw[0] = 0x1f;  // < r
  auto sk = bls::SecretKey::from_bytes(raw);
  if (!sk) std::abort();
  mark_secret(&sk->scalar(), sizeof(bls::Fr));
  return std::move(*sk);
}

std::uint8_t fold(ByteSpan b) {
  std::uint8_t acc = 0;
  for (auto x : b) acc = static_cast<std::uint8_t>(acc ^ x);
  return acc;
}

int run(std::string_view op) {
  const std::uint8_t msg[] = {'p', 'h', 'a', 'l', 'a', 'n', 'x'};
  if (op == "sk_to_pk") {
    bls::SecretKey sk = secret_key();
    bls::PublicKey point = sk.public_key();
    declassify(&point, sizeof(point));  // the output is public; its encoding (to_compressed) is variable time
    auto pk = point.to_bytes();
    std::printf("pk %s\n", to_hex(pk).c_str());
    return 0;
  }
  if (op == "sign") {
    bls::SecretKey sk = secret_key();
    bls::Signature point = sk.sign(msg);
    declassify(&point, sizeof(point));  // the output is public; its encoding (to_compressed) is variable time
    auto sig = point.to_bytes();
    std::printf("sig %s\n", to_hex(sig).c_str());
    return 0;
  }
  if (op == "from_bytes") {
    std::uint8_t raw[32];
    for (int i = 0; i < 32; ++i) raw[i] = static_cast<std::uint8_t>(0x11 + 3 * i);
    raw[0] = 0x2a;  // < r
    mark_secret(raw, sizeof(raw));
    auto sk = bls::SecretKey::from_bytes(raw);
    bool ok = sk.has_value();
    declassify(&ok, sizeof(ok));
    std::printf("from_bytes ok=%d\n", ok ? 1 : 0);
    return ok ? 0 : 1;
  }
  if (op == "from_scalar") {
    std::uint8_t raw[64];
    for (int i = 0; i < 64; ++i) raw[i] = static_cast<std::uint8_t>(0x35 + 7 * i);
    mark_secret(raw, sizeof(raw));
    bls::SecretKey sk = bls::SecretKey::from_scalar(bls::Fr::from_bytes_be_reduce(raw));
    auto b = sk.to_bytes();
    std::uint8_t digest = fold(b.view());
    declassify(&digest, 1);
    std::printf("from_scalar fold %02x\n", digest);
    return 0;
  }
  if (op == "eip2333") {
    std::uint8_t seed[32];
    for (int i = 0; i < 32; ++i) seed[i] = static_cast<std::uint8_t>(0x80 + i);
    mark_secret(seed, sizeof(seed));
    auto master = keystore::derive_master_sk(seed);  // the length check reads only the (public) size
    if (!master) return 1;
    bls::SecretKey child = keystore::derive_child_sk(*master, 42);
    auto bytes = child.to_bytes();
    std::uint8_t digest = fold(bytes.view());
    declassify(&digest, 1);
    std::printf("eip2333 child fold %02x\n", digest);
    return 0;
  }
  if (op == "threshold") {
    bls::SecretKey sk = secret_key();
    auto s = threshold::split(sk, 3, 5);
    if (!s) return 1;
    std::vector<threshold::KeyShare> sub;
    for (std::size_t i : {4u, 0u, 2u}) {
      sub.push_back({s->shares[i].idx, bls::SecretKey::from_scalar(bls::Fr(s->shares[i].secret.scalar()))});
    }
    auto rec = threshold::recover_secret(sub, 3);
    if (!rec) return 1;
    auto a = rec->to_bytes();
    auto b = sk.to_bytes();
    bool same = ct_equal(a.view(), b.view());
    declassify(&same, sizeof(same));
    std::printf("threshold recovered=%d\n", same ? 1 : 0);
    return same ? 0 : 1;
  }
  if (op == "fp_inverse") {
    bls::Fp a = bls::Fp::from_u64(0x1234567890abcdefULL) * bls::Fp::from_u64(0xfedcba0987654321ULL);
    mark_secret(&a, sizeof(a));
    bls::Fp inv = a.inverse();
    bool one = (a * inv) == bls::Fp::one();
    declassify(&one, sizeof(one));
    std::printf("fp_inverse ok=%d\n", one ? 1 : 0);
    return one ? 0 : 1;
  }
  if (op == "pbkdf2") {
    // Three jobs of different lengths and costs on the dispatching path (SHA-NI where valgrind offers it) and
    // on the portable one; the iteration counts and lengths are public, password and salt bytes are not.
    std::uint8_t pw_short[20], pw_long[80], salt[32];
    for (int i = 0; i < 80; ++i) pw_long[i] = static_cast<std::uint8_t>(0x21 + i);
    for (int i = 0; i < 20; ++i) pw_short[i] = static_cast<std::uint8_t>(0x41 + i);
    for (int i = 0; i < 32; ++i) salt[i] = static_cast<std::uint8_t>(0x90 + 3 * i);
    mark_secret(pw_short, sizeof pw_short);
    mark_secret(pw_long, sizeof pw_long);
    mark_secret(salt, sizeof salt);
    std::uint8_t out[4][40];
    const hash::Pbkdf2Job jobs[3] = {{ByteSpan(pw_short, 20), ByteSpan(salt, 32), 40, MutByteSpan(out[0], 32)},
                                     {ByteSpan(pw_long, 80), ByteSpan(salt, 32), 25, MutByteSpan(out[1], 40)},
                                     {ByteSpan(pw_short, 20), ByteSpan(salt, 7), 33, MutByteSpan(out[2], 32)}};
    hash::pbkdf2_hmac_sha256_many(jobs);
    const hash::Pbkdf2Job portable{ByteSpan(pw_long, 80), ByteSpan(salt, 32), 25, MutByteSpan(out[3], 40)};
    hash::pbkdf2_hmac_sha256_many_portable(std::span<const hash::Pbkdf2Job>(&portable, 1));
    bool same = ct_equal(ByteSpan(out[1], 40), ByteSpan(out[3], 40));
    std::uint8_t digest = fold(ByteSpan(&out[0][0], sizeof out));
    declassify(&same, sizeof same);
    declassify(&digest, 1);
    std::printf("pbkdf2 fold %02x same=%d\n", digest, same ? 1 : 0);
    return same ? 0 : 1;
  }
  std::fprintf(stderr, "unknown operation\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: bls_ctime sk_to_pk|sign|from_bytes|from_scalar|eip2333|threshold|fp_inverse|pbkdf2\n");
    return 2;
  }
  if (!RUNNING_ON_VALGRIND) std::fprintf(stderr, "note: not running under valgrind; nothing is checked\n");
  return run(argv[1]);
}
