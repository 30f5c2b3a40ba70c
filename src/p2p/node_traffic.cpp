// p2p node, traffic: per-peer send queues, frame reader and dispatch, requests, ping and peer-info.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include "base/log.hpp"
#include "p2p/node_detail.hpp"

namespace phx::p2p {

void Node::Impl::enqueue(OperatorIdx p, Priority prio, Bytes frame) {
  auto& ps = *peers[p.value];
  ps.queued_bytes += frame.size();
  (prio == Priority::kHigh ? ps.high : ps.low).push_back(std::move(frame));
  while (
      (ps.high.size() + ps.low.size() > opts.queue_max_frames || ps.queued_bytes > opts.queue_max_bytes) &&
      ps.high.size() + ps.low.size() > 1) {
    auto& q = !ps.low.empty() ? ps.low : ps.high;
    ps.queued_bytes -= q.front().size();
    q.pop_front();
    ++pm(p).drops;
  }
  ps.queue_ev.notify_all();
}

void Node::Impl::frame_error(const ConnPtr& c, P2PError e) {
  ++metrics.frame_errors[static_cast<std::size_t>(e)];
  ++pm(c->peer).frame_errors;
  log::warn("p2p: closing connection to operator {}: {}", c->peer.value, to_string(e));
  close_connection(c, to_string(e));
}

Task<void> Node::Impl::reader(ConnPtr c) {
  std::uint8_t hdr[kFrameHeaderSize];
  while (!c->closed) {
    boost::system::error_code ec;
    co_await asio::async_read(c->stream, asio::buffer(hdr), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;
    auto h = decode_frame_header(hdr, limits);  // hello (protocol 0) is not in `limits`: unknown here
    if (!h) {
      frame_error(c, as_p2p(h.error()));
      co_return;
    }
    c->last_rx = SteadyClock::now();
    // The body in pieces, each one refreshing last_rx: a large frame on a thin link takes seconds, and the
    // connection is not silent meanwhile (the watchdog would take it for stalled).
    Bytes body(h->length);
    std::size_t got = 0;
    while (!ec && got < body.size()) {
      got += co_await c->stream.async_read_some(asio::buffer(body.data() + got, body.size() - got),
                                                asio::redirect_error(asio::use_awaitable, ec));
      c->last_rx = SteadyClock::now();
    }
    if (ec) break;
    auto& m = pm(c->peer);
    m.bytes_in += kFrameHeaderSize + body.size();
    ++m.messages_in;
    dispatch(c, *h, std::move(body));
  }
  close_connection(c, "read side closed");
}

void Node::Impl::respond(OperatorIdx p, ProtocolId proto, std::uint64_t req, const Result<Bytes>& r) {
  Bytes out;
  if (r) {
    encode_frame(out, proto, FrameKind::kResponse, req, *r);
  } else {
    std::string reason = r.error().message();
    if (reason.size() > kMaxErrorReason) reason.resize(kMaxErrorReason);
    encode_frame(out, proto, FrameKind::kErrorResponse, req, as_bytes(reason));
  }
  enqueue(p, Priority::kHigh, std::move(out));
}

Task<void> Node::Impl::serve_request(ConnPtr c, RequestHandler handler, ProtocolId proto, std::uint64_t req,
                                     Bytes body) {
  // A throwing handler must neither leak the in-flight slot nor leave the peer waiting for its timeout.
  Result<Bytes> r = fail(P2PError::kHandlerFailed);
  try {
    r = co_await handler(c->peer, std::move(body));
  } catch (const std::exception& e) {
    log::warn("p2p: request handler for protocol {} threw: {}", static_cast<unsigned>(proto), e.what());
  }
  --c->inflight;
  if (r && r->size() > limits.get(proto).value_or(0)) r = fail(P2PError::kFrameTooLarge);
  if (!c->closed) respond(c->peer, proto, req, r);
}

void Node::Impl::dispatch(const ConnPtr& c, const FrameHeader& h, Bytes body) {
  auto& spec = protocols.at(h.protocol);  // decode_frame_header admitted only registered ids
  switch (h.kind) {
    case FrameKind::kMessage:
      if (spec.on_message) spec.on_message(c->peer, body);
      break;
    case FrameKind::kRequest:
      if (!spec.on_request) {
        respond(c->peer, h.protocol, h.request_id, fail(P2PError::kNoHandler));
      } else if (c->inflight >= opts.max_inflight_requests) {
        respond(c->peer, h.protocol, h.request_id, fail(P2PError::kTimeout));
      } else {
        ++c->inflight;
        tasks.spawn(serve_request(c, spec.on_request, h.protocol, h.request_id, std::move(body)));
      }
      break;
    case FrameKind::kResponse:
    case FrameKind::kErrorResponse: {
      auto it = pending.find(h.request_id);
      if (it == pending.end() || it->second->peer != c->peer || it->second->result)
        break;  // late or forged
      if (h.kind == FrameKind::kResponse) {
        it->second->result = std::move(body);
      } else {
        std::string reason(body.begin(), body.end());
        log::debug("p2p: operator {} answered with error: {}", c->peer.value, reason);
        it->second->result = fail(P2PError::kRemoteError);
      }
      it->second->ev.notify_all();
      break;
    }
  }
}

Task<void> Node::Impl::writer(ConnPtr c) {
  auto& ps = *peers[c->peer.value];
  Bytes batch;
  constexpr std::size_t kBatchBytes = 256u << 10;
  while (!c->closed) {
    if (ps.high.empty() && ps.low.empty()) {
      co_await ps.queue_ev.wait();
      continue;
    }
    batch.clear();
    std::uint64_t frames = 0;
    while (batch.size() < kBatchBytes && (!ps.high.empty() || !ps.low.empty())) {
      auto& q = !ps.high.empty() ? ps.high : ps.low;
      ps.queued_bytes -= q.front().size();
      append(batch, q.front());
      q.pop_front();
      ++frames;
    }
    auto write = [](SslStream& s, ByteSpan b) -> Task<boost::system::error_code> {
      auto [e, n] = co_await asio::async_write(s, asio::buffer(b.data(), b.size()),
                                               asio::as_tuple(asio::use_awaitable));
      (void)n;
      co_return e;
    };
    auto r = co_await with_timeout(write(c->stream, batch), opts.write_timeout);
    if (!r) {
      log::warn("p2p: write to operator {} stalled for {} ms, closing", c->peer.value,
                static_cast<long long>(to_ms(opts.write_timeout)));
      close_connection(c, "write timeout");
      co_return;
    }
    if (*r) {
      close_connection(c, "write failed");
      co_return;
    }
    auto& m = pm(c->peer);
    m.bytes_out += batch.size();
    m.messages_out += frames;
  }
}

Result<void> Node::Impl::check_send(OperatorIdx p, ProtocolId proto, std::size_t size) const {
  if (p.value >= peers.size() || p == self()) return fail(P2PError::kBadPeer);
  auto lim = limits.get(proto);
  if (!lim || proto == kHelloProtocol) return fail(P2PError::kUnknownProtocol);
  if (size > *lim) return fail(P2PError::kFrameTooLarge);
  return {};
}

Task<Result<Bytes>> Node::Impl::request(OperatorIdx p, ProtocolId proto, Bytes body, Duration timeout) {
  if (auto ok = check_send(p, proto, body.size()); !ok) co_return std::unexpected(ok.error());
  if (stopping) co_return fail(P2PError::kClosed);
  if (!peers[p.value]->conn) co_return fail(P2PError::kNotConnected);
  auto id = next_request++;
  auto pend = std::make_shared<Pending>(ex, p);
  pending.emplace(id, pend);
  Bytes out;
  encode_frame(out, proto, FrameKind::kRequest, id, body);
  enqueue(p, protocols.at(proto).priority, std::move(out));
  auto wait = [](std::shared_ptr<Pending> pd) -> Task<void> {
    while (!pd->result) co_await pd->ev.wait();
  };
  auto r = co_await with_timeout(wait(pend), timeout);
  pending.erase(id);
  if (!r) co_return fail(P2PError::kTimeout);
  co_return std::move(*pend->result);
}

Task<Result<Duration>> Node::Impl::ping(OperatorIdx p, Duration timeout) {
  Bytes nonce(8);
  put_be64(nonce.data(), rng());
  auto t0 = SteadyClock::now();
  auto r = co_await request(p, kPingProtocol, nonce, timeout);
  if (!r) co_return std::unexpected(r.error());
  if (*r != nonce) co_return fail(P2PError::kRemoteError);
  co_return std::chrono::duration_cast<Duration>(SteadyClock::now() - t0);
}

Task<Result<PeerInfo>> Node::Impl::peer_info(OperatorIdx p, Duration timeout) {
  auto t0 = SteadyClock::now();
  auto sent_ms = unix_ms(*clock);
  Bytes want(1, kPeerInfoWantExtension);  // (no braced temporaries inside co_await: g++ 12 coroutine bug)
  auto r = co_await request(p, kPeerInfoProtocol, std::move(want), timeout);
  if (!r) co_return std::unexpected(r.error());
  auto body = decode_peer_info(*r);
  if (!body) co_return fail(P2PError::kRemoteError);
  PeerInfo info;
  info.version = body->version;
  info.lock_hash = body->lock_hash;
  info.extension = std::move(body->extension);
  info.rtt = std::chrono::duration_cast<Duration>(SteadyClock::now() - t0);
  double offset_ms =
      static_cast<double>(body->time_ms) - (static_cast<double>(sent_ms) + to_ms(info.rtt) / 2);
  info.clock_offset =
      std::chrono::duration_cast<Duration>(std::chrono::duration<double, std::milli>(offset_ms));
  pm(p).clock_offset_ms = offset_ms;
  pm(p).info = info;
  co_return info;
}

void Node::Impl::register_builtins() {
  limits.set(kPingProtocol, 8);
  protocols[kPingProtocol] = ProtocolSpec{
      kPingProtocol, 8, Priority::kHigh, {}, [](OperatorIdx, Bytes body) -> Task<Result<Bytes>> {
        co_return body;
      }};
  limits.set(kPeerInfoProtocol, kPeerInfoMaxSize);
  protocols[kPeerInfoProtocol] = ProtocolSpec{
      kPeerInfoProtocol,
      kPeerInfoMaxSize,
      Priority::kHigh,
      {},
      [this](OperatorIdx, Bytes body) -> Task<Result<Bytes>> {
        PeerInfoBody info{kProtocolVersion, cfg.lock_hash, unix_ms(*clock), std::nullopt};
        // Only a requester that asked for the extension gets it: an older node's limit is the 44-byte body.
        if (!body.empty() && body[0] == kPeerInfoWantExtension) info.extension = local_info;
        co_return encode_peer_info(info);
      }};
}

}  // namespace phx::p2p
