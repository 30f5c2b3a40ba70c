// Fuzz target: the operator API's decoders of untrusted text, a POST /phalanx/v1/exits body
// (parse_exit_request), DATA_DIR/exits.json (parse_exits_file) and the status page's query parameters
// (parse_validator_page, the input split at '&' and '=' like a query string). Any input gives a value or an error
// message, never a crash; an accepted exits file survives the exits_file_text round trip unchanged; an accepted
// page is in range.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>

#include "app/operator_api.hpp"
#include "app/status.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace phx::app;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  // An accepted body names validators one way: a non-empty pubkeys list or "all", never both or neither.
  if (auto r = parse_exit_request(text); r && r->all == !r->pubkeys.empty()) std::abort();
  if (auto f = parse_exits_file(text)) {
    auto again = parse_exits_file(exits_file_text(*f));
    if (!again || again->size() != f->size()) std::abort();
    for (std::size_t i = 0; i < f->size(); ++i)
      if ((*again)[i].pubkey != (*f)[i].pubkey || (*again)[i].epoch != (*f)[i].epoch ||
          (*again)[i].requested_at != (*f)[i].requested_at)
        std::abort();
  }
  std::multimap<std::string, std::string> query;
  for (std::size_t pos = 0; pos <= text.size();) {
    const std::size_t end = std::min(text.find('&', pos), text.size());
    const std::string_view item = text.substr(pos, end - pos);
    const std::size_t eq = std::min(item.find('='), item.size());
    query.emplace(std::string(item.substr(0, eq)), std::string(item.substr(std::min(eq + 1, item.size()))));
    pos = end + 1;
  }
  if (auto p = parse_validator_page(query); p && (p->per_page < 1 || p->per_page > 500)) std::abort();
  return 0;
}
