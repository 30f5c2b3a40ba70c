#pragma once
// Blocking calls for the CLI commands: one HTTP request to a running node (operator API, explain API), or any
// coroutine (e.g. beacon-node client calls) run to completion on a private io_context.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <optional>
#include <utility>

#include "beaconapi/http/client.hpp"

namespace phx::tools {

/// Runs `task` to completion on `io` (restarted first, so one io_context serves several calls in turn);
/// nullopt when the coroutine threw (never expected: the clients return errors as values).
template <class T>
std::optional<T> run_blocking(boost::asio::io_context& io, runtime::Task<T> task) {
  std::optional<T> got;
  io.restart();
  boost::asio::co_spawn(io, std::move(task), [&](std::exception_ptr e, T r) {
    if (!e) got.emplace(std::move(r));
  });
  io.run();
  return got;
}

/// Sends `req` to `ep` and waits for the answer on a private io_context. Errors: the client's (connect,
/// timeout, …); an internal failure of the coroutine is reported as HttpError::kConnect.
inline Result<beaconapi::http::ClientResponse> blocking_request(const beaconapi::http::Endpoint& ep,
                                                               const beaconapi::http::ClientRequest& req,
                                                               Duration timeout) {
  boost::asio::io_context io;
  std::optional<Result<beaconapi::http::ClientResponse>> got;
  boost::asio::co_spawn(io, beaconapi::http::send_request(ep, req, timeout),
                        [&](std::exception_ptr e, Result<beaconapi::http::ClientResponse> r) {
                          if (!e) got = std::move(r);
                        });
  io.run();
  if (!got) return std::unexpected(make_error_code(beaconapi::http::HttpError::kConnect));
  return std::move(*got);
}

}  // namespace phx::tools
