#pragma once
/// Test helpers shared by the HTTP server, monitoring and validator API tests. Test code only.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <cstdint>
#include <string>

#include "runtime/runtime.hpp"

namespace phx::beaconapi::http {

/// Sends `bytes` as is on a fresh connection to 127.0.0.1:`port` and returns everything the server sends back
/// until it closes the connection (to see exact status and header lines, or answers to bytes that are not HTTP).
inline runtime::Task<std::string> raw_exchange(std::uint16_t port, std::string bytes) {
  namespace asio = boost::asio;
  asio::ip::tcp::socket s(co_await asio::this_coro::executor);
  asio::ip::tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), port);
  co_await s.async_connect(ep, asio::use_awaitable);
  co_await asio::async_write(s, asio::buffer(bytes), asio::use_awaitable);
  std::string out;
  auto rres = co_await asio::async_read(s, asio::dynamic_buffer(out), asio::as_tuple(asio::use_awaitable));
  (void)rres;
  co_return out;
}

}  // namespace phx::beaconapi::http
