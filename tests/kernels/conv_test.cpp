#include <doctest/doctest.h>

#include "reference/conv_reference.hpp"
#include "support/check.hpp"
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

template <class T>
void check_conv(const kernels::ConvShape& s, Rng& rng, double tol) {
  const Window& g = s.win;
  auto x = test::random_vector<T>(s.batch * g.in_h * g.in_w * s.in_c, rng);
  auto w = test::random_vector<T>(s.patch() * s.out_c, rng);
  auto dy = test::random_vector<T>(s.pixels() * s.out_c, rng);
  const double scaled = tol * double(s.patch() + s.out_c);

  std::vector<T> y(dy.size());
  kernels::conv_forward(s, x.data(), w.data(), y.data());
  test::check_close(y, reference::conv_forward(s, x.data(), w.data()), scaled, "forward " + describe(s));

  auto [dx_ref, dw_ref] = reference::conv_backward(s, x.data(), w.data(), dy.data());
  std::vector<T> dx(x.size(), T(7)), dw(w.size());  // dx is overwritten, whatever it held
  kernels::conv_backward_data(s, dy.data(), w.data(), dx.data());
  kernels::conv_backward_weights(s, x.data(), dy.data(), dw.data());
  test::check_close(dx, dx_ref, scaled, "backward data " + describe(s));
  test::check_close(dw, dw_ref, tol * double(s.pixels() + 1), "backward weights " + describe(s));
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
    const Window& g = s.win;
    auto x = test::random_vector<T>(s.batch * g.in_h * g.in_w * s.in_c, rng);
    auto w = test::random_vector<T>(s.patch() * s.out_c, rng);
    std::vector<T> y(s.pixels() * s.out_c, T(3));
    auto expected = reference::conv_forward(s, x.data(), w.data());
    kernels::conv_forward_direct(s, x.data(), w.data(), y.data(), T(0));  // overwrites
    test::check_close(y, expected, tol * double(s.patch()), "direct forward " + describe(s));
    // beta = 1 accumulates onto what y holds.
    kernels::conv_forward_direct(s, x.data(), w.data(), y.data(), T(1));
    for (auto& e : expected) e *= 2;
    test::check_close(y, expected, 2 * tol * double(s.patch()), "direct forward, beta 1 " + describe(s));
  }
}

TEST_CASE_TEMPLATE("both weight-gradient orientations and the pointwise direct forward agree", T, float, double) {
  // conv_backward_weights picks patch rows or channel rows by shape; each must be right on any.
  Rng rng(31);
  const double tol = per_term<T>();
  for (int trial = 0; trial < 40; ++trial) {
    auto s = trial % 4 == 0 ? kernels::ConvShape{1 + index_t(rng.below(3)), 1 + index_t(rng.below(40)),
                                                 1 + index_t(rng.below(70)),
                                                 make_window(1 + index_t(rng.below(9)), 6 + index_t(rng.below(20)),
                                                             1, 1, 1, 1, Padding::Same)}
                            : random_conv(rng);
    if (s.win.out_h <= 0 || s.win.out_w <= 0) continue;
    const Window& g = s.win;
    auto x = test::random_vector<T>(s.batch * g.in_h * g.in_w * s.in_c, rng);
    auto w = test::random_vector<T>(s.patch() * s.out_c, rng);
    auto dy = test::random_vector<T>(s.pixels() * s.out_c, rng);
    auto dw_ref = reference::conv_backward(s, x.data(), w.data(), dy.data()).second;
    const double wtol = tol * double(s.pixels() + 1);
    std::vector<T> dw(w.size(), T(5));
    kernels::conv_backward_weights_patch_rows(s, x.data(), dy.data(), dw.data(), T(0));
    test::check_close(dw, dw_ref, wtol, "patch rows " + describe(s));
    std::fill(dw.begin(), dw.end(), T(5));
    kernels::conv_backward_weights_channel_rows(s, x.data(), dy.data(), dw.data(), T(0));
    test::check_close(dw, dw_ref, wtol, "channel rows " + describe(s));
    kernels::conv_backward_weights_channel_rows(s, x.data(), dy.data(), dw.data(), T(1));  // accumulates
    for (auto& e : dw_ref) e *= 2;
    test::check_close(dw, dw_ref, 2 * wtol, "channel rows, beta 1 " + describe(s));
    if (s.is_pointwise()) {
      std::vector<T> y(dy.size());
      kernels::conv_forward_direct(s, x.data(), w.data(), y.data(), T(0));
      test::check_close(y, reference::conv_forward(s, x.data(), w.data()), tol * double(s.patch()),
                        "pointwise direct forward " + describe(s));
    }
  }
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
  // patch = 3*3*40 = 360 > KC, pixels well past one MC block; batch 1 takes the serial col2im path.
  check_conv<float>({1, 40, 70, make_window(13, 11, 3, 3, 1, 1, Padding::Same)}, rng, per_term<float>());
  check_conv<float>({3, 40, 70, make_window(13, 11, 3, 3, 2, 2, Padding::Same)}, rng, per_term<float>());
  check_conv<float>({2, 3, 16, make_window(23, 23, 7, 7, 2, 2, Padding::Same)}, rng, per_term<float>());
}
