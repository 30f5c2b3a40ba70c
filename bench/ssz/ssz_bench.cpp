// ssz_bench: hash_tree_root, serialize and deserialize of a large Electra BeaconBlock (8 aggregates of 32768
// bits, a full execution payload with 1500 transactions, slashings, exits, deposits, execution requests),
// plus the two-chunk SHA-256 primitive (SHA-NI vs portable vs OpenSSL EVP). Set
// PHX_SSZ_BENCH_BLOCK_OUT=<file> to also write the block's SSZ bytes (bench/ssz/compare.sh feeds them to
// @chainsafe/ssz) and <file>.root with its hash_tree_root.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <fstream>
#include <random>

#include "crypto/hash/sha256.hpp"
#include "crypto/hash/sha256_pair.hpp"
#include "eth/types.hpp"
#include "ssz/codec.hpp"
#include "ssz/merkle.hpp"

namespace {

using namespace phx;
namespace el = eth::electra;

template <std::size_t N>
void fill(ByteArray<N>& a, std::mt19937_64& r) {
  for (auto& b : a) b = static_cast<std::uint8_t>(r());
}

el::BeaconBlock make_block() {
  std::mt19937_64 r(2026);
  el::BeaconBlock b;
  b.slot = Slot{11'000'000};
  b.proposer_index = ValidatorIndex{123456};
  fill(b.parent_root, r);
  fill(b.state_root, r);
  auto& body = b.body;
  fill(body.randao_reveal, r);
  fill(body.eth1_data.deposit_root, r);
  body.eth1_data.deposit_count = 2'000'000;
  fill(body.graffiti, r);
  for (int i = 0; i < 8; ++i) {
    el::Attestation a;
    a.aggregation_bits = ssz::Bitlist<131072>(32768);
    for (std::size_t k = 0; k < 32768; ++k) a.aggregation_bits.set(k, r() % 10 != 0);
    a.data.slot = Slot{10'999'999};
    a.data.index = 0;
    fill(a.data.beacon_block_root, r);
    a.data.source.epoch = Epoch{343748};
    a.data.target.epoch = Epoch{343749};
    fill(a.data.target.root, r);
    fill(a.signature, r);
    for (std::size_t c = 0; c < 64; ++c) a.committee_bits.set(c, true);
    body.attestations.push_back(std::move(a));
  }
  el::AttesterSlashing s;
  for (auto* ia : {&s.attestation_1, &s.attestation_2}) {
    for (std::uint64_t k = 0; k < 512; ++k) ia->attesting_indices.push_back(ValidatorIndex{k * 7});
    fill(ia->signature, r);
  }
  body.attester_slashings.push_back(s);
  eth::phase0::ProposerSlashing ps;
  fill(ps.signed_header_1.signature, r);
  body.proposer_slashings.push_back(ps);
  for (int i = 0; i < 16; ++i) {
    eth::phase0::Deposit d;
    for (auto& p : d.proof) fill(p, r);
    fill(d.data.pubkey, r);
    d.data.amount = 32'000'000'000;
    body.deposits.push_back(d);
    eth::phase0::SignedVoluntaryExit e;
    e.message.validator_index = ValidatorIndex{static_cast<std::uint64_t>(i)};
    fill(e.signature, r);
    body.voluntary_exits.push_back(e);
    eth::capella::SignedBLSToExecutionChange c;
    fill(c.message.from_bls_pubkey, r);
    body.bls_to_execution_changes.push_back(c);
  }
  for (std::size_t k = 0; k < 512; ++k) body.sync_aggregate.sync_committee_bits.set(k, r() % 8 != 0);
  auto& p = body.execution_payload;
  fill(p.parent_hash, r);
  fill(p.logs_bloom, r);
  p.block_number = 21'000'000;
  p.gas_limit = 36'000'000;
  p.gas_used = 35'000'000;
  p.timestamp = 1'750'000'000;
  p.extra_data = ssz::ByteList<32>(Bytes(32, 0x61));
  p.base_fee_per_gas = ssz::Uint256::from_u64(7'000'000'000);
  for (int i = 0; i < 1500; ++i) {
    eth::bellatrix::Transaction tx(Bytes(100 + r() % 500));
    for (auto& x : tx) x = static_cast<std::uint8_t>(r());
    p.transactions.push_back(std::move(tx));
  }
  for (int i = 0; i < 16; ++i) {
    eth::capella::Withdrawal w;
    w.index = static_cast<std::uint64_t>(i);
    w.amount = 17'000'000;
    p.withdrawals.push_back(w);
  }
  for (int i = 0; i < 9; ++i) {
    eth::KZGCommitment c;
    fill(c, r);
    body.blob_kzg_commitments.push_back(c);
  }
  for (int i = 0; i < 16; ++i) {
    el::DepositRequest d;
    fill(d.pubkey, r);
    body.execution_requests.deposits.push_back(d);
    body.execution_requests.withdrawals.push_back(el::WithdrawalRequest{});
  }
  body.execution_requests.consolidations.resize(2);
  return b;
}

const el::BeaconBlock& block() {
  static const el::BeaconBlock b = [] {
    auto blk = make_block();
    if (const char* out = std::getenv("PHX_SSZ_BENCH_BLOCK_OUT")) {
      const Bytes enc = ssz::serialize(blk);
      std::ofstream(out, std::ios::binary)
          .write(reinterpret_cast<const char*>(enc.data()), static_cast<std::streamsize>(enc.size()));
      std::ofstream(std::string(out) + ".root") << to_hex(ssz::hash_tree_root(blk)) << "\n";
    }
    return blk;
  }();
  return b;
}

void BM_ElectraBlock_HashTreeRoot(benchmark::State& st) {
  const auto& b = block();
  for (auto _ : st) benchmark::DoNotOptimize(ssz::hash_tree_root(b));
  st.counters["bytes"] = static_cast<double>(ssz::serialized_size(b));
}
BENCHMARK(BM_ElectraBlock_HashTreeRoot)->Unit(benchmark::kMicrosecond);

void BM_ElectraBlock_Serialize(benchmark::State& st) {
  const auto& b = block();
  for (auto _ : st) benchmark::DoNotOptimize(ssz::serialize(b));
}
BENCHMARK(BM_ElectraBlock_Serialize)->Unit(benchmark::kMicrosecond);

void BM_ElectraBlock_Deserialize(benchmark::State& st) {
  const Bytes enc = ssz::serialize(block());
  for (auto _ : st) {
    auto v = ssz::deserialize<el::BeaconBlock>(enc);
    if (!v) st.SkipWithError("decode failed");
    benchmark::DoNotOptimize(v);
  }
}
BENCHMARK(BM_ElectraBlock_Deserialize)->Unit(benchmark::kMicrosecond);

constexpr std::size_t kBlocks = 1024;

void BM_Sha256_64B_Dispatch(benchmark::State& st) {
  std::vector<std::uint8_t> in(64 * kBlocks, 7), out(32 * kBlocks);
  for (auto _ : st) {
    crypto::hash::sha256_64_many(in.data(), out.data(), kBlocks);
    benchmark::DoNotOptimize(out.data());
  }
  st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations() * kBlocks));
  st.SetLabel(crypto::hash::sha256_uses_shani() ? "sha-ni" : "portable");
}
BENCHMARK(BM_Sha256_64B_Dispatch);

void BM_Sha256_64B_Portable(benchmark::State& st) {
  std::vector<std::uint8_t> in(64 * kBlocks, 7), out(32 * kBlocks);
  for (auto _ : st) {
    crypto::hash::sha256_64_many_portable(in.data(), out.data(), kBlocks);
    benchmark::DoNotOptimize(out.data());
  }
  st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations() * kBlocks));
}
BENCHMARK(BM_Sha256_64B_Portable);

void BM_Sha256_64B_OpenSslEvp(benchmark::State& st) {
  std::vector<std::uint8_t> in(64 * kBlocks, 7);
  for (auto _ : st) {
    for (std::size_t i = 0; i < kBlocks; ++i) {
      benchmark::DoNotOptimize(crypto::hash::sha256(ByteSpan(in.data() + 64 * i, 64)));
    }
  }
  st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations() * kBlocks));
}
BENCHMARK(BM_Sha256_64B_OpenSslEvp);

}  // namespace

BENCHMARK_MAIN();
