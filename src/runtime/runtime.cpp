#include "runtime/runtime.hpp"

#include <boost/system/system_error.hpp>

#include "base/log.hpp"

namespace phx::runtime {

const char* to_string(RuntimeError e) {
  switch (e) {
    case RuntimeError::kOk:
      return "ok";
    case RuntimeError::kTimeout:
      return "timed out";
    case RuntimeError::kClosed:
      return "closed";
  }
  return "unknown runtime error";
}

Task<void> sleep_for(Duration d) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  timer.expires_after(std::chrono::duration_cast<asio::steady_timer::duration>(d));
  co_await timer.async_wait(asio::use_awaitable);
}

Task<Result<void>> with_timeout(Task<void> task, Duration d) {
  using namespace asio::experimental::awaitable_operators;
  asio::steady_timer timer(co_await asio::this_coro::executor);
  timer.expires_after(std::chrono::duration_cast<asio::steady_timer::duration>(d));
  auto r = co_await (std::move(task) || timer.async_wait(asio::use_awaitable));
  if (r.index() == 0) co_return Result<void>{};
  co_return fail(RuntimeError::kTimeout);
}

Event::Event(Executor ex) : timer_(std::move(ex)) {
  timer_.expires_at(asio::steady_timer::time_point::max());
}

Task<void> Event::wait() {
  boost::system::error_code ec;
  co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  // operation_aborted is both "notified" and "cancelled": tell them apart by the coroutine's cancellation
  // state.
  auto cs = co_await asio::this_coro::cancellation_state;
  if (cs.cancelled() != asio::cancellation_type::none) {
    throw boost::system::system_error(asio::error::operation_aborted);
  }
}

void Event::notify_all() {
  timer_.cancel();
}

TaskGroup::TaskGroup(Executor ex) : ex_(ex), state_(std::make_shared<State>(ex)) {}

TaskGroup::~TaskGroup() {
  stop();
}

void TaskGroup::spawn(Task<void> task) {
  if (state_->stopped) return;
  auto id = state_->next_id++;
  auto sig = std::make_unique<asio::cancellation_signal>();
  auto slot = sig->slot();
  state_->running.emplace(id, std::move(sig));
  asio::co_spawn(
      ex_, std::move(task), asio::bind_cancellation_slot(slot, [st = state_, id](std::exception_ptr e) {
        if (e) {
          try {
            std::rethrow_exception(e);
          } catch (const boost::system::system_error& se) {
            if (se.code() != asio::error::operation_aborted) log::warn("task ended: {}", se.what());
          } catch (const std::exception& ex) {
            log::warn("task ended with exception: {}", ex.what());
          } catch (...) {
            log::warn("task ended with unknown exception");
          }
        }
        // The signal may be emitting right now (stop()); destroy it after this handler returns.
        auto it = st->running.find(id);
        if (it != st->running.end()) {
          auto sig_owner = std::move(it->second);
          st->running.erase(it);
          asio::post(st->ex, [s = std::shared_ptr<asio::cancellation_signal>(std::move(sig_owner))] {});
        }
        if (st->running.empty()) st->done.notify_all();
      }));
}

void TaskGroup::stop() {
  state_->stopped = true;
  std::vector<asio::cancellation_signal*> sigs;
  for (auto& [id, sig] : state_->running) sigs.push_back(sig.get());
  for (auto* s : sigs) s->emit(asio::cancellation_type::terminal);
}

Task<void> TaskGroup::join() {
  auto st = state_;
  while (!st->running.empty()) co_await st->done.wait();
}

std::size_t TaskGroup::size() const {
  return state_->running.size();
}

}  // namespace phx::runtime
