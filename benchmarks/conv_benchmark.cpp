// GFLOP/s of each convolution pass (forward, backward-data, backward-weights) on the distinct
// convolution shapes of ResNet-50, against the FMA peak measured in the same run: the place to
// see which pass of which shape class (1x1, 3x3, strided, the 3-channel stem) holds the time.
//   build/benchmarks/conv_benchmark [--batch 16] [--threads 2] [--filter 3x3]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "tinycnn/bench/fma_peak.hpp"
#include "tinycnn/core/random.hpp"
#include "tinycnn/kernels/conv.hpp"

using namespace tinycnn;

struct ConvCase {
  const char* name;
  index_t h, w, in_c, out_c, k, stride;
  Padding pad;
  index_t explicit_pad;
};

template <class F>
static double best_seconds(F&& f, double min_seconds) {
  f();
  double best = 1e30, total = 0;
  int reps = 0;
  while (total < min_seconds || reps < 2) {
    auto t0 = std::chrono::steady_clock::now();
    f();
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    best = std::min(best, s);
    total += s;
    ++reps;
  }
  return best;
}

int main(int argc, char** argv) {
  index_t batch = 16;
  int threads = 2;
  std::string filter;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--batch" && i + 1 < argc) batch = std::atol(argv[++i]);
    else if (a == "--threads" && i + 1 < argc) threads = std::atoi(argv[++i]);
    else if (a == "--filter" && i + 1 < argc) filter = argv[++i];
    else {
      std::fprintf(stderr, "usage: conv_benchmark [--batch N] [--threads N] [--filter TEXT]\n");
      return 2;
    }
  }
  if (batch <= 0 || threads <= 0) {
    std::fprintf(stderr, "conv_benchmark: --batch and --threads must be positive\n");
    return 2;
  }
  parallel::set_intra_threads(threads);
  const std::vector<ConvCase> cases = {
      {"stem 7x7/2 3->64", 224, 224, 3, 64, 7, 2, Padding::Explicit, 3},
      {"res2 1x1 64->64", 55, 55, 64, 64, 1, 1, Padding::Same, 0},
      {"res2 3x3 64->64", 55, 55, 64, 64, 3, 1, Padding::Same, 0},
      {"res2 1x1 64->256", 55, 55, 64, 256, 1, 1, Padding::Same, 0},
      {"res2 1x1 256->64", 55, 55, 256, 64, 1, 1, Padding::Same, 0},
      {"res3 1x1/2 256->128", 55, 55, 256, 128, 1, 2, Padding::Same, 0},
      {"res3 3x3 128->128", 28, 28, 128, 128, 3, 1, Padding::Same, 0},
      {"res3 1x1 128->512", 28, 28, 128, 512, 1, 1, Padding::Same, 0},
      {"res4 3x3 256->256", 14, 14, 256, 256, 3, 1, Padding::Same, 0},
      {"res5 3x3 512->512", 7, 7, 512, 512, 3, 1, Padding::Same, 0},
      {"res5 1x1/2 1024->2048", 14, 14, 1024, 2048, 1, 2, Padding::Same, 0},
      {"v1.5 res3 3x3/2 128->128", 56, 56, 128, 128, 3, 2, Padding::Same, 0},
      {"incep 3x3/2 288->384 VALID", 35, 35, 288, 384, 3, 2, Padding::Valid, 0},
  };
  const double peak = bench::measure_fma_peak_gflops(threads);
  std::printf("batch %ld, %d threads, FMA peak %.1f GFLOP/s\n", long(batch), threads, peak);
  std::printf("%-24s %10s %10s %10s   (GFLOP/s, %% of peak)\n", "convolution", "forward", "bwd-data", "bwd-weights");
  for (const ConvCase& c : cases) {
    if (!filter.empty() && std::string(c.name).find(filter) == std::string::npos) continue;
    kernels::ConvShape s{batch, c.in_c, c.out_c,
                         make_window(c.h, c.w, c.k, c.k, c.stride, c.stride, c.pad, c.explicit_pad, c.explicit_pad)};
    AlignedBuffer<float> x(batch * c.h * c.w * c.in_c), w(s.patch() * c.out_c), y(s.pixels() * c.out_c),
        dx(x.size()), dw(w.size());
    Rng rng(1);
    for (index_t i = 0; i < x.size(); ++i) x[i] = float(rng.uniform(-1, 1));
    for (index_t i = 0; i < w.size(); ++i) w[i] = float(rng.uniform(-1, 1));
    for (index_t i = 0; i < y.size(); ++i) y[i] = float(rng.uniform(-1, 1));
    const double flops = s.flops(), min_s = 0.3;
    double f = flops / best_seconds([&] { kernels::conv_forward(s, x.data(), w.data(), y.data()); }, min_s) / 1e9;
    double d = flops / best_seconds([&] { kernels::conv_backward_data(s, y.data(), w.data(), dx.data()); }, min_s) / 1e9;
    double g = flops / best_seconds([&] { kernels::conv_backward_weights(s, x.data(), y.data(), dw.data()); }, min_s) / 1e9;
    std::printf("%-24s %6.1f %3.0f%% %6.1f %3.0f%% %6.1f %3.0f%%\n", c.name, f, 100 * f / peak, d, 100 * d / peak, g,
                100 * g / peak);
    std::fflush(stdout);
  }
}
