#pragma once
/// A tiny Prometheus metrics registry: counters, gauges and fixed-bucket histograms, each a family with
/// optional labels, plus callback families that read a component's own plain metrics struct at render
/// time. `Registry::render()` produces the Prometheus text exposition format 0.0.4
/// (https://prometheus.io/docs/instrumenting/exposition_formats/): `# HELP` and `# TYPE` lines, one sample
/// per line, label values escaped (`\\`, `\"`, `\n`), histogram `_bucket{le=...}` / `_sum` / `_count`.
///
/// Pure: no I/O, no clock, no threads. Thread-compatible: one thread (the io thread) registers, updates and
/// renders. Metric objects live as long as their Registry and never move, so components may keep
/// references (`Counter&`) obtained at start-up.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace phx::metrics {

/// The Prometheus metric types rendered on the `# TYPE` line.
enum class MetricType : std::uint8_t { kCounter, kGauge, kHistogram };
/// "counter", "gauge" or "histogram".
const char* to_string(MetricType t);

/// A monotonically increasing value.
class Counter {
 public:
  /// Adds `v`. Precondition: v ≥ 0 (counters never go down; a negative or NaN `v` is ignored).
  void inc(double v = 1) {
    if (v >= 0) value_ += v;
  }
  /// Current value.
  double value() const { return value_; }

 private:
  double value_ = 0;
};

/// A value that goes up and down.
class Gauge {
 public:
  /// Sets the value.
  void set(double v) { value_ = v; }
  /// Adds `v` (may be negative).
  void inc(double v = 1) { value_ += v; }
  /// Subtracts `v`.
  void dec(double v = 1) { value_ -= v; }
  /// Current value.
  double value() const { return value_; }

 private:
  double value_ = 0;
};

/// Observations counted into fixed buckets (upper bounds, strictly increasing; `+Inf` is implicit).
class Histogram {
 public:
  /// Precondition: `bounds` strictly increasing and finite (checked by the registry).
  explicit Histogram(std::vector<double> bounds);
  /// Records one observation: every bucket with bound ≥ v counts it (rendered cumulatively). NaN is ignored.
  void observe(double v);
  /// Upper bounds (without +Inf).
  const std::vector<double>& bounds() const { return bounds_; }
  /// Non-cumulative count per bucket; the last entry is the +Inf bucket (size = bounds().size() + 1).
  const std::vector<std::uint64_t>& bucket_counts() const { return counts_; }
  /// Number of observations.
  std::uint64_t count() const { return count_; }
  /// Sum of observations.
  double sum() const { return sum_; }

 private:
  std::vector<double> bounds_;
  std::vector<std::uint64_t> counts_;
  std::uint64_t count_ = 0;
  double sum_ = 0;
};

/// Common bucket layouts.
/// `count` bounds start, start·factor, start·factor², … Preconditions: start > 0, factor > 1, count ≥ 1.
std::vector<double> exponential_buckets(double start, double factor, std::size_t count);
/// `count` bounds start, start+width, … Preconditions: width > 0, count ≥ 1.
std::vector<double> linear_buckets(double start, double width, std::size_t count);

/// A family of metrics of one name, one child per distinct tuple of label values.
template <class M>
class Family {
 public:
  /// The child for `values` (one per label name, in declaration order), created on first use.
  /// Precondition: values.size() == label_names().size() (PHX_ASSERT: a programming error).
  M& labels(const std::vector<std::string>& values);
  /// Same, from string literals: `family.labels({"attester"})`.
  M& labels(std::initializer_list<std::string_view> values);
  /// The child without labels. Precondition: the family has no label names.
  M& get() { return labels(std::vector<std::string>{}); }
  /// Label names given at registration.
  const std::vector<std::string>& label_names() const { return label_names_; }
  /// Children in label-value order (what render() writes).
  const std::map<std::vector<std::string>, std::unique_ptr<M>>& children() const { return children_; }

  /// Used by Registry only.
  Family(std::vector<std::string> label_names, std::vector<double> bounds)
      : label_names_(std::move(label_names)), bounds_(std::move(bounds)) {}

 private:
  std::vector<std::string> label_names_;
  std::vector<double> bounds_;  // histograms only
  std::map<std::vector<std::string>, std::unique_ptr<M>> children_;
};

using CounterFamily = Family<Counter>;
using GaugeFamily = Family<Gauge>;
using HistogramFamily = Family<Histogram>;

/// One sample produced by a callback family: label values (one per label name) and the value.
struct Sample {
  std::vector<std::string> label_values;
  double value = 0;
};
/// Produces the samples of a callback family at render time.
using Collector = std::function<std::vector<Sample>()>;

/// Owns metric families by name and renders them.
///
/// Registration preconditions (programming errors, checked with PHX_ASSERT, never reachable from untrusted
/// input): names match `[a-zA-Z_:][a-zA-Z0-9_:]*`, label names match `[a-zA-Z_][a-zA-Z0-9_]*` and do not
/// start with `__`, a histogram has no label named `le`, bounds are strictly increasing and finite.
/// Registering an existing name again with the same type and label names returns the existing family (so
/// that two components may share a family); with a different type or labels, or mixing a callback family
/// with an owned one, it is a programming error.
class Registry {
 public:
  Registry() = default;
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  /// A counter family. By convention the name ends in `_total`.
  CounterFamily& counter_family(std::string_view name, std::string_view help,
                                std::vector<std::string> label_names);
  /// A gauge family.
  GaugeFamily& gauge_family(std::string_view name, std::string_view help, std::vector<std::string> label_names);
  /// A histogram family with the given bucket bounds.
  HistogramFamily& histogram_family(std::string_view name, std::string_view help,
                                    std::vector<std::string> label_names, std::vector<double> bounds);

  /// Shorthands for a family without labels.
  Counter& counter(std::string_view name, std::string_view help) { return counter_family(name, help, {}).get(); }
  Gauge& gauge(std::string_view name, std::string_view help) { return gauge_family(name, help, {}).get(); }
  Histogram& histogram(std::string_view name, std::string_view help, std::vector<double> bounds) {
    return histogram_family(name, help, {}, std::move(bounds)).get();
  }

  /// A counter or gauge family whose samples `collect` computes at each render (e.g. from a component's
  /// plain metrics struct, or p2p peer state). Precondition: type is kCounter or kGauge; every sample has one
  /// value per label name. The callback must stay valid as long as the registry renders: a component that
  /// dies first must capture a weak reference and return no samples once gone. Registering the same callback
  /// family again (same type and labels) replaces its collector, so a re-created component takes over.
  void collect(std::string_view name, std::string_view help, MetricType type,
               std::vector<std::string> label_names, Collector collect);

  /// Whether a family of that name exists.
  bool contains(std::string_view name) const;

  /// The text exposition format 0.0.4 of every family, sorted by name; a family without children or samples
  /// still gets its HELP and TYPE lines.
  std::string render() const;

 private:
  struct Entry {
    MetricType type = MetricType::kCounter;
    std::string help;
    std::vector<std::string> label_names;
    std::unique_ptr<CounterFamily> counters;
    std::unique_ptr<GaugeFamily> gauges;
    std::unique_ptr<HistogramFamily> histograms;
    Collector collector;
  };
  Entry& add(std::string_view name, std::string_view help, MetricType type,
             const std::vector<std::string>& label_names, bool callback);

  std::map<std::string, Entry, std::less<>> entries_;
};

/// The content type of render()'s output.
inline constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

/// Escapes a label value for the exposition format (`\` → `\\`, `"` → `\"`, newline → `\n`).
std::string escape_label_value(std::string_view v);
/// Escapes HELP text (`\` → `\\`, newline → `\n`).
std::string escape_help(std::string_view v);
/// Formats a sample value: integers without a fraction ("3"), others in shortest round-trip form, and
/// "+Inf", "-Inf", "NaN".
std::string format_value(double v);

}  // namespace phx::metrics
