// A program linked with tinycnn::dispatch: built for the AVX2 baseline, its float kernels run
// from the table of the instruction set chosen at run time. Every table this CPU can run is
// checked against the double references, through the same calls the layers make.
#include <doctest/doctest.h>

#include <string>

#include "reference/activation_reference.hpp"
#include "reference/bias_reference.hpp"
#include "reference/conv_reference.hpp"
#include "reference/elementwise_reference.hpp"
#include "reference/pooling_reference.hpp"
#include "support/check.hpp"
#include "support/execution.hpp"
#include "tinycnn/kernels/all.hpp"

using namespace tinycnn;

#ifndef TINYCNN_DISPATCH
#error "this test checks a program linked with tinycnn::dispatch"
#endif

namespace {

std::vector<kernels::Isa> runnable_isas() {
  std::vector<kernels::Isa> out;
  for (kernels::Isa isa : {kernels::Isa::avx2, kernels::Isa::avx512})
    if (kernels::cpu_supports(isa)) out.push_back(isa);
  return out;
}

kernels::ConvShape random_conv(Rng& rng) {
  kernels::ConvShape s;
  s.batch = 1 + index_t(rng.below(3));
  s.in_c = 1 + index_t(rng.below(40));
  s.out_c = 1 + index_t(rng.below(40));
  const index_t k = 1 + index_t(rng.below(3)) * 2, stride = 1 + index_t(rng.below(2));
  const index_t h = k + index_t(rng.below(9)), w = k + index_t(rng.below(9));
  s.win = make_window(h, w, k, k, stride, stride, rng.below(2) ? Padding::Same : Padding::Valid);
  return s;
}

constexpr int threads = 2;

// Each implementation of the three convolution passes that accepts s, forced by name through
// the table in use (so its copy for that instruction set runs), against the double reference.
void check_conv_every_implementation(const kernels::ConvShape& s, const std::vector<float>& x,
                                     const std::vector<float>& w, const std::vector<float>& dy, double tol) {
  const auto y_ref = reference::conv_forward(s, x.data(), w.data());
  // Not a structured binding: clang 16 cannot capture one in a lambda under OpenMP.
  const auto refs = reference::conv_backward(s, x.data(), w.data(), dy.data());
  const std::vector<double>& dx_ref = refs.first;
  const std::vector<double>& dw_ref = refs.second;
  std::vector<float> y(dy.size()), dx(x.size()), dw(w.size());
  kernels::ConvForwardImpls::for_each([&](auto impl) {
    if (!decltype(impl)::accepts(s)) return;
    test::KernelRun run(threads, kernels::conv_forward_workspace<float>(s, threads, impl.name));
    kernels::conv_forward(s, x.data(), w.data(), y.data(), 0.0f, run.exec(), impl.name);
    test::check_close(y, y_ref, tol, std::string("conv forward, ") + impl.name);
  });
  kernels::ConvBackwardDataImpls::for_each([&](auto impl) {
    if (!decltype(impl)::accepts(s)) return;
    test::KernelRun run(threads, kernels::conv_backward_data_workspace<float>(s, threads, impl.name));
    kernels::conv_backward_data(s, dy.data(), w.data(), dx.data(), run.exec(), impl.name);
    test::check_close(dx, dx_ref, tol, std::string("conv backward data, ") + impl.name);
  });
  kernels::ConvBackwardWeightsImpls::for_each([&](auto impl) {
    if (!decltype(impl)::accepts(s)) return;
    test::KernelRun run(threads, kernels::conv_backward_weights_workspace<float>(s, threads, impl.name));
    kernels::conv_backward_weights(s, x.data(), dy.data(), dw.data(), 0.0f, run.exec(), impl.name);
    test::check_close(dw, dw_ref, tol, std::string("conv backward weights, ") + impl.name);
  });
}

// Each GEMM implementation that accepts M x N x K, forced by name through the table in use.
void check_gemm_every_implementation(index_t M, index_t N, index_t K, Rng& rng) {
  auto a = test::random_vector<float>(M * K, rng), b = test::random_vector<float>(K * N, rng);
  const auto want = reference::gemm(false, false, M, N, K, a.data(), K, b.data(), N);
  std::vector<float> c(static_cast<std::size_t>(M * N));
  kernels::GemmImpls::for_each([&](auto impl) {
    if (!decltype(impl)::accepts({M, N, K}, threads)) return;
    test::KernelRun run(threads, kernels::gemm_workspace<float>({M, N, K}, threads, impl.name));
    kernels::gemm(kernels::Trans::No, kernels::Trans::No, M, N, K, 1.0f, a.data(), K, b.data(), N, 0.0f, c.data(), N,
                  run.exec(), impl.name);
    test::check_close(c, want, 2e-7 * double(K), std::string("gemm, ") + impl.name);
  });
}

// The float kernels of the table in use, on random shapes, against the double references.
void check_table_against_references(Rng& rng) {
  // The pointwise paths start above 256 channels, split-K at K >= 8 max(M, N): shapes of their own.
  {
    kernels::ConvShape s{1, 300, 260, make_window(3, 3, 1, 1, 1, 1, Padding::Valid)};
    auto x = test::random_vector<float>(9 * 300, rng), w = test::random_vector<float>(300 * 260, rng);
    auto dy = test::random_vector<float>(9 * 260, rng);
    check_conv_every_implementation(s, x, w, dy, 2e-7 * 600);
    check_gemm_every_implementation(16, 16, 2304, rng);
  }
  for (int trial = 0; trial < 12; ++trial) {
    const kernels::ConvShape s = random_conv(rng);
    const Window& g = s.win;
    CAPTURE(trial);
    auto x = test::random_vector<float>(s.batch * g.in_h * g.in_w * s.in_c, rng);
    auto w = test::random_vector<float>(s.patch() * s.out_c, rng);
    auto dy = test::random_vector<float>(s.pixels() * s.out_c, rng);
    const double tol = 2e-7 * double(s.patch() + s.out_c + s.pixels());

    std::vector<float> y(dy.size()), dx(x.size()), dw(w.size());
    check_conv_every_implementation(s, x, w, dy, tol);
    test::KernelRun fwd(threads, kernels::conv_forward_workspace<float>(s, threads));
    kernels::conv_forward(s, x.data(), w.data(), y.data(), 0.0f, fwd.exec());

    check_gemm_every_implementation(s.pixels(), s.out_c, s.patch(), rng);

    const index_t rows = s.pixels(), ch = s.out_c;
    std::vector<float> pooled(static_cast<std::size_t>(s.batch * ch));
    kernels::global_avg_pool_forward(dy.data(), pooled.data(), s.batch, g.out_h, g.out_w, ch, test::exec(threads));
    test::check_close(pooled, reference::global_avg_pool(dy.data(), s.batch, g.out_h, g.out_w, ch), 1e-6,
                      "global average pool");
    std::vector<float> dbias(static_cast<std::size_t>(ch));
    test::KernelRun bias_run(threads, kernels::bias_add_backward_workspace<float>(rows, ch, threads));
    kernels::bias_add_backward(dy.data(), dbias.data(), rows, ch, bias_run.exec());
    test::check_close(dbias, reference::bias_add_backward(dy.data(), rows, ch), 2e-7 * double(rows),
                      "bias backward");
    std::vector<float> relu(dy.size()), sum(dy.size());
    kernels::relu_forward(y.data(), relu.data(), index_t(y.size()), test::exec(threads));
    test::check_close(relu, reference::relu(y.data(), index_t(y.size())), 0.0, "relu");
    kernels::add(y.data(), dy.data(), sum.data(), index_t(y.size()), test::exec(threads));
    test::check_close(sum, reference::add(y.data(), dy.data(), index_t(y.size())), 1e-7, "add");
    const Window pool = make_window(g.out_h, g.out_w, 2, 2, 2, 2, Padding::Same);
    std::vector<float> maxed(static_cast<std::size_t>(s.batch * pool.out_h * pool.out_w * ch));
    kernels::max_pool_forward(y.data(), maxed.data(), s.batch, ch, pool, test::exec(threads));
    test::check_close(maxed, reference::max_pool(y.data(), s.batch, ch, pool), 0.0, "max pool");
  }
}

}  // namespace

TEST_CASE("a dispatching program runs the widest instruction set the CPU has, unless told otherwise") {
  CHECK(kernels::dispatches);
  CHECK(kernels::compiled_isa == kernels::Isa::avx2);  // this file: the baseline
  if (const char* env = std::getenv("TINYCNN_ISA"); !env || !*env)
    CHECK(kernels::isa_in_use() ==
          (kernels::cpu_supports(kernels::Isa::avx512) ? kernels::Isa::avx512 : kernels::Isa::avx2));
  // Two tables with their own code: the AVX-512 one is not the AVX2 one under another name.
  CHECK(kernels::kernel_table_avx2().isa == kernels::Isa::avx2);
  CHECK(kernels::kernel_table_avx512().isa == kernels::Isa::avx512);
  const bool distinct = kernels::kernel_table_avx2().conv_forward != kernels::kernel_table_avx512().conv_forward;
  CHECK(distinct);
}

TEST_CASE("every instruction set this CPU runs gives the references' results") {
  Rng rng(20261202);
  for (kernels::Isa isa : runnable_isas()) {
    const std::string isa_name = kernels::isa_name(isa);
    CAPTURE(isa_name);
    kernels::use_isa(isa);
    REQUIRE(kernels::isa_in_use() == isa);
    REQUIRE(&kernels::kernel_table() == (isa == kernels::Isa::avx512 ? &kernels::kernel_table_avx512()
                                                                      : &kernels::kernel_table_avx2()));
    check_table_against_references(rng);
    CHECK(kernels::fma_peak_gflops<float>(1, 0.02) > 0.5);
  }
  kernels::use_isa(kernels::best_isa());
}

TEST_CASE("an instruction set the CPU lacks is refused with the reason") {
  CHECK_THROWS_WITH_AS(kernels::use_isa("sse2"), "tinycnn: unknown instruction set 'sse2' (valid: avx2, avx512)", Error);
  if (kernels::cpu_supports(kernels::Isa::avx512)) {
    CHECK(kernels::isa_unavailable_reason(kernels::Isa::avx512).empty());
  } else {
    const kernels::Isa before = kernels::isa_in_use();
    CHECK_THROWS_WITH_AS(kernels::use_isa(kernels::Isa::avx512),
                         "tinycnn: --isa avx512: this CPU does not support AVX-512 (F, CD, BW, DQ and VL are needed)", Error);
    CHECK(kernels::isa_in_use() == before);  // nothing changed
  }
}
