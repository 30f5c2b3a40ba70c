// `phalanx create enr` writes a new operator identity key; `phalanx enr` prints the ENR of the existing one.
// The key file is Charon's `charon-enr-private-key`: 64 hex digits, no prefix, mode 0600.
#include <cstdio>
#include <filesystem>
#include <string>

#include "app/fs.hpp"
#include "cluster/enr.hpp"
#include "commands.hpp"
#include "crypto/k1/k1.hpp"

namespace phx::tools {
namespace {

constexpr char kKeyFile[] = "charon-enr-private-key";

struct EnrOptions {
  std::string data_dir = ".charon";
  bool force = false;
};

int create_enr(const EnrOptions& o) {
  auto path = std::filesystem::path(o.data_dir) / kKeyFile;
  auto sk = crypto::k1::SecretKey::generate();
  std::string hex = to_hex(sk.bytes(), false);
  auto written = app::write_file_atomic(path, as_bytes(hex), 0600, o.force);
  secure_zero(hex.data(), hex.size());
  if (!written) {
    std::fprintf(stderr, "error: %s: %s\n", path.c_str(), written.error().message().c_str());
    return 1;
  }
  std::printf("Created ENR private key: %s\n%s\n", path.c_str(), cluster::Enr::create(sk).to_text().c_str());
  return 0;
}

int print_enr(const EnrOptions& o) {
  auto path = std::filesystem::path(o.data_dir) / kKeyFile;
  auto sk = app::read_operator_key(path);
  if (!sk) {
    std::fprintf(stderr, "error: %s: %s\n", path.c_str(), sk.error().message().c_str());
    return 1;
  }
  std::printf("%s\n", cluster::Enr::create(*sk).to_text().c_str());
  return 0;
}

}  // namespace

void add_enr_commands(CLI::App& root, CLI::App& create) {
  auto opts = std::make_shared<EnrOptions>();
  auto* c = create.add_subcommand("enr", "Create an operator identity key (secp256k1) and print its ENR");
  c->add_option("--data-dir", opts->data_dir, "Folder of the node's private files")->capture_default_str();
  c->add_flag("--force", opts->force, "Replace an existing key (the old identity is lost)");
  c->callback([opts] { std::exit(create_enr(*opts)); });

  auto* e = root.add_subcommand("enr", "Print the ENR of this node's identity key");
  e->add_option("--data-dir", opts->data_dir, "Folder of the node's private files")->capture_default_str();
  e->callback([opts] { std::exit(print_enr(*opts)); });
}

}  // namespace phx::tools
