// A model's weights without its training: parameters and batch-norm statistics, saved on their
// own or taken from a training checkpoint whatever optimizer wrote it. For evaluation, for
// predictions, and for fine-tuning with another optimizer.
//
// A checkpoint's signature is "<layers> | <float or double>" followed, for a Trainer's
// checkpoint, by " | <optimizer>", or, for a weights file, by " | weights". load_weights takes
// either; Trainer::load takes only its own optimizer's (it restores the optimizer's state too).
#pragma once
#include <cstdint>
#include <filesystem>
#include <string>

#include "tinycnn/io/checkpoint.hpp"

namespace tinycnn {

// The part of a checkpoint's signature that the weights depend on: the layers (their kinds,
// shapes and options, in order) and the element type.
template <class Net>
std::string weights_signature() {
  return Net::signature() + " | " + (sizeof(typename Net::value_type) == 4 ? "float" : "double");
}

// Saves net's parameters ("params") and batch-norm statistics ("state"), atomically, with
// step as the file's step (the training step they come from, or 0).
template <class Net>
void save_weights(const Net& net, const std::filesystem::path& file, std::int64_t step = 0) {
  using T = typename Net::value_type;
  const CheckpointSection<const T> sections[] = {{"params", net.parameters()}, {"state", net.state()}};
  save_checkpoint<T>(file, weights_signature<Net>() + " | weights", step, sections);
}

// Loads parameters and batch-norm statistics from a weights file or from any Trainer's
// checkpoint of the same network (any optimizer); the optimizer's state and the random numbers
// in the file are ignored. Refuses another network or element type, naming the difference, and
// leaves net as it was. Returns the file's step.
template <class Net>
std::int64_t load_weights(Net& net, const std::filesystem::path& file) {
  using T = typename Net::value_type;
  const std::string wanted = weights_signature<Net>();
  auto same_model = [&](const std::string& found) -> std::string {
    if (found.size() > wanted.size() && found.compare(0, wanted.size(), wanted) == 0 &&
        found.compare(wanted.size(), 3, " | ") == 0)
      return {};
    return "it holds another model: expected \"" + wanted + " | ...\", found \"" + found + "\"";
  };
  const CheckpointSection<T> sections[] = {{"params", net.parameters()}, {"state", net.state()}};
  return load_checkpoint_if<T>(file, same_model, CheckpointSections<T>(sections));
}

}  // namespace tinycnn
