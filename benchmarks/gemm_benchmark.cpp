// GFLOP/s of tinycnn's GEMM on square sizes and on the convolution shapes of ResNet-50, on 1 and
// 2 threads (or the counts given), against the FMA peak measured in the same run.
//   build/benchmarks/gemm_benchmark [--threads 1,2] [--quick]
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "cli_checks.hpp"
#include "tinycnn/bench/fma_peak.hpp"
#include "tinycnn/bench/provenance.hpp"
#include "tinycnn/bench/timing.hpp"
#include "tinycnn/core/random.hpp"
#include "tinycnn/kernels/gemm.hpp"
#include "tinycnn/parallel/cpu_mask.hpp"

using namespace tinycnn;

struct Case {
  const char* name;
  index_t m, n, k;
};

static double time_gemm(const Case& c, int threads, double min_seconds) {
  AlignedBuffer<float> a(c.m * c.k), b(c.k * c.n), out(c.m * c.n);
  Rng rng(1);
  for (index_t i = 0; i < a.size(); ++i) a[i] = float(rng.uniform(-1, 1));
  for (index_t i = 0; i < b.size(); ++i) b[i] = float(rng.uniform(-1, 1));
  parallel::WorkspaceArena workspace;
  workspace.reserve(kernels::gemm_workspace<float>({c.m, c.n, c.k}, threads));
  const parallel::Execution ex{threads, 1, workspace.view()};
  auto run = [&] {
    kernels::gemm<float>(kernels::Trans::No, kernels::Trans::No, c.m, c.n, c.k, 1.f, a.data(), c.k, b.data(), c.n,
                         0.f, out.data(), c.n, ex);
  };
  const double best = bench::best_seconds(run, min_seconds, 3);
  return 2.0 * double(c.m) * double(c.n) * double(c.k) / best / 1e9;
}

int main(int argc, char** argv) try {
  CLI::App app{"GFLOP/s of tinycnn's GEMM on square sizes and ResNet-50's convolution shapes, against the FMA peak"};
  std::string threads_list = "1,2";
  bool quick = false;
  app.add_option("--threads", threads_list, "Thread counts to time, comma-separated")
      ->capture_default_str()
      ->check(examples::thread_list(parallel::thread_flag_limit(parallel::allowed_cpus().size())));
  app.add_flag("--quick", quick, "The first three shapes only, timed for 0.2 s each instead of 1 s");
  examples::add_version_flag(app, "gemm_benchmark");
  examples::add_isa_flag(app);
  if (const int rc = examples::parse_command_line(app, "gemm_benchmark", argc, argv); rc >= 0) return rc;
  const std::vector<int> thread_counts = examples::parse_thread_list(threads_list);
  // ResNet-50 at batch 64 as implicit GEMMs (M = output pixels, N = filters, K = patch).
  std::vector<Case> cases = {
      {"square 1024", 1024, 1024, 1024},
      {"square 2048", 2048, 2048, 2048},
      {"res2 3x3 64->64", 64 * 56 * 56, 64, 576},
      {"res2 1x1 64->256", 64 * 56 * 56, 256, 64},
      {"res2 1x1 256->64", 64 * 56 * 56, 64, 256},
      {"res3 3x3 128->128", 64 * 28 * 28, 128, 1152},
      {"res4 3x3 256->256", 64 * 14 * 14, 256, 2304},
      {"res5 3x3 512->512", 64 * 7 * 7, 512, 4608},
      {"res5 1x1 512->2048", 64 * 7 * 7, 2048, 512},
      {"conv1 7x7/2 3->64", 64 * 112 * 112, 64, 147},
      {"fc 2048->1001", 64, 1001, 2048},
  };
  if (quick) cases.resize(3);
  const double min_seconds = quick ? 0.2 : 1.0;

  std::printf("gemm_benchmark: %s, %s kernels\n", bench::cpu_model_name().c_str(),
              kernels::isa_name(kernels::isa_in_use()));
  std::printf("%-22s %6s %6s %6s", "shape", "M", "N", "K");
  for (int t : thread_counts) std::printf("   %2d thr GFLOP/s (%% peak)", t);
  std::printf("\n");
  std::vector<double> peaks;
  for (int t : thread_counts) peaks.push_back(bench::measure_fma_peak_gflops(t));
  std::printf("%-22s %6s %6s %6s", "FMA peak (measured)", "", "", "");
  for (double p : peaks) std::printf("   %8.1f                 ", p);
  std::printf("\n");
  for (const Case& c : cases) {
    std::printf("%-22s %6ld %6ld %6ld", c.name, long(c.m), long(c.n), long(c.k));
    for (std::size_t i = 0; i < thread_counts.size(); ++i) {
      double g = time_gemm(c, thread_counts[i], min_seconds);
      std::printf("   %8.1f (%5.1f %%)       ", g, 100.0 * g / peaks[i]);
    }
    std::printf("\n");
    std::fflush(stdout);
  }
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "gemm_benchmark: %s\n", e.what());
  return 1;
}
