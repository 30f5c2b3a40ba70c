#include "cluster/deposit.hpp"

#include <nlohmann/json.hpp>

#include "cluster/network.hpp"
#include "eth/signing.hpp"

namespace phx::cluster {
namespace {

eth::phase0::DepositMessage message_of(const ByteArray<48>& pubkey, const Root& wc, std::uint64_t amount) {
  eth::phase0::DepositMessage m;
  m.pubkey = pubkey;
  m.withdrawal_credentials = wc;
  m.amount = amount;
  return m;
}

eth::Domain genesis_domain(const eth::DomainType& type, const ByteArray<4>& fork_version) {
  return eth::compute_domain(type, fork_version, Root{});
}

}  // namespace

LockResult<void> check_deposit_amounts(std::span<const std::uint64_t> amounts, bool compounding) {
  constexpr std::uint64_t kGwei = 1'000'000'000;
  const std::uint64_t max = (compounding ? 2048 : 32) * kGwei;
  std::uint64_t sum = 0;
  for (auto a : amounts) {
    std::string why;
    if (a < kGwei) why = "each deposit amount must be at least 1 ETH";
    else if (a > max) why = compounding ? "a deposit amount may not exceed 2048 ETH"
                                        : "a deposit amount may not exceed 32 ETH without compounding";
    if (!why.empty()) return std::unexpected(LockProblem{LockError::kBadField, why});
    sum += a;
  }
  if (!amounts.empty() && sum < 32 * kGwei)
    return std::unexpected(
        LockProblem{LockError::kBadField, "deposit amounts must add up to at least 32 ETH (repeats are allowed)"});
  return {};
}

LockResult<Root> withdrawal_credentials(const std::string& address, bool compounding) {
  auto a = from_hex(address);
  if (!address.starts_with("0x") || !a || a->size() != 20)
    return std::unexpected(LockProblem{LockError::kBadField, "withdrawal address \"" + address + "\" is not 0x + 40 hex digits"});
  Root wc{};
  wc[0] = compounding ? 0x02 : 0x01;
  std::copy(a->begin(), a->end(), wc.begin() + 12);
  return wc;
}

Root deposit_signing_root(const ByteArray<48>& pubkey, const Root& wc, std::uint64_t amount,
                          const ByteArray<4>& fork_version) {
  return eth::compute_signing_root_of(message_of(pubkey, wc, amount),
                                      genesis_domain(eth::domain::kDeposit, fork_version));
}

Root deposit_message_root(const DepositData& dd) {
  return ssz::hash_tree_root(message_of(dd.pubkey, dd.withdrawal_credentials, dd.amount));
}

Root deposit_data_root(const DepositData& dd) {
  eth::phase0::DepositData d;
  d.pubkey = dd.pubkey;
  d.withdrawal_credentials = dd.withdrawal_credentials;
  d.amount = dd.amount;
  d.signature = dd.signature;
  return ssz::hash_tree_root(d);
}

DepositData make_deposit(const crypto::bls::SecretKey& sk, const Root& wc, std::uint64_t amount,
                         const ByteArray<4>& fork_version) {
  DepositData dd;
  dd.pubkey = sk.public_key().to_bytes();
  dd.withdrawal_credentials = wc;
  dd.amount = amount;
  dd.signature = sk.sign(deposit_signing_root(dd.pubkey, wc, amount, fork_version)).to_bytes();
  return dd;
}

bool verify_deposit(const DepositData& dd, const ByteArray<4>& fork_version) {
  auto pk = crypto::bls::PublicKey::from_bytes(dd.pubkey);
  auto sig = crypto::bls::Signature::from_bytes(dd.signature);
  if (!pk || !sig) return false;
  return crypto::bls::verify(*pk, deposit_signing_root(dd.pubkey, dd.withdrawal_credentials, dd.amount, fork_version),
                             *sig);
}

Root registration_signing_root(const Registration& r, const ByteArray<4>& fork_version) {
  eth::phase0::ValidatorRegistrationV1 msg;
  msg.fee_recipient = r.fee_recipient;
  msg.gas_limit = r.gas_limit;
  msg.timestamp = r.timestamp;
  msg.pubkey = r.pubkey;
  return eth::compute_signing_root_of(msg, genesis_domain(eth::domain::kApplicationBuilder, fork_version));
}

bool verify_registration(const BuilderRegistration& br, const ByteArray<4>& fork_version) {
  auto pk = crypto::bls::PublicKey::from_bytes(br.message.pubkey);
  auto sig = crypto::bls::Signature::from_bytes(br.signature);
  if (!pk || !sig) return false;
  return crypto::bls::verify(*pk, registration_signing_root(br.message, fork_version), *sig);
}

std::string network_name_of(const ByteArray<4>& v) {
  auto n = network_by_fork_version(v);
  return n ? n->name : std::string();
}

std::string write_deposit_data_json(const std::vector<DepositData>& deposits, const ByteArray<4>& fork_version) {
  nlohmann::ordered_json arr = nlohmann::ordered_json::array();
  for (const auto& dd : deposits) {
    arr.push_back(nlohmann::ordered_json{{"pubkey", to_hex(dd.pubkey, false)},
                                         {"withdrawal_credentials", to_hex(dd.withdrawal_credentials, false)},
                                         {"amount", dd.amount},
                                         {"signature", to_hex(dd.signature, false)},
                                         {"deposit_message_root", to_hex(deposit_message_root(dd), false)},
                                         {"deposit_data_root", to_hex(deposit_data_root(dd), false)},
                                         {"fork_version", to_hex(fork_version, false)},
                                         {"network_name", network_name_of(fork_version)},
                                         {"deposit_cli_version", "2.7.0"}});
  }
  return arr.dump(1);
}

std::string deposit_data_file_name(std::uint64_t amount_gwei) {
  constexpr std::uint64_t kGweiPerEth = 1'000'000'000;
  if (amount_gwei == 32 * kGweiPerEth) return "deposit-data.json";
  return "deposit-data-" + std::to_string(amount_gwei / kGweiPerEth) + "eth.json";
}

}  // namespace phx::cluster
