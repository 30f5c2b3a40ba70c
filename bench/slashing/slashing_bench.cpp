// Slashing protection: check+record of one attestation per validator for 1,000 validators, either all in one
// transaction (check_and_record_attestations) or one transaction each (check_and_record_attestation).
// Arg 0: 1 = DB file on disk (WAL, synchronous=FULL, so each commit is an fsync), 0 = in-memory DB.
// Each iteration is a new epoch (source e, target e+1), so history grows by one attestation per validator.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <filesystem>
#include <vector>

#include "slashing/store.hpp"

namespace {

using namespace phx;
using namespace phx::slashing;
constexpr std::size_t kValidators = 1000;

struct Fixture {
  std::filesystem::path dir;
  std::optional<SlashingDb> db;
  std::vector<eth::BLSPubkey> keys;

  explicit Fixture(bool on_disk) {
    Root gvr{};
    gvr[0] = 1;
    if (on_disk) {
      dir = std::filesystem::temp_directory_path() / ("phx_slashing_bench_" + std::to_string(::getpid()));
      std::filesystem::remove_all(dir);
      std::filesystem::create_directories(dir);
      auto r = SlashingDb::open(dir / "db.sqlite", gvr);
      if (r) db.emplace(std::move(*r));
    } else {
      auto r = SlashingDb::open_in_memory(gvr);
      if (r) db.emplace(std::move(*r));
    }
    for (std::size_t i = 0; i < kValidators; ++i) {
      eth::BLSPubkey k{};
      k[0] = 0x80;
      k[46] = static_cast<std::uint8_t>(i >> 8);
      k[47] = static_cast<std::uint8_t>(i);
      keys.push_back(k);
    }
  }
  ~Fixture() {
    db.reset();
    if (!dir.empty()) std::filesystem::remove_all(dir);
  }
};

Root root_for(std::uint64_t epoch, std::size_t v) {
  Root r{};
  put_be64(r.data(), epoch);
  put_be64(r.data() + 8, v);
  return r;
}

void BM_AttestationsOneTransaction(benchmark::State& state) {
  Fixture f(state.range(0) == 1);
  if (!f.db) return state.SkipWithError("open failed");
  std::uint64_t epoch = 0;
  std::vector<AttestationRequest> reqs(kValidators);
  for (auto _ : state) {
    for (std::size_t i = 0; i < kValidators; ++i)
      reqs[i] = {f.keys[i], Epoch{epoch}, Epoch{epoch + 1}, root_for(epoch, i)};
    auto out = f.db->check_and_record_attestations(reqs);
    if (!out || !(*out)[kValidators - 1]) return state.SkipWithError("unexpected refusal");
    benchmark::DoNotOptimize(out);
    ++epoch;
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(kValidators));
}

void BM_AttestationsOneTransactionEach(benchmark::State& state) {
  Fixture f(state.range(0) == 1);
  if (!f.db) return state.SkipWithError("open failed");
  std::uint64_t epoch = 0;
  for (auto _ : state) {
    for (std::size_t i = 0; i < kValidators; ++i) {
      auto v =
          f.db->check_and_record_attestation(f.keys[i], Epoch{epoch}, Epoch{epoch + 1}, root_for(epoch, i));
      if (!v) return state.SkipWithError("unexpected refusal");
    }
    ++epoch;
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(kValidators));
}

// One validator with `history` recorded attestations (imported in one go), then one check+record per
// iteration (in-memory DB, one transaction each): shows the checks are index lookups, not scans of the
// history.
void BM_AttestationWithHistory(benchmark::State& state) {
  Fixture f(false);
  if (!f.db) return state.SkipWithError("open failed");
  const auto history = static_cast<std::uint64_t>(state.range(0));
  Interchange doc;
  doc.genesis_validators_root = f.db->genesis_validators_root();
  doc.data.push_back({f.keys[0], {}, {}});
  for (std::uint64_t e = 0; e < history; ++e)
    doc.data[0].signed_attestations.push_back({Epoch{e}, Epoch{e + 1}, root_for(e, 0)});
  if (!f.db->import_interchange(doc)) return state.SkipWithError("import failed");
  std::uint64_t epoch = history;
  for (auto _ : state) {
    auto v =
        f.db->check_and_record_attestation(f.keys[0], Epoch{epoch}, Epoch{epoch + 1}, root_for(epoch, 0));
    if (!v) return state.SkipWithError("unexpected refusal");
    ++epoch;
  }
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK(BM_AttestationsOneTransaction)->ArgName("on_disk")->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_AttestationsOneTransactionEach)
    ->ArgName("on_disk")
    ->Arg(0)
    ->Arg(1)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_AttestationWithHistory)
    ->ArgName("history")
    ->Arg(0)
    ->Arg(1000)
    ->Arg(100000)
    ->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
