#pragma once
// Helpers shared by the DV layer's tests (dv_test.cpp, qbft_memory_test.cpp).
#include <string>
#include <string_view>

#include "base/bytes.hpp"
#include "consensus/qbft/types.hpp"
#include "dv/qbft_driver.hpp"

namespace phx::dv::dvtest {

inline Bytes str_bytes(std::string_view s) { return Bytes(s.begin(), s.end()); }
inline std::string to_str(ByteSpan b) { return std::string(b.begin(), b.end()); }

/// Short round timers (400 ms, +200 ms per round) so that round changes happen within a test.
inline QbftDriverOptions fast_qbft() {
  QbftDriverOptions o;
  o.timer.first_ns = 400'000'000;
  o.timer.increment_ns = 200'000'000;
  return o;
}

/// A decision as reported by on_decided.
struct Decided {
  std::string value;
  consensus::qbft::Round round = 0;
};

}  // namespace phx::dv::dvtest
