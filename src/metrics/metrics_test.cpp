// Tests of the Prometheus registry: exact rendered text for each metric type, labels and escaping.
#include <gtest/gtest.h>

#include <limits>

#include "metrics/registry.hpp"

namespace phx::metrics {
namespace {

TEST(MetricsRegistry, RendersCounterAndGaugeWithHelpAndType) {
  Registry r;
  auto& c = r.counter("phalanx_test_total", "Things counted.");
  c.inc();
  c.inc(2);
  c.inc(-5);  // ignored: counters never go down
  auto& g = r.gauge("phalanx_gauge", "A level.");
  g.set(10);
  g.dec(2.5);
  EXPECT_EQ(r.render(),
            "# HELP phalanx_gauge A level.\n"
            "# TYPE phalanx_gauge gauge\n"
            "phalanx_gauge 7.5\n"
            "# HELP phalanx_test_total Things counted.\n"
            "# TYPE phalanx_test_total counter\n"
            "phalanx_test_total 3\n");
}

TEST(MetricsRegistry, LabelledChildrenAreSortedAndEscaped) {
  Registry r;
  auto& f = r.counter_family("duties_total", "Duties by type.", {"type", "result"});
  f.labels({"proposer", "ok"}).inc();
  f.labels({"attester", "ok"}).inc(4);
  f.labels({"attester", "bad \"x\"\\\n"}).inc();
  EXPECT_EQ(r.render(),
            "# HELP duties_total Duties by type.\n"
            "# TYPE duties_total counter\n"
            "duties_total{type=\"attester\",result=\"bad \\\"x\\\"\\\\\\n\"} 1\n"
            "duties_total{type=\"attester\",result=\"ok\"} 4\n"
            "duties_total{type=\"proposer\",result=\"ok\"} 1\n");
}

TEST(MetricsRegistry, HistogramBucketsAreCumulativeWithInf) {
  Registry r;
  auto& h = r.histogram("latency_seconds", "Latency.", {0.1, 1, 2.5});
  h.observe(0.05);
  h.observe(0.1);  // le is inclusive
  h.observe(2);
  h.observe(100);
  h.observe(std::numeric_limits<double>::quiet_NaN());  // ignored
  EXPECT_EQ(h.count(), 4u);
  EXPECT_EQ(r.render(),
            "# HELP latency_seconds Latency.\n"
            "# TYPE latency_seconds histogram\n"
            "latency_seconds_bucket{le=\"0.1\"} 2\n"
            "latency_seconds_bucket{le=\"1\"} 2\n"
            "latency_seconds_bucket{le=\"2.5\"} 3\n"
            "latency_seconds_bucket{le=\"+Inf\"} 4\n"
            "latency_seconds_sum 102.15\n"
            "latency_seconds_count 4\n");
}

TEST(MetricsRegistry, LabelledHistogramPutsLeLast) {
  Registry r;
  auto& f = r.histogram_family("rounds", "Rounds.", {"duty"}, linear_buckets(1, 1, 2));
  f.labels({"attester"}).observe(1);
  auto text = r.render();
  EXPECT_NE(text.find("rounds_bucket{duty=\"attester\",le=\"1\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("rounds_bucket{duty=\"attester\",le=\"+Inf\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("rounds_count{duty=\"attester\"} 1\n"), std::string::npos) << text;
}

TEST(MetricsRegistry, HelpIsEscapedAndEmptyFamiliesKeepHeaders) {
  Registry r;
  r.counter_family("a_total", "line1\nback\\slash", {"x"});
  EXPECT_EQ(r.render(), "# HELP a_total line1\\nback\\\\slash\n# TYPE a_total counter\n");
}

TEST(MetricsRegistry, ReRegistrationReturnsSameFamily) {
  Registry r;
  auto& a = r.counter("x_total", "X.");
  auto& b = r.counter("x_total", "X.");
  EXPECT_EQ(&a, &b);
  a.inc();
  EXPECT_EQ(b.value(), 1);
  EXPECT_TRUE(r.contains("x_total"));
  EXPECT_FALSE(r.contains("y_total"));
}

TEST(MetricsRegistry, CollectorsAreReadAtRenderTime) {
  Registry r;
  int peers = 2;
  r.collect("peers_connected", "Peers.", MetricType::kGauge, {"peer"}, [&peers] {
    std::vector<Sample> s;
    for (int i = peers - 1; i >= 0; --i) s.push_back({{std::to_string(i)}, 1});
    return s;
  });
  EXPECT_EQ(r.render(),
            "# HELP peers_connected Peers.\n# TYPE peers_connected gauge\n"
            "peers_connected{peer=\"0\"} 1\npeers_connected{peer=\"1\"} 1\n");
  peers = 0;
  EXPECT_EQ(r.render(), "# HELP peers_connected Peers.\n# TYPE peers_connected gauge\n");
  // A re-created component registers again: its collector replaces the old one.
  r.collect("peers_connected", "Peers.", MetricType::kGauge, {"peer"},
            [] { return std::vector<Sample>{{{"9"}, 2}}; });
  EXPECT_EQ(r.render(), "# HELP peers_connected Peers.\n# TYPE peers_connected gauge\npeers_connected{peer=\"9\"} 2\n");
}

TEST(MetricsFormat, Values) {
  EXPECT_EQ(format_value(0), "0");
  EXPECT_EQ(format_value(-3), "-3");
  EXPECT_EQ(format_value(0.25), "0.25");
  EXPECT_EQ(format_value(1e300), "1e+300");
  EXPECT_EQ(format_value(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(format_value(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(format_value(std::numeric_limits<double>::quiet_NaN()), "NaN");
}

TEST(MetricsBuckets, Layouts) {
  EXPECT_EQ(exponential_buckets(0.01, 2, 3), (std::vector<double>{0.01, 0.02, 0.04}));
  EXPECT_EQ(linear_buckets(1, 2, 3), (std::vector<double>{1, 3, 5}));
}

TEST(MetricsRegistryDeathTest, BadNamesAreProgrammingErrors) {
  Registry r;
  EXPECT_DEATH(r.counter("1bad", "x"), "PHX_ASSERT");
  EXPECT_DEATH(r.counter_family("ok_total", "x", {"__reserved"}), "PHX_ASSERT");
  EXPECT_DEATH(r.histogram_family("h", "x", {"le"}, {1}), "PHX_ASSERT");
  EXPECT_DEATH(r.histogram("h2", "x", {2, 1}), "PHX_ASSERT");
  r.counter("owned_total", "x");
  EXPECT_DEATH(r.collect("owned_total", "x", MetricType::kCounter, {}, [] { return std::vector<Sample>{}; }),
               "PHX_ASSERT");
  EXPECT_DEATH(r.gauge("owned_total", "x"), "PHX_ASSERT");
}

}  // namespace
}  // namespace phx::metrics
