// Progress lines of long commands: the formatting (rate, time left) and when a line is due (progress.hpp).
#include "base/progress.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include <fmt/format.h>

#include "base/log.hpp"

namespace phx {

namespace {

double seconds_of(Duration d) { return std::chrono::duration<double>(d).count(); }

std::string rate_text(std::uint64_t done, Duration elapsed) {
  const double s = seconds_of(elapsed);
  if (s <= 0) return "?/s";
  char buf[48];
  const double rate = static_cast<double>(done) / s;
  std::snprintf(buf, sizeof buf, rate >= 100 ? "%.0f/s" : "%.1f/s", rate);
  return buf;
}

}  // namespace

std::string format_duration(Duration d) {
  if (d < Duration::zero()) d = Duration::zero();
  const double s = seconds_of(d);
  char buf[48];
  if (s < 1) {
    std::snprintf(buf, sizeof buf, "%.0f ms", s * 1000);
    return buf;
  }
  const auto whole = static_cast<std::uint64_t>(std::llround(s));
  if (whole < 60)
    std::snprintf(buf, sizeof buf, "%llu s", static_cast<unsigned long long>(whole));
  else if (whole < 3600)
    std::snprintf(buf, sizeof buf, "%llu min %02llu s", static_cast<unsigned long long>(whole / 60),
                  static_cast<unsigned long long>(whole % 60));
  else
    std::snprintf(buf, sizeof buf, "%llu h %02llu min", static_cast<unsigned long long>(whole / 3600),
                  static_cast<unsigned long long>(whole % 3600 / 60));
  return buf;
}

std::string format_progress(std::string_view what, std::uint64_t done, std::uint64_t total, Duration elapsed) {
  const std::string rate = rate_text(done, elapsed);
  if (total == 0) return fmt::format("{}: {}, {}", what, done, rate);
  const auto pct = std::min<std::uint64_t>(done, total) * 100 / total;
  std::string left;
  const double s = seconds_of(elapsed);
  if (done >= total)
    left = "0 s";
  else if (done == 0 || s <= 0)
    left = "?";
  else
    left = "about " + format_duration(std::chrono::duration_cast<Duration>(
                          std::chrono::duration<double>(static_cast<double>(total - done) * s / static_cast<double>(done))));
  return fmt::format("{}: {}/{} ({} %), {}, {} left", what, done, total, pct, rate, left);
}

std::string format_progress_done(std::string_view what, std::uint64_t done, Duration elapsed) {
  return fmt::format("{}: {} in {} ({})", what, done, format_duration(elapsed), rate_text(done, elapsed));
}

ProgressReporter::ProgressReporter(std::string what, std::uint64_t total, const Clock& clock, Mode mode, Sink sink,
                                   Options options)
    : what_(std::move(what)),
      total_(total),
      clock_(clock),
      mode_(mode),
      sink_(std::move(sink)),
      options_(options),
      start_(clock.now()),
      last_line_(start_) {
  if (!(options_.line_step > 0 && options_.line_step <= 1)) options_.line_step = 0.10;
  next_step_ = total_ == 0 ? UINT64_MAX : std::max<std::uint64_t>(1, static_cast<std::uint64_t>(
                                                                         static_cast<double>(total_) * options_.line_step));
}

bool ProgressReporter::set(std::uint64_t done) {
  done_ = done;
  if (finished_) return false;
  const auto now = clock_.now();
  bool due = false;
  if (mode_ == Mode::kTerminal) {
    due = now - last_line_ >= options_.terminal_interval || (total_ != 0 && done >= total_) || !wrote_;
  } else {
    due = now - last_line_ >= options_.line_interval || done >= next_step_;
    if (done >= next_step_) {
      const auto step = std::max<std::uint64_t>(
          1, static_cast<std::uint64_t>(static_cast<double>(total_) * options_.line_step));
      next_step_ = (done / step + 1) * step;
    }
  }
  if (!due) return false;
  last_line_ = now;
  wrote_ = true;
  if (sink_) sink_(format_progress(what_, done, total_, now - start_), mode_, false);
  return true;
}

void ProgressReporter::finish() {
  if (finished_) return;
  finished_ = true;
  if (sink_) sink_(format_progress_done(what_, done_, clock_.now() - start_), mode_, true);
}

ProgressReporter::Mode ProgressReporter::stderr_mode() {
  return ::isatty(STDERR_FILENO) == 1 ? Mode::kTerminal : Mode::kLines;
}

ProgressReporter::Sink ProgressReporter::stderr_sink(Lines lines) {
  return [lines](std::string_view line, Mode mode, bool final) {
    if (mode == Mode::kLines && lines == Lines::kLog) {
      log::info("{}", line);
      return;
    }
    if (mode == Mode::kLines) {
      std::fprintf(stderr, "%.*s\n", static_cast<int>(line.size()), line.data());
      return;
    }
    // \r back to the line start, the text, then clear what a longer earlier line left behind.
    std::fprintf(stderr, "\r%.*s\x1b[K%s", static_cast<int>(line.size()), line.data(), final ? "\n" : "");
    std::fflush(stderr);
  };
}

ProgressReporter stderr_progress(std::string what, std::uint64_t total, ProgressReporter::Lines lines,
                                 ProgressReporter::Options options) {
  static const SystemClock clock;
  return ProgressReporter(std::move(what), total, clock, ProgressReporter::stderr_mode(),
                          ProgressReporter::stderr_sink(lines), options);
}

}  // namespace phx
