// p2p_node_tool: one cluster node for multi-process tests (tests/p2p/netns_partition_test.sh).
// Operator keys are derived from a shared seed so that every process knows the cluster without key files:
// key_i = SHA-256("phx-p2p-tool" ‖ seed ‖ i). Test use only: never derive real keys like this.
//
// Every --interval-ms the node sends each peer a message carrying a sequence number, and prints one line per
// event on stdout (flushed): "UP <peer>", "DOWN <peer>", "RX <peer> <seq>", each prefixed with monotonic ms.
//
//   p2p_node_tool --n 3 --index 0 --listen 0.0.0.0:9000 --peer 1=10.0.0.2:9000 --peer 2=10.0.1.2:9000
//                 [--seed s] [--interval-ms 100] [--run-s 60]
//   p2p_node_tool --dump-cert <file>   (writes a DER certificate with an identity extension: fuzz seed)
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/use_future.hpp>
#include <charconv>
#include <cstdio>
#include <fstream>
#include <string>

#include "crypto/hash/sha256.hpp"
#include "p2p/identity.hpp"
#include "p2p/node.hpp"

namespace {

namespace asio = boost::asio;
using namespace phx;
using namespace phx::p2p;
using namespace std::chrono_literals;

constexpr ProtocolId kSeqProto = 16;

k1::SecretKey derive_key(const std::string& seed, std::uint32_t i) {
  std::string in = "phx-p2p-tool" + seed + std::to_string(i);
  for (std::uint32_t ctr = 0;; ++ctr) {
    auto d = crypto::hash::sha256(as_bytes(in + "#" + std::to_string(ctr)));
    auto sk = k1::SecretKey::from_bytes(d);
    if (sk) return std::move(*sk);
  }
}

long long now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

int usage() {
  std::fprintf(stderr,
               "usage: p2p_node_tool --n N --index I --listen HOST:PORT [--peer J=HOST:PORT]... "
               "[--seed S] [--interval-ms MS] [--run-s S] | --dump-cert FILE\n");
  return 2;
}

bool parse_u32(std::string_view s, std::uint32_t& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && p == s.data() + s.size();
}

}  // namespace

int main(int argc, char** argv) {
  std::uint32_t n = 0, index = 0, interval_ms = 100, run_s = 60;
  std::string seed = "netns", listen;
  std::vector<std::pair<std::uint32_t, Endpoint>> peers;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (i + 1 >= argc) return usage();
    std::string v = argv[++i];
    if (a == "--dump-cert") {
      auto tls = TlsIdentity::create(k1::SecretKey::generate());
      if (!tls) return 1;
      auto der = certificate_der(tls->certificate());
      std::ofstream(v, std::ios::binary)
          .write(reinterpret_cast<const char*>(der.data()), static_cast<std::streamsize>(der.size()));
      return 0;
    }
    bool ok = true;
    if (a == "--n") {
      ok = parse_u32(v, n);
    } else if (a == "--index") {
      ok = parse_u32(v, index);
    } else if (a == "--interval-ms") {
      ok = parse_u32(v, interval_ms);
    } else if (a == "--run-s") {
      ok = parse_u32(v, run_s);
    } else if (a == "--seed") {
      seed = v;
    } else if (a == "--listen") {
      listen = v;
    } else if (a == "--peer") {
      auto eq = v.find('=');
      std::uint32_t j = 0;
      ok = eq != std::string::npos && parse_u32(std::string_view(v).substr(0, eq), j);
      auto ep = ok ? Endpoint::parse(std::string_view(v).substr(eq + 1))
                   : Result<Endpoint>(fail(std::errc::invalid_argument));
      ok = ok && ep.has_value();
      if (ok) peers.emplace_back(j, *ep);
    } else {
      ok = false;
    }
    if (!ok) return usage();
  }
  auto listen_ep = Endpoint::parse(listen);
  if (n < 2 || index >= n || !listen_ep) return usage();

  PeerSetConfig cfg;
  cfg.lock_hash = crypto::hash::sha256(as_bytes("lock:" + seed));
  cfg.self = OperatorIdx{index};
  for (std::uint32_t i = 0; i < n; ++i) cfg.operators.push_back(derive_key(seed, i).public_key());
  cfg.addresses.resize(n);
  for (auto& [j, ep] : peers) {
    if (j >= n) return usage();
    cfg.addresses[j] = ep;
  }
  NodeOptions opts;
  opts.listen = *listen_ep;
  opts.backoff_min = 100ms;
  opts.backoff_max = 1s;
  opts.connect_timeout = 1s;
  opts.handshake_timeout = 2s;
  opts.ping_interval = 200ms;
  opts.idle_timeout = 1500ms;
  opts.write_timeout = 2s;

  asio::io_context ioc;
  auto node = Node::create(ioc.get_executor(), cfg, derive_key(seed, index), opts);
  if (!node) {
    std::fprintf(stderr, "create: %s\n", node.error().message().c_str());
    return 1;
  }
  Node& nd = **node;
  auto reg =
      nd.register_protocol(ProtocolSpec{kSeqProto,
                                        8,
                                        Priority::kLow,
                                        [](OperatorIdx from, ByteSpan b) {
                                          if (b.size() != 8) return;
                                          std::printf("%lld RX %u %llu\n", now_ms(), from.value,
                                                      static_cast<unsigned long long>(get_be64(b.data())));
                                          std::fflush(stdout);
                                        },
                                        {}});
  if (!reg || !nd.start()) return 1;

  auto main_task = [&]() -> runtime::Task<void> {
    asio::signal_set signals(ioc, SIGINT, SIGTERM);
    bool quit = false;
    signals.async_wait([&](const boost::system::error_code& ec, int) {
      if (!ec) quit = true;
    });
    std::vector<bool> up(n, false);
    std::uint64_t seq = 0;
    auto end = std::chrono::steady_clock::now() + std::chrono::seconds(run_s);
    while (!quit && std::chrono::steady_clock::now() < end) {
      ++seq;
      std::uint8_t b[8];
      put_be64(b, seq);
      for (std::uint32_t j = 0; j < n; ++j) {
        if (j == index) continue;
        bool c = nd.connected(OperatorIdx{j});
        if (c != up[j]) {
          up[j] = c;
          std::printf("%lld %s %u\n", now_ms(), c ? "UP" : "DOWN", j);
          std::fflush(stdout);
        }
        (void)nd.send(OperatorIdx{j}, kSeqProto, ByteSpan(b, 8));
      }
      co_await runtime::sleep_for(std::chrono::milliseconds(interval_ms));
    }
    signals.cancel();
    co_await nd.stop();
  };
  auto fut = asio::co_spawn(ioc, main_task(), asio::use_future);
  ioc.run();
  fut.get();
  return 0;
}
