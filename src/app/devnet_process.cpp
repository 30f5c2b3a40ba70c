// `phalanx devnet` child processes: spawn in an own process group with PR_SET_PDEATHSIG, signal, stop, reap.
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <set>
#include <thread>

#include "app/devnet.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "app/fs.hpp"

namespace phx::app {

Result<ChildProcess, std::string> ChildProcess::spawn(std::span<const std::string> argv,
                                                      const std::filesystem::path& log_file,
                                                      std::span<const std::string> env) {
  if (argv.empty()) return std::unexpected(std::string("empty command line"));
  int log_fd = ::open(log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (log_fd < 0) return std::unexpected(log_file.string() + ": " + std::strerror(errno));
  // Everything the child needs is prepared before fork (no allocation after fork).
  std::vector<std::string> env_storage(env.begin(), env.end());
  std::vector<char*> cargv, cenv;
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  std::set<std::string> overridden;
  for (const auto& e : env_storage) overridden.insert(e.substr(0, e.find('=')));
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view kv(*e);
    if (!overridden.contains(std::string(kv.substr(0, kv.find('='))))) cenv.push_back(*e);
  }
  for (auto& e : env_storage) cenv.push_back(e.data());
  cenv.push_back(nullptr);
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) {
    int err = errno;
    ::close(log_fd);
    return std::unexpected(std::string("fork: ") + std::strerror(err));
  }
  if (pid == 0) {
    // Child: own process group (so a signal reaches its helpers too), die with the parent.
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(126);  // the parent died before prctl took effect
    ::dup2(log_fd, STDOUT_FILENO);
    ::dup2(log_fd, STDERR_FILENO);
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, STDIN_FILENO);
    // Nothing else of the parent's: its sockets (Asio's are not close-on-exec) would outlive their closing in
    // the parent, e.g. a listener the devnet stops (a chaos BN outage) kept accepting in every child.
    ::close_range(3, ~0U, 0);
    ::execve(cargv[0], cargv.data(), cenv.data());
    const char msg[] = "exec failed\n";
    [[maybe_unused]] auto w = ::write(STDERR_FILENO, msg, sizeof msg - 1);
    ::_exit(127);
  }
  ::setpgid(pid, pid);  // also from the parent: no race with the first signal
  ::close(log_fd);
  return ChildProcess(pid);
}

ChildProcess::ChildProcess(ChildProcess&& o) noexcept : pid_(std::exchange(o.pid_, 0)), status_(o.status_) {}

ChildProcess& ChildProcess::operator=(ChildProcess&& o) noexcept {
  if (this != &o) {
    if (pid_ != 0 && !status_) stop(std::chrono::milliseconds(0));
    pid_ = std::exchange(o.pid_, 0);
    status_ = o.status_;
  }
  return *this;
}

ChildProcess::~ChildProcess() {
  if (pid_ != 0 && !status_) stop(std::chrono::milliseconds(0));
}

bool ChildProcess::running() {
  if (pid_ == 0 || status_) return false;
  int st = 0;
  pid_t r = ::waitpid(pid_, &st, WNOHANG);
  if (r == pid_) {
    status_ = st;
    return false;
  }
  if (r < 0 && errno == ECHILD) {
    status_ = 0;
    return false;
  }
  return true;
}

void ChildProcess::signal(int sig) {
  if (pid_ == 0 || status_) return;
  if (::kill(-pid_, sig) != 0) ::kill(pid_, sig);
}

int ChildProcess::stop(std::chrono::milliseconds grace) {
  if (pid_ == 0) return 0;
  if (status_) return *status_;
  if (grace.count() > 0) {
    signal(SIGTERM);
    auto deadline = std::chrono::steady_clock::now() + grace;
    while (running() && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (status_) return *status_;
  }
  signal(SIGKILL);
  int st = 0;
  while (::waitpid(pid_, &st, 0) < 0 && errno == EINTR) {
  }
  status_ = st;
  return st;
}

std::string describe_status(int status) {
  if (WIFEXITED(status)) return "exited " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    int sig = WTERMSIG(status);
    const char* name = sigabbrev_np(sig);
    return std::string("killed by ") + (name != nullptr ? std::string("SIG") + name : std::to_string(sig));
  }
  return "status " + std::to_string(status);
}

namespace {
/// A /proc file's text.
std::string read_proc(const std::string& path) {
  std::ifstream f(path);  // /proc files report size 0: read as a stream
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}
}  // namespace

std::optional<std::pair<double, double>> process_usage(pid_t pid) {
  std::string stat = read_proc("/proc/" + std::to_string(pid) + "/stat");
  auto close = stat.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream in(stat.substr(close + 2));
  std::string field;
  std::uint64_t utime = 0, stime = 0;
  for (int i = 3; i <= 15 && in >> field; ++i) {
    if (i == 14) utime = std::strtoull(field.c_str(), nullptr, 10);
    if (i == 15) stime = std::strtoull(field.c_str(), nullptr, 10);
  }
  double cpu = static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
  std::string status = read_proc("/proc/" + std::to_string(pid) + "/status");
  double rss_mb = 0;
  if (auto pos = status.find("VmHWM:"); pos != std::string::npos)
    rss_mb = static_cast<double>(std::strtoull(status.c_str() + pos + 6, nullptr, 10)) / 1024.0;
  return std::pair<double, double>{cpu, rss_mb};
}

Result<std::uint16_t, std::string> free_port() {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor a(io);
  boost::system::error_code ec;
  a.open(boost::asio::ip::tcp::v4(), ec);
  if (!ec) a.bind(boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address_v4("127.0.0.1"), 0), ec);
  if (ec) return std::unexpected("cannot find a free port: " + ec.message());
  return a.local_endpoint().port();
}

std::string read_text(const std::filesystem::path& p) {
  auto b = read_file(p, 256u << 20);
  if (!b) return {};
  return std::string(b->begin(), b->end());
}

}  // namespace phx::app
