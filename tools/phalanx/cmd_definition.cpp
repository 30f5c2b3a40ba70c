// `phalanx create dkg` (the cluster-definition.json a DKG starts from, as `charon create dkg` writes it) and
// `phalanx definition verify` (hashes and per-signature EIP-712 outcomes of a definition).
#include <cstdio>
#include <filesystem>
#include <string>

#include "app/fs.hpp"
#include "cluster/create.hpp"
#include "cluster/dkg_inputs.hpp"
#include "cluster/lock_verify.hpp"
#include "commands.hpp"

namespace phx::tools {
namespace {

namespace fs = std::filesystem;

int error(const std::string& msg) {
  std::fprintf(stderr, "error: %s\n", msg.c_str());
  return 1;
}

struct CreateDkgOptions {
  cluster::CreateDkgParams params;
  std::optional<std::uint32_t> threshold;
  std::string deposit_amounts;
  std::string output_dir = ".charon";
};

int create_dkg_cmd(CreateDkgOptions& o) {
  auto& p = o.params;
  p.threshold = o.threshold;
  if (!o.deposit_amounts.empty()) {
    auto a = cluster::parse_eth_amounts(o.deposit_amounts);
    if (!a) return error("--deposit-amounts: " + a.error().detail);
    p.deposit_amounts_gwei = *a;
  }
  const fs::path out = fs::path(o.output_dir) / "cluster-definition.json";
  std::error_code ec;
  if (fs::exists(out, ec))
    return error("existing " + out.string() + " found; delete it first (a definition is never overwritten)");
  auto d = cluster::create_dkg_definition(p);
  if (!d) return error(d.error().detail);
  const std::string text = cluster::write_definition(*d);
  // Read-only for everybody, as Charon writes it: operators must all start the DKG from the same bytes.
  if (auto r = app::write_file_atomic(out, as_bytes(text), 0444, false); !r)
    return error(out.string() + ": " + r.error().message());
  std::printf("Created %s: %s definition, %zu operators, threshold %llu, %llu validators on %s\n", out.c_str(),
              d->version.c_str(), d->operators.size(), static_cast<unsigned long long>(d->threshold),
              static_cast<unsigned long long>(d->num_validators), p.network.c_str());
  std::printf("config_hash %s\ndefinition_hash %s\n", to_hex(d->config_hash).c_str(),
              to_hex(d->definition_hash).c_str());
  return 0;
}

int definition_verify_cmd(const std::string& path) {
  auto raw = app::read_file(path);
  if (!raw) return error(path + ": " + raw.error().message());
  auto d = cluster::parse_definition(std::string_view(reinterpret_cast<const char*>(raw->data()), raw->size()));
  if (!d) return error(path + ": " + d.error().message());
  auto v = cluster::verify_definition(*d);
  std::printf("%s: %s definition \"%s\", %zu operators, threshold %llu, %llu validators, fork %s\n", path.c_str(),
              d->version.c_str(), d->name.c_str(), d->operators.size(), static_cast<unsigned long long>(d->threshold),
              static_cast<unsigned long long>(d->num_validators), to_hex(d->fork_version).c_str());
  for (const auto& s : v.signatures) {
    if (s.status == cluster::SignatureStatus::kUnsigned && v.unsigned_operators) continue;
    std::printf("  %s%s%s: %s %s", s.signer.c_str(), s.address.empty() ? "" : " ", s.address.c_str(), s.field.c_str(),
                cluster::to_string(s.status));
    if (s.signatures > 1) std::printf(" [%zu concatenated signatures]", s.signatures);
    std::printf("\n");
  }
  if (!v.note.empty()) std::printf("note: %s\n", v.note.c_str());
  if (!v.ok()) return error(path + ": " + v.problem->message());
  std::printf("config_hash %s and definition_hash %s verified\n", to_hex(d->config_hash).c_str(),
              to_hex(d->definition_hash).c_str());
  if (auto in = cluster::dkg_inputs(*d); in)
    std::printf("ready for a DKG: %zu operators with ENRs, %zu deposit amount(s) per validator\n",
                in->operators.size(), in->deposit_amounts.size());
  else
    std::printf("not ready for a DKG: %s\n", in.error().detail.c_str());
  return 0;
}

}  // namespace

void add_definition_commands(CLI::App& root, CLI::App& create) {
  auto o = std::make_shared<CreateDkgOptions>();
  auto& p = o->params;
  auto* c = create.add_subcommand("dkg", "Create the cluster-definition.json for a DKG (as `charon create dkg`)");
  c->add_option("--operator-enrs", p.operator_enrs, "Comma-separated list of each operator's ENR")
      ->delimiter(',')
      ->required();
  c->add_option("--num-validators", p.num_validators, "Number of distributed validators")->capture_default_str();
  c->add_option("-t,--threshold", o->threshold, "Signatures needed (default ceil(2n/3); non-default lowers safety)");
  c->add_option("--network", p.network, "mainnet, sepolia, hoodi, holesky, gnosis, chiado, goerli")
      ->capture_default_str();
  c->add_option("--withdrawal-addresses", p.withdrawal_addresses,
                "Comma-separated EIP-55 addresses: one for all validators, or one per validator")
      ->delimiter(',');
  c->add_option("--fee-recipient-addresses", p.fee_recipient_addresses,
                "Comma-separated addresses: one for all validators, or one per validator")
      ->delimiter(',');
  c->add_option("--deposit-amounts", o->deposit_amounts,
                "Comma-separated partial deposit amounts in whole ETH (at least 32 ETH in total)");
  c->add_flag("--compounding", p.compounding, "0x02 (compounding) withdrawal credentials");
  c->add_option("--target-gas-limit", p.target_gas_limit, "Target block gas limit")->capture_default_str();
  c->add_option("--name", p.name, "Optional cosmetic cluster name");
  c->add_option("--consensus-protocol", p.consensus_protocol, "Preferred consensus protocol (qbft); default automatic");
  c->add_option("--dkg-algorithm", p.dkg_algorithm, "default, frost or pedersen")->capture_default_str();
  c->add_option("--output-dir", o->output_dir, "Folder for cluster-definition.json")->capture_default_str();
  c->callback([o] { std::exit(create_dkg_cmd(*o)); });

  auto path = std::make_shared<std::string>(".charon/cluster-definition.json");
  auto* def = root.add_subcommand("definition", "Cluster definition tools");
  def->require_subcommand(1);
  auto* verify = def->add_subcommand("verify", "Verify a cluster definition's hashes and operator/creator signatures");
  verify->add_option("--definition-file", *path, "Path of the cluster-definition.json")->capture_default_str();
  verify->callback([path] { std::exit(definition_verify_cmd(*path)); });
}

}  // namespace phx::tools
