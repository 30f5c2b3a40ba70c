#pragma once
/// Forwarding of validator-client requests to the beacon node(s): one request per call on a fresh connection,
/// failover over the configured endpoints like http::BeaconNodeClient (transport error, timeout or 5xx → next
/// endpoint; a failed endpoint is skipped until its re-check time), and byte-for-byte streaming of
/// server-sent events (GET /eth/v1/events). Internal to the validator API (Beast types in the interface).
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "beaconapi/http/client.hpp"
#include "runtime/runtime.hpp"

namespace phx::beaconapi::vapi {

/// A Beast request / response with a string body.
using BeastRequest = boost::beast::http::request<boost::beast::http::string_body>;
using BeastResponse = boost::beast::http::response<boost::beast::http::string_body>;

/// Forwards requests to a list of beacon nodes. Threading: one executor.
class BnProxy {
 public:
  /// `endpoints` in preference order; precondition: non-empty.
  BnProxy(std::vector<http::Endpoint> endpoints, Duration timeout, Duration recheck_after, std::size_t body_limit);

  /// Sends `req` (method, target, body and every end-to-end header; Host and Connection are the proxy's) to
  /// the first healthy endpoint, failing over on transport errors, timeouts and 5xx. Returns the beacon node's
  /// response (status, body, end-to-end headers unchanged); when every endpoint answered 5xx, the last such
  /// answer. Errors: a reason when no endpoint answered at all.
  runtime::Task<Result<BeastResponse, std::string>> forward(const BeastRequest& req);

  /// Streams the answer to `req` (an event stream) from the first reachable endpoint to `client`, byte for
  /// byte (headers included), until the beacon node or the client closes or the calling coroutine is
  /// cancelled. Returns false when no endpoint could be reached (nothing was written to the client then).
  runtime::Task<bool> stream(const BeastRequest& req, boost::beast::tcp_stream& client);

  /// Index of the endpoint that answered last.
  std::size_t last_used() const { return last_used_; }

 private:
  struct State {
    http::Endpoint ep;
    std::chrono::steady_clock::time_point unhealthy_until{};
  };
  /// Endpoint indices in the order to try: healthy ones first, then the rest.
  std::vector<std::size_t> order() const;
  void mark_failed(std::size_t i);

  std::vector<State> endpoints_;
  Duration timeout_;
  Duration recheck_after_;
  std::size_t body_limit_;
  std::size_t last_used_ = 0;
};

}  // namespace phx::beaconapi::vapi
