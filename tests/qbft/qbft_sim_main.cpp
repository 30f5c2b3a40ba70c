// qbft_sim: runs K seeded schedules of the deterministic Byzantine simulator and checks agreement, validity,
// termination once the network is stable and bounded memory on each. Ends with "K passed, F failed"; each
// failing seed is printed with the command that replays it alone.
#include <array>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "consensus/qbft/types.hpp"
#include "sim.hpp"

namespace {

int usage() {
  std::fprintf(
      stderr,
      "usage: qbft_sim --nodes N --seeds K --first-seed S [--byzantine F] [--crash F] [--real-sigs]\n"
      "                [--happy] [--verbose] [--beyond-f] [--no-fast-path] [--byzantine-mode M]\n"
      "  M: 0 silent, 1 withhold, 2 equivocate, 3 random, 4 replay, 5 mixed, 6 fast-split (default: random)\n"
      "  byzantine + crash must not exceed f = (N-1)/3.\n");
  return 2;
}

bool parse_u64(const char* s, std::uint64_t& out) {
  char* end = nullptr;
  out = std::strtoull(s, &end, 10);
  return end && *end == '\0' && *s != '\0';
}

}  // namespace

int main(int argc, char** argv) {
  using phx::consensus::qbft::sim::SimConfig;
  SimConfig cfg;
  std::uint64_t seeds = 1, first = 1;
  bool beyond_f = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    std::uint64_t v = 0;
    auto value = [&]() { return i + 1 < argc && parse_u64(argv[++i], v); };
    if (a == "--nodes" && value()) {
      cfg.nodes = static_cast<std::uint32_t>(v);
    } else if (a == "--seeds" && value()) {
      seeds = v;
    } else if (a == "--first-seed" && value()) {
      first = v;
    } else if (a == "--byzantine" && value()) {
      cfg.byzantine = static_cast<std::uint32_t>(v);
    } else if (a == "--crash" && value()) {
      cfg.crash = static_cast<std::uint32_t>(v);
    } else if (a == "--real-sigs") {
      cfg.real_signatures = true;
    } else if (a == "--happy") {
      cfg.happy = true;
    } else if (a == "--beyond-f") {
      beyond_f = true;  // lets byzantine + crash exceed f, to show that the checker catches violations
    } else if (a == "--no-fast-path") {
      cfg.fast_path = false;
    } else if (a == "--byzantine-mode" && value() && v <= 6) {
      cfg.byzantine_mode = static_cast<int>(v);
    } else if (a == "--verbose") {
      cfg.verbose = true;
    } else {
      return usage();
    }
  }
  if (cfg.nodes < 1 || cfg.nodes > 64 || (!beyond_f && cfg.byzantine + cfg.crash > (cfg.nodes - 1) / 3) ||
      cfg.byzantine + cfg.crash > cfg.nodes)
    return usage();
  if (cfg.happy && (cfg.byzantine || cfg.crash)) return usage();

  std::uint64_t passed = 0, failed = 0, max_round = 0;
  double max_latency = 0, sum_latency = 0;
  std::size_t max_stored = 0;
  std::array<std::uint64_t, 32> reasons{};
  for (std::uint64_t k = 0; k < seeds; ++k) {
    cfg.seed = first + k;
    auto r = phx::consensus::qbft::sim::run_schedule(cfg);
    if (r.ok) {
      ++passed;
    } else {
      ++failed;
      std::printf(
          "FAILED seed %llu: %s\n  replay: qbft_sim --nodes %u --seeds 1 --first-seed %llu --byzantine %u "
          "--crash %u%s%s%s%s --verbose\n",
          static_cast<unsigned long long>(cfg.seed), r.failure.c_str(), cfg.nodes,
          static_cast<unsigned long long>(cfg.seed), cfg.byzantine, cfg.crash,
          cfg.real_signatures ? " --real-sigs" : "", cfg.happy ? " --happy" : "",
          cfg.fast_path ? "" : " --no-fast-path",
          cfg.byzantine_mode >= 0 ? (" --byzantine-mode " + std::to_string(cfg.byzantine_mode)).c_str() : "");
    }
    max_round = std::max<std::uint64_t>(max_round, r.max_round);
    max_latency = std::max(max_latency, r.max_decision_latency_d);
    sum_latency += r.max_decision_latency_d;
    max_stored = std::max(max_stored, r.max_stored_bytes);
    for (std::size_t i = 0; i < reasons.size(); ++i) reasons[i] += r.rejections_by_reason[i];
  }
  std::printf(
      "n=%u byzantine=%u crash=%u%s%s%s seeds %llu..%llu: decision latency (slowest honest node) mean %.2fd "
      "max %.2fd, highest decided round %llu, peak stored bytes %zu\n",
      cfg.nodes, cfg.byzantine, cfg.crash, cfg.real_signatures ? " secp256k1" : " fake-signer",
      cfg.happy ? " happy-path" : "", cfg.fast_path ? " fast-path" : " no-fast-path", static_cast<unsigned long long>(first),
      static_cast<unsigned long long>(first + seeds - 1),
      seeds ? sum_latency / static_cast<double>(seeds) : 0.0, max_latency,
      static_cast<unsigned long long>(max_round), max_stored);
  std::printf("inputs rejected by honest nodes:");
  for (std::size_t i = 1; i < reasons.size(); ++i)
    if (reasons[i])
      std::printf(" %s=%llu", phx::consensus::qbft::to_string(static_cast<phx::consensus::qbft::Reject>(i)),
                  static_cast<unsigned long long>(reasons[i]));
  std::printf("\n");
  std::printf("%llu passed, %llu failed\n", static_cast<unsigned long long>(passed),
              static_cast<unsigned long long>(failed));
  return failed == 0 ? 0 : 1;
}
