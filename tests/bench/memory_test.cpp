#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>
#include <memory>

#include "tinycnn/bench/memory.hpp"

using tinycnn::bench::peak_resident_bytes;

TEST_CASE("peak_resident_bytes rises by what a touched allocation adds, in bytes, and never falls") {
  constexpr std::uint64_t MiB = 1u << 20, size = 256 * MiB;
  // Measured first thing, while the process is still small: the peak is then what is resident.
  const std::uint64_t before = peak_resident_bytes();
  CHECK(before >= 1 * MiB);  // any running process holds its code and stack
  std::uint64_t during = 0, sum = 0;
  {
    auto block = std::make_unique_for_overwrite<unsigned char[]>(size);
    std::memset(block.get(), 1, size);  // every page written, so every page resident
    during = peak_resident_bytes();
    for (std::uint64_t i = 0; i < size; i += 4096) sum += block[i];
  }
  CHECK(sum == size / 4096);
  const std::uint64_t after = peak_resident_bytes();
  INFO("peak before " << before / MiB << " MiB, with 256 MiB touched " << during / MiB << " MiB, after freeing it "
                      << after / MiB << " MiB");
  // At least 7/8 of the block (the process may have had a few MiB that were counted before and
  // paged out since), at most 5/4 of it: allocator and page tables, and under AddressSanitizer
  // one shadow byte for every eight. A figure in KiB or in units of 1024 bytes too many is
  // outside both by far.
  CHECK(during >= before + size / 8 * 7);
  CHECK(during <= before + size / 4 * 5);
  CHECK(after >= during);  // a maximum: freeing does not lower it
}
