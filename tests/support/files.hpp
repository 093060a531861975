// Files the tests write and read back, and the checks on the messages of refused file
// operations: an Error must name the file and say what is wrong with it.
#pragma once
#include <doctest/doctest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "tinycnn/core/error.hpp"

namespace tinycnn::test {

using Bytes = std::vector<std::uint8_t>;

inline void write_bytes(const std::filesystem::path& p, const Bytes& b) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
  REQUIRE(out.good());
}

inline Bytes read_bytes(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline void write_text(const std::filesystem::path& p, const std::string& s) { write_bytes(p, Bytes(s.begin(), s.end())); }

inline std::string read_text(const std::filesystem::path& p) {
  const Bytes b = read_bytes(p);
  return std::string(b.begin(), b.end());
}

// The message of the Error that f throws, or "" when it throws none.
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// msg is an Error's message that names `file` (quoted, as the library quotes paths) and contains
// `problem`.
inline void check_mentions(const std::string& msg, const std::filesystem::path& file, const std::string& problem) {
  INFO("message: " << msg);
  REQUIRE_MESSAGE(!msg.empty(), "expected a tinycnn::Error");
  CHECK(msg.find("'" + file.string() + "'") != std::string::npos);
  CHECK(msg.find(problem) != std::string::npos);
}

}  // namespace tinycnn::test
