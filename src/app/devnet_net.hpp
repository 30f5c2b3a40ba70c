#pragma once
/// `phalanx devnet --chaos-net`: every node in its own network namespace, joined by an emulated network (a
/// user-space packet switch over one TUN device per namespace) that delays, jitters and drops packets per link and
/// cuts links (an isolated node, a 2|2 split). The kernel this runs on has no `tc netem` (nor prio, gact or
/// iptables): the delay line lives in the devnet process instead. Docs: docs/devnet.md (Network faults).
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include "base/result.hpp"
#include "runtime/runtime.hpp"
#include "ssz/json.hpp"

namespace phx::app {

/// One direction of a link between two nodes: what the emulated network does to each packet.
struct LinkProfile {
  std::chrono::milliseconds delay{0};   ///< one-way delay
  std::chrono::milliseconds jitter{0};  ///< each packet's delay is uniform in delay ± jitter (order kept)
  double loss = 0;                      ///< probability in [0, 1) that a packet is dropped
  bool operator==(const LinkProfile&) const = default;
};

/// Inputs of the link profile: ranges the per-link figures are drawn from.
struct NetPlanOptions {
  std::uint64_t seed = 1;
  std::uint32_t nodes = 4;
  std::chrono::milliseconds delay_min{50}, delay_max{150};  ///< a cluster spread over continents
  std::chrono::milliseconds jitter{10};
  double loss_min = 0.01, loss_max = 0.05;
};

/// Per ordered pair (from, to) of distinct nodes the link's profile, a pure function of `o`: each unordered pair
/// gets one delay in [delay_min, delay_max] (both directions alike) and each direction its own loss in
/// [loss_min, loss_max]; the diagonal is all zero. Result[from][to].
std::vector<std::vector<LinkProfile>> plan_links(const NetPlanOptions& o);

/// Where a packet read from port `from` of the switch goes: the port of its IPv4 destination in the switch's
/// /24 (`subnet` = the first three octets; host .1..N are nodes 0..N-1, .254 is the host side, port N), or
/// nullopt for anything else (not IPv4, too short, another subnet or host). Pure; input is untrusted bytes.
std::optional<std::uint32_t> packet_port(std::span<const std::uint8_t> packet, const std::uint8_t (&subnet)[3],
                                         std::uint32_t nodes);

/// Whether the process can build the network: root, `ip` on PATH, /dev/net/tun. The reason when not.
Result<void, std::string> netlab_available();

/// Removes the namespaces `phx-chaos-<pid>-…` of earlier runs whose process is gone (a killed devnet cannot clean
/// up after itself). Returns how many were removed.
std::size_t remove_stale_namespaces();

/// The emulated network of a devnet: namespaces `phx-chaos-<pid>-<i>` (node i at 10.A.B.(i+1)/24 on its TUN
/// device `phx0`, loopback up) and a TUN device `phx<pid>` in this process's namespace at 10.A.B.254 (the host side:
/// the beacon-node proxies and the monitoring probes), all switched by this object on a thread of its own (so the
/// simulator's signature checks in the devnet's io thread never hold packets up). Links to and from the host side
/// are never delayed or cut (each operator's beacon node is its own, nearby). Removes every namespace and device it
/// made when destroyed. Threading: set_cut, isolate and split from any thread; stats after stop().
class NetLab {
 public:
  /// Builds the network for `nodes` nodes with `links` (plan_links) and starts switching; `log` receives the
  /// output of the `ip` commands. Errors name the step (the caller prints them; nothing is left behind).
  static Result<std::unique_ptr<NetLab>, std::string> create(std::uint32_t nodes,
                                                             std::vector<std::vector<LinkProfile>> links,
                                                             std::uint64_t seed, const std::filesystem::path& log);
  ~NetLab();
  NetLab(const NetLab&) = delete;
  NetLab& operator=(const NetLab&) = delete;

  /// The namespace of node i (for `ip netns exec`).
  std::string ns_name(std::uint32_t node) const;
  /// The command-line prefix that runs a program in node i's namespace: {"/path/to/ip", "netns", "exec", ns}.
  std::vector<std::string> exec_prefix(std::uint32_t node) const;
  /// Node i's address ("10.A.B.(i+1)").
  std::string node_address(std::uint32_t node) const;
  /// The host side's address ("10.A.B.254").
  std::string host_address() const;
  /// Cuts (or restores) the link between two nodes, both directions. Packets already in flight still arrive.
  void set_cut(std::uint32_t a, std::uint32_t b, bool cut);
  /// Cuts every link of `node` to the other nodes (true) or restores them.
  void isolate(std::uint32_t node, bool on);
  /// Cuts every link between the nodes with index < nodes/2 and the others (true) or restores them.
  void split(bool on);
  /// Stops switching (pending packets are dropped) and joins the switch's thread. Idempotent.
  void stop();
  /// Per link: packets forwarded, lost (loss draw), dropped while cut; the profile; per host link the totals.
  ssz::Json stats() const;

 private:
  struct Packet {
    std::chrono::steady_clock::time_point at;
    std::vector<std::uint8_t> bytes;
  };
  struct Link {
    LinkProfile profile;
    std::deque<Packet> queue;
    std::chrono::steady_clock::time_point last{};  ///< delivery time of the last packet queued (keeps order)
    std::unique_ptr<boost::asio::steady_timer> timer;
    std::uint64_t forwarded = 0, lost = 0, dropped_cut = 0, write_errors = 0;
  };
  NetLab(std::uint32_t nodes, std::uint64_t seed);
  runtime::Task<void> read_port(std::uint32_t port);
  runtime::Task<void> deliver(std::uint32_t from, std::uint32_t to);
  void route(std::uint32_t from, std::span<const std::uint8_t> packet);
  void write_to(std::uint32_t to, std::span<const std::uint8_t> packet, Link* link);
  Link& link(std::uint32_t from, std::uint32_t to) { return links_[from * (nodes_ + 1) + to]; }
  const Link& link(std::uint32_t from, std::uint32_t to) const { return links_[from * (nodes_ + 1) + to]; }
  double uniform();
  void teardown();

  boost::asio::io_context io_;  ///< the switch's; first member, so destroyed last
  std::uint32_t nodes_;
  std::uint64_t rng_;
  std::uint8_t subnet_[3] = {10, 0, 0};
  std::string prefix_;  ///< "phx-chaos-<pid>-"
  std::string host_dev_;
  std::string ip_path_;  ///< `ip`, as found on PATH
  std::filesystem::path log_;
  std::vector<std::string> namespaces_;  ///< created so far (removed in the destructor)
  std::vector<std::unique_ptr<boost::asio::posix::stream_descriptor>> ports_;  ///< nodes 0..N-1, host N
  std::vector<Link> links_;  ///< (N+1)², from-major
  std::unique_ptr<std::atomic<bool>[]> cut_;  ///< per link (same index as links_): cut
  std::thread thread_;
  bool stopped_ = false;  ///< switch thread only
};

}  // namespace phx::app
