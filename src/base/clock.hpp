#pragma once
/// Injected time: components ask a Clock, tests use ManualClock.
#include <chrono>

namespace phx {

using TimePoint = std::chrono::system_clock::time_point;
using Duration = std::chrono::nanoseconds;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
};

class SystemClock final : public Clock {
 public:
  TimePoint now() const override { return std::chrono::system_clock::now(); }
};

/// Test double: time moves only when told to.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(TimePoint start = TimePoint{}) : now_(start) {}
  TimePoint now() const override { return now_; }
  void advance(Duration d) { now_ += std::chrono::duration_cast<TimePoint::duration>(d); }
  void set(TimePoint t) { now_ = t; }

 private:
  TimePoint now_;
};

}  // namespace phx
