// Beacon simulator's event stream (GET /eth/v1/events) read with stream_events: a head event per slot whose
// dependent roots match the duties' dependent roots, topic checks, several subscribers, keep-alive comments.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>

#include "beaconapi/http/events.hpp"
#include "sim/sim_test_env.hpp"

namespace phx::sim {
namespace {

using bapi::http::HeadEvent;
using bapi::http::SseEvent;
using bapi::http::StreamEnd;
using namespace std::chrono_literals;

/// Events received by one subscriber, with a wake-up for waiters.
struct Received {
  explicit Received(const runtime::Executor& ex) : changed(ex) {}
  std::vector<HeadEvent> heads;
  std::vector<std::string> others;  ///< types of non-head events
  std::size_t malformed = 0;
  std::optional<Result<void>> result;
  runtime::Event changed;

  std::function<void(const SseEvent&)> sink() {
    return [this](const SseEvent& e) {
      if (e.type == "head") {
        auto h = bapi::http::decode_head_event(e.data);
        if (h) {
          heads.push_back(*h);
        } else {
          ++malformed;
        }
      } else {
        others.push_back(e.type);
      }
      changed.notify_all();
    };
  }
  /// Waits until at least `n` head events arrived (false after `limit`: a generous bound, not a timing check).
  Task<bool> wait_heads(std::size_t n, Duration limit = 20s) {
    auto waiting = wait_until([this, n] { return heads.size() >= n; });
    auto r = co_await runtime::with_timeout(std::move(waiting), limit);
    co_return r.has_value();
  }
  Task<bool> wait_result(Duration limit = 20s) {
    auto waiting = wait_until([this] { return result.has_value(); });
    auto r = co_await runtime::with_timeout(std::move(waiting), limit);
    co_return r.has_value();
  }

 private:
  template <class Pred>
  Task<void> wait_until(Pred pred) {
    while (!pred()) co_await changed.wait();
  }
};

/// Starts a stream of `topics` on `port` whose events go to `rx`; emitting `signal` cancels it.
void subscribe(const runtime::Executor& ex, std::uint16_t port, std::vector<std::string> topics, Received& rx,
               asio::cancellation_signal& signal) {
  auto streaming = bapi::http::stream_events(Endpoint{"127.0.0.1", port}, std::move(topics), rx.sink(), 5s, 60s);
  asio::co_spawn(ex, std::move(streaming),
                 asio::bind_cancellation_slot(signal.slot(), [&rx](std::exception_ptr e, Result<void> r) {
                   EXPECT_FALSE(e);
                   rx.result = r;
                   rx.changed.notify_all();
                 }));
}

BeaconSimConfig fast_config(const Env& env) {
  auto c = env.config(eth::Fork::kDeneb);
  c.event_poll = std::chrono::milliseconds(5);
  return c;
}

/// Advances the manual clock one slot at a time until `rx` saw a head event (the stream is live from then on).
Task<bool> until_live(ManualClock& clock, const BeaconSim& sim, Received& rx) {
  for (int i = 0; i < 200 && rx.heads.empty(); ++i) {
    clock.advance(std::chrono::seconds(sim.config().chain.seconds_per_slot));
    co_await runtime::sleep_for(50ms);
  }
  co_return !rx.heads.empty();
}

/// Serves `sim` on a loopback port and runs `body(executor, server)`; stops the server afterwards.
template <class Body>
void serve(BeaconSim& sim, Body body) {
  asio::io_context io;
  auto top = [&]() -> Task<void> {
    auto ex = io.get_executor();
    Server server(ex, sim.router(), ServerOptions{});
    EXPECT_TRUE(server.start().has_value());
    co_await body(ex, server);
    co_await server.stop();
  };
  asio::co_spawn(io, top(), [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
  });
  io.run();
}

TEST(BeaconSimEvents, DependentRootsFollowTheSpecAndGenesis) {
  Env env;
  BeaconSim sim(env.config(eth::Fork::kDeneb), env.clock);
  const auto spe = sim.config().chain.slots_per_epoch;
  const Root genesis = sim.block_root(Slot{0});
  EXPECT_EQ(sim.attester_dependent_root(Epoch{0}), genesis);
  EXPECT_EQ(sim.attester_dependent_root(Epoch{1}), genesis);
  EXPECT_EQ(sim.attester_dependent_root(Epoch{2}), sim.block_root(Slot{spe - 1}));
  EXPECT_EQ(sim.proposer_dependent_root(Epoch{0}), genesis);
  EXPECT_EQ(sim.proposer_dependent_root(Epoch{1}), sim.block_root(Slot{spe - 1}));
  EXPECT_EQ(sim.proposer_dependent_root(Epoch{5}), sim.block_root(Slot{5 * spe - 1}));
  for (std::uint64_t e = 0; e < 6; ++e) EXPECT_EQ(sim.attester_dependent_root(Epoch{e + 1}), sim.proposer_dependent_root(Epoch{e}));
  auto first = sim.head_event(Slot{2 * spe});
  EXPECT_TRUE(first.epoch_transition);
  EXPECT_FALSE(sim.head_event(Slot{2 * spe + 1}).epoch_transition);
  EXPECT_EQ(first.previous_duty_dependent_root, sim.block_root(Slot{spe - 1}));
  EXPECT_EQ(first.current_duty_dependent_root, sim.block_root(Slot{2 * spe - 1}));
}

TEST(BeaconSimEvents, HeadEventsArriveEachSlotWithTheDutiesDependentRoots) {
  Env env;
  BeaconSim sim(fast_config(env), env.clock);
  const auto spe = sim.config().chain.slots_per_epoch;
  const auto sps = sim.config().chain.seconds_per_slot;
  // Start a few slots before the end of epoch 2 so the stream crosses into epoch 3.
  env.clock.set(TimePoint{} + std::chrono::seconds(kGenesis + sps * (3 * spe - 4)));
  serve(sim, [&](const runtime::Executor& ex, Server& server) -> Task<void> {
    BeaconNodeClient client({Endpoint{"127.0.0.1", server.port()}});
    Received rx(ex);
    asio::cancellation_signal signal;
    subscribe(ex, server.port(), {"head", "block"}, rx, signal);
    const bool live = co_await until_live(env.clock, sim, rx);
    EXPECT_TRUE(live);
    const std::size_t before = rx.heads.size();
    for (int i = 0; i < 6; ++i) {
      env.clock.advance(std::chrono::seconds(sps));
      const bool got = co_await rx.wait_heads(before + static_cast<std::size_t>(i) + 1);
      EXPECT_TRUE(got) << "no head event for slot " << sim.current_slot().value;
    }
    EXPECT_EQ(rx.malformed, 0u);
    for (std::size_t i = 0; i < rx.heads.size(); ++i) {
      const auto& h = rx.heads[i];
      const Epoch epoch = sim.config().chain.epoch_at(h.slot);
      if (i > 0) {
        EXPECT_EQ(h.slot.value, rx.heads[i - 1].slot.value + 1);  // one per slot, in order
        if (h.epoch_transition) {
          // The new epoch's proposer duties depend on the block the previous head event announced.
          EXPECT_EQ(h.current_duty_dependent_root, rx.heads[i - 1].block);
        } else {
          EXPECT_EQ(h.current_duty_dependent_root, rx.heads[i - 1].current_duty_dependent_root);
          EXPECT_EQ(h.previous_duty_dependent_root, rx.heads[i - 1].previous_duty_dependent_root);
        }
      }
      EXPECT_EQ(h.block, sim.block_root(h.slot));
      EXPECT_EQ(h.state, sim.state_root(h.slot));
      EXPECT_EQ(h.epoch_transition, h.slot.value % spe == 0);
      EXPECT_FALSE(h.execution_optimistic);
      // The duties a validator client fetched for this epoch name the same dependent roots.
      auto attester = co_await client.attester_duties(epoch, env.indices());
      auto next_attester = co_await client.attester_duties(Epoch{epoch.value + 1}, env.indices());
      auto proposer = co_await client.proposer_duties(epoch);
      EXPECT_TRUE(attester && next_attester && proposer);
      if (attester && next_attester && proposer) {
        EXPECT_EQ(h.previous_duty_dependent_root, attester->dependent_root);
        EXPECT_EQ(h.current_duty_dependent_root, proposer->dependent_root);
        EXPECT_EQ(h.current_duty_dependent_root, next_attester->dependent_root);
      }
    }
    EXPECT_TRUE(std::any_of(rx.heads.begin(), rx.heads.end(), [](const HeadEvent& h) { return h.epoch_transition; }));
    EXPECT_GE(rx.others.size(), rx.heads.size());  // a block event before each head
    if (!rx.others.empty()) {
      EXPECT_EQ(rx.others.front(), "block");
    }
    co_await server.stop();
    const bool ended = co_await rx.wait_result();
    EXPECT_TRUE(ended);
  });
}

TEST(BeaconSimEvents, RefusesUnknownAndMissingTopics) {
  Env env;
  BeaconSim sim(fast_config(env), env.clock);
  serve(sim, [&](const runtime::Executor&, Server& server) -> Task<void> {
    StreamEnd end;
    auto opening = bapi::http::stream_events(Endpoint{"127.0.0.1", server.port()}, {"head", "weather_forecast"},
                                             [](const SseEvent&) {}, 5s, 5s, end);
    auto r = co_await std::move(opening);
    EXPECT_FALSE(r.has_value());
    EXPECT_EQ(end.status, 400u);
    EXPECT_EQ(end.message, "Invalid topic: weather_forecast");
    StreamEnd none;
    auto empty = bapi::http::stream_events(Endpoint{"127.0.0.1", server.port()}, {}, [](const SseEvent&) {}, 5s, 5s,
                                           none);
    r = co_await std::move(empty);
    EXPECT_FALSE(r.has_value());
    EXPECT_EQ(none.status, 400u);
  });
}

TEST(BeaconSimEvents, ServesSeveralSubscribersAndDropsOneThatLeaves) {
  Env env;
  BeaconSim sim(fast_config(env), env.clock);
  const auto sps = sim.config().chain.seconds_per_slot;
  serve(sim, [&](const runtime::Executor& ex, Server& server) -> Task<void> {
    Received a(ex), b(ex);
    asio::cancellation_signal stop_a, stop_b;
    subscribe(ex, server.port(), {"head"}, a, stop_a);
    subscribe(ex, server.port(), {"head", "chain_reorg"}, b, stop_b);
    for (int i = 0; i < 200 && (a.heads.empty() || b.heads.empty()); ++i) {
      env.clock.advance(std::chrono::seconds(sps));
      co_await runtime::sleep_for(50ms);
    }
    EXPECT_FALSE(a.heads.empty());
    EXPECT_FALSE(b.heads.empty());
    EXPECT_EQ(server.open_connections(), 2u);
    stop_a.emit(asio::cancellation_type::terminal);  // subscriber a leaves
    const bool a_ended = co_await a.wait_result();
    EXPECT_TRUE(a_ended);
    // The server notices the closed connection and drops that stream (generous bound, not a timing check).
    for (int i = 0; i < 2000 && server.open_connections() != 1; ++i) co_await runtime::sleep_for(10ms);
    EXPECT_EQ(server.open_connections(), 1u);
    const std::size_t a_count = a.heads.size();
    const std::size_t b_count = b.heads.size();
    env.clock.advance(std::chrono::seconds(sps));
    const bool more = co_await b.wait_heads(b_count + 1);
    EXPECT_TRUE(more);
    EXPECT_EQ(b.heads.back().slot, sim.current_slot());
    EXPECT_EQ(a.heads.size(), a_count);
    co_await server.stop();  // ends b's stream
    const bool b_ended = co_await b.wait_result();
    EXPECT_TRUE(b_ended);
  });
}

/// Reads from `s` into `got` until `needle` occurs `times` times.
Task<void> read_until_count(asio::ip::tcp::socket& s, std::string& got, std::string_view needle, std::size_t times) {
  std::array<char, 1024> buf{};
  auto count = [&] {
    std::size_t n = 0;
    for (auto p = got.find(needle); p != std::string::npos; p = got.find(needle, p + 1)) ++n;
    return n;
  };
  while (count() < times) {
    auto r = co_await s.async_read_some(asio::buffer(buf), asio::as_tuple(asio::use_awaitable));
    got.append(buf.data(), std::get<1>(r));
    if (std::get<0>(r)) co_return;
  }
}

TEST(BeaconSimEvents, SendsKeepAliveCommentsOnAChunkedStream) {
  Env env;
  auto config = fast_config(env);
  config.event_keep_alive = std::chrono::milliseconds(20);
  BeaconSim sim(config, env.clock);
  serve(sim, [&](const runtime::Executor& ex, Server& server) -> Task<void> {
    asio::ip::tcp::socket s(ex);
    const asio::ip::tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), server.port());
    co_await s.async_connect(ep, asio::use_awaitable);
    const std::string req = "GET /eth/v1/events?topics=head HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n";
    co_await asio::async_write(s, asio::buffer(req), asio::use_awaitable);
    std::string got;
    auto reading = read_until_count(s, got, ": keep-alive\n\n", 3);
    auto done = co_await runtime::with_timeout(std::move(reading), 20s);
    EXPECT_TRUE(done.has_value()) << got;
    EXPECT_NE(got.find("HTTP/1.1 200"), std::string::npos) << got;
    EXPECT_NE(got.find("Content-Type: text/event-stream"), std::string::npos) << got;
    EXPECT_NE(got.find("Transfer-Encoding: chunked"), std::string::npos) << got;
    boost::system::error_code ec;
    s.close(ec);
  });
}

}  // namespace
}  // namespace phx::sim
