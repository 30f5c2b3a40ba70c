// Replay driver for fuzz targets in non-fuzz builds: feeds every file of the seed corpus folders given on the
// command line, then a fixed number of deterministic pseudo-random inputs, to LLVMFuzzerTestOneInput.
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
  std::size_t files = 0;
  for (int i = 1; i < argc; ++i) {
    std::filesystem::path dir(argv[i]);
    if (!std::filesystem::is_directory(dir)) continue;
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
      if (!e.is_regular_file()) continue;
      std::ifstream in(e.path(), std::ios::binary);
      std::vector<std::uint8_t> buf((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      LLVMFuzzerTestOneInput(buf.data(), buf.size());
      ++files;
    }
  }
  std::mt19937_64 rng(0x5048414c414e58ULL);  // "PHALANX"
  constexpr int kRandomInputs = 2000;
  for (int i = 0; i < kRandomInputs; ++i) {
    std::vector<std::uint8_t> buf(rng() % 1024);
    for (auto& b : buf) b = static_cast<std::uint8_t>(rng());
    LLVMFuzzerTestOneInput(buf.data(), buf.size());
  }
  std::printf("replayed %zu corpus files and %d random inputs\n", files, kRandomInputs);
  return 0;
}
