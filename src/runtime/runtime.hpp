#pragma once
/// Asio glue for the network thread (GUIDE §6): Task<T> = asio::awaitable<T>, sleep and timeouts, an Event to
/// wake waiting coroutines, a bounded Channel<T>, and a TaskGroup for structured concurrency (no detached
/// tasks: every coroutine belongs to a group that can be stopped and joined).
/// Threading: every object here belongs to one executor and must only be used from that executor's thread.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <cstddef>
#include <deque>
#include <exception>
#include <map>
#include <memory>
#include <optional>
#include <utility>
#include <variant>

#include "base/clock.hpp"
#include "base/result.hpp"

namespace phx::runtime {

namespace asio = boost::asio;

/// A coroutine returning T, run by an Asio executor.
template <class T = void>
using Task = asio::awaitable<T>;
/// The executor type used throughout.
using Executor = asio::any_io_executor;

/// Reasons a runtime operation can fail.
enum class RuntimeError { kOk = 0, kTimeout, kClosed };
const char* to_string(RuntimeError e);
PHX_ERROR_ENUM(RuntimeError, "runtime")

/// Suspends the calling coroutine for `d` (cancellable: throws on cancellation like every Asio operation).
Task<void> sleep_for(Duration d);

/// Runs `task` with a deadline: its value, or RuntimeError::kTimeout if `d` passes first (the task is then
/// cancelled). Exceptions thrown by `task` propagate.
template <class T>
Task<Result<T>> with_timeout(Task<T> task, Duration d) {
  using namespace asio::experimental::awaitable_operators;
  asio::steady_timer timer(co_await asio::this_coro::executor);
  timer.expires_after(std::chrono::duration_cast<asio::steady_timer::duration>(d));
  auto r = co_await (std::move(task) || timer.async_wait(asio::use_awaitable));
  if (r.index() == 0) co_return std::move(std::get<0>(r));
  co_return fail(RuntimeError::kTimeout);
}

/// Void overload of with_timeout.
Task<Result<void>> with_timeout(Task<void> task, Duration d);

/// A level-less wake-up: wait() suspends until the next notify_all(). Consumers re-check their condition in a
/// loop (there is no lost wake-up on a single thread because the check and the wait are not interleaved).
class Event {
 public:
  explicit Event(Executor ex);
  /// Suspends until notify_all(); throws asio's operation_aborted if the awaiting coroutine is cancelled.
  Task<void> wait();
  /// Wakes every coroutine suspended in wait().
  void notify_all();

 private:
  asio::steady_timer timer_;
};

/// A bounded single-thread queue with an awaitable receive. Producers never block: try_push refuses when
/// full, push_drop_oldest evicts the oldest item (returns how many were dropped).
template <class T>
class Channel {
 public:
  /// `capacity` ≥ 1.
  Channel(Executor ex, std::size_t capacity) : event_(ex), capacity_(capacity < 1 ? 1 : capacity) {}

  /// Appends `v` unless full or closed; returns whether it was queued.
  bool try_push(T v) {
    if (closed_ || items_.size() >= capacity_) return false;
    items_.push_back(std::move(v));
    event_.notify_all();
    return true;
  }
  /// Appends `v`, evicting the oldest items while full; returns the number evicted (0 when closed: nothing
  /// queued).
  std::size_t push_drop_oldest(T v) {
    if (closed_) return 0;
    std::size_t dropped = 0;
    while (items_.size() >= capacity_) {
      items_.pop_front();
      ++dropped;
    }
    items_.push_back(std::move(v));
    event_.notify_all();
    return dropped;
  }
  /// The next item, or nullopt once the channel is closed and drained.
  Task<std::optional<T>> receive() {
    while (items_.empty()) {
      if (closed_) co_return std::nullopt;
      co_await event_.wait();
    }
    T v = std::move(items_.front());
    items_.pop_front();
    co_return std::optional<T>(std::move(v));
  }
  /// Closes: queued items can still be received, later pushes are refused.
  void close() {
    closed_ = true;
    event_.notify_all();
  }
  std::size_t size() const { return items_.size(); }
  bool closed() const { return closed_; }

 private:
  Event event_;
  std::deque<T> items_;
  std::size_t capacity_;
  bool closed_ = false;
};

/// Owns a set of coroutines: spawn() starts one, stop() cancels all (terminal cancellation), join() waits
/// until all have finished. The destructor stops the group; tasks finishing later touch only shared state,
/// but a task must not use objects that die with its owner after stop() unless the owner joins first.
class TaskGroup {
 public:
  explicit TaskGroup(Executor ex);
  ~TaskGroup();
  TaskGroup(const TaskGroup&) = delete;
  TaskGroup& operator=(const TaskGroup&) = delete;

  /// Starts `task` on the group's executor. An exception escaping the task is logged and swallowed (a task
  /// failing must not bring the process down). After stop(), spawn() does nothing.
  void spawn(Task<void> task);
  /// Requests cancellation of every running task.
  void stop();
  /// Suspends until every task has finished.
  Task<void> join();
  /// Number of tasks still running.
  std::size_t size() const;
  /// The executor tasks run on.
  Executor executor() const { return ex_; }

 private:
  struct State {
    explicit State(Executor e) : ex(e), done(e) {}
    Executor ex;
    std::map<std::uint64_t, std::unique_ptr<asio::cancellation_signal>> running;
    std::uint64_t next_id = 0;
    bool stopped = false;
    Event done;
  };
  Executor ex_;
  std::shared_ptr<State> state_;
};

}  // namespace phx::runtime

PHX_ERROR_ENUM_TRAIT(phx::runtime::RuntimeError)
