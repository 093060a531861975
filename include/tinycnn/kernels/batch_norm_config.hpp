// Batch normalization's constants, and whether a ReLU follows in the same pass: one type for
// every instruction set.
#pragma once

namespace tinycnn::kernels {

struct BatchNormConfig {
  double epsilon = 1e-3;   // Keras' default, also InceptionV3's
  double momentum = 0.99;  // weight of the old running statistics
  bool relu = false;       // write max(y, 0) instead of y: a ReLU fused into the normalising pass
};

}  // namespace tinycnn::kernels
