// Tests of the devnet's emulated network (--chaos-net): the link profile, packet routing and, as root, real
// namespaces whose TCP traffic sees the link's delay and its cut.
#include "app/devnet_net.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <future>
#include <thread>

namespace phx::app {
namespace {

using std::chrono::milliseconds;

TEST(NetPlan, DelaysAreSymmetricInRangeAndLossesPerDirection) {
  NetPlanOptions o;
  o.seed = 9;
  o.nodes = 5;
  auto l = plan_links(o);
  ASSERT_EQ(l.size(), 5u);
  std::set<std::int64_t> delays;
  for (std::uint32_t a = 0; a < 5; ++a)
    for (std::uint32_t b = 0; b < 5; ++b) {
      if (a == b) {
        EXPECT_EQ(l[a][b], LinkProfile{});
        continue;
      }
      EXPECT_EQ(l[a][b].delay, l[b][a].delay);
      EXPECT_GE(l[a][b].delay, milliseconds(50));
      EXPECT_LE(l[a][b].delay, milliseconds(150));
      EXPECT_EQ(l[a][b].jitter, milliseconds(10));
      EXPECT_GE(l[a][b].loss, 0.01);
      EXPECT_LE(l[a][b].loss, 0.05);
      delays.insert(l[a][b].delay.count());
    }
  EXPECT_GT(delays.size(), 3u) << "links differ";
  EXPECT_EQ(plan_links(o), l);
  o.seed = 10;
  EXPECT_NE(plan_links(o), l);
}

TEST(NetPacket, RoutesIpv4OfTheSubnetOnlyAndRejectsShortOrForeignPackets) {
  const std::uint8_t subnet[3] = {10, 201, 7};
  std::vector<std::uint8_t> p(40, 0);
  p[0] = 0x45;
  p[16] = 10, p[17] = 201, p[18] = 7, p[19] = 3;
  EXPECT_EQ(packet_port(p, subnet, 4), std::optional<std::uint32_t>(2));
  p[19] = 254;
  EXPECT_EQ(packet_port(p, subnet, 4), std::optional<std::uint32_t>(4)) << "the host side is port N";
  for (std::uint8_t bad : {std::uint8_t{0}, std::uint8_t{5}, std::uint8_t{255}}) {
    p[19] = bad;
    EXPECT_EQ(packet_port(p, subnet, 4), std::nullopt);
  }
  p[19] = 1;
  p[18] = 8;
  EXPECT_EQ(packet_port(p, subnet, 4), std::nullopt) << "another subnet";
  p[18] = 7;
  p[0] = 0x60;
  EXPECT_EQ(packet_port(p, subnet, 4), std::nullopt) << "IPv6";
  p[0] = 0x45;
  EXPECT_EQ(packet_port(std::span(p).first(19), subnet, 4), std::nullopt) << "too short";
  EXPECT_EQ(packet_port({}, subnet, 4), std::nullopt);
}

/// Runs `f` on a thread inside the network namespace `ns`.
template <class F>
auto in_namespace(const std::string& ns, F f) {
  return std::async(std::launch::async, [ns, f] {
    const int fd = ::open(("/run/netns/" + ns).c_str(), O_RDONLY | O_CLOEXEC);
    EXPECT_GE(fd, 0);
    EXPECT_EQ(::setns(fd, CLONE_NEWNET), 0);
    ::close(fd);
    return f();
  });
}

sockaddr_in address(const std::string& ip, std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  ::inet_pton(AF_INET, ip.c_str(), &a.sin_addr);
  return a;
}

/// Connects (waiting at most `wait`) and exchanges one byte with an echo server; the time it took, or nullopt.
std::optional<milliseconds> echo_round_trip(const std::string& ip, std::uint16_t port, milliseconds wait) {
  const int s = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  const auto t0 = std::chrono::steady_clock::now();
  auto a = address(ip, port);
  ::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
  pollfd p{s, POLLOUT, 0};
  int err = -1;
  socklen_t len = sizeof err;
  if (::poll(&p, 1, static_cast<int>(wait.count())) != 1 || ::getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len) != 0 ||
      err != 0) {
    ::close(s);
    return std::nullopt;
  }
  char c = 'x';
  bool ok = ::send(s, &c, 1, 0) == 1;
  p = pollfd{s, POLLIN, 0};
  ok = ok && ::poll(&p, 1, static_cast<int>(wait.count())) == 1 && ::recv(s, &c, 1, 0) == 1;
  ::close(s);
  if (!ok) return std::nullopt;
  return std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - t0);
}

TEST(NetLab, TcpBetweenNamespacesSeesTheLinkDelayAndNothingCrossesACut) {
  if (auto a = netlab_available(); !a) GTEST_SKIP() << a.error();
  std::vector<std::vector<LinkProfile>> links(2, std::vector<LinkProfile>(2));
  links[0][1] = links[1][0] = LinkProfile{milliseconds(100), milliseconds(0), 0.0};
  auto lab = NetLab::create(2, links, 1, "/dev/null");
  ASSERT_TRUE(lab) << lab.error();
  auto& net = **lab;
  const std::string ns0 = net.ns_name(0), ns1 = net.ns_name(1);
  EXPECT_TRUE(std::filesystem::exists("/run/netns/" + ns0));

  // An echo server in namespace 0, answering any number of connections until told to stop.
  std::atomic<bool> stop{false};
  std::promise<std::uint16_t> port_p;
  auto server = in_namespace(ns0, [&, addr = net.node_address(0)] {
    const int l = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    auto a = address(addr, 0);
    EXPECT_EQ(::bind(l, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    ::listen(l, 8);
    socklen_t len = sizeof a;
    ::getsockname(l, reinterpret_cast<sockaddr*>(&a), &len);
    port_p.set_value(ntohs(a.sin_port));
    while (!stop) {
      pollfd p{l, POLLIN, 0};
      if (::poll(&p, 1, 50) != 1) continue;
      const int c = ::accept(l, nullptr, nullptr);
      char ch = 0;
      pollfd q{c, POLLIN, 0};
      if (::poll(&q, 1, 5000) == 1 && ::recv(c, &ch, 1, 0) == 1) ::send(c, &ch, 1, 0);
      ::close(c);
    }
    ::close(l);
    return 0;
  });
  const std::uint16_t port = port_p.get_future().get();

  // Handshake and echo: two round trips of 2 × 100 ms.
  auto rtt = in_namespace(ns1, [&] { return echo_round_trip(net.node_address(0), port, milliseconds(5000)); }).get();
  ASSERT_TRUE(rtt);
  EXPECT_GE(*rtt, milliseconds(400));
  // The host side (the beacon nodes' side) reaches a node undelayed; no assertion on time, it just works.
  EXPECT_TRUE(echo_round_trip(net.node_address(0), port, milliseconds(5000)));

  net.isolate(1, true);
  EXPECT_FALSE(in_namespace(ns1, [&] { return echo_round_trip(net.node_address(0), port, milliseconds(1000)); }).get());
  net.isolate(1, false);
  EXPECT_TRUE(in_namespace(ns1, [&] { return echo_round_trip(net.node_address(0), port, milliseconds(5000)); }).get());

  stop = true;
  server.get();
  net.stop();
  bool cut_seen = false;
  for (const auto& l : net.stats())
    if (l["from"] == "1" && l["to"] == "0") cut_seen = l["dropped_cut"].get<std::uint64_t>() > 0;
  EXPECT_TRUE(cut_seen);
  lab->reset();
  EXPECT_FALSE(std::filesystem::exists("/run/netns/" + ns0)) << "namespaces removed";
  EXPECT_FALSE(std::filesystem::exists("/run/netns/" + ns1));
}

}  // namespace
}  // namespace phx::app
