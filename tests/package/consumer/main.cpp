// A model this project composes itself, trained for a few steps: the loss must fall.
#include <cstdio>
#include <tinycnn/all.hpp>
#include <vector>

using namespace tinycnn;
using MyNet = Sequential<Conv2D<4, 3>, ReLU, MaxPool<2>, Flatten, Dense<2>>;

int main() {
  auto net = make_model<MyNet>(Input<6, 6, 1>{}, 8);
  net.init(1);
  Trainer trainer(net, optim::Momentum{.learning_rate = optim::Constant{0.05}});
  std::vector<float> images(8 * 36);
  std::vector<std::int32_t> labels(8);
  for (int i = 0; i < 8; ++i) {
    labels[i] = i % 2;
    for (int p = 0; p < 36; ++p) images[i * 36 + p] = (i % 2) ? float(p % 6) / 6.f : float(p / 6) / 6.f;
  }
  double first = trainer.train_step(images.data(), labels.data()).loss, last = first;
  for (int s = 0; s < 50; ++s) last = trainer.train_step(images.data(), labels.data()).loss;
  std::printf("consumer: %lld parameters, loss %.4f -> %.4f, %s kernels\n", (long long)net.num_params, first, last,
              tinycnn::kernels::isa_name(tinycnn::kernels::isa_in_use()));
  return last < first ? 0 : 1;
}
