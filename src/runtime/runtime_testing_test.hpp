// Test helpers for coroutine tests on one io_context: run a test body to completion, poll a condition.
#pragma once

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <chrono>

#include "runtime/runtime.hpp"

namespace phx::runtime {

/// Runs `body(ioc)` (a coroutine) on a fresh io_context until everything on it has finished; rethrows what the
/// body threw.
template <class F>
void run_test(F body) {
  asio::io_context ioc;
  auto fut = asio::co_spawn(ioc, body(ioc), asio::use_future);
  ioc.run();
  fut.get();
}

/// Polls `cond` every 5 ms until true (true) or `timeout` passes (false).
template <class C>
Task<bool> eventually(C cond, Duration timeout) {
  auto end = std::chrono::steady_clock::now() + timeout;
  while (!cond()) {
    if (std::chrono::steady_clock::now() > end) co_return false;
    co_await sleep_for(std::chrono::milliseconds(5));
  }
  co_return true;
}

}  // namespace phx::runtime
