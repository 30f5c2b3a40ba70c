#pragma once
/// The Beacon API HTTP/1.1 server: Boost.Beast over C++20 coroutines on one executor (one io_context thread),
/// keep-alive, request size limits (413), malformed requests (400), routing through a Router, graceful stop
/// (stop accepting, close idle connections, let in-flight requests finish, then cancel what is left).
/// Listens on 127.0.0.1 unless told otherwise.
#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "beaconapi/http/router.hpp"
#include "runtime/runtime.hpp"

namespace phx::beaconapi::http {

/// Server settings.
struct ServerOptions {
  std::string address = "127.0.0.1";  ///< numeric IP to bind
  std::uint16_t port = 0;             ///< 0: an ephemeral port (read it with Server::port())
  Limits limits{};
  Duration idle_timeout = std::chrono::seconds(30);  ///< a keep-alive connection idle this long is closed
  Duration write_timeout = std::chrono::seconds(10);
  Duration stop_grace = std::chrono::seconds(2);  ///< in-flight requests get this long on stop()
};

/// Closes a connection whose request was refused before it was read to the end (413, 400): stops sending, then
/// reads and drops what the client still sends, for at most `max_time` and `max_bytes`, and closes. A client still
/// writing a body above the limit then reads the refusal instead of a connection reset (a "lingering close").
/// Cancelling the socket's operations (server stop) ends the wait at once.
runtime::Task<void> close_lingering(boost::asio::ip::tcp::socket& socket,
                                    Duration max_time = std::chrono::seconds(2),
                                    std::size_t max_bytes = std::size_t{64} << 20);

/// An HTTP server. Threading: all members must be called from the executor's thread; the Router must outlive
/// the server. Lifetime: after start(), co_await stop() before destroying the server (connection coroutines
/// refer to it until stop() returns).
class Server {
 public:
  /// Does not bind yet.
  Server(runtime::Executor ex, const Router& router, ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// Binds, listens and starts accepting. Errors: the bind/listen error (e.g. address in use, bad address).
  Result<void> start();
  /// The bound port (after start()).
  std::uint16_t port() const { return port_; }
  /// Graceful stop: no new connections, idle connections closed, in-flight requests finish within
  /// stop_grace, then everything left is cancelled. Returns when every connection is closed.
  runtime::Task<void> stop();
  /// Requests answered so far (including error answers).
  std::uint64_t requests_served() const { return *served_; }
  /// Connections currently open.
  std::size_t open_connections() const { return sessions_->size(); }

 private:
  struct SessionState;
  runtime::Task<void> accept_loop();
  runtime::Task<void> session(boost::asio::ip::tcp::socket socket, std::uint64_t id);

  runtime::Executor ex_;
  const Router& router_;
  ServerOptions options_;
  boost::asio::ip::tcp::acceptor acceptor_;
  runtime::TaskGroup accept_group_;
  runtime::TaskGroup sessions_group_;
  std::shared_ptr<std::map<std::uint64_t, SessionState*>> sessions_;
  std::shared_ptr<std::uint64_t> served_;
  std::uint64_t next_id_ = 0;
  std::uint16_t port_ = 0;
  bool stopping_ = false;
};

}  // namespace phx::beaconapi::http
