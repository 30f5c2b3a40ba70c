// Fuzz target: the reader of DATA_DIR/superseded-locks.txt (find_superseding). Any bytes give a line or none,
// never a crash; a found line is one of the input's lines and names the lock; a text with the recorded line
// appended always finds it.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "app/superseded_locks.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace phx;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  Root lock{};
  for (std::size_t i = 0; i < lock.size() && i < size; ++i) lock[i] = data[i];
  if (auto line = app::find_superseding(text, lock)) {
    if (line->find('\n') != std::string::npos || text.find(*line) == std::string_view::npos) std::abort();
    if (line->rfind("superseded " + to_hex(lock) + " by ", 0) != 0) std::abort();
  }
  std::string with(text);
  with += "\nsuperseded " + to_hex(lock) + " by 0x00 in x\n";
  if (!app::find_superseding(with, lock)) std::abort();
  return 0;
}
