// Beacon-node simulator over loopback: a client fetches the chain config, validators, duties and attestation
// data through BeaconNodeClient, signs with test keys, submits; the simulator verifies every signature.
#include "sim/beacon_sim.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include "beaconapi/http/client.hpp"
#include "beaconapi/http/server.hpp"
#include "crypto/bls/bls.hpp"
#include "eth/duty_signing.hpp"

namespace phx::sim {
namespace {

namespace asio = boost::asio;
namespace bls = crypto::bls;
using beaconapi::http::BeaconNodeClient;
using beaconapi::http::Endpoint;
using beaconapi::http::Server;
using beaconapi::http::ServerOptions;
using runtime::Task;
using namespace std::chrono_literals;

constexpr std::uint64_t kGenesis = 1'700'000'000;

std::vector<bls::SecretKey> test_keys(std::size_t n) {
  std::vector<bls::SecretKey> out;
  for (std::size_t i = 0; i < n; ++i) {
    Bytes ikm(32, static_cast<std::uint8_t>(i + 1));
    out.push_back(*bls::SecretKey::keygen(ikm));
  }
  return out;
}

BeaconSimConfig make_config(eth::Fork last_fork, const std::vector<bls::SecretKey>& keys) {
  BeaconSimConfig c;
  Root gvr{};
  gvr[0] = 0x77;
  c.chain = eth::devnet_config(last_fork, kGenesis, gvr);
  c.seed = 7;
  c.committees_per_slot = 2;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    c.validators.push_back(SimValidator{keys[i].public_key().to_bytes(), ValidatorIndex{100 + i}});
  }
  return c;
}

template <class F>
void run(F f) {
  asio::io_context io;
  asio::co_spawn(io, f(io.get_executor()), [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
  });
  io.run();
}

struct Fixture {
  std::vector<bls::SecretKey> keys = test_keys(4);
  ManualClock clock{TimePoint{} + std::chrono::seconds(kGenesis + 12 * 40)};
};

TEST(BeaconSim, AssignsDutiesDeterministically) {
  Fixture f;
  BeaconSim a(make_config(eth::Fork::kDeneb, f.keys), f.clock);
  BeaconSim b(make_config(eth::Fork::kDeneb, f.keys), f.clock);
  std::vector<ValidatorIndex> idx{ValidatorIndex{100}, ValidatorIndex{101}, ValidatorIndex{102},
                                  ValidatorIndex{103}, ValidatorIndex{999}};
  auto da = a.attester_duties(Epoch{3}, idx);
  ASSERT_EQ(da.size(), 4u);  // the unknown index is skipped
  auto db = b.attester_duties(Epoch{3}, idx);
  for (std::size_t i = 0; i < da.size(); ++i) {
    EXPECT_EQ(ssz::to_json(da[i]), ssz::to_json(db[i]));
    EXPECT_EQ(da[i].slot.value / 32, 3u);
    EXPECT_LT(da[i].committee_index, 2u);
    EXPECT_LT(da[i].validator_committee_index, da[i].committee_length);
  }
  auto p = a.proposer_duties(Epoch{2});
  ASSERT_EQ(p.size(), 32u);
  EXPECT_EQ(p.front().slot.value, 64u);
  EXPECT_EQ(a.current_slot().value, 40u);
}

/// Fetches everything through the client, signs every duty of epoch 1 and submits (phase0 or electra format).
Task<void> attest_epoch(BeaconNodeClient& client, const std::vector<bls::SecretKey>& keys, bool corrupt_first,
                        std::size_t* submitted) {
  auto cfg = co_await client.chain_config();
  EXPECT_TRUE(cfg.has_value()) << (cfg ? "" : cfg.error().message);
  if (!cfg) co_return;
  auto version = co_await client.node_version();
  EXPECT_TRUE(version && *version == "Phalanx-BeaconSim/0.1");
  auto sync = co_await client.syncing();
  EXPECT_TRUE(sync && sync->head_slot.value == 40 && !sync->is_syncing);
  std::vector<eth::BLSPubkey> pubkeys;
  for (const auto& k : keys) pubkeys.push_back(k.public_key().to_bytes());
  auto vals = co_await client.validators_by_pubkey("head", pubkeys);
  EXPECT_TRUE(vals && vals->size() == keys.size());
  if (!vals) co_return;
  std::vector<ValidatorIndex> indices;
  for (const auto& v : *vals) indices.push_back(v.index);
  auto duties = co_await client.attester_duties(Epoch{1}, indices);
  EXPECT_TRUE(duties && duties->duties.size() == keys.size());
  if (!duties) co_return;
  auto proposers = co_await client.proposer_duties(Epoch{1});
  EXPECT_TRUE(proposers && proposers->duties.size() == cfg->slots_per_epoch);
  bool first = true;
  for (const auto& d : duties->duties) {
    std::size_t k = 0;
    while (keys[k].public_key().to_bytes() != d.pubkey) ++k;
    auto data = co_await client.attestation_data(d.slot, d.committee_index);
    EXPECT_TRUE(data.has_value());
    if (!data) co_return;
    auto root = eth::attestation_signing_root(*cfg, *data);
    auto sig = keys[k].sign(root).to_bytes();
    if (corrupt_first && first) sig = keys[(k + 1) % keys.size()].sign(root).to_bytes();  // wrong key
    first = false;
    auto fork = cfg->fork_at(data->target.epoch);
    Result<void, beaconapi::http::ClientError> r;
    if (fork >= eth::Fork::kElectra) {
      // Member-wise (GCC 12 coroutines mishandle aggregate temporaries holding arrays).
      eth::electra::SingleAttestation a;
      a.committee_index = d.committee_index;
      a.attester_index = d.validator_index;
      a.data = *data;
      a.signature = sig;
      std::vector<eth::electra::SingleAttestation> batch{a};
      r = co_await client.submit_single_attestations(fork, batch);
    } else {
      eth::phase0::Attestation a;
      a.aggregation_bits = ssz::Bitlist<eth::preset::kMaxValidatorsPerCommittee>(d.committee_length);
      a.aggregation_bits.set(d.validator_committee_index, true);
      a.data = *data;
      a.signature = sig;
      std::vector<eth::phase0::Attestation> batch{a};
      r = co_await client.submit_attestations(fork, batch);
    }
    ++*submitted;
    if (corrupt_first && submitted && *submitted == 1) {
      EXPECT_FALSE(r.has_value());
      if (!r) {
        EXPECT_EQ(r.error().status, 400u);
        EXPECT_NE(r.error().message.find("failed"), std::string::npos) << r.error().message;
      }
    } else {
      EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message);
    }
  }
}

void end_to_end(eth::Fork fork, bool corrupt_first) {
  Fixture f;
  BeaconSim sim(make_config(fork, f.keys), f.clock);
  std::size_t submitted = 0;
  run([&](asio::any_io_executor ex) -> Task<void> {
    Server server(ex, sim.router(), ServerOptions{});
    EXPECT_TRUE(server.start().has_value());
    BeaconNodeClient client({Endpoint{"127.0.0.1", server.port()}});
    co_await attest_epoch(client, f.keys, corrupt_first, &submitted);
    co_await server.stop();
  });
  EXPECT_EQ(submitted, f.keys.size());
  const auto& st = sim.attestation_stats();
  EXPECT_EQ(st.accepted, f.keys.size() - (corrupt_first ? 1 : 0));
  EXPECT_EQ(st.rejected, corrupt_first ? 1u : 0u);
  if (corrupt_first) {
    EXPECT_EQ(st.by_reason.at(AttestationReject::kBadSignature), 1u);
  }
}

TEST(BeaconSimLoopback, Phase0FormatAttestationsAreVerifiedAndAccepted) {
  end_to_end(eth::Fork::kDeneb, false);
}
TEST(BeaconSimLoopback, ElectraSingleAttestationsAreVerifiedAndAccepted) {
  end_to_end(eth::Fork::kElectra, false);
}
TEST(BeaconSimLoopback, WrongSignatureIsRejectedAndCounted) {
  end_to_end(eth::Fork::kElectra, true);
}
TEST(BeaconSimLoopback, WrongSignatureIsRejectedInPhase0Format) {
  end_to_end(eth::Fork::kDeneb, true);
}

TEST(BeaconSim, RejectsWrongDataFormatAndDuty) {
  Fixture f;
  BeaconSim sim(make_config(eth::Fork::kElectra, f.keys), f.clock);
  auto duties = sim.attester_duties(Epoch{1}, {ValidatorIndex{100}});
  ASSERT_EQ(duties.size(), 1u);
  const auto& d = duties[0];
  auto data = sim.attestation_data(d.slot, d.committee_index);
  EXPECT_EQ(data.index, 0u);  // EIP-7549
  auto cfg = sim.config().chain;
  auto sig = f.keys[0].sign(eth::attestation_signing_root(cfg, data)).to_bytes();
  // Wrong committee: no duty.
  eth::electra::SingleAttestation wrong_committee{d.committee_index ^ 1, d.validator_index, data, sig};
  EXPECT_EQ(sim.submit(wrong_committee).error(), AttestationReject::kNoDuty);
  // Different block root, correctly signed: wrong data.
  auto other = data;
  other.beacon_block_root[0] ^= 1;
  eth::electra::SingleAttestation wrong_data{
      d.committee_index, d.validator_index, other,
      f.keys[0].sign(eth::attestation_signing_root(cfg, other)).to_bytes()};
  EXPECT_EQ(sim.submit(wrong_data).error(), AttestationReject::kWrongData);
  // Unknown validator, phase0 format after electra, garbage signature bytes.
  eth::electra::SingleAttestation unknown{d.committee_index, ValidatorIndex{5}, data, sig};
  EXPECT_EQ(sim.submit(unknown).error(), AttestationReject::kUnknownValidator);
  eth::phase0::Attestation old;
  old.data = data;
  EXPECT_EQ(sim.submit(old).error(), AttestationReject::kWrongFormat);
  eth::BLSSignature garbage{};
  garbage.fill(0xff);
  eth::electra::SingleAttestation bad_sig{d.committee_index, d.validator_index, data, garbage};
  EXPECT_EQ(sim.submit(bad_sig).error(), AttestationReject::kBadSignature);
  eth::electra::SingleAttestation good{d.committee_index, d.validator_index, data, sig};
  EXPECT_TRUE(sim.submit(good).has_value());
  EXPECT_EQ(sim.attestation_stats().accepted, 1u);
  EXPECT_EQ(sim.attestation_stats().rejected, 5u);
}

TEST(BeaconSimLoopback, BadRequestsGetBeaconApiErrors) {
  Fixture f;
  BeaconSim sim(make_config(eth::Fork::kElectra, f.keys), f.clock);
  run([&](asio::any_io_executor ex) -> Task<void> {
    Server server(ex, sim.router(), ServerOptions{});
    EXPECT_TRUE(server.start().has_value());
    Endpoint ep{"127.0.0.1", server.port()};
    beaconapi::http::ClientRequest req;
    req.target = "/eth/v1/validator/attestation_data?slot=abc&committee_index=0";
    auto r = co_await beaconapi::http::send_request(ep, req, 2s);
    EXPECT_TRUE(r && r->status == 400 && r->body.find("slot") != std::string::npos);
    req.method = beaconapi::http::Method::kPost;
    req.target = "/eth/v2/beacon/pool/attestations";
    req.body = "[]";
    auto nohdr = co_await beaconapi::http::send_request(ep, req, 2s);
    EXPECT_TRUE(nohdr && nohdr->status == 400 &&
                nohdr->body.find("Eth-Consensus-Version") != std::string::npos);
    req.consensus_version = "electra";
    req.body = R"([{"committee_index":"0"}])";
    auto bad = co_await beaconapi::http::send_request(ep, req, 2s);
    EXPECT_TRUE(bad && bad->status == 400 && bad->body.find("failures") != std::string::npos);
    req.method = beaconapi::http::Method::kGet;
    req.target = "/eth/v1/node/version";
    auto v = co_await beaconapi::http::send_request(ep, req, 2s);
    EXPECT_TRUE(v && v->status == 200 && v->body.find("BeaconSim") != std::string::npos);
    req.target = "/eth/v1/validator/attestation_data?slot=33&committee_index=1";
    req.accept = "application/octet-stream";
    auto s = co_await beaconapi::http::send_request(ep, req, 2s);
    EXPECT_TRUE(s && s->status == 200 && s->body.size() == 128u);  // AttestationData is 128 bytes of SSZ
    co_await server.stop();
  });
}

TEST(BeaconSimLoopback, AcceptsSszSubmissionBodies) {
  Fixture f;
  BeaconSim sim(make_config(eth::Fork::kElectra, f.keys), f.clock);
  auto d = sim.attester_duties(Epoch{1}, {ValidatorIndex{101}}).at(0);
  auto data = sim.attestation_data(d.slot, d.committee_index);
  ssz::List<eth::electra::SingleAttestation, 8> list;
  eth::electra::SingleAttestation a;
  a.committee_index = d.committee_index;
  a.attester_index = d.validator_index;
  a.data = data;
  a.signature = f.keys[1].sign(eth::attestation_signing_root(sim.config().chain, data)).to_bytes();
  list.push_back(a);
  a.signature = f.keys[2].sign(eth::attestation_signing_root(sim.config().chain, data)).to_bytes();
  list.push_back(a);  // same validator, wrong key
  auto bytes = ssz::serialize(list);
  run([&](asio::any_io_executor ex) -> Task<void> {
    Server server(ex, sim.router(), ServerOptions{});
    EXPECT_TRUE(server.start().has_value());
    Endpoint ep{"127.0.0.1", server.port()};
    beaconapi::http::ClientRequest req;
    req.method = beaconapi::http::Method::kPost;
    req.target = "/eth/v2/beacon/pool/attestations";
    req.content_type = "application/octet-stream";
    req.consensus_version = "electra";
    req.body.assign(bytes.begin(), bytes.end());
    auto r = co_await beaconapi::http::send_request(ep, req, 2s);
    EXPECT_TRUE(r && r->status == 400 && r->body.find(R"("index":1)") != std::string::npos)
        << (r ? r->body : "");
    req.body = "\x01\x02\x03";  // not a multiple of the element size
    auto bad = co_await beaconapi::http::send_request(ep, req, 2s);
    EXPECT_TRUE(bad && bad->status == 400 && bad->body.find("SSZ") != std::string::npos);
    co_await server.stop();
  });
  EXPECT_EQ(sim.attestation_stats().accepted, 1u);
  EXPECT_EQ(sim.attestation_stats().rejected, 1u);
}

}  // namespace
}  // namespace phx::sim
