// Fuzz target: any bytes as an IDX file, plain or gzip (recognised by content). The reader must
// return the array or throw tinycnn::Error; anything else (a crash, a sanitizer report, another
// exception, an allocation beyond the header limits) is a finding.
#include <cstddef>
#include <cstdint>

#include "fuzz_input.hpp"
#include "tinycnn/core/error.hpp"
#include "tinycnn/io/idx.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto file = tinycnn::fuzz::input_file(data, size, "input.idx");
  try {
    const tinycnn::IdxArray a = tinycnn::read_idx(file);
    std::uint64_t product = 1;
    for (std::uint32_t d : a.dims) product *= d;
    if (product != a.data.size()) __builtin_trap();  // the array must be what its header says
  } catch (const tinycnn::Error&) {
  }
  return 0;
}
