// The verdict on a finite-difference gradient check (graph/gradient_check.hpp): within the
// tolerance, with the margin reported, and with at least one input actually checked.
#pragma once
#include <doctest/doctest.h>

#include <algorithm>
#include <source_location>

#include "support/check.hpp"
#include "tinycnn/graph/gradient_check.hpp"

namespace tinycnn::test {

inline void expect_pass(const GradientCheck& r, double tol,
                        const std::source_location where = std::source_location::current()) {
  INFO("input error " << r.input_error << ", parameter error " << r.param_error << "; worst at " << r.worst);
  report_margin(std::max(r.input_error, r.param_error), tol, r.worst, where);
  CHECK(r.passed(tol));
  CHECK(r.inputs_checked > 0);
}

}  // namespace tinycnn::test
