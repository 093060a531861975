#include <doctest/doctest.h>

#include "reference/conv_reference.hpp"
#include "support/check.hpp"
#include "support/execution.hpp"
#include "tinycnn/kernels/conv.hpp"

using namespace tinycnn;

namespace {

// Tolerances scale with the number of terms each output sums (patch + out_c for forward and
// backward-data, pixels for backward-weights): per term 2e-7 in float and 5e-16 in double. The
// worst measured, both widths, is about a seventh of that (ratios 0.13 and 0.14 of these).
template <class T>
constexpr double per_term() {
  return test::by_type<T>(2e-7, 5e-16);
}

kernels::ConvShape random_conv(Rng& rng) {
  kernels::ConvShape s;
  s.batch = 1 + index_t(rng.below(3));
  s.in_c = 1 + index_t(rng.below(9));
  s.out_c = 1 + index_t(rng.below(20));
  index_t kh = 1 + index_t(rng.below(5)), kw = 1 + index_t(rng.below(5));
  index_t sh = 1 + index_t(rng.below(3)), sw = 1 + index_t(rng.below(3));
  index_t h = kh + index_t(rng.below(9)), w = kw + index_t(rng.below(9));
  Padding p = static_cast<Padding>(rng.below(3));
  s.win = make_window(h, w, kh, kw, sh, sw, p, index_t(rng.below(3)), index_t(rng.below(3)));
  return s;
}

std::string describe(const kernels::ConvShape& s) {
  const Window& g = s.win;
  return "n=" + std::to_string(s.batch) + " " + std::to_string(g.in_h) + "x" + std::to_string(g.in_w) + "x" +
         std::to_string(s.in_c) + " k=" + std::to_string(g.kh) + "x" + std::to_string(g.kw) + " s=" +
         std::to_string(g.sh) + "x" + std::to_string(g.sw) + " pad=" + std::to_string(g.pad_top) + "," +
         std::to_string(g.pad_left) + " out=" + std::to_string(g.out_h) + "x" + std::to_string(g.out_w) + "x" +
         std::to_string(s.out_c);
}

// The three passes of one shape, run by the dispatcher and by every listed implementation that
// accepts the shape (forced by name), each with exactly the workspace it plans and `threads`
// threads, against the double oracle. beta = 1 accumulates onto what the output held.
template <class T>
void check_conv(const kernels::ConvShape& s, Rng& rng, double tol, int threads = 2) {
  const Window& g = s.win;
  auto x = test::random_vector<T>(s.batch * g.in_h * g.in_w * s.in_c, rng);
  auto w = test::random_vector<T>(s.patch() * s.out_c, rng);
  auto dy = test::random_vector<T>(s.pixels() * s.out_c, rng);
  auto y0 = test::random_vector<T>(s.pixels() * s.out_c, rng);
  auto dw0 = test::random_vector<T>(s.patch() * s.out_c, rng);
  const double scaled = tol * double(s.patch() + s.out_c), wtol = tol * double(s.pixels() + 1);
  const std::vector<double> y_ref = reference::conv_forward(s, x.data(), w.data());
  auto refs = reference::conv_backward(s, x.data(), w.data(), dy.data());
  const auto& dx_ref = std::get<0>(refs);  // named, not bound: OpenMP builds may not capture bindings
  const auto& dw_ref = std::get<1>(refs);
  auto plus = [](const std::vector<double>& a, const std::vector<T>& b) {
    std::vector<double> r(a);
    for (std::size_t i = 0; i < r.size(); ++i) r[i] += double(b[i]);
    return r;
  };
  const std::string where = describe(s) + " threads=" + std::to_string(threads);

  auto forward = [&](std::string_view impl) {
    test::KernelRun run(threads, kernels::conv_forward_workspace<T>(s, threads, impl));
    std::vector<T> y(dy.size(), T(3));
    kernels::conv_forward(s, x.data(), w.data(), y.data(), T(0), run.exec(), impl);  // overwrites
    test::check_close(y, y_ref, scaled, "forward " + std::string(impl) + " " + where);
    y = y0;
    kernels::conv_forward(s, x.data(), w.data(), y.data(), T(1), run.exec(), impl);
    test::check_close(y, plus(y_ref, y0), scaled + tol, "forward, beta 1 " + std::string(impl) + " " + where);
  };
  auto backward_data = [&](std::string_view impl) {
    test::KernelRun run(threads, kernels::conv_backward_data_workspace<T>(s, threads, impl));
    std::vector<T> dx(x.size(), T(7));  // overwritten, whatever it held
    kernels::conv_backward_data(s, dy.data(), w.data(), dx.data(), run.exec(), impl);
    test::check_close(dx, dx_ref, scaled, "backward data " + std::string(impl) + " " + where);
  };
  auto backward_weights = [&](std::string_view impl) {
    test::KernelRun run(threads, kernels::conv_backward_weights_workspace<T>(s, threads, impl));
    std::vector<T> dw(w.size(), T(5));
    kernels::conv_backward_weights(s, x.data(), dy.data(), dw.data(), T(0), run.exec(), impl);
    test::check_close(dw, dw_ref, wtol, "backward weights " + std::string(impl) + " " + where);
    dw = dw0;
    kernels::conv_backward_weights(s, x.data(), dy.data(), dw.data(), T(1), run.exec(), impl);
    test::check_close(dw, plus(dw_ref, dw0), wtol + tol, "backward weights, beta 1 " + std::string(impl) + " " + where);
  };
  forward({});
  backward_data({});
  backward_weights({});
  kernels::ConvForwardImpls::for_each([&](auto impl) {
    if (decltype(impl)::accepts(s)) forward(decltype(impl)::name);
  });
  kernels::ConvBackwardDataImpls::for_each([&](auto impl) {
    if (decltype(impl)::accepts(s)) backward_data(decltype(impl)::name);
  });
  kernels::ConvBackwardWeightsImpls::for_each([&](auto impl) {
    if (decltype(impl)::accepts(s)) backward_weights(decltype(impl)::name);
  });
}

// Shapes from several families, so that every implementation's predicate meets shapes it
// accepts: general windows, pointwise convolutions with many channels on either side, and
// strided 1x1 (ResNet v1's downsampling).
kernels::ConvShape random_listed_shape(Rng& rng) {
  auto channels = [&] { return rng.below(3) == 0 ? 257 + index_t(rng.below(40)) : 1 + index_t(rng.below(24)); };
  switch (rng.below(3)) {
    case 0:
      return {1 + index_t(rng.below(2)), channels(), channels(),
              make_window(1 + index_t(rng.below(6)), 1 + index_t(rng.below(9)), 1, 1, 1, 1, Padding::Same)};
    case 1: {
      const index_t sh = 1 + index_t(rng.below(3)), sw = 1 + index_t(rng.below(3));
      return {1 + index_t(rng.below(3)), 1 + index_t(rng.below(20)), 1 + index_t(rng.below(40)),
              make_window(2 + index_t(rng.below(9)), 2 + index_t(rng.below(12)), 1, 1, sh, sw,
                          rng.below(2) ? Padding::Same : Padding::Valid)};
    }
    default:
      return random_conv(rng);
  }
}

// For each implementation of List: `wanted` random shapes it accepts, checked at 1 and 2 threads.
template <class List, class T>
void check_every_implementation(Rng& rng, int wanted) {
  List::for_each([&](auto impl) {
    using I = decltype(impl);
    int found = 0;
    for (int draw = 0; draw < 4000 && found < wanted; ++draw) {
      const kernels::ConvShape s = random_listed_shape(rng);
      if (s.win.out_h <= 0 || s.win.out_w <= 0 || !I::accepts(s)) continue;
      ++found;
      check_conv<T>(s, rng, per_term<T>(), 1 + found % 2);
    }
    INFO("implementation ", I::name);
    CHECK(found == wanted);  // a predicate no shape of these families meets would go untested
  });
}

}  // namespace

TEST_CASE_TEMPLATE("convolution forward and both backwards match the reference", T, float, double) {
  Rng rng(2024);
  const double tol = per_term<T>();
  for (int trial = 0; trial < 60; ++trial) {
    auto s = random_conv(rng);
    if (s.win.out_h <= 0 || s.win.out_w <= 0) continue;
    check_conv<T>(s, rng, tol);
  }
}

TEST_CASE_TEMPLATE("convolutions over channel counts around this build's vector width", T, float, double) {
  // Input channels are the packed rows' contiguous runs and output channels the tiles' columns
  // (NR = 2 vectors): each SIMD size on both sides, under VALID, SAME and explicit padding.
  Rng rng(4);
  const double tol = per_term<T>();
  const std::vector<index_t> sizes = test::simd_sizes<T>();
  int i = 0;
  for (index_t in_c : sizes)
    for (index_t out_c : sizes) {
      const index_t k = 1 + index_t(i % 3), s = 1 + index_t((i / 3) % 2);
      kernels::ConvShape shape{1 + index_t(i % 2), in_c, out_c,
                               make_window(5 + index_t(rng.below(6)), 8 + index_t(rng.below(6)), k, k, s, s,
                                           static_cast<Padding>(i % 3), 1, 1)};
      check_conv<T>(shape, rng, tol);
      ++i;
    }
}

TEST_CASE_TEMPLATE("pointwise convolutions agree on the direct and the plain GEMM paths", T, float, double) {
  Rng rng(5);
  // Up to 256 channels the passes run direct; past 256 forward and backward-data are GEMMs.
  for (auto [in_c, out_c] : {std::pair<index_t, index_t>{13, 21}, {300, 40}, {40, 300}, {270, 260}}) {
    kernels::ConvShape s{2, in_c, out_c, make_window(5, 7, 1, 1, 1, 1, Padding::Same)};
    REQUIRE(s.is_pointwise());
    check_conv<T>(s, rng, per_term<T>());
  }
}

TEST_CASE_TEMPLATE("the direct forward agrees on images wide enough for its unpacked tiles", T, float, double) {
  // Rows of 6+ pixels give tiles read straight from x; edges under padding, row ends and the
  // batch's last pixels give packed tiles; rows above and below the image are skipped.
  Rng rng(77);
  const double tol = per_term<T>();
  for (int trial = 0; trial < 30; ++trial) {
    kernels::ConvShape s;
    s.batch = 1 + index_t(rng.below(3));
    s.in_c = 1 + index_t(rng.below(12));
    s.out_c = 1 + index_t(rng.below(70));  // one to three column panels, partial ones too
    index_t kh = 1 + index_t(rng.below(5)), kw = 1 + index_t(rng.below(5));
    index_t sh = 1 + index_t(rng.below(3)), sw = 1 + index_t(rng.below(3));
    s.win = make_window(kh + index_t(rng.below(12)), kw + 12 + index_t(rng.below(30)), kh, kw, sh, sw,
                        static_cast<Padding>(rng.below(3)), index_t(rng.below(3)), index_t(rng.below(3)));
    if (s.win.out_h <= 0 || s.win.out_w <= 0) continue;
    check_conv<T>(s, rng, tol, 1 + trial % 3);
  }
}

TEST_CASE_TEMPLATE("the direct forward's tiles around this build's MR output pixels per row", T, float, double) {
  // A tile of MR pixels is read in place only when it lies in one output row with its windows
  // inside the image: output rows of MR - 1, MR, MR + 1 and 2 MR +- 1 pixels make the last
  // in-place tile end exactly at the row end, one short of it, or cross into the next row.
  constexpr index_t MR = kernels::GemmTile<T>::mr;
  Rng rng(12);
  const double tol = per_term<T>();
  int i = 0;
  for (index_t out_w : {MR - 1, MR, MR + 1, 2 * MR - 1, 2 * MR, 2 * MR + 1})
    for (index_t sw : {index_t(1), index_t(2)}) {
      const index_t kw = 1 + index_t(i % 3), in_w = (out_w - 1) * sw + kw;
      const Padding pad = i % 4 == 3 ? Padding::Same : Padding::Valid;
      kernels::ConvShape s{1 + index_t(i % 2), 1 + index_t(rng.below(9)), 1 + index_t(rng.below(40)),
                           make_window(3 + index_t(i % 2), in_w, 1 + index_t(i % 2), kw, 1, sw, pad)};
      ++i;
      CAPTURE(out_w);
      check_conv<T>(s, rng, tol, 1 + i % 2);
    }
}

TEST_CASE_TEMPLATE("every listed convolution implementation matches the reference on shapes it accepts", T, float,
                   double) {
  Rng rng(31);
  check_every_implementation<kernels::ConvForwardImpls, T>(rng, 6);
  check_every_implementation<kernels::ConvBackwardDataImpls, T>(rng, 6);
  check_every_implementation<kernels::ConvBackwardWeightsImpls, T>(rng, 6);
}

TEST_CASE("the dispatcher picks the first implementation that accepts, and the reference is last") {
  const kernels::ConvShape pointwise_wide{1, 300, 300, make_window(4, 4, 1, 1, 1, 1, Padding::Same)};
  CHECK(std::string(kernels::conv_forward_choice(pointwise_wide)) == "fwd_pointwise_gemm");
  CHECK(std::string(kernels::conv_backward_data_choice(pointwise_wide)) == "bwd_data_pointwise_gemm");
  CHECK(std::string(kernels::conv_backward_weights_choice(pointwise_wide)) == "bwd_weights_patch_rows");
  const kernels::ConvShape strided3x3{1, 8, 16, make_window(9, 9, 3, 3, 2, 2, Padding::Same)};
  CHECK(std::string(kernels::conv_forward_choice(strided3x3)) == "fwd_direct");
  CHECK(std::string(kernels::conv_backward_data_choice(strided3x3)) == "bwd_data_col2im");
  CHECK(std::string(kernels::conv_backward_weights_choice(strided3x3)) == "bwd_weights_channel_rows");
  const kernels::ConvShape strided1x1{1, 8, 16, make_window(9, 9, 1, 1, 2, 2, Padding::Valid)};
  CHECK(std::string(kernels::conv_backward_data_choice(strided1x1)) == "bwd_data_pointwise_strided");
  CHECK(kernels::ConvForwardImpls::names.back() == "fwd_reference");
  CHECK(kernels::ConvBackwardDataImpls::names.back() == "bwd_data_reference");
  CHECK(kernels::ConvBackwardWeightsImpls::names.back() == "bwd_weights_reference");
}

TEST_CASE("forcing an implementation: unknown names and refused problems are errors, not wrong results") {
  const kernels::ConvShape s{1, 3, 4, make_window(5, 5, 3, 3, 1, 1, Padding::Same)};
  std::vector<float> x(75), w(108), y(100);
  test::KernelRun run(1, kernels::conv_forward_workspace<float>(s, 1));
  CHECK_THROWS_WITH_AS(kernels::conv_forward(s, x.data(), w.data(), y.data(), 0.f, run.exec(), "fwd_winograd"),
                       "tinycnn: unknown implementation 'fwd_winograd' (valid: fwd_pointwise_gemm, fwd_direct, "
                       "fwd_reference)",
                       Error);
  CHECK_THROWS_WITH_AS(kernels::conv_forward(s, x.data(), w.data(), y.data(), 0.f, run.exec(), "fwd_pointwise_gemm"),
                       "tinycnn: implementation 'fwd_pointwise_gemm' does not accept this problem", Error);
}

TEST_CASE("a kernel given less workspace than it plans refuses to run") {
  const kernels::ConvShape s{1, 3, 4, make_window(5, 5, 3, 3, 1, 1, Padding::Same)};
  std::vector<float> x(75), w(108), y(100);
  const std::size_t planned = kernels::conv_forward_workspace<float>(s, 2, "fwd_direct");
  REQUIRE(planned >= 128);
  test::KernelRun short_run(2, planned - 64);
  CHECK_THROWS_AS(kernels::conv_forward(s, x.data(), w.data(), y.data(), 0.f, short_run.exec(), "fwd_direct"), Error);
  test::KernelRun exact(2, planned);
  CHECK_NOTHROW(kernels::conv_forward(s, x.data(), w.data(), y.data(), 0.f, exact.exec(), "fwd_direct"));
}

TEST_CASE_TEMPLATE("strided 1x1 convolutions (ResNet v1's downsampling) agree", T, float, double) {
  // Backward-data writes each tile onto every sw-th pixel of every sh-th row and zeroes the rest;
  // tiles across output rows are stored row by row. Odd sizes leave the last row and column out.
  Rng rng(9);
  struct Case { index_t h, w, sh, sw, in_c, out_c; Padding pad; };
  for (const Case& c : {Case{11, 14, 2, 2, 5, 40, Padding::Same}, Case{12, 13, 2, 2, 33, 7, Padding::Same},
                        Case{9, 20, 3, 2, 8, 16, Padding::Same}, Case{8, 15, 1, 3, 4, 70, Padding::Same},
                        Case{13, 26, 2, 2, 20, 20, Padding::Same}}) {
    kernels::ConvShape s{2, c.in_c, c.out_c, make_window(c.h, c.w, 1, 1, c.sh, c.sw, c.pad)};
    check_conv<T>(s, rng, per_term<T>());
    s.win = make_window(c.h, c.w, 1, 1, c.sh, c.sw, Padding::Valid);
    check_conv<T>(s, rng, per_term<T>());
  }
}

TEST_CASE("convolution shapes that cross GEMM blocks, batch below and above the thread count") {
  Rng rng(11);
  // Three threads: the per-image col2im path needs batch >= threads; batch 1 and 2 take the shared one.
  // patch = 3*3*40 = 360 > KC, pixels well past one MC block; batch 1 takes the serial col2im path.
  check_conv<float>({1, 40, 70, make_window(13, 11, 3, 3, 1, 1, Padding::Same)}, rng, per_term<float>(), 3);
  check_conv<float>({3, 40, 70, make_window(13, 11, 3, 3, 2, 2, Padding::Same)}, rng, per_term<float>(), 3);
  check_conv<float>({2, 3, 16, make_window(23, 23, 7, 7, 2, 2, Padding::Same)}, rng, per_term<float>(), 3);
}
