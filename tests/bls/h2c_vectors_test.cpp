// Runs the RFC 9380 test vectors: BLS12381G2_XMD:SHA-256_SSWU_RO_ (u, Q0, Q1, P for every message) and the
// expand_message_xmd SHA-256 vectors. Usage: bls_h2c_test --vectors DIR. Counts consumed vectors; fails if a
// required file is missing, unparseable or has no vectors. Ends with "N passed, N failed".
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "base/bytes.hpp"
#include "crypto/bls/hash_to_curve.hpp"
#include "vector_util.hpp"

namespace fs = std::filesystem;
using json = nlohmann::json;
using namespace phx;
using namespace phx::crypto::bls;

namespace {

}  // namespace

int main(int argc, char** argv) {
  const std::string dir = vectors::vectors_dir(argc, argv);
  if (dir.empty()) {
    std::fprintf(stderr, "usage: bls_h2c_test --vectors DIR\n");
    return 2;
  }
  int passed = 0, failed = 0;
  auto load = [&](const std::string& name, json& out) {
    try {
      std::ifstream in(fs::path(dir) / name);
      if (!in) throw std::runtime_error("missing file");
      out = json::parse(in);
      return true;
    } catch (const std::exception& e) {
      std::printf("FAIL %s: %s\n", name.c_str(), e.what());
      ++failed;
      return false;
    }
  };

  json g2;
  if (load("BLS12381G2_XMD_SHA-256_SSWU_RO_.json", g2)) {
    try {
      const std::string dst = g2["dst"].get<std::string>();
      if (g2["vectors"].empty()) throw std::runtime_error("no vectors");
      for (const auto& v : g2["vectors"]) {
        const std::string msg = v["msg"].get<std::string>();
        Fp2 u[2];
        hash_to_field_fp2(as_bytes(msg), dst, u);
        const bool ok = u[0] == vectors::fp2_of(v["u"][0].get<std::string>()) &&
                        u[1] == vectors::fp2_of(v["u"][1].get<std::string>()) &&
                        vectors::point_is(map_to_curve_g2(u[0]), v["Q0"]) &&
                        vectors::point_is(map_to_curve_g2(u[1]), v["Q1"]) &&
                        vectors::point_is(hash_to_g2(as_bytes(msg), dst), v["P"]);
        if (ok) {
          ++passed;
        } else {
          std::printf("FAIL hash_to_G2 msg=\"%.40s\"\n", msg.c_str());
          ++failed;
        }
      }
    } catch (const std::exception& e) {
      std::printf("FAIL BLS12381G2_XMD_SHA-256_SSWU_RO_.json: unparseable (%s)\n", e.what());
      ++failed;
    }
  }

  for (const char* name : {"expand_message_xmd_SHA256_38.json", "expand_message_xmd_SHA256_256.json"}) {
    json x;
    if (!load(name, x)) continue;
    try {
      const std::string dst = x["DST"].get<std::string>();
      if (x["tests"].empty()) throw std::runtime_error("no vectors");
      for (const auto& t : x["tests"]) {
        const std::string msg = t["msg"].get<std::string>();
        const std::size_t len = std::stoul(t["len_in_bytes"].get<std::string>(), nullptr, 16);
        Bytes out(len);
        expand_message_xmd(as_bytes(msg), dst, out);
        const auto expect = from_hex(t["uniform_bytes"].get<std::string>());
        if (expect && *expect == out) {
          ++passed;
        } else {
          std::printf("FAIL %s msg=\"%.40s\" len=%zu\n", name, msg.c_str(), len);
          ++failed;
        }
      }
    } catch (const std::exception& e) {
      std::printf("FAIL %s: unparseable (%s)\n", name, e.what());
      ++failed;
    }
  }
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
