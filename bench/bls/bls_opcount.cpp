// Runs one BLS12-381 operation a fixed number of times on fixed inputs, for repeatable instruction counts
// under `valgrind --tool=callgrind` (timings on this shared machine are noisy; instruction counts are not).
// Usage: bls_opcount <op> [n]   op: sign verify hash_to_g2 g2_mul g1_mul miller_loop final_exp g2_decompress
//        Only the calls inside run_ops() are the measured part: use --toggle-collect='*run_ops*'.
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "crypto/bls/bls.hpp"
#include "crypto/bls/hash_to_curve.hpp"
#include "crypto/bls/pairing.hpp"

using namespace phx;
using namespace phx::crypto::bls;

namespace {

struct Inputs {
  SecretKey sk = *SecretKey::keygen(Bytes(32, 0x42));
  PublicKey pk = sk.public_key();
  Bytes msg = Bytes(32, 0x5a);
  Signature sig = sk.sign(msg);
  Fr k = Fr::from_bytes_be_reduce(Bytes(48, 0x37));
  G1 p1 = G1::generator().mul(Fr::from_u64(12345));
  G2 q2 = G2::generator().mul(Fr::from_u64(67890));
  Fp12 f = miller_loop(std::span<const G1>(&p1, 1), std::span<const G2>(&q2, 1));
  ByteArray<96> sig_bytes = sig.to_bytes();
};

// Returns a fold of the results so the compiler cannot drop the work. noinline: the callgrind toggle.
[[gnu::noinline]] unsigned run_ops(const Inputs& in, std::string_view op, int n) {
  unsigned acc = 0;
  for (int i = 0; i < n; ++i) {
    if (op == "sign") {
      acc += in.sk.sign(in.msg).to_bytes()[5];
    } else if (op == "verify") {
      acc += verify(in.pk, in.msg, in.sig) ? 1U : 0U;
    } else if (op == "hash_to_g2") {
      acc += hash_to_g2(in.msg).is_identity() ? 0U : 1U;
    } else if (op == "g2_mul") {
      acc += in.q2.mul(in.k).is_identity() ? 0U : 1U;
    } else if (op == "g1_mul") {
      acc += in.p1.mul(in.k).is_identity() ? 0U : 1U;
    } else if (op == "miller_loop") {
      acc += miller_loop(std::span<const G1>(&in.p1, 1), std::span<const G2>(&in.q2, 1)).is_one() ? 0U : 1U;
    } else if (op == "final_exp") {
      acc += final_exponentiation(in.f).is_one() ? 0U : 1U;
    } else if (op == "g2_decompress") {
      acc += Signature::from_bytes(in.sig_bytes) ? 1U : 0U;
    } else {
      std::fprintf(stderr, "unknown op %.*s\n", static_cast<int>(op.size()), op.data());
      std::exit(2);
    }
  }
  return acc;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: bls_opcount <op> [n]\n");
    return 2;
  }
  const Inputs in;
  const int n = argc > 2 ? std::atoi(argv[2]) : 1;
  std::printf("%u\n", run_ops(in, argv[1], n));
  return 0;
}
