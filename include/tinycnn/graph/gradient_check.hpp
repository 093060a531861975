// check_gradients<Spec>(Input<...>{}, batch): compares a layer's (or a whole graph's) backward
// pass with central finite differences in double precision, for the input and for every
// parameter (or an evenly spread sample of them when there are many). Users can run it on
// layers of their own, as the tests do on every built-in one.
//
// Any NaN or Inf, analytic or numeric, fails the check. The state (batch norm's running
// statistics) is randomised before checking, so that evaluation mode, which reads it, is checked
// away from the identity: a positive value is scaled by a factor in [0.5, 2] (a variance stays a
// variance), any other value moved by up to 0.5.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "tinycnn/graph/network.hpp"

namespace tinycnn {

struct GradientCheck {
  double input_error = 0;   // worst |analytic - numeric| / max(1, |numeric|) over checked inputs
  double param_error = 0;   // the same over checked parameters
  index_t inputs_checked = 0, params_checked = 0;
  index_t non_finite = 0;   // NaN or Inf gradients found, analytic (all scanned) or numeric
  std::string worst;        // where the worst error was (or the first non-finite value)
  bool passed(double tolerance) const {
    return non_finite == 0 && input_error <= tolerance && param_error <= tolerance;
  }
};

template <class Spec, index_t H, index_t W, index_t C>
GradientCheck check_gradients(Input<H, W, C>, index_t batch, std::uint64_t seed = 1, Mode mode = Mode::Train,
                              index_t max_checks = 300, double step = 1e-5) {
  using In = Dims<H, W, C>;
  Network<Spec, double, In> net(batch);
  net.init(seed);
  Rng rng(seed + 1);
  using Net = Network<Spec, double, In>;
  const index_t n_in = batch * In::size, n_out = batch * Net::out_dims::size;
  AlignedBuffer<double> x(n_in), upstream(n_out), dx(n_in);
  for (index_t i = 0; i < n_in; ++i) x[i] = rng.uniform(-1, 1);
  for (index_t i = 0; i < n_out; ++i) upstream[i] = rng.uniform(-1, 1);
  // Small random parameters that are not all equal (biases start at zero, which hides errors).
  std::span<double> params = net.parameters();
  for (double& p : params) p += rng.uniform(-0.1, 0.1);
  for (double& v : net.state()) v = v > 0 ? v * std::exp2(rng.uniform(-1, 1)) : v + rng.uniform(-0.5, 0.5);

  // loss = sum(upstream * f(x)); every evaluation uses the same dropout mask.
  auto loss = [&] {
    Rng mask_rng(seed + 2);
    Context ctx{mode, &mask_rng};
    const double* y = net.forward(x.data(), ctx);
    double s = 0;
    for (index_t i = 0; i < n_out; ++i) s += upstream[i] * y[i];
    return s;
  };
  {
    Rng mask_rng(seed + 2);
    Context ctx{mode, &mask_rng};
    net.forward(x.data(), ctx);
    net.backward(x.data(), upstream.data(), dx.data(), ctx);
  }
  std::vector<double> grads(net.gradients().begin(), net.gradients().end());

  GradientCheck result;
  auto where = [](const char* what, std::size_t i, double analytic) {
    return std::string(what) + "[" + std::to_string(i) + "]: analytic " + std::to_string(analytic);
  };
  auto note_non_finite = [&](std::string at) {
    if (result.non_finite++ == 0) result.worst = std::move(at) + " (not finite)";  // the first stays named
  };
  // Every analytic value is scanned, not only the sampled ones: one NaN among many parameters
  // must not hide between samples. The probes below then only meet non-finite numeric values.
  std::vector<double> dx_copy(dx.data(), dx.data() + n_in);
  for (const auto& [analytic, what] : {std::pair{&dx_copy, "input"}, std::pair{&grads, "parameter"}})
    for (std::size_t i = 0; i < analytic->size(); ++i)
      if (!std::isfinite((*analytic)[i])) note_non_finite(where(what, i, (*analytic)[i]));

  auto probe = [&](double* values, index_t count, const std::vector<double>& analytic, double& worst_error,
                   index_t& checked, const char* what) {
    index_t stride = std::max<index_t>(1, count / max_checks);
    for (index_t i = 0; i < count; i += stride) {
      double keep = values[i];
      values[i] = keep + step;
      double up = loss();
      values[i] = keep - step;
      double down = loss();
      values[i] = keep;
      const double numeric = (up - down) / (2 * step), a = analytic[std::size_t(i)];
      ++checked;
      if (!std::isfinite(a)) continue;  // counted by the scan
      if (!std::isfinite(numeric)) {
        note_non_finite(where(what, std::size_t(i), a) + ", numeric " + std::to_string(numeric));
        continue;
      }
      const double err = std::abs(a - numeric) / std::max(1.0, std::abs(numeric));
      if (err > worst_error) {
        worst_error = err;
        if (result.non_finite == 0)
          result.worst = where(what, std::size_t(i), a) + ", numeric " + std::to_string(numeric);
      }
    }
  };
  probe(x.data(), n_in, dx_copy, result.input_error, result.inputs_checked, "input");
  probe(params.data(), index_t(params.size()), grads, result.param_error, result.params_checked, "parameter");
  return result;
}

}  // namespace tinycnn
