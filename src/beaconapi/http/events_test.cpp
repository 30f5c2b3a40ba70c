// Event stream tests: the SSE parser over every chunking, the head / chain_reorg decoders, stream_events
// against loopback servers (raw sockets and the Beast server's streaming responses).
#include <gtest/gtest.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>
#include <random>

#include "beaconapi/http/events.hpp"
#include "beaconapi/http/server.hpp"

namespace phx::beaconapi::http {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using runtime::Task;
using namespace std::chrono_literals;

template <class F>
void run(F f) {
  asio::io_context io;
  asio::co_spawn(io, f(), [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
  });
  io.run();
}

// Captured from Lodestar (tests/interop/lodestar/fixtures/bn/events_sample.txt).
const std::string kLodestarHead =
    R"({"slot":"141","block":"0x3dd18eaf6bfccfd86572fc93bfc94bf0b2db63c5b3b5f14a4ee6ec82daa18ee8",)"
    R"("state":"0xee3b18440761a6ef0d611fafb7f6eb91920d6dba63bad8b991ab5cabfa782e02","epoch_transition":false,)"
    R"("previous_duty_dependent_root":"0x78eda6c51e2d7eb8e5dea13d16b1afaf4213dc4647df1633fafa5593d3352671",)"
    R"("current_duty_dependent_root":"0x8573c50664ff4f57def3b1b935847848d4e8e9decc6205d79c5c876497ff6676",)"
    R"("execution_optimistic":false})";
const std::string kLodestarBlock =
    R"({"slot":"141","block":"0x3dd18eaf6bfccfd86572fc93bfc94bf0b2db63c5b3b5f14a4ee6ec82daa18ee8","execution_optimistic":false})";
// The spec's example (beacon-APIs eventstream, chain_reorg).
const std::string kSpecReorg =
    R"({"slot":"200", "depth":"50", "old_head_block":"0x9a2fefd2fdb57f74993c7780ea5b9030d2897b615b89f808011ca5aebed54eaf", )"
    R"("new_head_block":"0x76262e91970d375a19bfe8a867288d7b9cde43c8635f598d93d39d041706fc76", )"
    R"("old_head_state":"0x9a2fefd2fdb57f74993c7780ea5b9030d2897b615b89f808011ca5aebed54eaf", )"
    R"("new_head_state":"0x600e852a08c1200654ddf11025f1ceacb3c2e74bdd5c630cde0838b2591b69f9", "epoch":"2", )"
    R"("execution_optimistic": false})";

std::string sample_stream(std::string_view eol) {
  std::string s;
  auto ln = [&](std::string_view l) {
    s += l;
    s += eol;
  };
  ln(": hello");
  ln("event: block");
  ln("data: " + kLodestarBlock);
  ln("");
  ln("event: head");
  ln("data: " + kLodestarHead);
  ln("");
  ln("data:first");
  ln("data");
  ln("data:  two spaces");
  ln("retry: 1000");
  ln("x-unknown: y");
  ln("id: 7");
  ln("");
  ln("event: lonely");  // no data: not dispatched
  ln("");
  ln("event: chain_reorg");
  ln("data: " + kSpecReorg);
  ln("");
  ln("data: unterminated");  // no blank line yet: not an event
  return s;
}

std::vector<SseEvent> expected_sample() {
  return {{"block", kLodestarBlock},
          {"head", kLodestarHead},
          {"message", "first\n\n two spaces"},
          {"chain_reorg", kSpecReorg}};
}

std::vector<SseEvent> parse_split(std::string_view stream, const std::vector<std::size_t>& cuts) {
  SseParser p;
  std::vector<SseEvent> out;
  std::size_t at = 0;
  for (std::size_t cut : cuts) {
    auto r = p.feed(stream.substr(at, cut - at));
    EXPECT_TRUE(r.has_value());
    if (r) out.insert(out.end(), r->begin(), r->end());
    at = cut;
  }
  auto r = p.feed(stream.substr(at));
  EXPECT_TRUE(r.has_value());
  if (r) out.insert(out.end(), r->begin(), r->end());
  return out;
}

TEST(SseParser, ParsesEveryChunkingOfLfCrlfAndCrStreamsAlike) {
  for (std::string_view eol : {"\n", "\r\n", "\r"}) {
    const std::string s = sample_stream(eol);
    EXPECT_EQ(parse_split(s, {}), expected_sample()) << "eol size " << eol.size();
    for (std::size_t cut = 0; cut <= s.size(); ++cut) {
      ASSERT_EQ(parse_split(s, {cut}), expected_sample()) << "cut at " << cut;
    }
    std::vector<std::size_t> every;
    for (std::size_t i = 1; i < s.size(); ++i) every.push_back(i);
    EXPECT_EQ(parse_split(s, every), expected_sample());  // byte by byte
    std::mt19937_64 rng(42);
    for (int round = 0; round < 200; ++round) {
      std::vector<std::size_t> cuts;
      for (std::size_t i = 1; i < s.size(); ++i) {
        if (rng() % 7 == 0) cuts.push_back(i);
      }
      ASSERT_EQ(parse_split(s, cuts), expected_sample()) << "round " << round;
    }
  }
}

TEST(SseParser, KeepsTheLastIdSkipsABomAndMixedLineEnds) {
  SseParser p;
  auto r = p.feed("\xEF\xBB");
  ASSERT_TRUE(r && r->empty());
  r = p.feed("\xBF" "data: a\r\n\ndata: b\r\r");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(*r, (std::vector<SseEvent>{{"message", "a"}, {"message", "b"}}));
  r = p.feed("id: 42\ndata: c\n\n");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(p.last_event_id(), "42");
  // A BOM later in the stream is not skipped.
  SseParser q;
  r = q.feed("data: x\n\n\xEF\xBB\xBF" "data: y\n\n");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->size(), 1u);  // the second line's field is "\xEF\xBB\xBFdata": unknown, ignored
  // A comment-only stream (keep-alives) yields nothing.
  SseParser k;
  r = k.feed(": keep-alive\n\n: keep-alive\n\n");
  ASSERT_TRUE(r && r->empty());
}

TEST(SseParser, RefusesOversizedLinesAndEventsUntilReset) {
  SseParser p(64);
  auto r = p.feed(std::string(40, 'a'));  // an incomplete line is fine while within the bound
  EXPECT_TRUE(r.has_value());
  r = p.feed(std::string(40, 'a'));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error(), HttpError::kTooLarge);
  EXPECT_EQ(p.feed("data: x\n\n").error(), HttpError::kTooLarge);  // sticky
  p.reset();
  r = p.feed("data: x\n\n");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->size(), 1u);
  // Many short data lines adding up above the bound.
  std::string many;
  for (int i = 0; i < 20; ++i) many += "data: 0123456789\n";
  EXPECT_EQ(p.feed(many).error(), HttpError::kTooLarge);
  // One long complete line.
  p.reset();
  EXPECT_EQ(p.feed("data: " + std::string(100, 'b') + "\n").error(), HttpError::kTooLarge);
}

TEST(EventDecoders, DecodeLodestarHeadAndSpecChainReorg) {
  auto h = decode_head_event(kLodestarHead);
  ASSERT_TRUE(h.has_value());
  EXPECT_EQ(h->slot, Slot{141});
  EXPECT_EQ(to_hex(h->block), "0x3dd18eaf6bfccfd86572fc93bfc94bf0b2db63c5b3b5f14a4ee6ec82daa18ee8");
  EXPECT_EQ(to_hex(h->state), "0xee3b18440761a6ef0d611fafb7f6eb91920d6dba63bad8b991ab5cabfa782e02");
  EXPECT_FALSE(h->epoch_transition);
  EXPECT_EQ(to_hex(h->previous_duty_dependent_root),
            "0x78eda6c51e2d7eb8e5dea13d16b1afaf4213dc4647df1633fafa5593d3352671");
  EXPECT_EQ(to_hex(h->current_duty_dependent_root),
            "0x8573c50664ff4f57def3b1b935847848d4e8e9decc6205d79c5c876497ff6676");
  EXPECT_FALSE(h->execution_optimistic);
  EXPECT_EQ(decode_head_event(head_event_to_json(*h).dump()), h);  // round trip

  auto c = decode_chain_reorg_event(kSpecReorg);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->slot, Slot{200});
  EXPECT_EQ(c->depth, 50u);
  EXPECT_EQ(c->epoch, Epoch{2});
  EXPECT_EQ(to_hex(c->new_head_block), "0x76262e91970d375a19bfe8a867288d7b9cde43c8635f598d93d39d041706fc76");
  EXPECT_EQ(to_hex(c->new_head_state), "0x600e852a08c1200654ddf11025f1ceacb3c2e74bdd5c630cde0838b2591b69f9");
  EXPECT_EQ(decode_chain_reorg_event(chain_reorg_event_to_json(*c).dump()), c);
}

TEST(EventDecoders, NameTheMissingOrMistypedFieldAndIgnoreUnknownOnes) {
  auto j = *ssz::parse_json(kLodestarHead);
  j.erase("current_duty_dependent_root");
  auto missing = head_event_from_json(j.dump());
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().path, "current_duty_dependent_root");
  EXPECT_EQ(decode_head_event(j.dump()).error(), HttpError::kMalformed);

  j = *ssz::parse_json(kLodestarHead);
  j["slot"] = 141;  // a number, not a decimal string
  auto typed = head_event_from_json(j.dump());
  ASSERT_FALSE(typed.has_value());
  EXPECT_EQ(typed.error().path, "slot");
  j = *ssz::parse_json(kLodestarHead);
  j["epoch_transition"] = "false";
  EXPECT_EQ(head_event_from_json(j.dump()).error().path, "epoch_transition");
  j = *ssz::parse_json(kLodestarHead);
  j["block"] = "0x1234";
  EXPECT_EQ(head_event_from_json(j.dump()).error().path, "block");

  j = *ssz::parse_json(kLodestarHead);
  j["future_field"] = {1, 2};
  j.erase("execution_optimistic");  // older nodes
  EXPECT_TRUE(decode_head_event(j.dump()).has_value());

  auto r = *ssz::parse_json(kSpecReorg);
  r.erase("depth");
  EXPECT_EQ(chain_reorg_event_from_json(r.dump()).error().path, "depth");
  r = *ssz::parse_json(kSpecReorg);
  r["epoch"] = "-1";
  EXPECT_EQ(chain_reorg_event_from_json(r.dump()).error().path, "epoch");
  EXPECT_EQ(decode_chain_reorg_event("not json").error(), HttpError::kMalformed);
  EXPECT_EQ(decode_chain_reorg_event("[]").error(), HttpError::kMalformed);
  EXPECT_EQ(decode_head_event("").error(), HttpError::kMalformed);
}

// ---- stream_events against raw loopback servers ----

/// The error of a result, or the empty code on success (gtest's fatal assertions cannot run in coroutines).
std::error_code code_of(const Result<void>& r) {
  return r ? std::error_code{} : r.error();
}

/// How a raw test server answers.
struct Script {
  std::string head;                   ///< status line and headers (without the blank line)
  std::vector<std::string> writes;    ///< body pieces, each written separately (already framed)
  bool hold_until_client_closes = false;
};

std::string chunk(std::string_view s) {
  char size[32];
  std::snprintf(size, sizeof size, "%zx\r\n", s.size());
  return std::string(size) + std::string(s) + "\r\n";
}

/// Accepts one connection, records the request, answers per `script`, then closes.
Task<void> raw_server(tcp::acceptor& acc, Script script, std::string* request) {
  auto sock = co_await acc.async_accept(asio::use_awaitable);
  std::string req;
  (void)co_await asio::async_read_until(sock, asio::dynamic_buffer(req), "\r\n\r\n", asio::as_tuple(asio::use_awaitable));
  *request = req;
  std::string head = script.head + "\r\n\r\n";
  (void)co_await asio::async_write(sock, asio::buffer(head), asio::as_tuple(asio::use_awaitable));
  for (const auto& w : script.writes) {
    co_await runtime::sleep_for(5ms);  // separate TCP segments
    (void)co_await asio::async_write(sock, asio::buffer(w), asio::as_tuple(asio::use_awaitable));
  }
  if (script.hold_until_client_closes) {
    std::string rest;
    (void)co_await asio::async_read(sock, asio::dynamic_buffer(rest), asio::as_tuple(asio::use_awaitable));
  }
  boost::system::error_code ec;
  sock.shutdown(tcp::socket::shutdown_both, ec);
  sock.close(ec);
}

struct Loopback {
  explicit Loopback(const runtime::Executor& ex) : acc(ex, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {}
  Endpoint ep() const { return Endpoint{"127.0.0.1", acc.local_endpoint().port()}; }
  tcp::acceptor acc;
};

constexpr std::string_view kOkChunked =
    "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nTransfer-Encoding: chunked";
constexpr std::string_view kOkClose = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close";

/// What one stream_events call against a raw server saw.
struct Outcome {
  std::error_code code;  ///< empty on success
  std::vector<SseEvent> events;
  StreamEnd end;
  std::string request;  ///< as the server received it
};

/// Runs stream_events(`topics`) against a raw loopback server answering `script`, until both are done.
Outcome stream_against(const Script& script, const std::vector<std::string>& topics, Duration idle = 30s) {
  Outcome out;
  run([&]() -> Task<void> {
    auto ex = co_await asio::this_coro::executor;
    Loopback lb(ex);
    runtime::TaskGroup group(ex);
    group.spawn(raw_server(lb.acc, script, &out.request));
    auto r = co_await stream_events(lb.ep(), topics, [&](const SseEvent& e) { out.events.push_back(e); }, 5s, idle,
                                    out.end);
    out.code = code_of(r);
    co_await group.join();
  });
  return out;
}

TEST(StreamEvents, DeliversChunkedEventsInOrderUntilTheServerCloses) {
  const std::string head_ev = "event: head\ndata: " + kLodestarHead + "\n\n";
  // Events split across chunks and chunks across writes, a keep-alive comment, then the last chunk.
  const std::string c1 = chunk("event: block\ndata: " + kLodestarBlock + "\n\nevent: he");
  const std::string c2 = chunk(head_ev.substr(9));
  const std::string c3 = chunk(": keep-alive\n\n");
  const std::string c4 = chunk("event: chain_reorg\ndata: " + kSpecReorg + "\n\n");
  const Script script{std::string(kOkChunked),
                      {c1.substr(0, 7), c1.substr(7), c2, c3 + c4.substr(0, 3), c4.substr(3), "0\r\n\r\n"}};
  const auto o = stream_against(script, {"head", "chain_reorg"});
  EXPECT_FALSE(o.code) << o.code.message() << " " << o.end.message;
  const std::vector<SseEvent> want = {{"block", kLodestarBlock}, {"head", kLodestarHead}, {"chain_reorg", kSpecReorg}};
  EXPECT_EQ(o.events, want);
  EXPECT_EQ(o.end.events, 3u);
  EXPECT_EQ(o.end.status, 200u);
  EXPECT_NE(o.request.find("GET /eth/v1/events?topics=head&topics=chain_reorg HTTP/1.1"), std::string::npos) << o.request;
  EXPECT_NE(o.request.find("Accept: text/event-stream"), std::string::npos) << o.request;
}

TEST(StreamEvents, ReadsABodyDelimitedByTheConnectionClose) {
  const Script script{std::string(kOkClose),
                      {"data: one\n\n", ": keep-alive\n\n", "event: head\ndata: two\n\ndata: partial"}};
  const auto o = stream_against(script, {"head"});
  EXPECT_FALSE(o.code) << o.code.message();
  const std::vector<SseEvent> want = {{"message", "one"}, {"head", "two"}};  // the partial event is dropped
  EXPECT_EQ(o.events, want);
}

TEST(StreamEvents, ReportsARefusalWithItsStatusAndMessage) {
  const std::string body = R"({"code":400,"message":"Invalid topic: weather_forecast"})";
  const Script script{"HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: " +
                          std::to_string(body.size()),
                      {body}};
  const auto o = stream_against(script, {"weather_forecast"});
  EXPECT_EQ(o.code, HttpError::kStatus);
  EXPECT_EQ(o.end.status, 400u);
  EXPECT_EQ(o.end.message, "Invalid topic: weather_forecast");
  EXPECT_TRUE(o.events.empty());
}

TEST(StreamEvents, RefusesAnAnswerThatIsNotAnEventStream) {
  const Script script{"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2", {"{}"}};
  EXPECT_EQ(stream_against(script, {"head"}).code, HttpError::kMalformed);
}

TEST(StreamEvents, FailsOnACutChunkAndOnBrokenChunking) {
  for (const auto& body : {chunk("data: a\n\n") + "20\r\ndata: b", std::string("zz\r\ndata: a\n\n\r\n")}) {
    const auto o = stream_against(Script{std::string(kOkChunked), {body}}, {"head"});
    EXPECT_TRUE(o.code == HttpError::kIo || o.code == HttpError::kMalformed) << o.code.message();
  }
}

TEST(StreamEvents, TimesOutWhenTheStreamGoesQuiet) {
  const auto o = stream_against(Script{std::string(kOkChunked), {chunk("data: a\n\n")}, true}, {"head"}, 300ms);
  EXPECT_EQ(o.code, HttpError::kTimeout);
  EXPECT_EQ(o.events.size(), 1u);  // and the server saw the client close
}

TEST(StreamEvents, TimesOutWhenNoHeaderArrivesAndFailsToConnect) {
  const std::vector<std::string> topics = {"head"};
  run([&]() -> Task<void> {
    auto ex = co_await asio::this_coro::executor;
    Loopback lb(ex);
    // Accepted (by the kernel's backlog) but never answered.
    auto r = co_await stream_events(lb.ep(), topics, [](const SseEvent&) {}, 300ms, 30s);
    EXPECT_EQ(code_of(r), HttpError::kTimeout);
    Endpoint closed = lb.ep();
    lb.acc.close();
    r = co_await stream_events(closed, topics, [](const SseEvent&) {}, 5s, 30s);
    EXPECT_EQ(code_of(r), HttpError::kConnect);
  });
}

/// The loopback endpoint of `port` (built outside coroutines: GCC 12 miscompiles a braced Endpoint with a string
/// literal inside a co_await expression).
Endpoint loopback(std::uint16_t port) {
  return Endpoint{"127.0.0.1", port};
}

/// Waits until `*result` is set (notified through `done`).
Task<void> wait_for(std::optional<Result<void>>& result, runtime::Event& done) {
  while (!result) co_await done.wait();
}

TEST(StreamEvents, StopsWhenTheCallerIsCancelled) {
  const Script script{std::string(kOkChunked), {chunk("data: a\n\n")}, true};
  const std::vector<std::string> topics = {"head"};
  run([&]() -> Task<void> {
    auto ex = co_await asio::this_coro::executor;
    Loopback lb(ex);
    std::string request;
    runtime::TaskGroup group(ex);
    group.spawn(raw_server(lb.acc, script, &request));
    int calls = 0;
    std::optional<Result<void>> result;
    runtime::Event done(ex);
    asio::cancellation_signal signal;
    asio::co_spawn(ex, stream_events(lb.ep(), topics, [&](const SseEvent&) { ++calls; }, 5s, 1h),
                   asio::bind_cancellation_slot(signal.slot(), [&](std::exception_ptr e, Result<void> r) {
                     EXPECT_FALSE(e);
                     result = r;
                     done.notify_all();
                   }));
    while (calls == 0) co_await runtime::sleep_for(10ms);
    signal.emit(asio::cancellation_type::terminal);
    // Generous bound: without cancellation the stream would run for an hour.
    auto waited = co_await runtime::with_timeout(wait_for(result, done), 20s);
    EXPECT_TRUE(waited.has_value());
    EXPECT_EQ(result ? code_of(*result) : std::error_code{}, HttpError::kCancelled);
    co_await group.join();
  });
}

// ---- the Beast server's streaming responses ----

TEST(StreamEvents, ReadsAStreamingResponseOfTheServer) {
  Router router;
  router.add(Method::kGet, "/eth/v1/events", [](const Request& req, const PathParams&) -> Task<Response> {
    Response r;
    r.content_type = "text/event-stream";
    const std::string topics = req.query_value("topics").value_or("");
    r.stream = [topics](StreamSink& sink) -> Task<void> {
      for (int i = 0; i < 3; ++i) {
        const std::string event = ": keep-alive\n\nevent: " + topics + "\ndata: " + std::to_string(i) + "\n\n";
        const bool ok = co_await sink.write(event);
        if (!ok) co_return;
      }
    };
    co_return r;
  });
  const std::vector<SseEvent> want = {{"head", "0"}, {"head", "1"}, {"head", "2"}};
  const std::vector<std::string> topics = {"head"};
  run([&]() -> Task<void> {
    auto ex = co_await asio::this_coro::executor;  // not in the next statement: GCC 12 would destroy ServerOptions{} twice
    Server server(ex, router, ServerOptions{});
    EXPECT_TRUE(server.start().has_value());
    std::vector<SseEvent> got;
    auto r = co_await stream_events(loopback(server.port()), topics,
                                    [&](const SseEvent& e) { got.push_back(e); }, 5s, 30s);
    EXPECT_TRUE(r.has_value()) << code_of(r).message();
    EXPECT_EQ(got, want);
    co_await server.stop();
  });
}

}  // namespace
}  // namespace phx::beaconapi::http
