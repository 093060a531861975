// The benchmark's printed output, in tf_cnn_benchmarks' own format so the log scrapers written
// for it read ours: the header, "Step\tImg/sec\ttotal_loss", the per-step lines, and the
// "total images/sec" block between two lines of 64 dashes. Everything is formatted into
// strings (the caller prints), which keeps the formats testable.
#pragma once
#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "tinycnn/bench/statistics.hpp"
#include "tinycnn/core/shape.hpp"
#include "tinycnn/graph/memory_plan.hpp"
#include "tinycnn/graph/profiler.hpp"

namespace tinycnn::bench {

inline std::string strprintf(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
inline std::string strprintf(const char* fmt, ...) {
  va_list a, b;
  va_start(a, fmt);
  va_copy(b, a);
  int n = std::vsnprintf(nullptr, 0, fmt, a);
  va_end(a);
  std::string s(std::size_t(std::max(n, 0)), '\0');
  std::vsnprintf(s.data(), s.size() + 1, fmt, b);
  va_end(b);
  return s;
}

struct HeaderInfo {
  std::string model;
  bool forward_only = false;
  index_t batch_size = 0;  // per worker
  index_t workers = 1;
  long long num_batches = 0;
  double num_epochs = 0;  // num_batches x batch / images in the model's nominal epoch
  std::string optimizer;
  std::string variables = "local";
  long long parameters = 0;
  double gflop_per_image = 0;  // forward
  // Further "Label: value" lines (learning rate, threads, OpenMP, FMA peak), in order.
  std::vector<std::pair<std::string, std::string>> extra;
};

// TensorFlow's labels are padded to 13 columns ("Batch size:  "); longer labels get one space.
inline std::string header_line(const std::string& label, const std::string& value) {
  std::string l = label + ":";
  if (l.size() < 13) l.resize(13, ' ');
  else l += ' ';
  return l + value + "\n";
}

inline std::string format_header(const HeaderInfo& h) {
  std::string s;
  s += header_line("Model", h.model);
  s += header_line("Dataset", "synthetic");
  s += header_line("Mode", h.forward_only ? "forward-only" : "training");
  s += header_line("SingleSess", "False");
  s += header_line("Batch size", std::to_string(h.batch_size * h.workers) + " global");
  s += "             " + std::to_string(h.batch_size) + " per device\n";
  s += header_line("Num batches", std::to_string(h.num_batches));
  s += header_line("Num epochs", strprintf("%.2f", h.num_epochs));
  s += header_line("Devices", "['/cpu:0']");
  s += header_line("Data format", "NHWC");
  s += header_line("Optimizer", h.optimizer);
  s += header_line("Variables", h.variables);
  s += header_line("Parameters", std::to_string(h.parameters));
  s += header_line("GFLOP/image", strprintf("%.4g forward (x3 for a training step)", h.gflop_per_image));
  for (const auto& [k, v] : h.extra) s += header_line(k, v);
  s += "==========\n";
  return s;
}

inline std::string step_table_heading() { return "Step\tImg/sec\ttotal_loss\n"; }

// tf_cnn_benchmarks: '%i\t%s\t%.3f' with '%s' = 'images/sec: %.1f +/- %.1f (jitter = %.1f)'.
inline std::string format_step_line(long long step, const SpeedStats& s, double loss) {
  return strprintf("%lld\timages/sec: %.1f +/- %.1f (jitter = %.1f)\t%.3f\n", step, s.images_per_sec,
                   s.uncertainty, s.jitter, loss);
}

// Printed at step 1 and every display_every steps (1-based over the timed steps), as there.
inline bool is_display_step(long long step, long long display_every) {
  return step == 1 || (display_every > 0 && step % display_every == 0);
}

// The network's buffers by purpose and the optimizer's state, in MiB, and their sum.
inline std::string format_memory_plan(const MemoryPlan& m, std::size_t optimizer_state) {
  auto mib = [](std::size_t bytes) { return double(bytes) / 1048576.0; };
  return strprintf("memory plan: activations %.1f MiB, parameters %.1f MiB, gradients %.1f MiB, backward scratch "
                   "%.1f MiB, kernel workspace %.1f MiB, optimizer state %.1f MiB, batch-norm statistics %.1f MiB: "
                   "%.1f MiB\n",
                   mib(m.activations), mib(m.parameters), mib(m.gradients), mib(m.backward_scratch), mib(m.workspace),
                   mib(optimizer_state), mib(m.state), mib(m.total() + optimizer_state));
}

inline std::string dashes() { return std::string(64, '-') + "\n"; }

inline std::string format_total(double images_per_sec) {
  return dashes() + strprintf("total images/sec: %.2f\n", images_per_sec) + dashes();
}

// A distributed run's lines after the total: the rate per worker, the time the first worker's
// steps waited for communication once backward was over (what did not overlap), and the
// speed-up over a given base rate (the sweep passes the one-worker mean).
inline std::string format_distributed_summary(double images_per_sec, index_t workers, index_t batch,
                                              double wait_seconds_per_step, double step_seconds,
                                              double speedup_base) {
  std::string s = strprintf("per worker: %.2f images/sec (%lld workers x %lld images per step)\n",
                            images_per_sec / double(workers), (long long)workers, (long long)batch);
  s += strprintf("communication wait: %.4f s per step (%.1f %% of the step)\n", wait_seconds_per_step,
                 step_seconds > 0 ? 100.0 * wait_seconds_per_step / step_seconds : 0.0);
  if (speedup_base > 0)
    s += strprintf("speed-up: %.2f over %.2f images/sec (efficiency %.1f %% with %lld workers)\n",
                   images_per_sec / speedup_base, speedup_base,
                   100.0 * images_per_sec / speedup_base / double(workers), (long long)workers);
  return s;
}

// The report's way to quote repeated runs: the mean, with max - min as the error bar. The
// per-repetition lines avoid the words "total images/sec" so scrapers count one per block.
inline std::string format_repetition_summary(std::span<const double> images_per_sec) {
  std::string s = strprintf("Summary over %zu repetitions (the report's protocol: mean, error bar max - min)\n",
                            images_per_sec.size());
  for (std::size_t i = 0; i < images_per_sec.size(); ++i)
    s += strprintf("repetition %zu\timages/sec: %.2f\n", i + 1, images_per_sec[i]);
  s += strprintf("mean images/sec: %.2f +/- %.2f (max - min)\n", mean(images_per_sec), max_minus_min(images_per_sec));
  return s;
}

// A `caffe time`-style table: milliseconds per call forward and backward, their share of the
// total, and GFLOP/s (backward counted as twice the forward FLOPs: data and weight gradients),
// most expensive layer first.
inline std::string format_layer_table(std::vector<LayerTiming> layers, bool forward_only) {
  auto per_call = [](double seconds, index_t calls) { return calls ? 1e3 * seconds / double(calls) : 0.0; };
  double total = 0;
  for (const auto& l : layers)
    total += per_call(l.forward_seconds, l.forward_calls) + per_call(l.backward_seconds, l.backward_calls);
  std::stable_sort(layers.begin(), layers.end(), [&](const LayerTiming& a, const LayerTiming& b) {
    return per_call(a.forward_seconds, a.forward_calls) + per_call(a.backward_seconds, a.backward_calls) >
           per_call(b.forward_seconds, b.forward_calls) + per_call(b.backward_seconds, b.backward_calls);
  });
  std::string s = forward_only ? strprintf("%4s  %-44s %10s %7s %10s\n", "#", "layer", "fwd ms", "%", "fwd GF/s")
                               : strprintf("%4s  %-44s %10s %10s %7s %10s %10s\n", "#", "layer", "fwd ms", "bwd ms",
                                           "%", "fwd GF/s", "bwd GF/s");
  for (const auto& l : layers) {
    const double f = per_call(l.forward_seconds, l.forward_calls), b = per_call(l.backward_seconds, l.backward_calls);
    const double share = total > 0 ? 100.0 * (f + b) / total : 0.0;
    const double fg = f > 0 ? l.flops / (f * 1e6) : 0.0, bg = b > 0 ? 2.0 * l.flops / (b * 1e6) : 0.0;
    std::string name = l.name;
    if (name.size() > 44) name.replace(41, std::string::npos, "...");
    s += forward_only ? strprintf("%4lld  %-44s %10.3f %6.1f%% %10.1f\n", (long long)l.order, name.c_str(), f, share, fg)
                      : strprintf("%4lld  %-44s %10.3f %10.3f %6.1f%% %10.1f %10.1f\n", (long long)l.order,
                                  name.c_str(), f, b, share, fg, bg);
  }
  s += strprintf("      %-44s %10.3f ms per step (sum over layers)\n", "total", total);
  return s;
}

}  // namespace tinycnn::bench
