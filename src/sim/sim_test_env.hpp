#pragma once
// Shared set-up of the beacon simulator's tests: keys, a fake clock, a loopback client, reason counters.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <set>

#include "beaconapi/http/client.hpp"
#include "beaconapi/http/server.hpp"
#include "crypto/bls/bls.hpp"
#include "crypto/hash/sha256.hpp"
#include "eth/duty_signing.hpp"
#include "sim/beacon_sim.hpp"

namespace phx::sim {
namespace {

namespace asio = boost::asio;
namespace bls = crypto::bls;
namespace bapi = beaconapi;
using bapi::http::BeaconNodeClient;
using bapi::http::ClientError;
using bapi::http::Endpoint;
using bapi::http::Server;
using bapi::http::ServerOptions;
using runtime::Task;

constexpr std::uint64_t kGenesis = 1'700'000'000;
constexpr std::uint64_t kFirstIndex = 100;

std::vector<bls::SecretKey> test_keys(std::size_t n) {
  std::vector<bls::SecretKey> out;
  for (std::size_t i = 0; i < n; ++i) {
    Bytes ikm(32, static_cast<std::uint8_t>(i + 1));
    out.push_back(*bls::SecretKey::keygen(ikm));
  }
  return out;
}

struct Env {
  std::vector<bls::SecretKey> keys = test_keys(4);
  ManualClock clock{TimePoint{} + std::chrono::seconds(kGenesis + 12 * 40)};  // slot 40, epoch 1

  BeaconSimConfig config(eth::Fork last_fork) const {
    BeaconSimConfig c;
    Root gvr{};
    gvr[0] = 0x77;
    c.chain = eth::devnet_config(last_fork, kGenesis, gvr);
    c.seed = 7;
    c.committees_per_slot = 2;
    for (std::size_t i = 0; i < keys.size(); ++i) {
      c.validators.push_back(SimValidator{keys[i].public_key().to_bytes(), ValidatorIndex{kFirstIndex + i}});
    }
    return c;
  }
  const bls::SecretKey& key(ValidatorIndex v) const { return keys.at(v.value - kFirstIndex); }
  std::vector<ValidatorIndex> indices() const {
    std::vector<ValidatorIndex> out;
    for (std::size_t i = 0; i < keys.size(); ++i) out.push_back(ValidatorIndex{kFirstIndex + i});
    return out;
  }
};

/// Serves `sim` on an ephemeral loopback port and runs `body(client)`.
template <class Body>
void with_client(BeaconSim& sim, Body body) {
  asio::io_context io;
  auto top = [&]() -> Task<void> {
    Server server(io.get_executor(), sim.router(), ServerOptions{});
    EXPECT_TRUE(server.start().has_value());
    BeaconNodeClient client({Endpoint{"127.0.0.1", server.port()}});
    co_await body(client);
    co_await server.stop();
  };
  asio::co_spawn(io, top(), [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
  });
  io.run();
}

std::string err(const Result<void, ClientError>& r) {
  return r ? std::string() : r.error().message;
}

/// The reject reason of a submission (nullopt when accepted).
std::optional<Reject> why(const Result<void, Reject>& r) {
  if (r) return std::nullopt;
  return r.error();
}

template <class T>
std::uint64_t reason(const BeaconSim& sim, SimDuty d, T r) {
  const auto& m = sim.stats(d).by_reason;
  auto it = m.find(r);
  return it == m.end() ? 0 : it->second;
}


struct ProposerOf {
  ValidatorIndex index{};
  eth::BLSSignature randao{};
};
ProposerOf proposer_of(const Env& env, const BeaconSim& sim, Slot slot) {
  const auto& chain = sim.config().chain;
  auto epoch = chain.epoch_at(slot);
  auto duties = sim.proposer_duties(epoch);
  auto idx = duties.at(slot.value % chain.slots_per_epoch).validator_index;
  return {idx, env.key(idx).sign(eth::randao_signing_root(chain, epoch)).to_bytes()};
}


}  // namespace
}  // namespace phx::sim
