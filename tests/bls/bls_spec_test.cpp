// Runs the ethereum/bls12-381-tests JSON vectors (every file of every required folder) against phx::crypto::bls.
// Usage: bls_spec_test --vectors DIR. Prints one line per failure and ends with "N passed, N failed".
// Exit status 0 iff nothing failed, no folder is missing or empty and every file was parsed and consumed.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/bytes.hpp"
#include "crypto/bls/bls.hpp"
#include "crypto/bls/hash_to_curve.hpp"
#include "vector_util.hpp"

namespace fs = std::filesystem;
using json = nlohmann::json;
using namespace phx;
using namespace phx::crypto::bls;

namespace {

Bytes hex(const json& j) {
  auto b = from_hex(j.get<std::string>());
  if (!b) throw std::runtime_error("bad hex: " + j.get<std::string>());
  return *b;
}

std::optional<PublicKey> pk_of(const json& j) {
  auto r = PublicKey::from_bytes(hex(j));
  if (!r) return std::nullopt;
  return *r;
}
std::optional<Signature> sig_of(const json& j) {
  auto r = Signature::from_bytes(hex(j));
  if (!r) return std::nullopt;
  return *r;
}

// Each handler returns true when the implementation's result equals the expected output.
bool run_sign(const json& t) {
  const auto sk = SecretKey::from_bytes(hex(t["input"]["privkey"]));
  if (t["output"].is_null()) return !sk.has_value();
  if (!sk) return false;
  const auto sig = sk->sign(hex(t["input"]["message"]));
  const Bytes expect = hex(t["output"]);
  const auto got = sig.to_bytes();
  return Bytes(got.begin(), got.end()) == expect;
}

bool run_verify(const json& t) {
  const bool expect = t["output"].get<bool>();
  const auto pk = pk_of(t["input"]["pubkey"]);
  const auto sig = sig_of(t["input"]["signature"]);
  const bool got = pk && sig && verify(*pk, hex(t["input"]["message"]), *sig);
  return got == expect;
}

bool run_aggregate(const json& t) {
  std::vector<Signature> sigs;
  for (const auto& s : t["input"]) {
    auto sig = sig_of(s);
    if (!sig) return t["output"].is_null();
    sigs.push_back(*sig);
  }
  const auto agg = aggregate(sigs);
  if (t["output"].is_null()) return !agg.has_value();
  if (!agg) return false;
  const auto b = agg->to_bytes();
  return Bytes(b.begin(), b.end()) == hex(t["output"]);
}

bool run_fast_aggregate_verify(const json& t) {
  const bool expect = t["output"].get<bool>();
  std::vector<PublicKey> pks;
  for (const auto& p : t["input"]["pubkeys"]) {
    auto pk = pk_of(p);
    if (!pk) return expect == false;
    pks.push_back(*pk);
  }
  const auto sig = sig_of(t["input"]["signature"]);
  const bool got = sig && fast_aggregate_verify(pks, hex(t["input"]["message"]), *sig);
  return got == expect;
}

bool run_aggregate_verify(const json& t) {
  const bool expect = t["output"].get<bool>();
  std::vector<PublicKey> pks;
  for (const auto& p : t["input"]["pubkeys"]) {
    auto pk = pk_of(p);
    if (!pk) return expect == false;
    pks.push_back(*pk);
  }
  std::vector<Bytes> msgs;
  for (const auto& m : t["input"]["messages"]) msgs.push_back(hex(m));
  std::vector<ByteSpan> spans(msgs.begin(), msgs.end());
  const auto sig = sig_of(t["input"]["signature"]);
  const bool got = sig && aggregate_verify(pks, spans, *sig);
  return got == expect;
}

bool run_batch_verify(const json& t) {
  const bool expect = t["output"].get<bool>();
  const auto& in = t["input"];
  if (in["pubkeys"].size() != in["messages"].size() || in["pubkeys"].size() != in["signatures"].size()) {
    throw std::runtime_error("inconsistent batch sizes");
  }
  std::vector<SignatureSet> sets;
  for (std::size_t i = 0; i < in["pubkeys"].size(); ++i) {
    auto pk = pk_of(in["pubkeys"][i]);
    auto sig = sig_of(in["signatures"][i]);
    if (!pk || !sig) return expect == false;
    sets.push_back(SignatureSet{*pk, hex(in["messages"][i]), *sig});
  }
  return batch_verify(sets) == expect;
}

bool run_deser_g1(const json& t) {
  const bool expect = t["output"].get<bool>();
  const auto b = from_hex(t["input"]["pubkey"].get<std::string>());
  if (!b) throw std::runtime_error("bad hex");
  const auto p = G1::from_compressed(*b);
  if (p.has_value() && p->to_compressed() != [&] {
        ByteArray<48> a{};
        std::copy(b->begin(), b->end(), a.begin());
        return a;
      }()) {
    return false;  // a successful decode must re-encode to the same bytes
  }
  return p.has_value() == expect;
}

bool run_deser_g2(const json& t) {
  const bool expect = t["output"].get<bool>();
  const auto b = from_hex(t["input"]["signature"].get<std::string>());
  if (!b) throw std::runtime_error("bad hex");
  const auto p = G2::from_compressed(*b);
  if (p.has_value()) {
    const auto enc = p->to_compressed();
    if (!std::equal(enc.begin(), enc.end(), b->begin(), b->end())) return false;
  }
  return p.has_value() == expect;
}

bool run_hash_to_g2(const json& t) {
  const std::string msg = t["input"]["msg"].get<std::string>();
  const G2 p = hash_to_g2(as_bytes(msg), "QUUX-V01-CS02-with-BLS12381G2_XMD:SHA-256_SSWU_RO_");
  return vectors::point_is(p, t["output"]);
}

}  // namespace

int main(int argc, char** argv) {
  const std::string dir = vectors::vectors_dir(argc, argv);
  if (dir.empty()) {
    std::fprintf(stderr, "usage: bls_spec_test --vectors DIR\n");
    return 2;
  }
  const std::map<std::string, std::function<bool(const json&)>> handlers = {
      {"sign", run_sign},
      {"verify", run_verify},
      {"aggregate", run_aggregate},
      {"fast_aggregate_verify", run_fast_aggregate_verify},
      {"aggregate_verify", run_aggregate_verify},
      {"batch_verify", run_batch_verify},
      {"deserialization_G1", run_deser_g1},
      {"deserialization_G2", run_deser_g2},
      {"hash_to_G2", run_hash_to_g2},
  };
  int passed = 0, failed = 0;
  for (const auto& [folder, handler] : handlers) {
    const fs::path p = fs::path(dir) / folder;
    if (!fs::is_directory(p)) {
      std::printf("FAIL %s: folder missing\n", folder.c_str());
      ++failed;
      continue;
    }
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(p)) {
      if (e.is_regular_file()) files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());
    if (files.empty()) {
      std::printf("FAIL %s: folder empty\n", folder.c_str());
      ++failed;
      continue;
    }
    for (const auto& f : files) {
      const std::string name = folder + "/" + f.filename().string();
      try {
        if (f.extension() != ".json") throw std::runtime_error("not a .json file (would be skipped)");
        std::ifstream in(f);
        const json t = json::parse(in);
        if (!t.contains("input") || !t.contains("output")) throw std::runtime_error("missing input/output");
        if (handler(t)) {
          ++passed;
        } else {
          std::printf("FAIL %s: result differs from expected output\n", name.c_str());
          ++failed;
        }
      } catch (const std::exception& e) {
        std::printf("FAIL %s: unparseable (%s)\n", name.c_str(), e.what());
        ++failed;
      }
    }
  }
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
