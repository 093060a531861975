// Trains the TensorFlow tutorial's mnist_deep CNN on Fashion-MNIST (or any MNIST-format folder)
// with the tutorial's recipe: Adam 1e-4, batch 50. Shows progress and the test accuracy after
// every epoch; can save a checkpoint each epoch and resume from it.
//
//   build/examples/mnist_deep                          # 2 epochs on Debian's Fashion-MNIST
//   build/examples/mnist_deep --data DIR --epochs 5 --checkpoint run.ckpt --resume
#include <omp.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>

#include "tinycnn/graph/network.hpp"
#include "tinycnn/io/dataset.hpp"
#include "tinycnn/io/file.hpp"
#include "tinycnn/io/mnist.hpp"
#include "tinycnn/models/mnist_deep.hpp"
#include "tinycnn/optim/adam.hpp"
#include "tinycnn/train/trainer.hpp"

using namespace tinycnn;

int main(int argc, char** argv) {
  CLI::App app{"Train the TensorFlow tutorial's mnist_deep CNN with tinycnn"};
  std::string data_dir = debian_fashion_mnist_dir().string();
  int epochs = 2;
  index_t batch_size = 50;
  double learning_rate = 1e-4;
  std::uint64_t seed = 1234;
  int threads = 0;
  int display_every = 100;
  std::string checkpoint;
  bool resume = false;
  app.add_option("--data", data_dir, "Folder with {train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]")
      ->capture_default_str();
  app.add_option("--epochs", epochs, "Passes over the training set")->capture_default_str()->check(CLI::NonNegativeNumber);
  app.add_option("--batch_size", batch_size, "Images per training step")->capture_default_str()->check(CLI::PositiveNumber);
  app.add_option("--learning_rate", learning_rate, "Adam's learning rate")->capture_default_str()->check(CLI::PositiveNumber);
  app.add_option("--seed", seed, "Seed for weights, dropout and the data order")->capture_default_str();
  app.add_option("--threads", threads, "Threads for the kernels (0: all cores)")->capture_default_str()->check(CLI::NonNegativeNumber);
  app.add_option("--display_every", display_every, "Print progress every N steps")->capture_default_str()->check(CLI::PositiveNumber);
  app.add_option("--checkpoint", checkpoint, "Save a checkpoint here after every epoch");
  app.add_flag("--resume", resume, "Continue from --checkpoint if it exists");
  try {
    app.parse(argc, argv);
    if (resume && checkpoint.empty()) throw CLI::ValidationError("--resume", "needs --checkpoint PATH");
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }

  try {
    // A checkpoint that cannot be written should stop the run now, not after its first epoch.
    if (!checkpoint.empty()) check_output_file(checkpoint, "--checkpoint");
    if (threads > 0) omp_set_num_threads(threads);  // for OpenMP loops outside the network
    std::printf("loading %s\n", data_dir.c_str());
    Dataset train = load_mnist_folder(data_dir, "train");
    Dataset test = load_mnist_folder(data_dir, "t10k");
    require(train.image_shape() == Shape{1, 28, 28, 1} && test.image_shape() == Shape{1, 28, 28, 1},
            "mnist_deep needs 28x28 single-channel images, the data has " + to_string(train.image_shape()));
    for (auto* ds : {&train, &test})
      for (std::int32_t l : ds->labels)
        require(l >= 0 && l < 10, "labels must be 0..9, found " + std::to_string(l) + " in " + data_dir);
    require(train.size() >= batch_size, "the training set has fewer images than one batch");

    auto net = make_model<models::MnistDeep>(models::MnistInput{}, batch_size);
    net.set_threads(threads);
    net.init(seed);
    Trainer trainer(net, optim::Adam{.learning_rate = optim::Constant{learning_rate}}, seed);
    const index_t steps_per_epoch = train.size() / batch_size;  // a short last batch is skipped
    if (resume && std::filesystem::exists(checkpoint)) {
      trainer.load(checkpoint);
      std::printf("resumed from %s at step %lld\n", checkpoint.c_str(), (long long)trainer.step());
    }
    std::printf("mnist_deep: %lld parameters, %.1f MFLOP forward per image; %lld train / %lld test images, "
                "batch %lld, Adam %g, %d threads\n",
                (long long)net.num_params, net.flops_per_image / 1e6, (long long)train.size(), (long long)test.size(),
                (long long)batch_size, learning_rate, net.intra_threads());

    Tensor<float> images;
    std::vector<std::int32_t> labels;
    for (int epoch = int(trainer.step() / steps_per_epoch); epoch < epochs; ++epoch) {
      Rng order_rng(seed + 1000 + std::uint64_t(epoch));  // the same order whether resumed or not
      std::vector<index_t> order = epoch_order(train.size(), &order_rng);
      double window_loss = 0;
      index_t window_steps = 0;
      double epoch_seconds = 0;
      auto window_start = std::chrono::steady_clock::now();
      for (index_t b = trainer.step() % steps_per_epoch; b < steps_per_epoch; ++b) {
        copy_batch(train, order, b, batch_size, images, labels);
        auto t0 = std::chrono::steady_clock::now();
        StepResult r = trainer.train_step(images.data(), labels.data());
        epoch_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        window_loss += r.loss;
        ++window_steps;
        if (trainer.step() % display_every == 0) {
          double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - window_start).count();
          std::printf("step %6lld  epoch %d  images/sec %8.1f  loss %.4f\n", (long long)trainer.step(), epoch + 1,
                      double(window_steps * batch_size) / s, window_loss / double(window_steps));
          std::fflush(stdout);
          window_loss = 0;
          window_steps = 0;
          window_start = std::chrono::steady_clock::now();
        }
      }
      StepResult eval = trainer.evaluate(test.images.data(), test.labels.data(), test.size());
      std::printf("epoch %d: test accuracy %.2f %% (%lld images), test loss %.4f, training %.1f images/sec\n",
                  epoch + 1, 100.0 * eval.accuracy(), (long long)eval.examples, eval.loss,
                  double(steps_per_epoch * batch_size) / epoch_seconds);
      std::fflush(stdout);
      if (!checkpoint.empty()) {
        trainer.save(checkpoint);
        std::printf("saved %s (step %lld)\n", checkpoint.c_str(), (long long)trainer.step());
      }
    }
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mnist_deep: %s\n", e.what());
    return 1;
  }
}
