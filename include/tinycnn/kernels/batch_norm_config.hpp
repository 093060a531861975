// Batch normalization's two constants: one type for every instruction set.
#pragma once

namespace tinycnn::kernels {

struct BatchNormConfig {
  double epsilon = 1e-3;   // Keras' default, also InceptionV3's
  double momentum = 0.99;  // weight of the old running statistics
};

}  // namespace tinycnn::kernels
