#include "metrics/registry.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <type_traits>

#include "base/assert.hpp"

namespace phx::metrics {

const char* to_string(MetricType t) {
  switch (t) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
  }
  return "untyped";
}

Histogram::Histogram(std::vector<double> bounds) : bounds_(std::move(bounds)), counts_(bounds_.size() + 1, 0) {}

void Histogram::observe(double v) {
  if (std::isnan(v)) return;
  // First bucket whose upper bound is ≥ v (Prometheus buckets are "less than or equal").
  auto it = std::lower_bound(bounds_.begin(), bounds_.end(), v);
  ++counts_[static_cast<std::size_t>(it - bounds_.begin())];
  ++count_;
  sum_ += v;
}

std::vector<double> exponential_buckets(double start, double factor, std::size_t count) {
  PHX_ASSERT(start > 0 && factor > 1 && count >= 1);
  std::vector<double> out;
  out.reserve(count);
  double v = start;
  for (std::size_t i = 0; i < count; ++i, v *= factor) out.push_back(v);
  return out;
}

std::vector<double> linear_buckets(double start, double width, std::size_t count) {
  PHX_ASSERT(width > 0 && count >= 1);
  std::vector<double> out;
  out.reserve(count);
  for (std::size_t i = 0; i < count; ++i) out.push_back(start + width * static_cast<double>(i));
  return out;
}

template <class M>
M& Family<M>::labels(const std::vector<std::string>& values) {
  PHX_ASSERT(values.size() == label_names_.size());
  auto it = children_.find(values);
  if (it == children_.end()) {
    std::unique_ptr<M> child;
    if constexpr (std::is_same_v<M, Histogram>) {
      child = std::make_unique<Histogram>(bounds_);
    } else {
      child = std::make_unique<M>();
    }
    it = children_.emplace(values, std::move(child)).first;
  }
  return *it->second;
}

template <class M>
M& Family<M>::labels(std::initializer_list<std::string_view> values) {
  std::vector<std::string> v;
  v.reserve(values.size());
  for (auto s : values) v.emplace_back(s);
  return labels(v);
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

namespace {

bool valid_metric_name(std::string_view n) {
  if (n.empty()) return false;
  for (std::size_t i = 0; i < n.size(); ++i) {
    char c = n[i];
    bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
    bool digit = c >= '0' && c <= '9';
    if (!(alpha || (i > 0 && digit))) return false;
  }
  return true;
}

bool valid_label_name(std::string_view n) {
  if (n.empty() || n.starts_with("__")) return false;
  for (std::size_t i = 0; i < n.size(); ++i) {
    char c = n[i];
    bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    bool digit = c >= '0' && c <= '9';
    if (!(alpha || (i > 0 && digit))) return false;
  }
  return true;
}

void write_labels(std::string& out, const std::vector<std::string>& names, const std::vector<std::string>& values,
                  std::string_view extra_name = {}, std::string_view extra_value = {}) {
  if (names.empty() && extra_name.empty()) return;
  out += '{';
  bool first = true;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (!first) out += ',';
    first = false;
    out += names[i];
    out += "=\"";
    out += escape_label_value(values[i]);
    out += '"';
  }
  if (!extra_name.empty()) {
    if (!first) out += ',';
    out += extra_name;
    out += "=\"";
    out += extra_value;
    out += '"';
  }
  out += '}';
}

void write_sample(std::string& out, std::string_view name, std::string_view suffix,
                  const std::vector<std::string>& names, const std::vector<std::string>& values, double v,
                  std::string_view extra_name = {}, std::string_view extra_value = {}) {
  out += name;
  out += suffix;
  write_labels(out, names, values, extra_name, extra_value);
  out += ' ';
  out += format_value(v);
  out += '\n';
}

}  // namespace

std::string escape_label_value(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string escape_help(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string format_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  // Integral values below 2^53 print exactly without a fraction or exponent.
  if (v == std::floor(v) && std::fabs(v) < 9007199254740992.0) {
    auto i = static_cast<std::int64_t>(v);
    return std::to_string(i);
  }
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

Registry::Entry& Registry::add(std::string_view name, std::string_view help, MetricType type,
                               const std::vector<std::string>& label_names, bool callback) {
  PHX_ASSERT(valid_metric_name(name));
  for (const auto& l : label_names) {
    PHX_ASSERT(valid_label_name(l));
    PHX_ASSERT(!(type == MetricType::kHistogram && l == "le"));
  }
  for (std::size_t i = 0; i < label_names.size(); ++i) {
    for (std::size_t j = i + 1; j < label_names.size(); ++j) PHX_ASSERT(label_names[i] != label_names[j]);
  }
  auto it = entries_.find(name);
  if (it != entries_.end()) {
    // Re-registration must describe the same family, of the same kind (callback or owned children).
    PHX_ASSERT(it->second.type == type && it->second.label_names == label_names);
    PHX_ASSERT(callback == static_cast<bool>(it->second.collector));
    return it->second;
  }
  Entry e;
  e.type = type;
  e.help = std::string(help);
  e.label_names = label_names;
  return entries_.emplace(std::string(name), std::move(e)).first->second;
}

CounterFamily& Registry::counter_family(std::string_view name, std::string_view help,
                                        std::vector<std::string> label_names) {
  auto& e = add(name, help, MetricType::kCounter, label_names, false);
  if (!e.counters) e.counters = std::make_unique<CounterFamily>(std::move(label_names), std::vector<double>{});
  return *e.counters;
}

GaugeFamily& Registry::gauge_family(std::string_view name, std::string_view help,
                                    std::vector<std::string> label_names) {
  auto& e = add(name, help, MetricType::kGauge, label_names, false);
  if (!e.gauges) e.gauges = std::make_unique<GaugeFamily>(std::move(label_names), std::vector<double>{});
  return *e.gauges;
}

HistogramFamily& Registry::histogram_family(std::string_view name, std::string_view help,
                                            std::vector<std::string> label_names, std::vector<double> bounds) {
  for (std::size_t i = 0; i < bounds.size(); ++i) {
    PHX_ASSERT(std::isfinite(bounds[i]));
    PHX_ASSERT(i == 0 || bounds[i - 1] < bounds[i]);
  }
  auto& e = add(name, help, MetricType::kHistogram, label_names, false);
  if (!e.histograms) {
    e.histograms = std::make_unique<HistogramFamily>(std::move(label_names), std::move(bounds));
  }
  return *e.histograms;
}

void Registry::collect(std::string_view name, std::string_view help, MetricType type,
                       std::vector<std::string> label_names, Collector fn) {
  PHX_ASSERT(type == MetricType::kCounter || type == MetricType::kGauge);
  PHX_ASSERT(static_cast<bool>(fn));
  auto& e = add(name, help, type, label_names, true);
  e.collector = std::move(fn);
}

bool Registry::contains(std::string_view name) const { return entries_.find(name) != entries_.end(); }

std::string Registry::render() const {
  std::string out;
  for (const auto& [name, e] : entries_) {
    out += "# HELP ";
    out += name;
    out += ' ';
    out += escape_help(e.help);
    out += "\n# TYPE ";
    out += name;
    out += ' ';
    out += to_string(e.type);
    out += '\n';
    if (e.counters) {
      for (const auto& [values, c] : e.counters->children()) write_sample(out, name, "", e.label_names, values, c->value());
    }
    if (e.gauges) {
      for (const auto& [values, g] : e.gauges->children()) write_sample(out, name, "", e.label_names, values, g->value());
    }
    if (e.histograms) {
      for (const auto& [values, h] : e.histograms->children()) {
        std::uint64_t cumulative = 0;
        for (std::size_t i = 0; i < h->bounds().size(); ++i) {
          cumulative += h->bucket_counts()[i];
          write_sample(out, name, "_bucket", e.label_names, values, static_cast<double>(cumulative), "le",
                       format_value(h->bounds()[i]));
        }
        write_sample(out, name, "_bucket", e.label_names, values, static_cast<double>(h->count()), "le", "+Inf");
        write_sample(out, name, "_sum", e.label_names, values, h->sum());
        write_sample(out, name, "_count", e.label_names, values, static_cast<double>(h->count()));
      }
    }
    if (e.collector) {
      auto samples = e.collector();
      // Stable output: samples sorted by label values.
      std::sort(samples.begin(), samples.end(),
                [](const Sample& a, const Sample& b) { return a.label_values < b.label_values; });
      for (const auto& s : samples) {
        PHX_ASSERT(s.label_values.size() == e.label_names.size());
        write_sample(out, name, "", e.label_names, s.label_values, s.value);
      }
    }
  }
  return out;
}

}  // namespace phx::metrics
