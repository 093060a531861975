// A model's summary: one row per leaf layer (path, kind, output shape, parameters, forward FLOPs
// per image, its output buffer at the network's batch), then the network's totals, which also
// count what containers do themselves (a Residual's addition) and every buffer they hold.
//   std::fputs(model_summary(net).c_str(), stdout);
#pragma once
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "tinycnn/graph/layer_info.hpp"

namespace tinycnn {

template <class Net>
std::string model_summary(Net& net) {
  const std::vector<LayerInfo> layers = net.layers();
  struct Row {
    std::string path, kind, shape, params, mflops, memory;
  };
  auto text = [](const char* format, double v) {
    char s[48];
    std::snprintf(s, sizeof s, format, v);
    return std::string(s);
  };
  std::vector<Row> rows{{"path", "kind", "output", "params", "MFLOP/img", "output MiB"}};
  for (const LayerInfo& l : layers) {
    rows.push_back({l.path.empty() ? "(root)" : l.path, l.kind,
                    std::to_string(l.out_h) + "x" + std::to_string(l.out_w) + "x" + std::to_string(l.out_c),
                    std::to_string(l.num_params), text("%.2f", l.flops / 1e6),
                    l.activation_bytes ? text("%.2f", double(l.activation_bytes) / (1 << 20)) : "-"});
  }
  rows.push_back({"total", std::to_string(layers.size()) + " layers", "", std::to_string(Net::num_params),
                  text("%.2f", net.flops_per_image / 1e6), text("%.2f", double(net.memory().activations) / (1 << 20))});
  std::size_t w[6] = {};
  for (const Row& r : rows) {
    const std::string* cells[] = {&r.path, &r.kind, &r.shape, &r.params, &r.mflops, &r.memory};
    for (std::size_t i = 0; i < 6; ++i) w[i] = std::max(w[i], cells[i]->size());
  }
  std::string out = "model summary at batch " + std::to_string(net.batch()) + " (output MiB: the layer's own output " +
                    "buffer; - where it writes over its input)\n";
  for (const Row& r : rows) {
    char line[512];
    std::snprintf(line, sizeof line, "%-*s  %-*s  %*s  %*s  %*s  %*s\n", int(w[0]), r.path.c_str(), int(w[1]),
                  r.kind.c_str(), int(w[2]), r.shape.c_str(), int(w[3]), r.params.c_str(), int(w[4]),
                  r.mflops.c_str(), int(w[5]), r.memory.c_str());
    out += line;
  }
  return out;
}

}  // namespace tinycnn
