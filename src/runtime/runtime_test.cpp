#include "runtime/runtime.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

namespace phx::runtime {
namespace {

using namespace std::chrono_literals;

template <class F>
void run(F body) {
  asio::io_context ioc;
  auto fut = asio::co_spawn(ioc, body(), asio::use_future);
  ioc.run();
  fut.get();
}

TEST(RuntimeChannel, DropOldestKeepsNewestAndCountsDrops) {
  run([]() -> Task<void> {
    Channel<int> ch(co_await asio::this_coro::executor, 2);
    EXPECT_EQ(ch.push_drop_oldest(1), 0u);
    EXPECT_EQ(ch.push_drop_oldest(2), 0u);
    EXPECT_EQ(ch.push_drop_oldest(3), 1u);
    EXPECT_FALSE(ch.try_push(4));
    EXPECT_EQ(*co_await ch.receive(), 2);
    EXPECT_EQ(*co_await ch.receive(), 3);
    ch.close();
    EXPECT_FALSE((co_await ch.receive()).has_value());
  });
}

TEST(RuntimeChannel, ReceiveWaitsForAProducer) {
  run([]() -> Task<void> {
    auto ex = co_await asio::this_coro::executor;
    Channel<int> ch(ex, 4);
    TaskGroup g(ex);
    g.spawn([](Channel<int>& c) -> Task<void> {
      co_await sleep_for(10ms);
      c.try_push(42);
    }(ch));
    auto v = co_await ch.receive();
    EXPECT_EQ(v.value_or(0), 42);
    co_await g.join();
  });
}

TEST(RuntimeWithTimeout, ReturnsValueOrTimeout) {
  run([]() -> Task<void> {
    auto fast = co_await with_timeout([]() -> Task<int> { co_return 7; }(), 1s);
    EXPECT_TRUE(fast.has_value());
    if (!fast) co_return;
    EXPECT_EQ(*fast, 7);
    auto slow = co_await with_timeout(
        []() -> Task<int> {
          co_await sleep_for(10s);
          co_return 1;
        }(),
        20ms);
    EXPECT_FALSE(slow.has_value());
    if (slow) co_return;
    EXPECT_EQ(slow.error(), make_error_code(RuntimeError::kTimeout));
  });
}

TEST(RuntimeTaskGroup, StopCancelsSleepersAndJoinReturns) {
  run([]() -> Task<void> {
    auto ex = co_await asio::this_coro::executor;
    TaskGroup g(ex);
    int finished = 0;
    for (int i = 0; i < 3; ++i) {
      g.spawn([](int& f) -> Task<void> {
        co_await sleep_for(1h);
        ++f;
      }(finished));
    }
    Event ev(ex);
    g.spawn([](Event& e) -> Task<void> { co_await e.wait(); }(ev));
    co_await sleep_for(5ms);
    EXPECT_EQ(g.size(), 4u);
    auto t0 = std::chrono::steady_clock::now();
    g.stop();
    co_await g.join();
    EXPECT_EQ(g.size(), 0u);
    EXPECT_EQ(finished, 0);
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);
    g.spawn([](int& f) -> Task<void> {
      ++f;
      co_return;
    }(finished));
    EXPECT_EQ(g.size(), 0u);  // stopped groups take no new tasks
  });
}

}  // namespace
}  // namespace phx::runtime
