// Validator API tests of the intercepted duty endpoints: served data and partials verified per family.
#include <gtest/gtest.h>

#include "beaconapi/vapi/vapi_doubles_test.hpp"

namespace phx::beaconapi::vapi {
namespace {

using namespace testing;

TEST(ValidatorApi, AttestationDataComesFromTheBackend) {
  run([]() -> Task<void> {
    Env env(co_await asio::this_coro::executor, eth::Fork::kAltair);
    auto r = co_await env.call(http::Method::kGet, "/eth/v1/validator/attestation_data?slot=33&committee_index=3");
    EXPECT_EQ(r.status, 200u) << r.body;
    auto d = ssz::from_json<eth::phase0::AttestationData>(body_json(r)["data"]);
    EXPECT_TRUE(d.has_value());
    if (d) {
      EXPECT_EQ(*d, BackendDouble::att_data(Slot{33}, 3));
    }
    auto ssz_r = co_await env.call(http::Method::kGet, "/eth/v1/validator/attestation_data?slot=33&committee_index=3",
                                   "", "", "application/json", "application/octet-stream");
    EXPECT_EQ(ssz_r.content_type, "application/octet-stream");
    EXPECT_EQ(ssz_r.body.size(), 128u);
    auto bad = co_await env.call(http::Method::kGet, "/eth/v1/validator/attestation_data?slot=x&committee_index=3");
    EXPECT_EQ(bad.status, 400u);
    EXPECT_NE(bad.body.find("slot"), std::string::npos);
    EXPECT_EQ(env.log.requests, 0);  // never reached the beacon node
    co_await env.stop();
  });
}

TEST(ValidatorApi, BackendTimeoutIs503) {
  run([]() -> Task<void> {
    Env env(co_await asio::this_coro::executor, eth::Fork::kAltair, 100ms);
    env.backend.hang_ = true;
    auto r = co_await env.call(http::Method::kGet, "/eth/v1/validator/attestation_data?slot=33&committee_index=3");
    EXPECT_EQ(r.status, 503u);
    EXPECT_EQ(body_json(r)["code"], 503);
    co_await env.stop();
  });
}

TEST(ValidatorApi, AttestationV1VerifiedAgainstOwnShareAndMappedByDuties) {
  run([]() -> Task<void> {
    Env env(co_await asio::this_coro::executor, eth::Fork::kAltair);
    auto& b = env.backend;
    // The VC fetches its duties first (the VAPI learns committee positions from the answer).
    auto duties = co_await env.call(http::Method::kPost, "/eth/v1/validator/duties/attester/1", R"(["7"])");
    EXPECT_EQ(duties.status, 200u);
    EXPECT_EQ(body_json(duties)["data"][0]["pubkey"], to_hex(b.own_));  // DV key rewritten to the share
    EXPECT_EQ(env.log.body, R"(["7"])");

    auto ok = co_await env.call(http::Method::kPost, "/eth/v1/beacon/pool/attestations", attestation_body(b, b.own_sk_, 5));
    EXPECT_EQ(ok.status, 200u) << ok.body;
    EXPECT_EQ(b.submitted_.size(), 1u);
    if (b.submitted_.size() == 1) {
      const auto& [kind, p] = b.submitted_[0];
      EXPECT_EQ(kind, PartialKind::kAttestation);
      EXPECT_EQ(p.dv_pubkey, b.dv_);
      EXPECT_EQ(p.validator_index, kIndex);
      EXPECT_EQ(p.committee_index, 3u);
      EXPECT_EQ(std::get<eth::phase0::AttestationData>(p.message), BackendDouble::att_data(Slot{33}, 3));
    }
    // Another operator's signature does not verify against this node's share.
    auto wrong = co_await env.call(http::Method::kPost, "/eth/v1/beacon/pool/attestations",
                                   attestation_body(b, b.other_sk_, 5));
    EXPECT_EQ(wrong.status, 400u);
    EXPECT_NE(first_failure(wrong).find("invalid signature"), std::string::npos) << wrong.body;
    // A committee position no cluster validator holds.
    auto unknown = co_await env.call(http::Method::kPost, "/eth/v1/beacon/pool/attestations",
                                     attestation_body(b, b.own_sk_, 6));
    EXPECT_EQ(unknown.status, 400u);
    EXPECT_NE(first_failure(unknown).find("unknown validator"), std::string::npos) << unknown.body;
    EXPECT_EQ(b.submitted_.size(), 1u);
    EXPECT_EQ(env.vapi->stats().partials_accepted, 1u);
    co_await env.stop();
  });
}

TEST(ValidatorApi, MixedBatchPassesGoodItemsAndListsBadOnes) {
  run([]() -> Task<void> {
    Env env(co_await asio::this_coro::executor, eth::Fork::kAltair);
    auto& b = env.backend;
    (void)co_await env.call(http::Method::kPost, "/eth/v1/validator/duties/attester/1", R"(["7"])");
    auto good = ssz::parse_json(attestation_body(b, b.own_sk_, 5));
    auto bad = ssz::parse_json(attestation_body(b, b.other_sk_, 5));
    Json both = Json::array({(*good)[0], (*bad)[0]});
    auto r = co_await env.call(http::Method::kPost, "/eth/v1/beacon/pool/attestations", both.dump());
    EXPECT_EQ(r.status, 400u);
    auto j = body_json(r);
    EXPECT_EQ(j["code"], 400);
    EXPECT_EQ(j["failures"].size(), 1u);
    EXPECT_EQ(j["failures"][0]["index"], 1);
    EXPECT_EQ(b.submitted_.size(), 1u);
    co_await env.stop();
  });
}

TEST(ValidatorApi, MalformedBodiesAre400) {
  run([]() -> Task<void> {
    Env env(co_await asio::this_coro::executor, eth::Fork::kAltair);
    auto r1 = co_await env.call(http::Method::kPost, "/eth/v1/beacon/pool/attestations", "[{not json");
    EXPECT_EQ(r1.status, 400u);
    auto r2 = co_await env.call(http::Method::kPost, "/eth/v1/beacon/pool/attestations", R"([{"data":{}}])");
    EXPECT_EQ(r2.status, 400u);
    EXPECT_NE(r2.body.find("aggregation_bits"), std::string::npos) << r2.body;
    auto r3 = co_await env.call(http::Method::kPost, "/eth/v2/beacon/pool/attestations", "\x01\x02\x03", "altair",
                                "application/octet-stream");
    EXPECT_EQ(r3.status, 400u);
    EXPECT_NE(r3.body.find("SSZ"), std::string::npos) << r3.body;
    auto r4 = co_await env.call(http::Method::kPost, "/eth/v2/beacon/pool/attestations", "[]");
    EXPECT_EQ(r4.status, 400u);  // missing Eth-Consensus-Version
    auto r5 = co_await env.call(http::Method::kPost, "/eth/v1/beacon/blocks", R"({"message":{"slot":"1"}})");
    EXPECT_EQ(r5.status, 400u);
    auto r6 = co_await env.call(http::Method::kPost, "/eth/v2/beacon/pool/attestations", "[]", "\xff\xfe");
    EXPECT_EQ(r6.status, 400u) << r6.body;  // a non-UTF-8 header echoed in the message is still a clean 400
    EXPECT_TRUE(env.backend.submitted_.empty());
    co_await env.stop();
  });
}

// A body of more than 16,384 items is refused whole with a 400 before any item is looked at; the same body one
// item smaller is decoded item by item. An identical resubmission is answered like the first.
TEST(ValidatorApi, BodiesAbove16384ItemsAre400AndAResubmissionIsAccepted) {
  run([]() -> Task<void> {
    Env env(co_await asio::this_coro::executor, eth::Fork::kAltair);
    auto& b = env.backend;
    (void)co_await env.call(http::Method::kPost, "/eth/v1/validator/duties/attester/1", R"(["7"])");
    auto one = ssz::parse_json(attestation_body(b, b.own_sk_, 5));
    // Empty objects keep the body small (a body above 8 MiB is refused before it is parsed).
    std::string many = "[{}";
    for (std::size_t i = 1; i < kMaxBodyItems + 1; ++i) many += ",{}";
    many += "]";
    auto r = co_await env.call(http::Method::kPost, "/eth/v1/beacon/pool/attestations", many);
    EXPECT_EQ(r.status, 400u);
    EXPECT_NE(r.body.find("too many items"), std::string::npos) << r.body.substr(0, 200);
    many.resize(many.size() - 4);  // one item fewer: decoded, and the first item names its missing field
    many += "]";
    r = co_await env.call(http::Method::kPost, "/eth/v1/beacon/pool/attestations", many);
    EXPECT_EQ(r.status, 400u);
    EXPECT_EQ(r.body.find("too many items"), std::string::npos) << r.body.substr(0, 200);
    EXPECT_NE(r.body.find("aggregation_bits"), std::string::npos) << r.body.substr(0, 200);
    EXPECT_TRUE(b.submitted_.empty());
    auto first = co_await env.call(http::Method::kPost, "/eth/v1/beacon/pool/attestations", one->dump());
    EXPECT_EQ(first.status, 200u) << first.body;
    auto again = co_await env.call(http::Method::kPost, "/eth/v1/beacon/pool/attestations", one->dump());
    EXPECT_EQ(again.status, 200u) << again.body;
    co_await env.stop();
  });
}

// When the workflow refuses a verified batch (its duty's deadline passed, a conflicting or slashable partial), the
// VC gets that status: a 400 names every item passed on with the reason (the spec's pool-submission body), a 5xx
// (slashing protection unavailable) is answered as is; nothing counts as submitted.
TEST(ValidatorApi, AWorkflowRefusalOfTheBatchReachesTheVcWithItsStatusPerItem) {
  run([]() -> Task<void> {
    Env env(co_await asio::this_coro::executor, eth::Fork::kAltair);
    auto& b = env.backend;
    (void)co_await env.call(http::Method::kPost, "/eth/v1/validator/duties/attester/1", R"(["7"])");
    const std::string body = attestation_body(b, b.own_sk_, 5);
    for (const char* reason : {"duty deadline passed: expired", "refused by slashing protection: double vote",
                               "conflicting partial signature"}) {
      b.submit_error_ = ApiError{400, reason};
      auto r = co_await env.call(http::Method::kPost, "/eth/v1/beacon/pool/attestations", body);
      EXPECT_EQ(r.status, 400u) << reason;
      EXPECT_EQ(first_failure(r), reason);
      EXPECT_EQ(body_json(r)["failures"][0]["index"], 0);
    }
    b.submit_error_ = ApiError{500, "slashing protection unavailable: disk I/O error"};
    auto r = co_await env.call(http::Method::kPost, "/eth/v1/beacon/pool/attestations", body);
    EXPECT_EQ(r.status, 500u);
    EXPECT_NE(r.body.find("slashing protection unavailable"), std::string::npos) << r.body;
    EXPECT_TRUE(b.submitted_.empty());
    b.submit_error_.reset();
    r = co_await env.call(http::Method::kPost, "/eth/v1/beacon/pool/attestations", body);
    EXPECT_EQ(r.status, 200u) << r.body;
    EXPECT_EQ(b.submitted_.size(), 1u);
    co_await env.stop();
  });
}

TEST(ValidatorApi, ElectraSingleAttestationUsesAttesterIndex) {
  run([]() -> Task<void> {
    Env env(co_await asio::this_coro::executor, eth::Fork::kElectra);
    auto& b = env.backend;
    eth::electra::SingleAttestation a{};
    a.committee_index = 3;
    a.attester_index = kIndex;
    a.data = BackendDouble::att_data(Slot{33}, 0);
    a.signature = sign(b.own_sk_, eth::attestation_signing_root(b.config_, a.data));
    Bytes ssz_list = ssz::serialize(ssz::List<eth::electra::SingleAttestation, 4>{a});
    auto r = co_await env.call(http::Method::kPost, "/eth/v2/beacon/pool/attestations",
                               std::string(ssz_list.begin(), ssz_list.end()), "electra", "application/octet-stream");
    EXPECT_EQ(r.status, 200u) << r.body;
    EXPECT_EQ(b.submitted_.size(), 1u);
    if (!b.submitted_.empty()) {
      EXPECT_EQ(b.submitted_[0].second.committee_index, 3u);
    }
    co_await env.stop();
  });
}

TEST(ValidatorApi, RegistrationsNeedThisNodesShare) {
  run([]() -> Task<void> {
    Env env(co_await asio::this_coro::executor, eth::Fork::kAltair);
    auto& b = env.backend;
    auto reg_body = [&b](const eth::BLSPubkey& share, const bls::SecretKey& sk) {
      eth::phase0::ValidatorRegistrationV1 m{};
      m.gas_limit = 30'000'000;
      m.timestamp = kGenesis;
      m.pubkey = b.dv_;  // signed over the DV key: what the cluster registers
      eth::phase0::SignedValidatorRegistrationV1 s{};
      s.signature = sign(sk, eth::registration_signing_root(b.config_, m));
      m.pubkey = share;  // the VC names itself by its share
      s.message = m;
      return array_of(s);
    };
    auto other = co_await env.call(http::Method::kPost, "/eth/v1/validator/register_validator",
                                   reg_body(b.other_, b.other_sk_));
    EXPECT_EQ(other.status, 400u);
    EXPECT_NE(first_failure(other).find("another operator"), std::string::npos) << other.body;
    auto unknown = co_await env.call(http::Method::kPost, "/eth/v1/validator/register_validator",
                                     reg_body(eth::BLSPubkey{}, b.own_sk_));
    EXPECT_NE(first_failure(unknown).find("unknown validator"), std::string::npos) << unknown.body;
    auto ok = co_await env.call(http::Method::kPost, "/eth/v1/validator/register_validator",
                                reg_body(b.own_, b.own_sk_));
    EXPECT_EQ(ok.status, 200u) << ok.body;
    EXPECT_EQ(b.submitted_.size(), 1u);
    // A VC that overrides the registration key with the DV key.
    auto by_dv = co_await env.call(http::Method::kPost, "/eth/v1/validator/register_validator",
                                   reg_body(b.dv_, b.own_sk_));
    EXPECT_EQ(by_dv.status, 200u) << by_dv.body;
    // Signed over its own share key instead of the DV key: cannot be combined.
    eth::phase0::ValidatorRegistrationV1 own_msg{};
    own_msg.pubkey = b.own_;
    eth::phase0::SignedValidatorRegistrationV1 own_signed{};
    own_signed.message = own_msg;
    own_signed.signature = sign(b.own_sk_, eth::registration_signing_root(b.config_, own_msg));
    auto wrong = co_await env.call(http::Method::kPost, "/eth/v1/validator/register_validator", array_of(own_signed));
    EXPECT_NE(first_failure(wrong).find("invalid signature"), std::string::npos) << wrong.body;
    EXPECT_EQ(b.submitted_.size(), 2u);
    if (!b.submitted_.empty()) {
      EXPECT_EQ(std::get<eth::phase0::ValidatorRegistrationV1>(b.submitted_[0].second.message).pubkey, b.dv_);
    }
    co_await env.stop();
  });
}

TEST(ValidatorApi, ProposerPreparationsCarryTheLocksFeeRecipient) {
  run([]() -> Task<void> {
    Env env(co_await asio::this_coro::executor, eth::Fork::kDeneb);
    eth::ExecutionAddress lock{};
    lock.fill(0xab);
    const std::string vc = "0x0000000000000000000000000000000000000000";
    const std::string body = R"([{"validator_index":"7","fee_recipient":")" + vc +
                             R"("},{"validator_index":"9","fee_recipient":")" + vc + R"("}])";
    // No lock fee recipients known yet: passed through unchanged.
    auto r0 = co_await env.call(http::Method::kPost, "/eth/v1/validator/prepare_beacon_proposer", body);
    EXPECT_EQ(r0.status, 200u) << r0.body;
    EXPECT_EQ(env.log.body, body);
    // Validator 7 is the cluster's: the VC's fee recipient is replaced by the lock's; 9 is not and passes.
    env.backend.fee_recipients_[ValidatorIndex{7}] = lock;
    auto r1 = co_await env.call(http::Method::kPost, "/eth/v1/validator/prepare_beacon_proposer", body);
    EXPECT_EQ(r1.status, 200u) << r1.body;
    auto sent = ssz::Json::parse(env.log.body);
    EXPECT_EQ(sent.size(), 2u);
    if (sent.size() != 2) co_return;
    EXPECT_EQ(sent[0]["validator_index"], "7");
    EXPECT_EQ(sent[0]["fee_recipient"], to_hex(lock));
    EXPECT_EQ(sent[1]["fee_recipient"], vc);
    // Already the lock's (any letter case): unchanged.
    const std::string same = R"([{"validator_index":"7","fee_recipient":"0xABABABABABABABABABABABABABABABABABABABAB"}])";
    auto r2 = co_await env.call(http::Method::kPost, "/eth/v1/validator/prepare_beacon_proposer", same);
    EXPECT_EQ(r2.status, 200u);
    EXPECT_EQ(env.log.body, same);
    co_await env.stop();
  });
}

TEST(ValidatorApi, ProduceBlockVerifiesThePartialRandao) {
  run([]() -> Task<void> {
    Env env(co_await asio::this_coro::executor, eth::Fork::kAltair);
    auto& b = env.backend;
    auto root = eth::randao_signing_root(b.config_, Epoch{1});
    std::string good = to_hex(sign(b.own_sk_, root));
    auto r = co_await env.call(http::Method::kGet, "/eth/v3/validator/blocks/34?randao_reveal=" + good);
    EXPECT_EQ(r.status, 200u) << r.body;
    EXPECT_EQ(r.consensus_version, "altair");
    auto j = body_json(r);
    EXPECT_EQ(j["version"], "altair");
    EXPECT_EQ(j["execution_payload_blinded"], false);
    EXPECT_EQ(j["data"]["slot"], "34");
    EXPECT_EQ(b.randao_.size(), 1u);
    std::string v2_target = "/eth/v2/validator/blocks/34?randao_reveal=" + good + "&graffiti=" + to_hex(Root{});
    auto v2 = co_await env.call(http::Method::kGet, v2_target);
    EXPECT_EQ(v2.status, 200u) << v2.body;
    EXPECT_EQ(b.preference_, BlockPreference::kFull);
    EXPECT_EQ(body_json(v2)["version"], "altair");
    EXPECT_EQ(body_json(v2)["block_value"], "0");  // Lodestar 1.5.1's client requires it
    // Lodestar 1.5.1 sends graffiti as URL-encoded text.
    auto text = co_await env.call(http::Method::kGet,
                                  "/eth/v2/validator/blocks/34?graffiti=Lodestar-v1.5.1%2F2115aa7&randao_reveal=" + good);
    EXPECT_EQ(text.status, 200u) << text.body;
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(b.graffiti_.data()), 24), "Lodestar-v1.5.1/2115aa7\0"s);
    auto too_long = co_await env.call(http::Method::kGet, "/eth/v2/validator/blocks/34?graffiti=" +
                                                              std::string(33, 'x') + "&randao_reveal=" + good);
    EXPECT_EQ(too_long.status, 400u);
    auto bad = co_await env.call(http::Method::kGet,
                                 "/eth/v3/validator/blocks/34?randao_reveal=" + to_hex(sign(b.other_sk_, root)));
    EXPECT_EQ(bad.status, 400u);
    EXPECT_NE(bad.body.find("randao_reveal"), std::string::npos);
    auto not_ours = co_await env.call(http::Method::kGet, "/eth/v3/validator/blocks/35?randao_reveal=" + good);
    EXPECT_EQ(not_ours.status, 404u);
    EXPECT_EQ(b.randao_.size(), 3u);
    co_await env.stop();
  });
}

TEST(ValidatorApi, SignedBlockV1WithoutHeaderTakesTheForkFromTheSlot) {
  run([]() -> Task<void> {
    Env env(co_await asio::this_coro::executor, eth::Fork::kAltair);
    auto& b = env.backend;
    eth::altair::BeaconBlock blk{};
    blk.slot = Slot{34};
    blk.proposer_index = kIndex;
    eth::altair::SignedBeaconBlock sb{};
    sb.message = blk;
    sb.signature = sign(b.own_sk_, eth::block_signing_root(b.config_, blk));
    auto r = co_await env.call(http::Method::kPost, "/eth/v1/beacon/blocks", ssz::to_json(sb).dump());
    EXPECT_EQ(r.status, 200u) << r.body;
    EXPECT_EQ(b.submitted_.size(), 1u);
    if (!b.submitted_.empty()) {
      EXPECT_EQ(b.submitted_[0].first, PartialKind::kBlock);
      const auto& blk_msg = std::get<VersionedBeaconBlock>(b.submitted_[0].second.message);
      EXPECT_EQ(blk_msg.fork(), eth::Fork::kAltair);
    }
    sb.signature = sign(b.other_sk_, eth::block_signing_root(b.config_, blk));
    auto bad = co_await env.call(http::Method::kPost, "/eth/v2/beacon/blocks", ssz::to_json(sb).dump(), "altair");
    EXPECT_EQ(bad.status, 400u);
    co_await env.stop();
  });
}

TEST(ValidatorApi, AggregationFlowV1) {
  run([]() -> Task<void> {
    Env env(co_await asio::this_coro::executor, eth::Fork::kAltair);
    auto& b = env.backend;
    // Selection: partial in, combined out.
    BeaconCommitteeSelection sel{};
    sel.validator_index = kIndex;
    sel.slot = Slot{33};
    sel.selection_proof = sign(b.own_sk_, eth::selection_proof_signing_root(b.config_, Slot{33}));
    auto sr = co_await env.call(http::Method::kPost, "/eth/v1/validator/beacon_committee_selections",
                                array_of(sel));
    EXPECT_EQ(sr.status, 200u) << sr.body;
    auto combined = ssz::from_json<BeaconCommitteeSelection>(body_json(sr)["data"][0]);
    EXPECT_TRUE(combined.has_value());
    if (combined) {
      EXPECT_EQ(combined->selection_proof, sign(b.dv_sk_, eth::selection_proof_signing_root(b.config_, Slot{33})));
    }
    sel.selection_proof = sign(b.other_sk_, eth::selection_proof_signing_root(b.config_, Slot{33}));
    auto bad_sel = co_await env.call(http::Method::kPost, "/eth/v1/validator/beacon_committee_selections",
                                     array_of(sel));
    EXPECT_EQ(bad_sel.status, 400u);
    // Aggregate (v1 answers the phase0 layout) and the signed aggregate.
    std::string agg_target = "/eth/v1/validator/aggregate_attestation?slot=33&attestation_data_root=" + to_hex(Root{});
    auto ar = co_await env.call(http::Method::kGet, agg_target);
    EXPECT_EQ(ar.status, 200u) << ar.body;
    auto att = ssz::from_json<eth::phase0::Attestation>(body_json(ar)["data"]);
    EXPECT_TRUE(att.has_value());
    if (att) {
      eth::phase0::AggregateAndProof aap{};
      aap.aggregator_index = kIndex;
      aap.aggregate = *att;
      if (combined) aap.selection_proof = combined->selection_proof;
      eth::phase0::SignedAggregateAndProof s{};
      s.message = aap;
      s.signature = sign(b.own_sk_, eth::aggregate_and_proof_signing_root(b.config_, aap));
      auto pr = co_await env.call(http::Method::kPost, "/eth/v1/validator/aggregate_and_proofs",
                                  array_of(s));
      EXPECT_EQ(pr.status, 200u) << pr.body;
      EXPECT_EQ(b.submitted_.size(), 1u);
      // A VC without the DVT selection endpoints puts its partial selection proof in the message.
      aap.selection_proof = sign(b.own_sk_, eth::selection_proof_signing_root(b.config_, Slot{33}));
      s.message = aap;
      s.signature = sign(b.own_sk_, eth::aggregate_and_proof_signing_root(b.config_, aap));
      auto partial = co_await env.call(http::Method::kPost, "/eth/v1/validator/aggregate_and_proofs", array_of(s));
      EXPECT_EQ(partial.status, 400u);
      EXPECT_NE(first_failure(partial).find("partial selection proof"), std::string::npos) << partial.body;
      EXPECT_EQ(b.submitted_.size(), 1u);
      if (!b.submitted_.empty()) {
        EXPECT_EQ(b.submitted_[0].first, PartialKind::kAggregateAndProof);
        EXPECT_EQ(std::get<VersionedAggregateAndProof>(b.submitted_[0].second.message).fork(), eth::Fork::kAltair);
      }
    }
    co_await env.stop();
  });
}

TEST(ValidatorApi, SyncCommitteeAndExitFlows) {
  run([]() -> Task<void> {
    Env env(co_await asio::this_coro::executor, eth::Fork::kAltair);
    auto& b = env.backend;
    Root head{};
    head[0] = 0x11;
    eth::altair::SyncCommitteeMessage m{};
    m.slot = Slot{40};
    m.beacon_block_root = head;
    m.validator_index = kIndex;
    m.signature = sign(b.own_sk_, eth::sync_committee_message_signing_root(b.config_, Slot{40}, head));
    auto r1 = co_await env.call(http::Method::kPost, "/eth/v1/beacon/pool/sync_committees",
                                array_of(m));
    EXPECT_EQ(r1.status, 200u) << r1.body;
    SyncCommitteeSelection sel{};
    sel.validator_index = kIndex;
    sel.slot = Slot{40};
    sel.subcommittee_index = 1;
    eth::altair::SyncAggregatorSelectionData sd{};
    sd.slot = Slot{40};
    sd.subcommittee_index = 1;
    sel.selection_proof = sign(b.own_sk_, eth::sync_selection_proof_signing_root(b.config_, sd));
    auto r2 = co_await env.call(http::Method::kPost, "/eth/v1/validator/sync_committee_selections",
                                array_of(sel));
    EXPECT_EQ(r2.status, 200u) << r2.body;
    auto r3 = co_await env.call(http::Method::kGet, "/eth/v1/validator/sync_committee_contribution?slot=40&"
                                                    "subcommittee_index=1&beacon_block_root=" + to_hex(head));
    EXPECT_EQ(r3.status, 200u) << r3.body;
    // The spec serves this route as JSON only: a VC preferring SSZ still gets JSON.
    auto r3s = co_await env.call(http::Method::kGet, "/eth/v1/validator/sync_committee_contribution?slot=40&"
                                                     "subcommittee_index=1&beacon_block_root=" + to_hex(head),
                                 "", "", "application/json", "application/octet-stream;q=1,application/json;q=0.9");
    EXPECT_EQ(r3s.status, 200u) << r3s.body;
    EXPECT_EQ(r3s.content_type, "application/json");
    auto contrib = ssz::from_json<eth::altair::SyncCommitteeContribution>(body_json(r3)["data"]);
    EXPECT_TRUE(contrib.has_value());
    if (contrib) {
      eth::altair::ContributionAndProof cap{};
      cap.aggregator_index = kIndex;
      cap.contribution = *contrib;
      cap.selection_proof = sign(b.dv_sk_, eth::sync_selection_proof_signing_root(b.config_, sd));  // combined
      eth::altair::SignedContributionAndProof s{};
      s.message = cap;
      s.signature = sign(b.own_sk_, eth::contribution_and_proof_signing_root(b.config_, cap));
      auto r4 = co_await env.call(http::Method::kPost, "/eth/v1/validator/contribution_and_proofs",
                                  array_of(s));
      EXPECT_EQ(r4.status, 200u) << r4.body;
    }
    // Voluntary exit: the VAPI's clock says epoch 3.
    eth::phase0::VoluntaryExit exit{};
    exit.epoch = Epoch{2};
    exit.validator_index = kIndex;
    eth::phase0::SignedVoluntaryExit se{};
    se.message = exit;
    se.signature = sign(b.own_sk_, eth::voluntary_exit_signing_root(b.config_, exit, Epoch{3}));
    auto r5 = co_await env.call(http::Method::kPost, "/eth/v1/beacon/pool/voluntary_exits", ssz::to_json(se).dump());
    EXPECT_EQ(r5.status, 200u) << r5.body;
    se.message.validator_index = ValidatorIndex{99};
    auto r6 = co_await env.call(http::Method::kPost, "/eth/v1/beacon/pool/voluntary_exits", ssz::to_json(se).dump());
    EXPECT_EQ(r6.status, 400u);
    EXPECT_NE(r6.body.find("unknown validator"), std::string::npos);
    EXPECT_EQ(b.submitted_.size(), 3u);
    if (b.submitted_.size() == 3) {
      EXPECT_EQ(b.submitted_[0].first, PartialKind::kSyncMessage);
      EXPECT_EQ(b.submitted_[1].first, PartialKind::kContributionAndProof);
      EXPECT_EQ(b.submitted_[2].first, PartialKind::kExit);
      EXPECT_EQ(std::get<ExitMessage>(b.submitted_[2].second.message).current_epoch, Epoch{3});
    }
    co_await env.stop();
  });
}

TEST(ValidatorApi, EverySubmissionEndpointRejectsMalformedAndEmptyBodies) {
  run([]() -> Task<void> {
    Env env(co_await asio::this_coro::executor, eth::Fork::kAltair);
    const char* paths[] = {"/eth/v1/beacon/pool/attestations",          "/eth/v1/beacon/blocks",
                           "/eth/v1/beacon/blinded_blocks",             "/eth/v1/validator/aggregate_and_proofs",
                           "/eth/v1/beacon/pool/sync_committees",       "/eth/v1/validator/contribution_and_proofs",
                           "/eth/v1/validator/register_validator",      "/eth/v1/beacon/pool/voluntary_exits",
                           "/eth/v1/validator/beacon_committee_selections",
                           "/eth/v1/validator/sync_committee_selections"};
    for (const char* path : paths) {
      auto bad = co_await env.call(http::Method::kPost, path, "{");
      EXPECT_EQ(bad.status, 400u) << path << ": " << bad.body;
      EXPECT_EQ(body_json(bad)["code"], 400) << path;
      auto empty = co_await env.call(http::Method::kPost, path, "[]");
      EXPECT_EQ(empty.status, 400u) << path << ": " << empty.body;
    }
    EXPECT_TRUE(env.backend.submitted_.empty());
    EXPECT_EQ(env.log.requests, 0);
    co_await env.stop();
  });
}

TEST(ValidatorApi, UnknownValidatorIndexIsReportedPerItem) {
  run([]() -> Task<void> {
    Env env(co_await asio::this_coro::executor, eth::Fork::kAltair);
    auto& b = env.backend;
    eth::altair::SyncCommitteeMessage m{};
    m.slot = Slot{40};
    m.validator_index = ValidatorIndex{99};
    m.signature = sign(b.own_sk_, eth::sync_committee_message_signing_root(b.config_, Slot{40}, Root{}));
    auto r = co_await env.call(http::Method::kPost, "/eth/v1/beacon/pool/sync_committees", array_of(m));
    EXPECT_EQ(r.status, 400u);
    EXPECT_NE(first_failure(r).find("unknown validator"), std::string::npos) << r.body;
    BeaconCommitteeSelection sel{};
    sel.validator_index = ValidatorIndex{99};
    sel.slot = Slot{33};
    sel.selection_proof = sign(b.own_sk_, eth::selection_proof_signing_root(b.config_, Slot{33}));
    auto s = co_await env.call(http::Method::kPost, "/eth/v1/validator/beacon_committee_selections", array_of(sel));
    EXPECT_EQ(s.status, 400u);
    EXPECT_NE(first_failure(s).find("unknown validator"), std::string::npos) << s.body;
    EXPECT_TRUE(b.submitted_.empty());
    co_await env.stop();
  });
}

TEST(ValidatorApi, BackendErrorsKeepTheirStatus) {
  run([]() -> Task<void> {
    Env env(co_await asio::this_coro::executor, eth::Fork::kAltair);
    env.backend.fail_status_ = 404;
    auto r = co_await env.call(http::Method::kGet, "/eth/v1/validator/attestation_data?slot=33&committee_index=3");
    EXPECT_EQ(r.status, 404u);
    EXPECT_EQ(body_json(r)["message"], "not decided yet");
    env.backend.fail_status_ = 200;  // not an error status: answered as 500
    auto r2 = co_await env.call(http::Method::kGet, "/eth/v1/validator/attestation_data?slot=33&committee_index=3");
    EXPECT_EQ(r2.status, 500u);
    // A full block decided, but the VC asked for a blinded one.
    auto root = eth::randao_signing_root(env.config(), Epoch{1});
    std::string target = "/eth/v1/validator/blinded_blocks/34?randao_reveal=" + to_hex(sign(env.backend.own_sk_, root));
    auto blinded = co_await env.call(http::Method::kGet, target);
    EXPECT_EQ(blinded.status, 500u);
    EXPECT_EQ(env.backend.preference_, BlockPreference::kBlinded);
    co_await env.stop();
  });
}

TEST(ValidatorApi, SignedBlockAsSszNeedsTheVersionHeader) {
  run([]() -> Task<void> {
    Env env(co_await asio::this_coro::executor, eth::Fork::kAltair);
    auto& b = env.backend;
    eth::altair::BeaconBlock blk{};
    blk.slot = Slot{34};
    blk.proposer_index = kIndex;
    eth::altair::SignedBeaconBlock sb{};
    sb.message = blk;
    sb.signature = sign(b.own_sk_, eth::block_signing_root(b.config_, blk));
    Bytes bytes = ssz::serialize(sb);
    std::string body(bytes.begin(), bytes.end());
    auto no_header = co_await env.call(http::Method::kPost, "/eth/v2/beacon/blocks", body, "", "application/octet-stream");
    EXPECT_EQ(no_header.status, 400u);
    EXPECT_NE(no_header.body.find("Eth-Consensus-Version"), std::string::npos) << no_header.body;
    auto ok = co_await env.call(http::Method::kPost, "/eth/v2/beacon/blocks", body, "altair", "application/octet-stream");
    EXPECT_EQ(ok.status, 200u) << ok.body;
    EXPECT_EQ(b.submitted_.size(), 1u);
    co_await env.stop();
  });
}

TEST(ValidatorApi, AggregateV2IsVersioned) {
  run([]() -> Task<void> {
    Env env(co_await asio::this_coro::executor, eth::Fork::kAltair);
    std::string target = "/eth/v2/validator/aggregate_attestation?slot=33&committee_index=3&attestation_data_root=" +
                         to_hex(Root{});
    auto r = co_await env.call(http::Method::kGet, target);
    EXPECT_EQ(r.status, 200u) << r.body;
    EXPECT_EQ(r.consensus_version, "altair");
    EXPECT_EQ(body_json(r)["version"], "altair");
    auto missing = co_await env.call(http::Method::kGet, "/eth/v2/validator/aggregate_attestation?slot=33");
    EXPECT_EQ(missing.status, 400u);
    co_await env.stop();
  });
}

}  // namespace
}  // namespace phx::beaconapi::vapi
