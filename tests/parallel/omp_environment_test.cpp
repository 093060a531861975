#include <doctest/doctest.h>

#include <map>
#include <string>
#include <vector>

#include "tinycnn/parallel/omp_environment.hpp"
#include "tinycnn/core/error.hpp"

using namespace tinycnn::parallel;

namespace {
std::map<std::string, std::string> env_of(const KmpSettings& k, double spins_per_ms = 1000) {
  std::map<std::string, std::string> m;
  for (const auto& e : openmp_environment(k, spins_per_ms)) m[e.name] = e.value;
  return m;
}
}  // namespace

TEST_CASE("kmp_blocktime=0: idle threads sleep at once") {
  KmpSettings k;
  k.blocktime_ms = 0;
  auto m = env_of(k);
  CHECK(m["OMP_WAIT_POLICY"] == "passive");
  CHECK(m["GOMP_SPINCOUNT"] == "0");
  CHECK(m["KMP_BLOCKTIME"] == "0");
}

TEST_CASE("kmp_blocktime=N ms: a spin count of N x the measured spins per ms") {
  KmpSettings k;
  k.blocktime_ms = 30;
  auto m = env_of(k, 2500.0);
  CHECK(m["GOMP_SPINCOUNT"] == "75000");
  CHECK(m.count("OMP_WAIT_POLICY") == 0);  // libgomp's default policy spins for GOMP_SPINCOUNT
  CHECK(m["KMP_BLOCKTIME"] == "30");
  CHECK(spin_count_for(0.5, 1000) == 500);
  CHECK(measure_spins_per_ms() > 0);
}

TEST_CASE("the TF benchmark's default affinity: compact,1 -> close over cores, verbose") {
  KmpSettings k;  // granularity=fine,verbose,compact,1,0
  auto m = env_of(k);
  CHECK(m["OMP_PROC_BIND"] == "close");
  CHECK(m["OMP_PLACES"] == "cores");
  CHECK(m["OMP_DISPLAY_AFFINITY"] == "true");
  CHECK(m["OMP_DISPLAY_ENV"] == "true");  // kmp_settings=1
  CHECK(m["KMP_AFFINITY"] == "granularity=fine,verbose,compact,1,0");
  CHECK(m["KMP_SETTINGS"] == "1");
  CHECK(m.count("OMP_NUM_THREADS") == 0);
}

TEST_CASE("granularity and type map to OMP_PLACES and OMP_PROC_BIND") {
  auto plan = parse_kmp_affinity("granularity=fine,compact,0,0");
  CHECK(plan.proc_bind == "close");
  CHECK(plan.places == "threads");
  CHECK_FALSE(plan.verbose);
  plan = parse_kmp_affinity("granularity=core,scatter");
  CHECK(plan.proc_bind == "spread");
  CHECK(plan.places == "cores");
  plan = parse_kmp_affinity("granularity=socket,compact");
  CHECK(plan.places == "sockets");
  plan = parse_kmp_affinity("none");
  CHECK(plan.proc_bind == "false");
  CHECK(plan.places.empty());
  plan = parse_kmp_affinity("granularity=fine,proclist=[0,2,4],explicit");
  CHECK(plan.proc_bind == "true");
  CHECK(plan.places == "{0},{2},{4}");
  plan = parse_kmp_affinity("compact,1,2");
  REQUIRE(plan.notes.size() == 1);
  CHECK(plan.notes[0].find("offset 2") != std::string::npos);
}

TEST_CASE("kmp_settings=0 prints nothing; intra threads set OMP_NUM_THREADS as TF does") {
  KmpSettings k;
  k.settings = 0;
  k.intra_threads = 4;
  k.affinity = "none";
  auto m = env_of(k);
  CHECK(m.count("OMP_DISPLAY_ENV") == 0);
  CHECK(m.count("OMP_DISPLAY_AFFINITY") == 0);
  CHECK(m.count("OMP_PLACES") == 0);
  CHECK(m["OMP_NUM_THREADS"] == "4");
}

TEST_CASE("unknown affinity words are refused, not ignored") {
  CHECK_THROWS_AS(parse_kmp_affinity("granularity=fine,compat"), tinycnn::Error);
  // Given the CPUs the process may use, a proclist must name only those (ranges and sets too).
  const std::vector<int> cpus = {0, 1, 2, 3};
  CHECK(parse_kmp_affinity("proclist=[0,2-3],explicit", cpus).places == "{0},{2-3}");
  CHECK_THROWS_WITH_AS(parse_kmp_affinity("proclist=[0,4],explicit", cpus),
                       doctest::Contains("proclist names CPU 4, which this process may not use (0,1,2,3)"), tinycnn::Error);
  CHECK_THROWS_WITH_AS(parse_kmp_affinity("proclist=[1-9],explicit", cpus), doctest::Contains("CPU 4,"), tinycnn::Error);
  CHECK_THROWS_WITH_AS(parse_kmp_affinity("proclist=[3-1],explicit", cpus), doctest::Contains("runs backwards"), tinycnn::Error);
  CHECK_THROWS_AS(parse_kmp_affinity("granularity=huge,compact"), tinycnn::Error);
  CHECK_THROWS_AS(parse_kmp_affinity("compact,scatter"), tinycnn::Error);
  CHECK_THROWS_AS(parse_kmp_affinity("explicit"), tinycnn::Error);
  KmpSettings k;
  k.blocktime_ms = -1;
  CHECK_THROWS_AS(openmp_environment(k, 1000), tinycnn::Error);
}
