// CPU per validator per attester duty through the whole Workflow: 4 nodes (embedded signer, real BLS key
// shares, 3-of-4) in one process on one thread, 1,000 validators that all attest at every slot. One iteration
// = one slot: scheduler tick → fetch (1 BN call per committee) → consensus double → DutyDB → 4 × 1,000 share
// signatures → ParSigDB + exchange double → SigAgg (one batch per duty and node) → AggSigDB → BN double
// submit (its DV-key verification is switched off: it is the beacon node's work, not the node's).
// Other duty types are switched off (WorkflowOptions::skip_duties).
// g++ 12 at -O1/-O2 (RelWithDebInfo, sanitizer builds) reports a false -Wmismatched-new-delete on the frame
// deallocation of asio::awaitable coroutines (operator new/delete of awaitable_frame_base are a matching pair).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
#include <benchmark/benchmark.h>

#include <ctime>

#include "core/workflow_doubles_test.hpp"

namespace phx::core {
namespace {

using testing::Harness;
using testing::TestKeys;

constexpr std::size_t kValidators = 1000;
constexpr std::uint64_t kGenesis = 1'700'000'000;

const TestKeys& keys() {
  static const TestKeys k = testing::make_keys(kValidators, 3, 4);
  return k;
}

const std::set<DutyType> kOnlyAttester = {
    DutyType::kProposer,         DutyType::kExit,       DutyType::kBuilderProposer, DutyType::kBuilderRegistration,
    DutyType::kRandao,           DutyType::kPrepareAggregator, DutyType::kAggregator,  DutyType::kSyncMessage,
    DutyType::kPrepareSyncContribution, DutyType::kSyncContribution};

void BM_WorkflowAttesterDuty(benchmark::State& state) {
  Root gvr{};
  gvr[0] = 0x42;
  const auto cfg = eth::devnet_config(eth::Fork::kFulu, kGenesis, gvr);
  Harness h(cfg, keys(), {1, 2, 3, 4}, SigningMode::kEmbedded, false, kOnlyAttester);
  h.bn().attest_every_slot = true;
  h.bn().verify = false;  // the double's DV-key check is not the node's work
  h.bn().proposers = false;
  h.bn().sync_members.clear();
  h.bn().committee_count = static_cast<std::size_t>(state.range(0));
  for (auto& n : h.nodes()) n->guard->permissive = true;
  h.start();
  h.run_until(h.slot_start(Slot{2}));  // warm up: duties resolved, two slots done
  std::uint64_t slot = 2;
  const std::clock_t cpu0 = std::clock();
  for (auto _ : state) {
    ++slot;
    h.run_until(h.slot_start(Slot{slot}));
  }
  const double cpu_us = 1e6 * static_cast<double>(std::clock() - cpu0) / CLOCKS_PER_SEC;
  std::uint64_t done = 0;
  for (auto& n : h.nodes())
    for (const auto& r : n->results) done += r.report.success && r.report.duty.type == DutyType::kAttester ? 1 : 0;
  const std::uint64_t failed = h.nodes()[0]->workflow->metrics().duties_failed[static_cast<std::size_t>(DutyType::kAttester)];
  if (failed != 0) state.SkipWithError("attester duties failed");
  // Per validator per node (4 nodes share this thread).
  state.counters["cpu_us_per_validator_per_node"] =
      cpu_us / (static_cast<double>(state.iterations()) * kValidators * 4);
  state.counters["duties_ok"] = static_cast<double>(done);
  state.counters["bn_accepted"] = static_cast<double>(h.bn().stats.accepted[DutyType::kAttester]);
}
BENCHMARK(BM_WorkflowAttesterDuty)->Arg(1)->Arg(64)->Unit(benchmark::kMillisecond)->Iterations(4);

}  // namespace
}  // namespace phx::core

