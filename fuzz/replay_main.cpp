// Replay driver for fuzz targets in non-fuzz builds: feeds every file of the seed corpus folders given on the
// command line, deterministic mutations of each (byte flips, truncations, deletions, duplications, inserted
// structural characters), then pseudo-random inputs, to LLVMFuzzerTestOneInput.
// A crash or sanitizer report fails the CTest entry. With -DPHX_FUZZ=ON libFuzzer's own main is used instead.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

int main(int argc, char** argv) {
  std::size_t files = 0, mutations = 0;
  std::mt19937_64 rng(0x5048414c414e58ULL);  // "PHALANX"
  constexpr int kMutationsPerFile = 200;
  static const char kStructural[] = "{}[]\",:0x-\\ \n";
  auto mutate = [&](std::vector<std::uint8_t> b) {
    int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      std::size_t n = b.size();
      switch (rng() % 6) {
        case 0:
          if (n) b[rng() % n] ^= static_cast<std::uint8_t>(1u << (rng() % 8));
          break;
        case 1:
          if (n) b.resize(rng() % n);
          break;
        case 2:
          if (n > 1) {
            std::size_t at = rng() % n, len = 1 + rng() % std::min<std::size_t>(n - at, 16);
            b.erase(b.begin() + static_cast<std::ptrdiff_t>(at), b.begin() + static_cast<std::ptrdiff_t>(at + len));
          }
          break;
        case 3:
          if (n) {
            std::size_t at = rng() % n, len = 1 + rng() % std::min<std::size_t>(n - at, 64);
            std::vector<std::uint8_t> chunk(b.begin() + static_cast<std::ptrdiff_t>(at),
                                            b.begin() + static_cast<std::ptrdiff_t>(at + len));
            b.insert(b.begin() + static_cast<std::ptrdiff_t>(rng() % (n + 1)), chunk.begin(), chunk.end());
          }
          break;
        case 4:
          b.insert(b.begin() + static_cast<std::ptrdiff_t>(n ? rng() % (n + 1) : 0),
                   static_cast<std::uint8_t>(kStructural[rng() % (sizeof kStructural - 1)]));
          break;
        default:
          if (n) b[rng() % n] = static_cast<std::uint8_t>(rng());
          break;
      }
    }
    return b;
  };
  for (int i = 1; i < argc; ++i) {
    std::filesystem::path dir(argv[i]);
    if (!std::filesystem::is_directory(dir)) continue;
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
      if (!e.is_regular_file()) continue;
      std::ifstream in(e.path(), std::ios::binary);
      std::vector<std::uint8_t> buf((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      LLVMFuzzerTestOneInput(buf.data(), buf.size());
      ++files;
      for (int m = 0; m < kMutationsPerFile; ++m) {
        auto mutated = mutate(buf);
        LLVMFuzzerTestOneInput(mutated.data(), mutated.size());
        ++mutations;
      }
    }
  }
  constexpr int kRandomInputs = 2000;
  for (int i = 0; i < kRandomInputs; ++i) {
    std::vector<std::uint8_t> buf(rng() % 1024);
    for (auto& b : buf) b = static_cast<std::uint8_t>(rng());
    LLVMFuzzerTestOneInput(buf.data(), buf.size());
  }
  std::printf("replayed %zu corpus files, %zu mutations and %d random inputs\n", files, mutations, kRandomInputs);
  return 0;
}
