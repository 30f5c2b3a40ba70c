#pragma once
// Shared set-up of the beacon simulator's tests: keys, a fake clock, a loopback client, reason counters, blocks.
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

[[maybe_unused]] std::string err(const Result<void, ClientError>& r) {
  return r ? std::string() : r.error().message;
}

/// The reject reason of a submission (nullopt when accepted).
[[maybe_unused]] std::optional<Reject> why(const Result<void, Reject>& r) {
  if (r) return std::nullopt;
  return r.error();
}

/// The phase0 attestation of attester duty `d`, over the data the simulator serves, signed with `d`'s full key.
[[maybe_unused]] eth::phase0::Attestation signed_attestation(const Env& env, const BeaconSim& sim,
                                                             const bapi::http::AttesterDuty& d) {
  eth::phase0::Attestation att{};
  att.aggregation_bits = decltype(att.aggregation_bits)(d.committee_length);
  att.aggregation_bits.set(d.validator_committee_index, true);
  att.data = sim.attestation_data(d.slot, d.committee_index);
  att.signature = env.key(d.validator_index).sign(eth::attestation_signing_root(sim.config().chain, att.data)).to_bytes();
  return att;
}

template <class T>
std::uint64_t reason(const BeaconSim& sim, SimDuty d, T r) {
  const auto& m = sim.stats(d).by_reason;
  auto it = m.find(r);
  return it == m.end() ? 0 : it->second;
}


// Blocks: edit, sign and root of a produced block of any fork.

/// The block inside a produced value (BlockContents from deneb on).
template <class X>
auto& inner_block(X& x) {
  if constexpr (requires { x.kzg_proofs; }) {
    return x.block;
  } else {
    return x;
  }
}

/// Applies fn to the (unsigned) block held by a versioned produced or blinded block.
template <class V, class Fn>
void edit_block(V& v, Fn fn) {
  std::visit(
      [&](auto& x) {
        if constexpr (!std::is_same_v<std::remove_cvref_t<decltype(x)>, std::monostate>) fn(inner_block(x));
      },
      v.value);
}

template <std::size_t I = 0>
bapi::VersionedSignedProducedBlock sign_full(const bapi::VersionedProducedBlock& v, const bls::SecretKey& sk,
                                             const eth::ChainConfig& c) {
  if constexpr (I == eth::kForkCount) {
    ADD_FAILURE() << "no fork";
    return {};
  } else {
    if (v.value.index() != I) return sign_full<I + 1>(v, sk, c);
    const auto& x = std::get<I>(v.value);
    std::variant_alternative_t<I, bapi::VersionedSignedProducedBlock::Variant> s;
    if constexpr (requires { x.kzg_proofs; }) {
      s.signed_block.message = x.block;
      s.signed_block.signature = sk.sign(eth::block_signing_root(c, x.block)).to_bytes();
      s.kzg_proofs = x.kzg_proofs;
      s.blobs = x.blobs;
    } else {
      s.message = x;
      s.signature = sk.sign(eth::block_signing_root(c, x)).to_bytes();
    }
    return bapi::VersionedSignedProducedBlock{
        bapi::VersionedSignedProducedBlock::Variant(std::in_place_index<I>, std::move(s))};
  }
}

template <std::size_t I = 2>
bapi::VersionedSignedBlindedBeaconBlock sign_blinded(const bapi::VersionedBlindedBeaconBlock& v,
                                                     const bls::SecretKey& sk, const eth::ChainConfig& c) {
  if constexpr (I == eth::kForkCount) {
    ADD_FAILURE() << "no fork";
    return {};
  } else {
    if (v.value.index() != I) return sign_blinded<I + 1>(v, sk, c);
    std::variant_alternative_t<I, bapi::VersionedSignedBlindedBeaconBlock::Variant> s;
    s.message = std::get<I>(v.value);
    s.signature = sk.sign(eth::block_signing_root(c, s.message)).to_bytes();
    return bapi::VersionedSignedBlindedBeaconBlock{
        bapi::VersionedSignedBlindedBeaconBlock::Variant(std::in_place_index<I>, std::move(s))};
  }
}

template <class V>
Root block_root_of(const V& v) {
  Root r{};
  std::visit(
      [&](const auto& x) {
        if constexpr (!std::is_same_v<std::remove_cvref_t<decltype(x)>, std::monostate>) {
          r = ssz::hash_tree_root(inner_block(x));
        }
      },
      v.value);
  return r;
}

struct ProposerOf {
  ValidatorIndex index{};
  eth::BLSSignature randao{};
};
[[maybe_unused]] ProposerOf proposer_of(const Env& env, const BeaconSim& sim, Slot slot) {
  const auto& chain = sim.config().chain;
  auto epoch = chain.epoch_at(slot);
  auto duties = sim.proposer_duties(epoch);
  auto idx = duties.at(slot.value % chain.slots_per_epoch).validator_index;
  return {idx, env.key(idx).sign(eth::randao_signing_root(chain, epoch)).to_bytes()};
}


}  // namespace
}  // namespace phx::sim
