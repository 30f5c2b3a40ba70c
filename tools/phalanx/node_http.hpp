#pragma once
// One blocking HTTP request to a running node (operator API, explain API), for the CLI commands.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <optional>

#include "beaconapi/http/client.hpp"

namespace phx::tools {

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
