// Writes random BLS12-381 / threshold / EIP-2333 cases computed by Phalanx as JSON lines, for
// tests/oracle/bls_diff.mjs to re-check with independent implementations (@noble/curves, @chainsafe/blst).
// Usage: bls_oracle_cli [scale] [seed] > cases.jsonl    (scale 1 ≈ 3,200 cases)
// Keys and messages come from a seeded PRNG so that a failing run can be reproduced; threshold polynomials
// use Fr::random (OpenSSL), and every value needed to re-check is written out.
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "crypto/bls/bls.hpp"
#include "crypto/keystore/eip2333.hpp"
#include "crypto/threshold/threshold.hpp"

namespace {

using namespace phx;
using namespace phx::crypto;
using nlohmann::json;

std::mt19937_64 rng;

Bytes random_bytes(std::size_t n) {
  Bytes b(n);
  for (auto& x : b) x = static_cast<std::uint8_t>(rng());
  return b;
}

// Message lengths cover 0, odd lengths, and lengths around SHA-256 block and expand_message_xmd edges.
Bytes random_msg() {
  static const std::size_t kEdges[] = {0, 1, 31, 32, 33, 55, 56, 63, 64, 65, 127, 128, 129, 255, 256, 257};
  const std::uint64_t r = rng();
  const std::size_t len =
      (r % 4 == 0) ? kEdges[(r >> 8) % std::size(kEdges)] : static_cast<std::size_t>((r >> 8) % 300);
  return random_bytes(len);
}

bls::SecretKey random_sk() {
  for (;;) {
    const Bytes wide = random_bytes(64);
    bls::Fr s = bls::Fr::from_bytes_be_reduce(wide);
    if (!s.is_zero()) return bls::SecretKey::from_scalar(std::move(s));
  }
}

std::string hx(ByteSpan b) {
  return to_hex(b, false);
}
std::string hx(const bls::PublicKey& pk) {
  return hx(pk.to_bytes());
}
std::string hx(const bls::Signature& s) {
  return hx(s.to_bytes());
}
std::string hx(const bls::SecretKey& sk) {
  return hx(sk.to_bytes().view());
}

void emit(const json& j) {
  std::puts(j.dump().c_str());
}

// A signature on some other message: the usual tampering (still a valid G2 point).
bls::Signature other_sig(const bls::SecretKey& sk) {
  return sk.sign(random_bytes(8));
}

std::size_t case_pk() {
  bls::SecretKey sk = random_sk();
  emit({{"k", "pk"}, {"sk", hx(sk)}, {"pk", hx(sk.public_key())}});
  return 1;
}

std::size_t case_hash() {
  const Bytes msg = random_msg();
  emit({{"k", "hash"}, {"msg", hx(msg)}, {"h", hx(bls::hash_to_g2(msg).to_compressed())}});
  return 1;
}

std::size_t case_sign() {
  bls::SecretKey sk = random_sk();
  const Bytes msg = random_msg();
  emit({{"k", "sign"},
        {"sk", hx(sk)},
        {"pk", hx(sk.public_key())},
        {"msg", hx(msg)},
        {"sig", hx(sk.sign(msg))}});
  return 1;
}

std::size_t case_verify() {
  bls::SecretKey sk = random_sk();
  Bytes msg = random_msg();
  bls::PublicKey pk = sk.public_key();
  bls::Signature sig = sk.sign(msg);
  switch (rng() % 4) {
    case 0:
      break;  // valid
    case 1:   // tampered message
      if (msg.empty())
        msg.push_back(0);
      else
        msg[rng() % msg.size()] ^= static_cast<std::uint8_t>(1u << (rng() % 8));
      break;
    case 2:
      sig = other_sig(sk);
      break;
    case 3:
      pk = random_sk().public_key();
      break;
  }
  emit({{"k", "verify"},
        {"pk", hx(pk)},
        {"msg", hx(msg)},
        {"sig", hx(sig)},
        {"ok", bls::verify(pk, msg, sig)}});
  return 1;
}

std::size_t case_aggregate() {
  const std::size_t n = 1 + rng() % 4;
  std::vector<bls::Signature> sigs;
  std::vector<bls::PublicKey> pks;
  std::vector<Bytes> msgs;
  json jp = json::array(), jm = json::array(), js = json::array();
  for (std::size_t i = 0; i < n; ++i) {
    bls::SecretKey sk = random_sk();
    msgs.push_back(random_msg());
    msgs.back().push_back(static_cast<std::uint8_t>(i));  // distinct messages
    pks.push_back(sk.public_key());
    sigs.push_back(sk.sign(msgs.back()));
    jp.push_back(hx(pks.back()));
    jm.push_back(hx(msgs.back()));
    js.push_back(hx(sigs.back()));
  }
  auto agg = bls::aggregate(sigs);
  if (!agg) std::abort();
  bls::Signature checked = *agg;
  if (rng() % 2) {  // tamper: aggregate with one signature replaced
    std::vector<bls::Signature> bad = sigs;
    bad[rng() % n] = other_sig(random_sk());
    checked = *bls::aggregate(bad);
  }
  std::vector<ByteSpan> spans(msgs.begin(), msgs.end());
  emit({{"k", "aggregate"},
        {"pks", jp},
        {"msgs", jm},
        {"sigs", js},
        {"agg_sig", hx(*agg)},
        {"checked_sig", hx(checked)},
        {"ok", bls::aggregate_verify(pks, spans, checked)}});
  return 1;
}

std::size_t case_fast_aggregate() {
  const std::size_t n = 1 + rng() % 6;
  const Bytes msg = random_msg();
  std::vector<bls::Signature> sigs;
  std::vector<bls::PublicKey> pks;
  json jp = json::array(), js = json::array();
  for (std::size_t i = 0; i < n; ++i) {
    bls::SecretKey sk = random_sk();
    pks.push_back(sk.public_key());
    sigs.push_back(rng() % 5 == 0 ? other_sig(sk) : sk.sign(msg));
    jp.push_back(hx(pks.back()));
    js.push_back(hx(sigs.back()));
  }
  auto agg = bls::aggregate(sigs);
  auto agg_pk = bls::aggregate_pubkeys(pks);
  if (!agg || !agg_pk) std::abort();
  emit({{"k", "fast_aggregate"},
        {"pks", jp},
        {"msg", hx(msg)},
        {"sigs", js},
        {"agg_sig", hx(*agg)},
        {"agg_pk", hx(*agg_pk)},
        {"checked_sig", hx(*agg)},
        {"ok", bls::fast_aggregate_verify(pks, msg, *agg)}});
  return 1;
}

std::size_t case_batch() {
  const std::size_t n = 2 + rng() % 3;
  std::vector<bls::SignatureSet> sets;
  json js = json::array();
  const bool tamper = rng() % 2;
  for (std::size_t i = 0; i < n; ++i) {
    bls::SecretKey sk = random_sk();
    Bytes msg = random_msg();
    bls::Signature sig = (tamper && i == n - 1) ? other_sig(sk) : sk.sign(msg);
    js.push_back({{"pk", hx(sk.public_key())}, {"msg", hx(msg)}, {"sig", hx(sig)}});
    sets.push_back(bls::SignatureSet{sk.public_key(), msg, sig});
  }
  emit({{"k", "batch"}, {"sets", js}, {"ok", bls::batch_verify(sets)}});
  return 1;
}

std::size_t case_threshold() {
  static const std::pair<std::uint32_t, std::uint32_t> kShapes[] = {{1, 1}, {2, 3}, {3, 4},
                                                                    {4, 6}, {5, 7}, {7, 10}};
  const auto [t, n] = kShapes[rng() % std::size(kShapes)];
  bls::SecretKey sk = random_sk();
  auto s = threshold::split(sk, t, n);
  if (!s) std::abort();
  const Bytes msg = random_msg();
  // A random t-subset of the shares, in random order.
  std::vector<std::size_t> pos(n);
  for (std::size_t i = 0; i < n; ++i) pos[i] = i;
  std::shuffle(pos.begin(), pos.end(), rng);
  pos.resize(t);
  std::vector<threshold::PartialSignature> partials;
  json ji = json::array(), jsig = json::array(), jpk = json::array(), jc = json::array();
  for (std::size_t p : pos) {
    const auto& sh = s->shares[p];
    partials.push_back({sh.idx, sh.secret.sign(msg)});
    ji.push_back(sh.idx.value);
    jsig.push_back(hx(partials.back().partial_sig));
    jpk.push_back(hx(sh.secret.public_key()));
  }
  for (const auto& c : s->commitments) jc.push_back(hx(c.to_compressed()));
  auto sig = threshold::recombine_signatures(partials, t);
  if (!sig) std::abort();
  emit({{"k", "threshold"},
        {"sk", hx(sk)},
        {"pk", hx(sk.public_key())},
        {"msg", hx(msg)},
        {"idx", ji},
        {"partials", jsig},
        {"pubshares", jpk},
        {"commitments", jc},
        {"sig", hx(*sig)}});
  return 1;
}

std::size_t case_same_message() {
  const std::size_t n = 2 + rng() % 4;
  const Bytes msg = random_msg();
  std::vector<bls::PublicKey> pks;
  std::vector<bls::Signature> sigs;
  json jp = json::array(), js = json::array();
  for (std::size_t i = 0; i < n; ++i) {
    bls::SecretKey sk = random_sk();
    pks.push_back(sk.public_key());
    sigs.push_back(sk.sign(msg));
  }
  if (rng() % 2) std::swap(sigs[0], sigs[n - 1]);  // partials from the wrong senders
  for (std::size_t i = 0; i < n; ++i) {
    jp.push_back(hx(pks[i]));
    js.push_back(hx(sigs[i]));
  }
  emit({{"k", "same_message"},
        {"pubshares", jp},
        {"msg", hx(msg)},
        {"partials", js},
        {"ok", threshold::verify_partials_same_message(pks, msg, sigs)}});
  return 1;
}

// Point decoding (untrusted bytes): valid encodings, bit flips, random x, x ≥ p and the infinity variants.
template <std::size_t N>
ByteArray<N> decode_input(const ByteArray<N>& valid) {
  ByteArray<N> b = valid;
  switch (rng() % 8) {
    case 0:
      break;
    case 1:
      b[0] ^= static_cast<std::uint8_t>(0x20u << (rng() % 3));
      break;  // flip a flag bit
    case 2:
      b[rng() % N] ^= static_cast<std::uint8_t>(1u << (rng() % 8));
      break;
    case 3:  // random x with the compression flag (mostly not on the curve or not in the subgroup)
      for (auto& x : b) x = static_cast<std::uint8_t>(rng());
      b[0] = static_cast<std::uint8_t>(0x80 | (b[0] & 0x3f & ~0x40));
      break;
    case 4: {  // infinity encodings, canonical or with junk
      b.fill(0);
      b[0] = static_cast<std::uint8_t>(rng() % 2 ? 0xc0 : (rng() % 2 ? 0xe0 : 0x40));
      if (rng() % 2) b[1 + rng() % (N - 1)] = static_cast<std::uint8_t>(1 + rng() % 255);
      break;
    }
    case 5: {  // the x coordinate (or its c1 half in G2) ≥ p: p + small, or all ones
      static const ByteArray<48> kP = *from_hex_fixed<48>(
          "1a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffffb9feffffffffaaab");
      if (rng() % 2) {
        for (std::size_t i = 0; i < 48; ++i) b[i] = kP[i];
        b[47] = static_cast<std::uint8_t>(b[47] + rng() % 3);
      } else {
        for (std::size_t i = 0; i < 48; ++i) b[i] = 0xff;
      }
      b[0] = static_cast<std::uint8_t>((b[0] & 0x1f) | 0x80 | (rng() % 2 ? 0x20 : 0));
      break;
    }
    case 6:
      b[0] &= 0x7f;
      break;  // compression flag cleared
    case 7:
      b[N - 1] ^= 1;
      break;
  }
  return b;
}

std::size_t case_g1_decode() {
  const ByteArray<48> in = decode_input(random_sk().public_key().to_bytes());
  auto p = bls::G1::from_compressed(in);
  json j = {{"k", "g1_decode"}, {"in", hx(in)}, {"ok", p.has_value()}};
  if (p) j["out"] = hx(p->to_compressed());
  emit(j);
  return 1;
}

std::size_t case_g2_decode() {
  const ByteArray<96> in = decode_input(bls::G2::generator().mul(bls::Fr::from_u64(rng())).to_compressed());
  auto p = bls::G2::from_compressed(in);
  json j = {{"k", "g2_decode"}, {"in", hx(in)}, {"ok", p.has_value()}};
  if (p) j["out"] = hx(p->to_compressed());
  emit(j);
  return 1;
}

std::size_t case_eip2333() {
  const Bytes seed = random_bytes(32 + rng() % 33);
  const auto index = static_cast<std::uint32_t>(rng());
  auto master = keystore::derive_master_sk(seed);
  if (!master) std::abort();
  bls::SecretKey child = keystore::derive_child_sk(*master, index);
  emit({{"k", "eip2333"},
        {"seed", hx(seed)},
        {"index", index},
        {"master", hx(*master)},
        {"child", hx(child)}});
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  const double scale = argc > 1 ? std::atof(argv[1]) : 1.0;
  const std::uint64_t seed = argc > 2 ? std::strtoull(argv[2], nullptr, 0) : 0x2b1501u;
  rng.seed(seed);
  struct Kind {
    std::size_t (*fn)();
    int count;
  };
  const Kind kinds[] = {
      {case_pk, 2000},         {case_hash, 250},          {case_sign, 100},      {case_verify, 120},
      {case_aggregate, 16},    {case_fast_aggregate, 16}, {case_batch, 8},       {case_threshold, 30},
      {case_same_message, 16}, {case_eip2333, 100},       {case_g1_decode, 400}, {case_g2_decode, 150},
  };
  std::size_t total = 0;
  for (const auto& k : kinds) total += static_cast<std::size_t>(std::max(1.0, k.count * scale));
  emit({{"k", "header"}, {"count", total}, {"seed", seed}});
  for (const auto& k : kinds) {
    const auto n = static_cast<std::size_t>(std::max(1.0, k.count * scale));
    for (std::size_t i = 0; i < n; ++i) k.fn();
  }
  return 0;
}
