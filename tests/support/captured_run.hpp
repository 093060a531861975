// A benchmark run whose report is written to a temporary file and read back, for the tests to
// inspect beside its result.
#pragma once
#include <doctest/doctest.h>

#include <cstdio>
#include <string>

#include "tinycnn/bench/run.hpp"

namespace tinycnn::test {

struct CapturedRun {
  bench::BenchmarkResult result;
  std::string text;
};

template <class Spec, class In>
CapturedRun run_captured(bench::BenchmarkOptions o) {
  std::FILE* sink = std::tmpfile();
  REQUIRE(sink);
  o.out = sink;
  CapturedRun r{bench::run_benchmark<Spec>(In{}, o), {}};
  std::rewind(sink);
  char buffer[4096];
  std::size_t got = 0;
  while ((got = std::fread(buffer, 1, sizeof buffer, sink)) > 0) r.text.append(buffer, got);
  std::fclose(sink);
  return r;
}

}  // namespace tinycnn::test
