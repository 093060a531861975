// Naive double-precision batch normalisation over the rows (n*h*w) of an NHWC tensor: the
// oracle for kernels/batch_norm.hpp. Statistics by the textbook two-pass formulas; the backward
// follows the chain rule step by step through the variance and the mean (Ioffe & Szegedy,
// 2015), a different route from the kernel's closed form.
#pragma once
#include <cmath>
#include <vector>

#include "tinycnn/core/shape.hpp"

namespace tinycnn::reference {

struct BatchNormTraining {
  std::vector<double> y, mean, var, invstd, running_mean, running_var;
};

// gamma / beta may be null (1 / 0). running_* are the values before the update.
template <class X, class P>
BatchNormTraining batch_norm_training(const X* x, index_t rows, index_t c, const P* gamma, const P* beta,
                                      double epsilon, double momentum, const P* running_mean,
                                      const P* running_var) {
  BatchNormTraining out;
  const auto C = static_cast<std::size_t>(c);
  out.y.resize(static_cast<std::size_t>(rows * c));
  out.mean.assign(C, 0.0);
  out.var.assign(C, 0.0);
  out.invstd.resize(C);
  out.running_mean.resize(C);
  out.running_var.resize(C);
  for (index_t ch = 0; ch < c; ++ch) {
    auto k = static_cast<std::size_t>(ch);
    for (index_t r = 0; r < rows; ++r) out.mean[k] += double(x[r * c + ch]);
    out.mean[k] /= double(rows);
    for (index_t r = 0; r < rows; ++r) {
      double d = double(x[r * c + ch]) - out.mean[k];
      out.var[k] += d * d;
    }
    out.var[k] /= double(rows);
    out.invstd[k] = 1.0 / std::sqrt(out.var[k] + epsilon);
    double g = gamma ? double(gamma[ch]) : 1.0, b = beta ? double(beta[ch]) : 0.0;
    for (index_t r = 0; r < rows; ++r)
      out.y[static_cast<std::size_t>(r * c + ch)] = g * (double(x[r * c + ch]) - out.mean[k]) * out.invstd[k] + b;
    double unbiased = rows > 1 ? out.var[k] * double(rows) / double(rows - 1) : out.var[k];
    out.running_mean[k] = momentum * double(running_mean[ch]) + (1 - momentum) * out.mean[k];
    out.running_var[k] = momentum * double(running_var[ch]) + (1 - momentum) * unbiased;
  }
  return out;
}

template <class X, class P>
std::vector<double> batch_norm_inference(const X* x, index_t rows, index_t c, const P* gamma, const P* beta,
                                         const P* running_mean, const P* running_var, double epsilon) {
  std::vector<double> y(static_cast<std::size_t>(rows * c));
  for (index_t r = 0; r < rows; ++r)
    for (index_t ch = 0; ch < c; ++ch) {
      double g = gamma ? double(gamma[ch]) : 1.0, b = beta ? double(beta[ch]) : 0.0;
      y[static_cast<std::size_t>(r * c + ch)] =
          g * (double(x[r * c + ch]) - double(running_mean[ch])) / std::sqrt(double(running_var[ch]) + epsilon) + b;
    }
  return y;
}

struct BatchNormGrads {
  std::vector<double> dx, dgamma, dbeta;
};

// Gradients of sum(dy * y) for the training forward, statistics recomputed from x.
template <class X, class D, class P>
BatchNormGrads batch_norm_backward(const X* x, const D* dy, index_t rows, index_t c, const P* gamma, double epsilon) {
  BatchNormGrads out;
  out.dx.resize(static_cast<std::size_t>(rows * c));
  out.dgamma.assign(static_cast<std::size_t>(c), 0.0);
  out.dbeta.assign(static_cast<std::size_t>(c), 0.0);
  const double N = double(rows);
  for (index_t ch = 0; ch < c; ++ch) {
    auto k = static_cast<std::size_t>(ch);
    double mu = 0, var = 0;
    for (index_t r = 0; r < rows; ++r) mu += double(x[r * c + ch]);
    mu /= N;
    for (index_t r = 0; r < rows; ++r) var += (double(x[r * c + ch]) - mu) * (double(x[r * c + ch]) - mu);
    var /= N;
    const double g = gamma ? double(gamma[ch]) : 1.0;
    const double s = std::sqrt(var + epsilon);
    double dvar = 0, dmu = 0, sum_xc = 0;
    for (index_t r = 0; r < rows; ++r) {
      double xc = double(x[r * c + ch]) - mu, d = double(dy[r * c + ch]);
      out.dbeta[k] += d;
      out.dgamma[k] += d * xc / s;
      dvar += d * g * xc * -0.5 * std::pow(var + epsilon, -1.5);
      dmu += -d * g / s;
      sum_xc += -2.0 * xc;
    }
    dmu += dvar * sum_xc / N;
    for (index_t r = 0; r < rows; ++r) {
      double xc = double(x[r * c + ch]) - mu, d = double(dy[r * c + ch]);
      out.dx[static_cast<std::size_t>(r * c + ch)] = d * g / s + dvar * 2.0 * xc / N + dmu / N;
    }
  }
  return out;
}

}  // namespace tinycnn::reference
