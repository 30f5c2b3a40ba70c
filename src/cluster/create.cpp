#include "cluster/create.hpp"

#include <chrono>
#include <ctime>
#include <numeric>

#include "cluster/deposit.hpp"
#include "cluster/eip712.hpp"
#include "cluster/enr.hpp"
#include "cluster/network.hpp"
#include "crypto/hash/random.hpp"

namespace phx::cluster {
namespace {

constexpr std::uint64_t kGweiPerEth = 1'000'000'000;
constexpr std::uint32_t kMinNodes = 3;
constexpr std::uint32_t kMaxNodes = 256;  // Charon's SSZ limit on operators
constexpr std::uint32_t kMaxValidators = 65536;

std::unexpected<LockProblem> bad(std::string detail) {
  return std::unexpected(LockProblem{LockError::kBadField, std::move(detail)});
}

std::string now_rfc3339() {
  auto t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

/// Expands one-for-all or one-each address lists and validates every address (kept as given).
LockResult<std::vector<std::string>> expand_addresses(const std::vector<std::string>& in, std::uint32_t v,
                                                       const char* what) {
  if (in.empty()) return bad(std::string(what) + " is required");
  if (in.size() != 1 && in.size() != v)
    return bad(std::string(what) + ": give one address for all validators or exactly " + std::to_string(v) +
               " (one per validator), not " + std::to_string(in.size()));
  std::vector<std::string> out;
  for (std::uint32_t i = 0; i < v; ++i) {
    const std::string& a = in.size() == 1 ? in[0] : in[i];
    auto b = from_hex(a);
    if (!a.starts_with("0x") || !b || b->size() != 20)
      return bad(std::string(what) + ": \"" + a + "\" is not an address (0x + 40 hex digits)");
    out.push_back(a);
  }
  return out;
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

constexpr std::string_view kNetworks = "mainnet, sepolia, hoodi, holesky, gnosis, chiado, goerli";

}  // namespace

std::uint32_t default_threshold(std::uint32_t nodes) { return (2 * nodes + 2) / 3; }

LockResult<std::vector<std::uint64_t>> parse_eth_amounts(std::string_view list) {
  std::vector<std::uint64_t> out;
  std::size_t start = 0;
  while (start <= list.size()) {
    auto end = list.find(',', start);
    if (end == std::string_view::npos) end = list.size();
    auto item = list.substr(start, end - start);
    if (item.empty() || item.size() > 6) return bad("deposit amount \"" + std::string(item) + "\" is not a whole number of ETH");
    std::uint64_t eth = 0;
    for (char c : item) {
      if (c < '0' || c > '9') return bad("deposit amount \"" + std::string(item) + "\" is not a whole number of ETH");
      eth = eth * 10 + static_cast<std::uint64_t>(c - '0');
    }
    if (eth < 1) return bad("deposit amounts must be at least 1 ETH");
    out.push_back(eth * kGweiPerEth);
    start = end + 1;
  }
  return out;
}

LockResult<CreatedCluster> create_cluster(CreateParams p) {
  namespace bls = crypto::bls;
  namespace th = crypto::threshold;
  // ---- validate everything before producing anything ----
  if (p.nodes < kMinNodes || p.nodes > kMaxNodes)
    return bad("--nodes must be between " + std::to_string(kMinNodes) + " and " + std::to_string(kMaxNodes));
  if (p.threshold == 0) p.threshold = default_threshold(p.nodes);
  if (p.threshold > p.nodes)
    return bad("--threshold " + std::to_string(p.threshold) + " exceeds --nodes " + std::to_string(p.nodes));
  if (p.threshold < 2) return bad("--threshold must be at least 2");
  if (!p.existing_keys.empty()) p.num_validators = static_cast<std::uint32_t>(p.existing_keys.size());
  if (p.num_validators < 1 || p.num_validators > kMaxValidators) return bad("--num-validators must be between 1 and 65536");
  auto net = p.testnet ? p.testnet : network_by_name(p.network);
  if (!net) return bad("unknown network \"" + p.network + "\" (" + std::string(kNetworks) + ")");
  if (p.version != "v1.10.0" && p.version != "v1.11.0")
    return bad("schema version \"" + p.version + "\": create cluster writes v1.11.0 (default) or v1.10.0");
  auto withdrawals = expand_addresses(p.withdrawal_addresses, p.num_validators, "--withdrawal-addresses");
  if (!withdrawals) return std::unexpected(withdrawals.error());
  auto fees = expand_addresses(p.fee_recipient_addresses, p.num_validators, "--fee-recipient-addresses");
  if (!fees) return std::unexpected(fees.error());
  for (auto& a : *withdrawals) a = lower(a);
  for (auto& a : *fees) a = lower(a);
  if (p.deposit_amounts_gwei.empty()) p.deposit_amounts_gwei = {32 * kGweiPerEth};
  std::uint64_t total = std::accumulate(p.deposit_amounts_gwei.begin(), p.deposit_amounts_gwei.end(), std::uint64_t{0});
  if (!p.compounding && total != 32 * kGweiPerEth) return bad("--deposit-amounts must add up to 32 ETH");
  if (p.compounding && (total < 32 * kGweiPerEth || total > 2048 * kGweiPerEth))
    return bad("--deposit-amounts of a compounding validator must add up to between 32 and 2048 ETH");
  for (std::size_t i = 0; i < p.existing_keys.size(); ++i)
    for (std::size_t j = 0; j < i; ++j)
      if (p.existing_keys[i].public_key() == p.existing_keys[j].public_key())
        return bad("--split-keys-dir holds the same key twice (keys " + std::to_string(j) + " and " + std::to_string(i) + ")");

  CreatedCluster out;
  // ---- operators ----
  Definition& d = out.lock.definition;
  d.name = p.name;
  d.uuid = crypto::hash::uuid_v4(/*upper=*/true);
  d.version = p.version;
  d.timestamp = p.timestamp.empty() ? now_rfc3339() : p.timestamp;
  d.num_validators = p.num_validators;
  d.threshold = p.threshold;
  d.dkg_algorithm = "default";
  d.fork_version = net->genesis_fork_version;
  d.deposit_amounts = p.deposit_amounts_gwei;
  d.consensus_protocol = "";
  d.target_gas_limit = p.target_gas_limit;
  d.compounding = p.compounding;
  for (std::uint32_t i = 0; i < p.nodes; ++i) {
    NodeArtifacts n{crypto::k1::SecretKey::generate(), {}};
    d.operators.push_back(Operator{"", Enr::create(n.enr_key).to_text(), {}, {}});
    out.nodes.push_back(std::move(n));
  }
  for (std::uint32_t v = 0; v < p.num_validators; ++v) d.validators.push_back({(*fees)[v], (*withdrawals)[v]});
  d.config_hash = *compute_config_hash(d);
  d.definition_hash = *compute_definition_hash(d);

  // ---- validators: keys, shares, registrations, deposits ----
  std::vector<bls::SecretKey> keys = std::move(p.existing_keys);
  while (keys.size() < p.num_validators) keys.push_back(bls::SecretKey::from_scalar(bls::Fr::random()));
  for (std::uint32_t v = 0; v < p.num_validators; ++v) {
    const auto& sk = keys[v];
    auto split = th::split(sk, p.threshold, p.nodes);
    if (!split) return bad("splitting validator " + std::to_string(v) + ": " + split.error().message());
    DistValidator dv;
    dv.distributed_public_key = sk.public_key().to_bytes();
    for (auto& share : split->shares) {
      dv.public_shares.push_back(share.secret.public_key().to_bytes());
      out.nodes[share.idx.value - 1].shares.push_back(std::move(share));
    }
    auto& reg = dv.builder_registration;
    auto fee = from_hex((*fees)[v]);
    std::copy(fee->begin(), fee->end(), reg.message.fee_recipient.begin());
    reg.message.gas_limit = p.target_gas_limit;
    reg.message.timestamp = net->genesis_time;
    reg.message.pubkey = dv.distributed_public_key;
    reg.signature = sk.sign(registration_signing_root(reg.message, d.fork_version)).to_bytes();
    auto wc = withdrawal_credentials((*withdrawals)[v], p.compounding);
    for (auto amount : p.deposit_amounts_gwei) {
      auto dd = make_deposit(sk, *wc, amount, d.fork_version);
      dv.partial_deposit_data.push_back(dd);
      out.deposits[amount].push_back(dd);
    }
    out.lock.validators.push_back(std::move(dv));
  }

  // ---- lock hash, share signatures over it, node signatures ----
  out.lock.lock_hash = *compute_lock_hash(out.lock);
  std::vector<bls::Signature> share_sigs;
  for (const auto& n : out.nodes)
    for (const auto& s : n.shares) share_sigs.push_back(s.secret.sign(out.lock.lock_hash));
  out.lock.signature_aggregate = [&] {
    auto agg = bls::aggregate(share_sigs)->to_bytes();
    return Bytes(agg.begin(), agg.end());
  }();
  for (const auto& n : out.nodes) {
    auto s = n.enr_key.sign_recoverable(out.lock.lock_hash);
    out.lock.node_signatures.emplace_back(s.begin(), s.end());
  }
  return out;
}

}  // namespace phx::cluster

namespace phx::cluster {

LockResult<Definition> create_dkg_definition(const CreateDkgParams& p) {
  constexpr std::uint32_t kMinThreshold = 2;
  const auto n = static_cast<std::uint32_t>(p.operator_enrs.size());
  if (p.operator_enrs.empty()) return bad("--operator-enrs is required (a comma-separated list of the operators' ENRs)");
  if (n < kMinNodes) return bad("--operator-enrs: " + std::to_string(n) + " operators, at least 3 are needed");
  if (n > kMaxNodes) return bad("--operator-enrs: " + std::to_string(n) + " operators, at most 256 are allowed");
  std::vector<std::string> seen_keys;
  for (std::uint32_t i = 0; i < n; ++i) {
    auto enr = Enr::parse(p.operator_enrs[i]);
    if (!enr) return bad("--operator-enrs: operator " + std::to_string(i) + ": invalid ENR: " + enr.error().message());
    const std::string key = to_hex(enr->public_key().to_compressed());
    for (std::uint32_t j = 0; j < seen_keys.size(); ++j)
      if (seen_keys[j] == key)
        return bad("--operator-enrs: operators " + std::to_string(j) + " and " + std::to_string(i) +
                   " have the same node key");
    seen_keys.push_back(key);
  }
  const std::uint32_t threshold = p.threshold.value_or(default_threshold(n));
  if (p.threshold && *p.threshold < kMinThreshold)
    return bad("--threshold " + std::to_string(*p.threshold) + " is below the minimum of 2");
  if (threshold > n) return bad("--threshold " + std::to_string(threshold) + " exceeds the number of operators (" +
                                std::to_string(n) + ")");
  if (p.num_validators < 1 || p.num_validators > kMaxValidators)
    return bad("--num-validators must be between 1 and 65536");
  auto net = network_by_name(p.network);
  if (!net) return bad("--network: unknown network \"" + p.network + "\" (" + std::string(kNetworks) + ")");
  auto fees = expand_addresses(p.fee_recipient_addresses, p.num_validators, "--fee-recipient-addresses");
  if (!fees) return std::unexpected(fees.error());
  auto withdrawals = expand_addresses(p.withdrawal_addresses, p.num_validators, "--withdrawal-addresses");
  if (!withdrawals) return std::unexpected(withdrawals.error());
  for (const auto& a : *withdrawals) {
    auto sum = checksum_address(a);
    if (*sum != a)
      return bad("--withdrawal-addresses: \"" + a + "\" is not EIP-55 checksummed (did you mean " + *sum + "?)");
    if ((p.network == "mainnet" || p.network == "gnosis") && lower(a) == "0x0000000000000000000000000000000000000000")
      return bad("--withdrawal-addresses: the zero address is forbidden on " + p.network);
  }
  if (auto ok = check_deposit_amounts(p.deposit_amounts_gwei, p.compounding); !ok)
    return bad("--deposit-amounts: " + ok.error().detail);
  if (p.target_gas_limit == 0) return bad("--target-gas-limit must be greater than 0");
  if (!p.consensus_protocol.empty() && lower(p.consensus_protocol) != "qbft")
    return bad("--consensus-protocol: unsupported protocol \"" + p.consensus_protocol + "\" (supported: qbft)");
  if (p.dkg_algorithm != "default" && p.dkg_algorithm != "frost" && p.dkg_algorithm != "pedersen")
    return bad("--dkg-algorithm: \"" + p.dkg_algorithm + "\" (default, frost or pedersen)");

  Definition d;
  d.name = p.name;
  d.uuid = crypto::hash::uuid_v4(/*upper=*/true);
  d.version = std::string(kLatestVersion);
  d.timestamp = p.timestamp.empty() ? now_rfc3339() : p.timestamp;
  d.num_validators = p.num_validators;
  d.threshold = threshold;
  d.dkg_algorithm = p.dkg_algorithm;
  d.fork_version = net->genesis_fork_version;
  d.deposit_amounts = p.deposit_amounts_gwei;
  d.consensus_protocol = p.consensus_protocol;
  d.target_gas_limit = p.target_gas_limit;
  d.compounding = p.compounding;
  for (const auto& enr : p.operator_enrs) d.operators.push_back(Operator{"", enr, {}, {}});
  for (std::uint32_t v = 0; v < p.num_validators; ++v) d.validators.push_back({(*fees)[v], (*withdrawals)[v]});
  auto ch = compute_config_hash(d);
  if (!ch) return std::unexpected(ch.error());
  d.config_hash = *ch;
  auto dh = compute_definition_hash(d);
  if (!dh) return std::unexpected(dh.error());
  d.definition_hash = *dh;
  return d;
}

}  // namespace phx::cluster
