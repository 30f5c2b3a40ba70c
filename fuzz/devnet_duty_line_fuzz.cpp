// Fuzz target: duty-report files written by `phalanx run` child processes and read by `phalanx devnet`
// (parse_duty_lines), and the report built from whatever parsed. Any input must be skipped or parsed, never
// crash; percentiles of the parsed latencies must be ordered.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "app/devnet.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace phx::app;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::size_t bad = 0;
  auto lines = parse_duty_lines(text, &bad);
  ReportInputs in;
  in.expected = {{"attestation", {4, true}}, {"aggregation", {4, false}}};
  in.accepted = {{"attestation", 4}};
  in.node_lines = {lines, lines};
  in.node_faulty = {false, true};
  auto r = build_report(in);
  if (r.consensus_ms.p50 > r.consensus_ms.p90 || r.consensus_ms.p90 > r.consensus_ms.p99 ||
      r.consensus_ms.p99 > r.consensus_ms.max)
    std::abort();
  (void)render_table(r);
  (void)report_to_json(r).dump();
  return 0;
}
