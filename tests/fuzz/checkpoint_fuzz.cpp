// Fuzz target: any bytes as a checkpoint. Inspecting it, and loading it into float and double
// sections and an integer one, must succeed or throw tinycnn::Error; a refused load must leave
// the destination untouched.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "fuzz_input.hpp"
#include "tinycnn/core/error.hpp"
#include "tinycnn/io/checkpoint.hpp"

namespace {

template <class T>
void try_load(const std::filesystem::path& file) {
  std::vector<T> params(4, T(7));
  std::vector<std::uint64_t> rng(3, 7);
  try {
    (void)tinycnn::load_checkpoint<T>(file, "fuzz", {{"params", params}}, {{"rng", rng}});
  } catch (const tinycnn::Error&) {
    const bool untouched = std::all_of(params.begin(), params.end(), [](T v) { return v == T(7); }) &&
                           std::all_of(rng.begin(), rng.end(), [](std::uint64_t v) { return v == 7; });
    if (!untouched) __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto file = tinycnn::fuzz::input_file(data, size, "input.ckpt");
  try {
    (void)tinycnn::inspect_checkpoint(file);
  } catch (const tinycnn::Error&) {
  }
  try_load<float>(file);
  try_load<double>(file);
  return 0;
}
