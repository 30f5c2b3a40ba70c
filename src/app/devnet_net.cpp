// `phalanx devnet --chaos-net`: network namespaces joined by a user-space packet switch with per-link delay,
// jitter, loss and cuts.
#include "app/devnet_net.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

extern char** environ;

namespace phx::app {

namespace fs = std::filesystem;
namespace asio = boost::asio;
using runtime::Task;
using std::chrono::milliseconds;

namespace {

constexpr const char* kPrefix = "phx-chaos-";
constexpr std::size_t kMaxPacket = 65536;

/// splitmix64 step.
std::uint64_t mix(std::uint64_t& s) {
  std::uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

double unit(std::uint64_t& s) { return static_cast<double>(mix(s) >> 11) * 0x1.0p-53; }

/// Runs a command (argv[0] looked up on PATH), its output appended to `log`; waits for it. Errors: spawn failure
/// or a non-zero exit, with the command line.
Result<void, std::string> run_command(const std::vector<std::string>& argv, const fs::path& log) {
  std::string line;
  for (const auto& a : argv) line += (line.empty() ? "" : " ") + a;
  std::vector<char*> cargv;
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  if (!log.empty()) {
    posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    posix_spawn_file_actions_adddup2(&fa, STDOUT_FILENO, STDERR_FILENO);
  }
  pid_t pid = 0;
  const int rc = ::posix_spawnp(&pid, cargv[0], &fa, nullptr, cargv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) return std::unexpected(line + ": " + std::strerror(rc));
  int st = 0;
  while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
    return std::unexpected(line + ": failed (status " + std::to_string(st) + ", see " + log.string() + ")");
  return {};
}

/// Opens a TUN device `name` (no packet information header, non-blocking) in the network namespace at `ns_path`
/// (empty: this one). The namespace switch happens on a short-lived thread, so this thread stays where it is.
Result<int, std::string> open_tun(const std::string& name, const std::string& ns_path) {
  int fd = -1;
  std::string err;
  std::thread t([&] {
    if (!ns_path.empty()) {
      const int ns = ::open(ns_path.c_str(), O_RDONLY | O_CLOEXEC);
      if (ns < 0 || ::setns(ns, CLONE_NEWNET) != 0) {
        err = ns_path + ": " + std::strerror(errno);
        if (ns >= 0) ::close(ns);
        return;
      }
      ::close(ns);
    }
    fd = ::open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
      err = std::string("/dev/net/tun: ") + std::strerror(errno);
      return;
    }
    ifreq ifr{};
    ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
    std::strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
    if (::ioctl(fd, TUNSETIFF, &ifr) != 0) {
      err = "TUNSETIFF " + name + ": " + std::strerror(errno);
      ::close(fd);
      fd = -1;
    }
  });
  t.join();
  if (fd < 0) return std::unexpected(err);
  return fd;
}

/// A /24 in 10.0.0.0/8 that no interface of this namespace uses, derived from the pid (two devnets at once get
/// different ones).
std::optional<std::array<std::uint8_t, 3>> free_subnet() {
  std::vector<std::uint32_t> used;
  ifaddrs* ifa = nullptr;
  if (::getifaddrs(&ifa) == 0) {
    for (auto* p = ifa; p != nullptr; p = p->ifa_next)
      if (p->ifa_addr != nullptr && p->ifa_addr->sa_family == AF_INET)
        used.push_back(ntohl(reinterpret_cast<sockaddr_in*>(p->ifa_addr)->sin_addr.s_addr) >> 8);
    ::freeifaddrs(ifa);
  }
  const auto pid = static_cast<std::uint32_t>(::getpid());
  for (std::uint32_t i = 0; i < 2500; ++i) {
    const std::uint32_t k = pid + i;
    const std::array<std::uint8_t, 3> s{10, static_cast<std::uint8_t>(200 + k % 50),
                                        static_cast<std::uint8_t>((k / 50) % 256)};
    const std::uint32_t net = (10u << 16) | (std::uint32_t{s[1]} << 8) | s[2];
    if (std::find(used.begin(), used.end(), net) == used.end()) return s;
  }
  return std::nullopt;
}

std::string dotted(const std::uint8_t (&s)[3], unsigned host) {
  return std::to_string(s[0]) + "." + std::to_string(s[1]) + "." + std::to_string(s[2]) + "." + std::to_string(host);
}

}  // namespace

std::vector<std::vector<LinkProfile>> plan_links(const NetPlanOptions& o) {
  std::vector<std::vector<LinkProfile>> out(o.nodes, std::vector<LinkProfile>(o.nodes));
  std::uint64_t s = o.seed ^ 0x6e6574ULL;  // "net": another stream than the fault schedule's
  const auto span = std::max<std::int64_t>(0, (o.delay_max - o.delay_min).count());
  for (std::uint32_t a = 0; a < o.nodes; ++a)
    for (std::uint32_t b = a + 1; b < o.nodes; ++b) {
      const milliseconds d = o.delay_min + milliseconds(static_cast<std::int64_t>(mix(s) % static_cast<std::uint64_t>(span + 1)));
      for (auto [x, y] : {std::pair{a, b}, std::pair{b, a}}) {
        auto& l = out[x][y];
        l.delay = d;
        l.jitter = std::min(o.jitter, d);
        l.loss = o.loss_min + (o.loss_max - o.loss_min) * unit(s);
      }
    }
  return out;
}

std::optional<std::uint32_t> packet_port(std::span<const std::uint8_t> packet, const std::uint8_t (&subnet)[3],
                                         std::uint32_t nodes) {
  if (packet.size() < 20 || (packet[0] >> 4) != 4) return std::nullopt;
  if (packet[16] != subnet[0] || packet[17] != subnet[1] || packet[18] != subnet[2]) return std::nullopt;
  const std::uint32_t host = packet[19];
  if (host == 254) return nodes;
  if (host >= 1 && host <= nodes) return host - 1;
  return std::nullopt;
}

Result<void, std::string> netlab_available() {
  if (::geteuid() != 0) return std::unexpected(std::string("--chaos-net needs root (network namespaces)"));
  if (::access("/dev/net/tun", R_OK | W_OK) != 0)
    return std::unexpected(std::string("--chaos-net needs /dev/net/tun: ") + std::strerror(errno));
  if (auto r = run_command({"ip", "netns", "list"}, "/dev/null"); !r)
    return std::unexpected("--chaos-net needs iproute2 with network namespaces: " + r.error());
  return {};
}

std::size_t remove_stale_namespaces() {
  std::size_t removed = 0;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/run/netns", ec)) {
    const std::string name = e.path().filename().string();
    if (name.rfind(kPrefix, 0) != 0) continue;
    const auto rest = name.substr(std::strlen(kPrefix));
    const auto dash = rest.find('-');
    if (dash == std::string::npos) continue;
    const long pid = std::strtol(rest.substr(0, dash).c_str(), nullptr, 10);
    if (pid <= 0 || pid == ::getpid() || ::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;
    if (run_command({"ip", "netns", "del", name}, "/dev/null")) ++removed;
  }
  return removed;
}

NetLab::NetLab(std::uint32_t nodes, std::uint64_t seed) : nodes_(nodes), rng_(seed ^ 0x6c6f7373ULL) {
  prefix_ = std::string(kPrefix) + std::to_string(::getpid()) + "-";
  host_dev_ = "phx" + std::to_string(::getpid());
  const std::size_t n = std::size_t{nodes + 1} * (nodes + 1);
  links_.resize(n);
  cut_ = std::make_unique<std::atomic<bool>[]>(n);
  for (std::size_t i = 0; i < n; ++i) cut_[i] = false;
}

Result<std::unique_ptr<NetLab>, std::string> NetLab::create(std::uint32_t nodes,
                                                            std::vector<std::vector<LinkProfile>> links,
                                                            std::uint64_t seed, const fs::path& log) {
  if (nodes < 1 || nodes > 200) return std::unexpected(std::string("--chaos-net: 1 to 200 nodes"));
  if (auto a = netlab_available(); !a) return std::unexpected(a.error());
  remove_stale_namespaces();
  std::unique_ptr<NetLab> lab(new NetLab(nodes, seed));
  auto ex = lab->io_.get_executor();
  lab->log_ = log;
  const char* path = std::getenv("PATH");
  std::string dirs = std::string(path != nullptr ? path : "") + ":/usr/sbin:/sbin:/usr/bin:/bin";
  for (std::size_t a = 0; lab->ip_path_.empty() && a <= dirs.size();) {
    auto b = dirs.find(':', a);
    if (b == std::string::npos) b = dirs.size();
    const fs::path cand = fs::path(dirs.substr(a, b - a)) / "ip";
    if (b > a && ::access(cand.c_str(), X_OK) == 0) lab->ip_path_ = cand.string();
    a = b + 1;
  }
  if (lab->ip_path_.empty()) return std::unexpected(std::string("--chaos-net: `ip` not found"));
  auto subnet = free_subnet();
  if (!subnet) return std::unexpected(std::string("--chaos-net: no free 10.x.y.0/24 subnet"));
  std::copy(subnet->begin(), subnet->end(), lab->subnet_);
  for (std::uint32_t i = 0; i < nodes; ++i) {
    const std::string ns = lab->ns_name(i);
    if (auto r = run_command({"ip", "netns", "add", ns}, log); !r) return std::unexpected(r.error());
    lab->namespaces_.push_back(ns);
    auto fd = open_tun("phx0", "/run/netns/" + ns);
    if (!fd) return std::unexpected("namespace " + ns + ": " + fd.error());
    lab->ports_.push_back(std::make_unique<asio::posix::stream_descriptor>(ex, *fd));
    for (const auto& cmd : std::vector<std::vector<std::string>>{
             {"ip", "-n", ns, "link", "set", "lo", "up"},
             {"ip", "-n", ns, "addr", "add", lab->node_address(i) + "/24", "dev", "phx0"},
             {"ip", "-n", ns, "link", "set", "phx0", "up"}})
      if (auto r = run_command(cmd, log); !r) return std::unexpected(r.error());
  }
  auto fd = open_tun(lab->host_dev_, "");
  if (!fd) return std::unexpected("host side: " + fd.error());
  lab->ports_.push_back(std::make_unique<asio::posix::stream_descriptor>(ex, *fd));
  for (const auto& cmd : std::vector<std::vector<std::string>>{
           {"ip", "addr", "add", lab->host_address() + "/24", "dev", lab->host_dev_},
           {"ip", "link", "set", lab->host_dev_, "up"}})
    if (auto r = run_command(cmd, log); !r) return std::unexpected(r.error());
  for (std::uint32_t a = 0; a <= nodes; ++a)
    for (std::uint32_t b = 0; b <= nodes; ++b) {
      auto& l = lab->link(a, b);
      if (a < nodes && b < nodes && a < links.size() && b < links[a].size()) l.profile = links[a][b];
      l.timer = std::make_unique<asio::steady_timer>(ex);
    }
  for (std::uint32_t p = 0; p <= nodes; ++p) asio::co_spawn(ex, lab->read_port(p), asio::detached);
  for (std::uint32_t a = 0; a < nodes; ++a)
    for (std::uint32_t b = 0; b < nodes; ++b)
      if (a != b) asio::co_spawn(ex, lab->deliver(a, b), asio::detached);
  NetLab* raw = lab.get();
  lab->thread_ = std::thread([raw] { raw->io_.run(); });
  return lab;
}

NetLab::~NetLab() { teardown(); }

void NetLab::stop() {
  if (!thread_.joinable()) return;
  // The switch's coroutines never resume again; their frames go with the context.
  io_.stop();
  thread_.join();
}

void NetLab::teardown() {
  stop();
  for (auto& p : ports_)
    if (p) {
      boost::system::error_code ec;
      p->close(ec);  // a non-persistent TUN device disappears with its last descriptor
    }
  ports_.clear();
  for (const auto& ns : namespaces_) (void)run_command({"ip", "netns", "del", ns}, log_);
  namespaces_.clear();
}

std::vector<std::string> NetLab::exec_prefix(std::uint32_t node) const {
  return {ip_path_, "netns", "exec", ns_name(node)};
}

std::string NetLab::ns_name(std::uint32_t node) const { return prefix_ + std::to_string(node); }
std::string NetLab::node_address(std::uint32_t node) const { return dotted(subnet_, node + 1); }
std::string NetLab::host_address() const { return dotted(subnet_, 254); }

void NetLab::set_cut(std::uint32_t a, std::uint32_t b, bool cut) {
  if (a >= nodes_ || b >= nodes_ || a == b) return;
  cut_[a * (nodes_ + 1) + b] = cut;
  cut_[b * (nodes_ + 1) + a] = cut;
}

void NetLab::isolate(std::uint32_t node, bool on) {
  for (std::uint32_t o = 0; o < nodes_; ++o) set_cut(node, o, on);
}

void NetLab::split(bool on) {
  for (std::uint32_t a = 0; a < nodes_ / 2; ++a)
    for (std::uint32_t b = nodes_ / 2; b < nodes_; ++b) set_cut(a, b, on);
}

double NetLab::uniform() { return unit(rng_); }

Task<void> NetLab::read_port(std::uint32_t port) {
  std::vector<std::uint8_t> buf(kMaxPacket);
  while (!stopped_) {
    auto [ec, n] = co_await ports_[port]->async_read_some(asio::buffer(buf),
                                                          asio::as_tuple(asio::use_awaitable));
    if (stopped_ || ec == asio::error::operation_aborted) co_return;
    if (ec) {
      co_await runtime::sleep_for(milliseconds(10));  // e.g. EIO while the device is still down
      continue;
    }
    route(port, std::span<const std::uint8_t>(buf.data(), n));
  }
}

void NetLab::route(std::uint32_t from, std::span<const std::uint8_t> packet) {
  auto to = packet_port(packet, subnet_, nodes_);
  if (!to || *to == from) return;
  auto& l = link(from, *to);
  if (from == nodes_ || *to == nodes_) {  // the host side: no delay, never cut
    write_to(*to, packet, &l);
    return;
  }
  if (cut_[from * (nodes_ + 1) + *to]) {
    ++l.dropped_cut;
    return;
  }
  if (l.profile.loss > 0 && uniform() < l.profile.loss) {
    ++l.lost;
    return;
  }
  auto delay = std::chrono::duration<double, std::milli>(static_cast<double>(l.profile.delay.count()));
  if (l.profile.jitter.count() > 0)
    delay += std::chrono::duration<double, std::milli>(static_cast<double>(l.profile.jitter.count()) *
                                                       (2 * uniform() - 1));
  const auto at = std::max(std::chrono::steady_clock::now() +
                               std::chrono::duration_cast<std::chrono::steady_clock::duration>(delay),
                           l.last);
  l.last = at;
  const bool was_empty = l.queue.empty();
  l.queue.push_back(Packet{at, std::vector<std::uint8_t>(packet.begin(), packet.end())});
  if (was_empty) l.timer->cancel();  // wake the link's delivery task
}

Task<void> NetLab::deliver(std::uint32_t from, std::uint32_t to) {
  auto& l = link(from, to);
  while (!stopped_) {
    if (l.queue.empty())
      l.timer->expires_at(std::chrono::steady_clock::time_point::max());
    else
      l.timer->expires_at(l.queue.front().at);
    auto [ec] = co_await l.timer->async_wait(asio::as_tuple(asio::use_awaitable));
    (void)ec;
    const auto now = std::chrono::steady_clock::now();
    while (!stopped_ && !l.queue.empty() && l.queue.front().at <= now) {
      write_to(to, l.queue.front().bytes, &l);
      l.queue.pop_front();
    }
  }
}

void NetLab::write_to(std::uint32_t to, std::span<const std::uint8_t> packet, Link* l) {
  if (to >= ports_.size() || !ports_[to]) return;
  const auto w = ::write(ports_[to]->native_handle(), packet.data(), packet.size());
  if (w == static_cast<ssize_t>(packet.size()))
    ++l->forwarded;
  else
    ++l->write_errors;
}

ssz::Json NetLab::stats() const {
  ssz::Json out = ssz::Json::array();
  for (std::uint32_t a = 0; a <= nodes_; ++a)
    for (std::uint32_t b = 0; b <= nodes_; ++b) {
      if (a == b) continue;
      const auto& l = link(a, b);
      if (l.forwarded + l.lost + l.dropped_cut + l.write_errors == 0) continue;
      ssz::Json j = {{"from", a == nodes_ ? std::string("host") : std::to_string(a)},
                     {"to", b == nodes_ ? std::string("host") : std::to_string(b)},
                     {"forwarded", l.forwarded},
                     {"lost", l.lost},
                     {"dropped_cut", l.dropped_cut},
                     {"write_errors", l.write_errors}};
      if (a < nodes_ && b < nodes_) {
        j["delay_ms"] = l.profile.delay.count();
        j["jitter_ms"] = l.profile.jitter.count();
        j["loss"] = l.profile.loss;
      }
      out.push_back(std::move(j));
    }
  return out;
}

}  // namespace phx::app
