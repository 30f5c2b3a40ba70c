// Constant-time check of the DKG's secret paths (secp256k1 ctime_tests style, like tests/crypto_diff/ctime):
// the seed, ephemeral secret, shares and keys are marked undefined for valgrind's memcheck, the operation runs,
// and any branch or address depending on them fails the test (CTest runs it under valgrind --error-exitcode=1).
// Public outputs are declassified before they are printed.
//
// Usage: dkg_ctime <operation>, operation one of:
//   derive     derive_nonce, derive_ephemeral_secret, derive_polynomial + evaluate + commitments
//   pok        prove_pok (deterministic nonce, z = k + c·a0)
//   share_box  share_key (G1 ECDH + HKDF), seal_shares, open_shares (AES-256-GCM)
//   feldman    batch_feldman_check and feldman_check on secret shares
//   deal       build_chunk for a 4-receiver chunk (polynomials, PoKs, evaluations, encryption)
#include <valgrind/memcheck.h>

#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "dkg/deal.hpp"
#include "dkg/pok.hpp"
#include "dkg/share_box.hpp"

namespace {

using namespace phx;
using namespace phx::dkg;
using crypto::bls::Fr;
using crypto::bls::G1;

template <class T>
void mark_secret(const T* p, std::size_t n) {
  (void)VALGRIND_MAKE_MEM_UNDEFINED(p, n);
}
template <class T>
void public_(T* p, std::size_t n) {
  (void)VALGRIND_MAKE_MEM_DEFINED(p, n);
}

Seed secret_seed() {
  ByteArray<32> b{};
  for (int i = 0; i < 32; ++i) b[i] = static_cast<std::uint8_t>(3 * i + 1);
  Seed s{std::span<const std::uint8_t, 32>(b)};
  mark_secret(s.view().data(), 32);
  return s;
}

Root root_of(std::uint8_t v) {
  Root r{};
  r.fill(v);
  return r;
}

void print(const char* what, ByteSpan b) {
  std::uint8_t acc = 0;
  for (auto x : b) acc = static_cast<std::uint8_t>(acc ^ x);
  std::printf("%s %02x\n", what, acc);
}

int run(std::string_view op) {
  if (op == "derive") {
    const Seed s = secret_seed();
    Root nonce = derive_nonce(s);
    public_(nonce.data(), nonce.size());  // published in R0
    Fr e = derive_ephemeral_secret(s, root_of(1), nonce);
    G1 pub = G1::generator().mul(e);
    public_(&pub, sizeof pub);
    const auto f = derive_polynomial(s, root_of(1), nonce, 7, 3);
    Fr y = f.evaluate(Fr::from_u64(4));
    auto c = f.commitments();
    public_(c.data(), c.size() * sizeof(G1));
    public_(&y, sizeof y);  // only to print a digest
    print("derive", y.to_bytes_be());
    print("commit", c[1].to_compressed());
    print("eph", pub.to_compressed());
    return 0;
  }
  if (op == "pok") {
    const Seed s = secret_seed();
    Fr a0 = Fr::from_u64(0x1234567);
    mark_secret(&a0, sizeof a0);
    G1 c0 = G1::generator().mul(a0);
    public_(&c0, sizeof c0);
    Pok p = prove_pok(s, a0, c0, PokContext{root_of(2), 1, 5});
    public_(&p, sizeof p);  // (R, z) are sent
    std::printf("pok %d\n", verify_pok(PokItem{c0, p.r, p.z, pok_challenge(PokContext{root_of(2), 1, 5}, c0, p.r)}) ? 1 : 0);
    return 0;
  }
  if (op == "share_box") {
    Fr e = Fr::from_u64(0xabcdef);
    mark_secret(&e, sizeof e);
    const G1 peer = G1::generator().mul(Fr::from_u64(99));
    SecretArray<32> key = share_key(e, peer, root_of(3), 0, 1);
    std::vector<Fr> shares{Fr::from_u64(11), Fr::from_u64(22), Fr::from_u64(33)};
    mark_secret(shares.data(), shares.size() * sizeof(Fr));
    Bytes ct = seal_shares(key, root_of(3), 0, 1, 2, shares);
    public_(ct.data(), ct.size());  // the ciphertext is public
    Opened o = open_shares(key, root_of(3), 0, 1, 2, ct, 3);
    std::printf("open %d\n", static_cast<int>(o.error));
    return 0;
  }
  if (op == "feldman") {
    std::vector<Fr> coeffs{Fr::from_u64(5), Fr::from_u64(6), Fr::from_u64(7)};
    const auto f = crypto::threshold::SecretPolynomial::from_coefficients(std::move(coeffs));
    const auto c = f.commitments();
    std::vector<FeldmanItem> items;
    for (int i = 0; i < 3; ++i) items.push_back(FeldmanItem{c, f.evaluate(Fr::from_u64(2))});
    for (auto& it : items) mark_secret(&it.share, sizeof it.share);
    BatchRng rng(as_bytes("ctime"), as_bytes("feldman"));
    const bool ok = batch_feldman_check(items, 2, rng) && feldman_check(items[0], 2);
    std::printf("feldman %d\n", ok ? 1 : 0);
    return 0;
  }
  if (op == "deal") {
    const Seed s = secret_seed();
    Params p;
    p.definition_hash = root_of(4);
    p.threshold = 3;
    p.validators = 2;
    p.chunk_validators = 2;
    for (std::uint32_t i = 0; i < 4; ++i) {
      ByteArray<32> k{};
      k[31] = static_cast<std::uint8_t>(i + 1);
      p.participants.push_back(Participant{crypto::k1::SecretKey::from_bytes(k)->public_key(), true, i + 1, true, i + 1});
    }
    const Root nonce = derive_nonce(s);
    Root pub_nonce = nonce;
    public_(pub_nonce.data(), 32);
    const DealerSecrets sec{&s, p.definition_hash, pub_nonce, nullptr};
    DealerCommitments com = commit_all(p, sec);
    public_(com.points.data(), com.points.size() * sizeof(G1));
    public_(com.compressed.data(), com.compressed.size() * 48);
    std::vector<SecretArray<32>> keys;
    for (int r = 0; r < 4; ++r) {
      SecretArray<32> k;
      for (int i = 0; i < 32; ++i) k.mut_view()[i] = static_cast<std::uint8_t>(r + i);
      mark_secret(k.view().data(), 32);
      keys.push_back(std::move(k));
    }
    BuiltChunk b = build_chunk(p, sec, com, root_of(5), 0, 0, keys, 1u);
    Bytes enc = ssz::serialize(b.chunk);
    public_(enc.data(), enc.size());
    print("deal", enc);
    return 0;
  }
  std::fprintf(stderr, "unknown operation\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: dkg_ctime derive|pok|share_box|feldman|deal\n");
    return 2;
  }
  return run(argv[1]);
}
