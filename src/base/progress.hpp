#pragma once
/// Progress of a long command (create cluster, combine, the DKG, keystore decryption at start-up): count, share,
/// rate and time left, either as one line rewritten in place with `\r` (stderr is a terminal) or as plain log
/// lines every few seconds or every 10 % (a file, a pipe, journald). The time comes from an injected Clock and the
/// output goes to a sink, so the formatting and the rate/ETA math are tested without a terminal or a real clock.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "base/clock.hpp"

namespace phx {

/// "850 ms", "42 s", "3 min 05 s", "2 h 07 min": a rounded, human-readable duration (negative counts as 0).
std::string format_duration(Duration d);

/// The progress of `done` of `total` after `elapsed`: "<what>: 120/1000 (12 %), 30.0/s, about 29 s left".
/// The rate is done / elapsed and the time left (total − done) / rate; both are "?" while unknown (nothing done
/// yet, or no time elapsed). `total` 0 means an unknown total: "<what>: 120, 30.0/s". `done` above `total` is
/// shown as is, with 0 s left.
std::string format_progress(std::string_view what, std::uint64_t done, std::uint64_t total, Duration elapsed);

/// The closing line: "<what>: 1000 in 33 s (30.0/s)".
std::string format_progress_done(std::string_view what, std::uint64_t done, Duration elapsed);

/// Reports the progress of one count. Not thread-safe: call it from one thread (workers bump an atomic, the
/// caller polls it and calls set()).
class ProgressReporter {
 public:
  /// How lines are written.
  enum class Mode : std::uint8_t {
    kTerminal,  ///< one line rewritten in place (`\r`), at most every Options::terminal_interval
    kLines,     ///< a plain line every Options::line_interval or every Options::line_step of the total
  };
  /// Receives each line; `final` is true for the closing line (a terminal sink ends it with a newline).
  using Sink = std::function<void(std::string_view line, Mode mode, bool final)>;
  /// When lines are due.
  struct Options {
    Duration line_interval = std::chrono::seconds(5);         ///< kLines: at least one line this often
    double line_step = 0.10;                                  ///< kLines: a line at each such share of the total
    Duration terminal_interval = std::chrono::milliseconds(200);  ///< kTerminal: at most one update this often
  };

  /// Starts counting at `clock.now()`. `total` 0: unknown total (no share, no time left). `clock` outlives this.
  ProgressReporter(std::string what, std::uint64_t total, const Clock& clock, Mode mode, Sink sink,
                   Options options);
  ProgressReporter(std::string what, std::uint64_t total, const Clock& clock, Mode mode, Sink sink)
      : ProgressReporter(std::move(what), total, clock, mode, std::move(sink), Options{}) {}

  /// Sets the count to `done` and writes a line when one is due. Returns whether it wrote one.
  bool set(std::uint64_t done);
  /// Adds `n` to the count (set(count() + n)).
  bool add(std::uint64_t n = 1) { return set(done_ + n); }
  /// Writes the closing line (once; later calls do nothing).
  void finish();
  /// The count so far.
  std::uint64_t count() const { return done_; }

  /// kTerminal when stderr is a terminal, else kLines.
  static Mode stderr_mode();
  /// Where kLines lines go: stderr (a command whose stdout is its result) or log::info (the node's log).
  enum class Lines : std::uint8_t { kStderr, kLog };
  /// The sink of stderr_progress(): kTerminal lines go to stderr with `\r` and a clear-to-end-of-line, the final
  /// one with a newline; kLines lines go to `lines`.
  static Sink stderr_sink(Lines lines);

 private:
  std::string what_;
  std::uint64_t total_;
  const Clock& clock_;
  Mode mode_;
  Sink sink_;
  Options options_;
  TimePoint start_;
  TimePoint last_line_;
  std::uint64_t done_ = 0;
  std::uint64_t next_step_ = 0;  // kLines: the count at which the next 10 % line is due
  bool wrote_ = false;           // kTerminal: a line is on screen (finish() ends it)
  bool finished_ = false;
};

/// A reporter on stderr (one line updated in place on a terminal, else plain lines to `lines`; see
/// ProgressReporter::stderr_mode) with the system clock.
ProgressReporter stderr_progress(std::string what, std::uint64_t total,
                                 ProgressReporter::Lines lines = ProgressReporter::Lines::kStderr,
                                 ProgressReporter::Options options = ProgressReporter::Options{});

}  // namespace phx
