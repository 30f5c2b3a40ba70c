// ProgressReporter: the rate/ETA math and line formatting, and when lines are due, on a manual clock.
#include "base/progress.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace phx {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

struct Captured {
  std::vector<std::string> lines;
  std::vector<bool> finals;
  ProgressReporter::Sink sink() {
    return [this](std::string_view line, ProgressReporter::Mode, bool final) {
      lines.emplace_back(line);
      finals.push_back(final);
    };
  }
};

TEST(FormatDuration, RoundsToTheLargestTwoUnits) {
  EXPECT_EQ(format_duration(milliseconds(850)), "850 ms");
  EXPECT_EQ(format_duration(seconds(42)), "42 s");
  EXPECT_EQ(format_duration(milliseconds(59'600)), "1 min 00 s");
  EXPECT_EQ(format_duration(seconds(185)), "3 min 05 s");
  EXPECT_EQ(format_duration(seconds(2 * 3600 + 7 * 60 + 10)), "2 h 07 min");
  EXPECT_EQ(format_duration(seconds(-3)), "0 ms");
}

TEST(FormatProgress, RateAndTimeLeftFollowTheCountSoFar) {
  // 120 of 1000 in 4 s: 30/s, 880 left at 30/s = 29.33 s.
  EXPECT_EQ(format_progress("keystores", 120, 1000, seconds(4)), "keystores: 120/1000 (12 %), 30.0/s, about 29 s left");
  // 500 of 2000 in 10 s: 50/s, 1500 left = 30 s.
  EXPECT_EQ(format_progress("keys", 500, 2000, seconds(10)), "keys: 500/2000 (25 %), 50.0/s, about 30 s left");
  // Fast rates lose the decimal; long waits switch units.
  EXPECT_EQ(format_progress("x", 1000, 1'000'000, seconds(2)), "x: 1000/1000000 (0 %), 500/s, about 33 min 18 s left");
}

TEST(FormatProgress, UnknownRateTotalAndOverrun) {
  EXPECT_EQ(format_progress("x", 0, 10, seconds(3)), "x: 0/10 (0 %), 0.0/s, ? left");
  EXPECT_EQ(format_progress("x", 5, 10, Duration::zero()), "x: 5/10 (50 %), ?/s, ? left");
  EXPECT_EQ(format_progress("x", 7, 0, seconds(2)), "x: 7, 3.5/s");
  EXPECT_EQ(format_progress("x", 12, 10, seconds(4)), "x: 12/10 (100 %), 3.0/s, 0 s left");
  EXPECT_EQ(format_progress_done("x", 1000, seconds(40)), "x: 1000 in 40 s (25.0/s)");
}

TEST(ProgressReporter, LinesModeWritesEveryTenPercentOrInterval) {
  ManualClock clock;
  Captured c;
  ProgressReporter p("k", 100, clock, ProgressReporter::Mode::kLines, c.sink());
  clock.advance(seconds(1));
  EXPECT_FALSE(p.set(5));   // below 10 %, 1 s in
  EXPECT_TRUE(p.set(10));   // 10 %
  EXPECT_FALSE(p.set(15));
  EXPECT_TRUE(p.set(25));   // past 20 %: one line, next at 30 %
  EXPECT_FALSE(p.set(29));
  clock.advance(seconds(5));  // quiet for the interval: a line anyway
  EXPECT_TRUE(p.set(29));
  EXPECT_FALSE(p.set(29));
  EXPECT_TRUE(p.add(1));    // 30 %
  p.finish();
  p.finish();               // once
  ASSERT_EQ(c.lines.size(), 5u);
  EXPECT_EQ(c.lines[0], "k: 10/100 (10 %), 10.0/s, about 9 s left");
  EXPECT_EQ(c.lines[3], "k: 30/100 (30 %), 5.0/s, about 14 s left");
  EXPECT_EQ(c.lines[4], "k: 30 in 6 s (5.0/s)");
  EXPECT_EQ(c.finals, (std::vector<bool>{false, false, false, false, true}));
}

TEST(ProgressReporter, TerminalModeUpdatesAtMostEveryInterval) {
  ManualClock clock;
  Captured c;
  ProgressReporter p("k", 4, clock, ProgressReporter::Mode::kTerminal, c.sink());
  EXPECT_TRUE(p.set(0));  // the first update shows the line at once
  EXPECT_FALSE(p.set(1));
  clock.advance(milliseconds(250));
  EXPECT_TRUE(p.set(2));
  EXPECT_FALSE(p.set(3));
  EXPECT_TRUE(p.set(4));  // complete: shown at once
  p.finish();
  ASSERT_EQ(c.lines.size(), 4u);
  EXPECT_EQ(c.lines[1], "k: 2/4 (50 %), 8.0/s, about 250 ms left");
  EXPECT_TRUE(c.finals.back());
}

TEST(ProgressReporter, UnknownTotalOnlyByInterval) {
  ManualClock clock;
  Captured c;
  ProgressReporter p("files", 0, clock, ProgressReporter::Mode::kLines, c.sink());
  for (int i = 0; i < 1000; ++i) EXPECT_FALSE(p.add());
  clock.advance(seconds(5));
  EXPECT_TRUE(p.add());
  EXPECT_EQ(c.lines.back(), "files: 1001, 200/s");
}

}  // namespace
}  // namespace phx
