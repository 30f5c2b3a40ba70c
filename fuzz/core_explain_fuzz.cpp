// Fuzz target: the explain API's untrusted inputs — query parameters, path segments, and duty-report lines.
// Property: parsing never crashes; a decoded query obeys its bounds; a decoded line re-encodes and decodes to
// the same duty and outcome, and explaining it never crashes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>

#include "core/explain_log.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace phx;
  using namespace phx::core;
  if (size < 1) return 0;
  const std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (data[0] % 3) {
    case 0: {  // "name=value&name=value…" as the router hands them over (already split and decoded)
      std::multimap<std::string, std::string> params;
      std::size_t pos = 0;
      while (pos <= in.size() && params.size() < 16) {
        const auto amp = in.find('&', pos);
        const auto part = in.substr(pos, amp == std::string_view::npos ? std::string_view::npos : amp - pos);
        const auto eq = part.find('=');
        params.emplace(std::string(part.substr(0, eq)), eq == std::string_view::npos ? "" : std::string(part.substr(eq + 1)));
        if (amp == std::string_view::npos) break;
        pos = amp + 1;
      }
      auto q = parse_duty_query(params);
      if (q && (q->limit == 0 || q->limit > DutyQuery::kMaxLimit)) std::abort();
      if (q && q->from_slot && q->to_slot && q->from_slot->value > q->to_slot->value) std::abort();
      break;
    }
    case 1: {  // "slot/type?validator"
      const auto slash = in.find('/');
      const auto slot = in.substr(0, slash);
      const auto rest = slash == std::string_view::npos ? std::string_view{} : in.substr(slash + 1);
      const auto qm = rest.find('?');
      std::multimap<std::string, std::string> params;
      if (qm != std::string_view::npos) params.emplace("validator", std::string(rest.substr(qm + 1)));
      auto r = parse_explain_request(slot, rest.substr(0, qm), params);
      if (r && !is_valid_duty_type(static_cast<std::uint8_t>(r->duty.type))) std::abort();
      break;
    }
    default: {
      auto r = parse_duty_line(in);
      if (!r) break;
      auto again = parse_duty_line(to_json_line(*r));
      if (!again || again->report.duty != r->report.duty || again->report.success != r->report.success) std::abort();
      ExplainContext ctx;
      ctx.share_count = 4;
      ctx.threshold = 3;
      (void)explain_duty(*r, ctx).dump();
      (void)duty_summary(*r).dump();
      break;
    }
  }
  return 0;
}
