// GFLOP/s of each convolution pass (forward, backward-data, backward-weights) on every distinct
// convolution of the benchmark models, against the FMA peak measured in the same run, and each
// shape's share of its model's convolution time: the place to see which shapes hold the time and
// which pass of them is slow.
//   build/benchmarks/conv_benchmark [--model all] [--batch 16] [--threads 2] [--filter TEXT]
//                                   [--min_seconds 0.3] [--impl NAME]
// Each row names the implementation the dispatcher picks for each pass (kernels/conv.hpp's
// lists); --impl NAME times that implementation instead in its pass, on the shapes it accepts
// (the others show n/a), and the dispatcher's picks in the other two passes.
// The shapes come from the model types themselves: each model is built at batch 1 and its layer
// tree walked for the layers that have a conv_shape() (Conv2D). Shapes equal in input size,
// channels, kernel, stride and padding are timed once, at --batch.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "cli_checks.hpp"
#include "tinycnn/bench/fma_peak.hpp"
#include "tinycnn/bench/timing.hpp"
#include "tinycnn/core/random.hpp"
#include "tinycnn/graph/network.hpp"
#include "tinycnn/graph/visit.hpp"
#include "tinycnn/kernels/conv.hpp"
#include "tinycnn/parallel/cpu_mask.hpp"
#include "tinycnn/models/alexnet.hpp"
#include "tinycnn/models/inception_v3.hpp"
#include "tinycnn/models/resnet.hpp"
#include "tinycnn/models/vgg16.hpp"

using namespace tinycnn;

namespace {

// One convolution layer of a model, in forward order.
struct ModelConv {
  kernels::ConvShape shape;
  bool first_layer;  // the model's first layer: training never asks for its input gradient
};

// Builds the model at batch 1 (plans and binds only, no forward or backward is compiled) and
// collects its convolutions. The Network, parameters included, is freed on return.
template <class Spec, class In>
std::vector<ModelConv> convolutions_of() {
  auto net = make_model<Spec>(In{}, 1);
  std::vector<ModelConv> convs;
  bool first = true;
  visit_leaves(net.root(), [&](auto& leaf) {
    if constexpr (requires { leaf.conv_shape(); }) convs.push_back({leaf.conv_shape(), first});
    first = false;
  });
  return convs;
}

struct Model {
  const char* name;
  std::vector<ModelConv> (*convolutions)();
};

const Model kModels[] = {
    {"alexnet", convolutions_of<models::AlexNet, models::AlexNetInput>},
    {"vgg16", convolutions_of<models::VGG16, models::VGG16Input>},
    {"inception3", convolutions_of<models::InceptionV3, models::InceptionV3Input>},
    {"resnet50", convolutions_of<models::ResNet50, models::ResNet50Input>},
    {"resnet152", convolutions_of<models::ResNet152, models::ResNet152Input>},
};

// How often one model uses a shape.
struct Use {
  std::size_t model;     // index into the selected models
  index_t count = 0;
  bool first_layer = false;  // one of the uses is the model's first layer (no backward-data)
};

struct Row {
  kernels::ConvShape shape;  // at the benchmark's batch
  std::string name;
  std::vector<Use> uses;  // in model order
  double forward = 0, data = 0, weights = 0;  // best seconds of each pass; NaN: --impl refuses the shape
  std::string impls;      // the implementation run in each pass
};

// Which pass --impl names, if any.
enum class Pass { None, Forward, Data, Weights };
Pass pass_of(const std::string& impl) {
  if (impl.empty()) return Pass::None;
  if (kernels::ConvForwardImpls::has(impl)) return Pass::Forward;
  if (kernels::ConvBackwardDataImpls::has(impl)) return Pass::Data;
  if (kernels::ConvBackwardWeightsImpls::has(impl)) return Pass::Weights;
  return Pass::None;
}
std::string all_impl_names() {
  return kernels::ConvForwardImpls::joined_names() + ", " + kernels::ConvBackwardDataImpls::joined_names() + ", " +
         kernels::ConvBackwardWeightsImpls::joined_names();
}

bool same_geometry(const kernels::ConvShape& a, const kernels::ConvShape& b) {
  const Window &x = a.win, &y = b.win;
  return a.in_c == b.in_c && a.out_c == b.out_c && x.in_h == y.in_h && x.in_w == y.in_w && x.kh == y.kh &&
         x.kw == y.kw && x.sh == y.sh && x.sw == y.sw && x.pad_top == y.pad_top && x.pad_left == y.pad_left &&
         x.out_h == y.out_h && x.out_w == y.out_w;
}

bool same_window(const Window& a, const Window& b) {
  return a.out_h == b.out_h && a.out_w == b.out_w && a.pad_top == b.pad_top && a.pad_left == b.pad_left;
}

// "3x3/1 SAME 32->64 @147x147": kernel/stride, padding, channels, input size. The padding is
// named from the geometry: SAME when TensorFlow's SAME rule gives this window (a 1x1 stride-1
// convolution is SAME and VALID at once, and is called SAME), else VALID, else PAD<top>[x<left>].
std::string describe(const kernels::ConvShape& s) {
  const Window& g = s.win;
  auto n = [](index_t v) { return std::to_string(v); };
  std::string pad;
  if (same_window(g, make_window(g.in_h, g.in_w, g.kh, g.kw, g.sh, g.sw, Padding::Same)))
    pad = "SAME";
  else if (same_window(g, make_window(g.in_h, g.in_w, g.kh, g.kw, g.sh, g.sw, Padding::Valid)))
    pad = "VALID";
  else
    pad = "PAD" + n(g.pad_top) + (g.pad_left != g.pad_top ? "x" + n(g.pad_left) : "");
  return n(g.kh) + "x" + n(g.kw) + "/" + n(g.sh) + (g.sw != g.sh ? "x" + n(g.sw) : "") + " " + pad + " " +
         n(s.in_c) + "->" + n(s.out_c) + " @" + n(g.in_h) + "x" + n(g.in_w);
}


// Times the three passes of one shape, each with the workspace it plans; the buffers live only
// for this shape. `impl` (in its pass) replaces the dispatcher's pick.
void time_passes(Row& r, int threads, double min_seconds, const std::string& impl) {
  const kernels::ConvShape& s = r.shape;
  AlignedBuffer<float> x(s.batch * s.win.in_h * s.win.in_w * s.in_c), w(s.patch() * s.out_c),
      y(s.pixels() * s.out_c), dx(x.size()), dw(w.size());
  Rng rng(1);
  for (index_t i = 0; i < x.size(); ++i) x[i] = float(rng.uniform(-1, 1));
  for (index_t i = 0; i < w.size(); ++i) w[i] = float(rng.uniform(-1, 1));
  for (index_t i = 0; i < y.size(); ++i) y[i] = float(rng.uniform(-1, 1));
  const Pass forced = pass_of(impl);
  auto pick = [&](Pass p, const char* chosen, auto accepts) -> std::string {
    if (forced != p) return chosen;
    return accepts() ? impl : std::string();
  };
  const std::string f = pick(Pass::Forward, kernels::conv_forward_choice(s), [&] {
    bool ok = false;
    kernels::ConvForwardImpls::for_each([&](auto i) { ok |= impl == decltype(i)::name && decltype(i)::accepts(s); });
    return ok;
  });
  const std::string d = pick(Pass::Data, kernels::conv_backward_data_choice(s), [&] {
    bool ok = false;
    kernels::ConvBackwardDataImpls::for_each([&](auto i) { ok |= impl == decltype(i)::name && decltype(i)::accepts(s); });
    return ok;
  });
  const std::string g = pick(Pass::Weights, kernels::conv_backward_weights_choice(s), [&] {
    bool ok = false;
    kernels::ConvBackwardWeightsImpls::for_each(
        [&](auto i) { ok |= impl == decltype(i)::name && decltype(i)::accepts(s); });
    return ok;
  });
  r.impls = (f.empty() ? "n/a" : f) + ", " + (d.empty() ? "n/a" : d) + ", " + (g.empty() ? "n/a" : g);
  parallel::WorkspaceArena arena;
  auto exec = [&](std::size_t bytes) {
    arena.reserve(bytes);
    return parallel::Execution{threads, 1, arena.view()};
  };
  const double refused = std::nan("");
  r.forward = f.empty() ? refused : bench::best_seconds([&, ex = exec(kernels::conv_forward_workspace<float>(s, threads, f))] {
    kernels::conv_forward(s, x.data(), w.data(), y.data(), 0.f, ex, f);
  }, min_seconds);
  r.data = d.empty() ? refused : bench::best_seconds([&, ex = exec(kernels::conv_backward_data_workspace<float>(s, threads, d))] {
    kernels::conv_backward_data(s, y.data(), w.data(), dx.data(), ex, d);
  }, min_seconds);
  r.weights = g.empty() ? refused : bench::best_seconds([&, ex = exec(kernels::conv_backward_weights_workspace<float>(s, threads, g))] {
    kernels::conv_backward_weights(s, x.data(), y.data(), dw.data(), 0.f, ex, g);
  }, min_seconds);
}

// Seconds of one training step that a shape costs its model: every use runs forward and
// backward-weights, and backward-data unless it is the model's first layer.
// A pass --impl did not run (NaN) counts as no time.
double seconds_or_zero(double seconds) { return std::isnan(seconds) ? 0.0 : seconds; }
double step_seconds(const Row& r, const Use& u) {
  return double(u.count) * (seconds_or_zero(r.forward) + seconds_or_zero(r.weights)) + double(u.count - (u.first_layer ? 1 : 0)) * seconds_or_zero(r.data);
}

[[noreturn]] void usage_error(const std::string& message) {
  std::fprintf(stderr, "conv_benchmark: %s (see --help)\n", message.c_str());
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) try {
  long long batch = 16;
  int threads = 2;
  double min_seconds = 0.3;
  std::string filter, model = "all", impl;
  CLI::App app{"GFLOP/s of each convolution pass on every distinct convolution of the benchmark models"};
  app.footer("implementations (--impl): " + all_impl_names());
  app.add_option("--model", model, "alexnet, vgg16, inception3, resnet50, resnet152 or all")
      ->capture_default_str()
      ->check(CLI::IsMember({"alexnet", "vgg16", "inception3", "resnet50", "resnet152", "all"}));
  app.add_option("--batch", batch, "Images per pass")->capture_default_str()->check(examples::in_range(1LL, 1LL << 20));
  app.add_option("--threads", threads, "Intra-op threads")
      ->capture_default_str()
      ->check(examples::in_range(1, parallel::thread_flag_limit(parallel::allowed_cpus().size())));
  app.add_option("--filter", filter, "Only the shapes (or models) whose name contains this text");
  app.add_option("--min_seconds", min_seconds, "Time each pass for at least this long (best of the runs)")
      ->capture_default_str()
      ->check(examples::in_range(0.0, 3600.0));
  app.add_option("--impl", impl, "Time this implementation in its pass instead of the dispatcher's pick");
  examples::add_version_flag(app, "conv_benchmark");
  examples::add_isa_flag(app);
  if (const int rc = examples::parse_command_line(app, "conv_benchmark", argc, argv); rc >= 0) return rc;

  if (!impl.empty() && pass_of(impl) == Pass::None)
    usage_error("--impl: unknown implementation '" + impl + "' (valid: " + all_impl_names() + ")");
  std::vector<const Model*> selected;
  for (const Model& m : kModels)
    if (model == "all" || model == m.name) selected.push_back(&m);

  // Distinct shapes, ordered by model, then by first occurrence in it.
  std::vector<Row> rows;
  std::vector<index_t> layers_of(selected.size(), 0);
  for (std::size_t m = 0; m < selected.size(); ++m) {
    for (const ModelConv& c : selected[m]->convolutions()) {
      ++layers_of[m];
      kernels::ConvShape s{index_t(batch), c.shape.in_c, c.shape.out_c, c.shape.win};
      auto row = std::find_if(rows.begin(), rows.end(), [&](const Row& r) { return same_geometry(r.shape, s); });
      if (row == rows.end()) row = rows.insert(rows.end(), Row{s, describe(s), {}});
      if (row->uses.empty() || row->uses.back().model != m) row->uses.push_back({m});
      ++row->uses.back().count;
      row->uses.back().first_layer |= c.first_layer;
    }
  }
  auto models_of = [&](const Row& r) {
    std::string s;
    for (const Use& u : r.uses) s += (s.empty() ? "" : "/") + std::string(selected[u.model]->name);
    return s;
  };
  std::vector<Row> timed;
  for (Row& r : rows)
    if (filter.empty() || r.name.find(filter) != std::string::npos || models_of(r).find(filter) != std::string::npos)
      timed.push_back(std::move(r));
  if (timed.empty()) usage_error("no convolution of --model " + model + " matches --filter '" + filter + "'");

  const double peak = bench::measure_fma_peak_gflops(threads);
  std::printf("conv_benchmark: batch %ld, %d threads, FMA peak %.1f GFLOP/s (%s, measured now), model %s%s\n",
              long(batch), threads, peak, kernels::isa_name(kernels::isa_in_use()), model.c_str(),
              filter.empty() ? "" : (", filter '" + filter + "'").c_str());
  if (!impl.empty()) std::printf("implementation forced: %s\n", impl.c_str());
  std::fflush(stdout);
  const bool progress = isatty(fileno(stderr));
  for (std::size_t i = 0; i < timed.size(); ++i) {
    if (progress) std::fprintf(stderr, "\r\033[Ktiming %zu of %zu: %s", i + 1, timed.size(), timed[i].name.c_str());
    time_passes(timed[i], threads, min_seconds, impl);
  }
  if (progress) std::fprintf(stderr, "\r\033[K");

  // Each model's convolution time per training step, over the shapes timed.
  std::vector<double> model_seconds(selected.size(), 0);
  for (const Row& r : timed)
    for (const Use& u : r.uses) model_seconds[u.model] += step_seconds(r, u);

  struct Line {
    std::string models, name, count, share;
  };
  std::vector<Line> lines;
  std::size_t wm = 8, wn = 11, wc = 1, ws = 7;  // column widths, at least the headers'
  for (const Row& r : timed) {
    Line l{models_of(r), r.name, "", ""};
    char share[32];
    for (const Use& u : r.uses) {
      l.count += (l.count.empty() ? "" : "/") + std::to_string(u.count) + (u.first_layer ? "*" : "");
      std::snprintf(share, sizeof share, "%.1f", 100 * step_seconds(r, u) / model_seconds[u.model]);
      l.share += (l.share.empty() ? "" : "/") + std::string(share);
    }
    wm = std::max(wm, l.models.size());
    wn = std::max(wn, l.name.size());
    wc = std::max(wc, l.count.size());
    ws = std::max(ws, l.share.size());
    lines.push_back(l);
  }
  std::printf("Each pass in GFLOP/s and %% of peak. n: uses in the model. share: n x (forward + backward seconds)\n"
              "as %% of all the model's convolution time%s. With several models, n and share give\n"
              "one figure per model, in the order of the first column. @HxW is the input size.\n\n",
              filter.empty() ? "" : " (over the shapes timed)");
  std::printf("%-*s  %-*s  %*s %13s %13s %13s  %*s  %s\n", int(wm), "model(s)", int(wn), "convolution", int(wc), "n",
              "forward", "bwd-data", "bwd-weights", int(ws), "share %", "implementations (forward, bwd-data, bwd-weights)");
  for (std::size_t i = 0; i < timed.size(); ++i) {
    const Row& r = timed[i];
    const Line& l = lines[i];
    const double gflop = r.shape.flops() / 1e9;
    std::printf("%-*s  %-*s  %*s ", int(wm), l.models.c_str(), int(wn), l.name.c_str(), int(wc), l.count.c_str());
    for (double s : {r.forward, r.data, r.weights})
      if (std::isnan(s))
        std::printf(" %13s", "n/a");
      else
        std::printf(" %7.1f %3.0f%%", gflop / s, 100 * gflop / s / peak);
    std::printf("  %*s  %s\n", int(ws), l.share.c_str(), r.impls.c_str());
  }
  bool any_first = false;
  for (const Row& r : timed)
    for (const Use& u : r.uses) any_first |= u.first_layer;
  if (any_first)
    std::printf("* the model's first layer: training skips its backward-data, which the share leaves out\n");

  // Where each model's convolution time goes, by pass.
  std::printf("\nconvolutions per training step at batch %ld%s:\n", long(batch), filter.empty() ? "" : " (shapes timed only)");
  for (std::size_t m = 0; m < selected.size(); ++m) {
    double f = 0, d = 0, g = 0, flops = 0;
    index_t uses = 0, shapes = 0;
    for (const Row& r : timed)
      for (const Use& u : r.uses)
        if (u.model == m) {
          const index_t with_data = u.count - (u.first_layer ? 1 : 0);
          f += double(u.count) * seconds_or_zero(r.forward);
          d += double(with_data) * seconds_or_zero(r.data);
          g += double(u.count) * seconds_or_zero(r.weights);
          flops += double(2 * u.count + with_data) * r.shape.flops();
          uses += u.count;
          ++shapes;
        }
    if (uses == 0) continue;
    const double total = f + d + g;
    std::printf("%-*s  %ld of %ld layers, %ld shapes: %.1f ms (forward %.0f%%, bwd-data %.0f%%, bwd-weights %.0f%%), "
                "%.1f GFLOP/s = %.0f%% of peak\n",
                int(wm), selected[m]->name, long(uses), long(layers_of[m]), long(shapes), 1e3 * total, 100 * f / total,
                100 * d / total, 100 * g / total, flops / total / 1e9, 100 * flops / total / 1e9 / peak);
  }
} catch (const std::exception& e) {
  std::fprintf(stderr, "conv_benchmark: %s\n", e.what());
  return 1;
}
