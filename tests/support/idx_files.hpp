// IDX files written by the tests: the format's bytes, a data pattern, gzip files, and the check
// that an Error names the file and the problem.
#pragma once
#include <doctest/doctest.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "support/files.hpp"

#ifdef TINYCNN_WITH_ZLIB
#include <zlib.h>
#endif

namespace tinycnn::test {

inline Bytes idx_bytes(const std::vector<std::uint32_t>& dims, const Bytes& data, std::uint8_t type = 0x08) {
  Bytes b = {0, 0, type, static_cast<std::uint8_t>(dims.size())};
  for (std::uint32_t d : dims)
    for (int shift = 24; shift >= 0; shift -= 8) b.push_back(static_cast<std::uint8_t>(d >> shift));
  b.insert(b.end(), data.begin(), data.end());
  return b;
}

inline Bytes pattern(std::size_t n, unsigned seed = 0) {
  Bytes d(n);
  for (std::size_t i = 0; i < n; ++i) d[i] = static_cast<std::uint8_t>((i * 37 + seed * 11 + i / 7) & 0xff);
  return d;
}

#ifdef TINYCNN_WITH_ZLIB
inline void write_gz(const std::filesystem::path& p, const Bytes& b) {
  gzFile g = gzopen(p.c_str(), "wb");
  REQUIRE(g != nullptr);
  if (!b.empty()) REQUIRE(gzwrite(g, b.data(), static_cast<unsigned>(b.size())) == static_cast<int>(b.size()));
  REQUIRE(gzclose(g) == Z_OK);
}
#endif

// Runs f, which must throw tinycnn::Error, and checks that the message names the file (by its
// name: the readers may quote the folder separately) and the problem.
template <class F>
void check_error(F&& f, const std::filesystem::path& file, const std::string& problem) {
  const std::string msg = error_of(f);
  INFO("message: " << msg);
  REQUIRE_MESSAGE(!msg.empty(), "no tinycnn::Error for " << file);
  CHECK(msg.find(file.filename().string()) != std::string::npos);
  CHECK(msg.find(problem) != std::string::npos);
}

}  // namespace tinycnn::test
