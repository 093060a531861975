// A network of your own: a small residual CNN composed from tinycnn's templates, trained for a
// few steps on synthetic data, with a checkpoint saved and loaded back, and its weights loaded
// into a network that only predicts. The example to copy first.
//
//   build/examples/custom_model [--steps 100] [--batch_size 32] [--checkpoint my_model.ckpt]
#include <CLI/CLI.hpp>
#include <cstdio>

#include "cli_checks.hpp"
#include "tinycnn/all.hpp"

using namespace tinycnn;

// Batch norm whose running statistics (used in evaluation) follow the batches quickly: the
// default momentum, 0.99, needs hundreds of steps to forget the initial mean 0 / variance 1,
// and this example trains only a few dozen.
using BN = BatchNorm<Momentum<std::ratio<9, 10>>>;

// A residual block: two 3x3 convolutions with batch norm, added to the input, then ReLU.
template <index_t Channels>
using Block = Sequential<
    Residual<Sequential<Conv2D<Channels, 3, NoBias>, BN, ReLU,
                        Conv2D<Channels, 3, NoBias>, BN>>,
    ReLU>;

// The same block where the shape changes: stride 2 and more channels, so the shortcut needs a
// projection (a strided 1x1 convolution) to be added.
template <index_t Channels>
using DownBlock = Sequential<
    Residual<Sequential<Conv2D<Channels, 3, Stride<2>, NoBias>, BN, ReLU,
                        Conv2D<Channels, 3, NoBias>, BN>,
             Sequential<Conv2D<Channels, 1, Stride<2>, NoBias>, BN>>,
    ReLU>;

// 32x32 RGB images, 10 classes. Every shape below is checked by the compiler: try removing the
// projection from DownBlock, or the GlobalAvgPool before Dense.
using SmallResNet = Sequential<
    Conv2D<16, 3, NoBias>, BN, ReLU,   // 32x32x16
    Repeat<2, Block<16>>,                       // 32x32x16
    DownBlock<32>, Block<32>,                   // 16x16x32
    DownBlock<64>, Block<64>,                   //  8x8x64
    GlobalAvgPool,                              //  1x1x64
    Dense<10>>;

int main(int argc, char** argv) {
  CLI::App app{"Compose a small residual network, train it a few steps, checkpoint it"};
  int steps = 100;
  index_t batch = 32;
  std::string checkpoint = "custom_model.ckpt";
  app.add_option("--steps", steps, "Training steps")->capture_default_str()->check(examples::in_range(1, 1 << 30));
  app.add_option("--batch_size", batch, "Images per step")->capture_default_str()->check(examples::in_range(1, 1 << 20));
  app.add_option("--checkpoint", checkpoint, "Where to save the checkpoint")->capture_default_str();
  examples::add_version_flag(app, "custom_model");
  examples::add_isa_flag(app);
  if (const int rc = examples::parse_command_line(app, "custom_model", argc, argv); rc >= 0) return rc;

  try {
    check_output_file(checkpoint, "--checkpoint");  // before the training, not after it
    auto net = make_model<SmallResNet>(Input<32, 32, 3>{}, batch);
    net.init(/*seed=*/42);
    std::printf("SmallResNet: %lld parameters, %.1f MFLOP per image forward\n", (long long)net.num_params,
                net.flops_per_image / 1e6);

    // Synthetic task: the label is which colour channel is brightest, plus noise.
    Rng rng(7);
    std::vector<float> images(static_cast<std::size_t>(batch) * 32 * 32 * 3);
    std::vector<std::int32_t> labels(static_cast<std::size_t>(batch));
    auto make_batch = [&] {
      for (index_t i = 0; i < batch; ++i) {
        int label = int(rng.below(10));
        labels[std::size_t(i)] = label;
        for (index_t p = 0; p < 32 * 32; ++p)
          for (int c = 0; c < 3; ++c)
            images[std::size_t((i * 1024 + p) * 3 + c)] =
                float(rng.normal(0, 0.5)) + (c == label % 3 ? 1.0f : 0.0f) + (p / 32 < 3 * (label / 3) ? 0.5f : 0.0f);
      }
    };

    const auto optimizer = optim::Momentum{.learning_rate = optim::Constant{0.05}, .weight_decay = 1e-4, .nesterov = true};
    Trainer trainer(net, optimizer);
    for (int s = 1; s <= steps; ++s) {
      make_batch();
      StepResult r = trainer.train_step(images.data(), labels.data());
      if (s == 1 || s % 20 == 0 || s == steps)
        std::printf("step %3d  loss %.4f  batch accuracy %5.1f %%\n", s, r.loss, 100.0 * r.accuracy());
    }

    make_batch();
    StepResult fresh = trainer.evaluate(images.data(), labels.data(), batch);
    std::printf("evaluation on a fresh batch: accuracy %.1f %%, loss %.4f\n", 100.0 * fresh.accuracy(), fresh.loss);
    trainer.save(checkpoint);
    std::printf("saved %s\n", checkpoint.c_str());

    // A second network of the same type picks up exactly where the first one stopped.
    auto restored = make_model<SmallResNet>(Input<32, 32, 3>{}, batch);
    Trainer again(restored, optimizer);
    again.load(checkpoint);
    StepResult same = again.evaluate(images.data(), labels.data(), batch);
    std::printf("restored at step %lld: the same batch gives accuracy %.1f %%, loss %.4f\n",
                (long long)again.step(), 100.0 * same.accuracy(), same.loss);
    if (same.loss != fresh.loss) {
      std::fprintf(stderr, "custom_model: the restored network disagrees with the saved one\n");
      return 1;
    }

    // Predictions need no Trainer and no optimizer: the weights alone, into a network of any
    // batch size (here 5, so the batch of images ends in a partial one).
    auto inference = make_model<SmallResNet>(Input<32, 32, 3>{}, 5);
    load_weights(inference, checkpoint);
    const std::vector<std::int32_t> predicted = predict(inference, std::span<const float>(images));
    index_t right = 0;
    for (std::size_t i = 0; i < predicted.size(); ++i) right += predicted[i] == labels[i];
    std::printf("predictions for the same batch:");
    for (std::size_t i = 0; i < std::min<std::size_t>(predicted.size(), 8); ++i) std::printf(" %d", predicted[i]);
    std::printf("%s (%lld of %zu right)\n", predicted.size() > 8 ? " ..." : "", (long long)right, predicted.size());
    if (right != same.correct) {
      std::fprintf(stderr, "custom_model: the predictions disagree with the evaluation\n");
      return 1;
    }
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "custom_model: %s\n", e.what());
    return 1;
  }
}
