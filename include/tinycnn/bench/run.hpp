// run_benchmark<Spec>(Input<H, W, C>{}, options): the measurement protocol of the report
// (reference/protocol.md) for one model. Per repetition: fresh weights from the seed, warm-up
// steps (not timed), then num_batches timed steps on one fixed synthetic batch, printing
// tf_cnn_benchmarks' step lines; images/sec = images of the timed steps / wall time of the
// timed loop. Per-layer profiling, when asked for, runs extra Trainer steps with a StepProfiler
// attached after the last repetition's timed steps (and its checkpoint), so the profiler's
// clock reads never touch the headline numbers.
//
// Distributed (options.cluster): servers serve and return; each worker trains on its slice of
// one global synthetic batch, and images/sec counts every worker's images over the time from
// the workers' common start to the last one's finish (the report's equations 3 and 4).
//
// Instantiate it in one translation unit per model: the network is most of the compile time.
#pragma once
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>

#include "tinycnn/bench/cluster.hpp"
#include "tinycnn/bench/fma_peak.hpp"
#include "tinycnn/bench/memory.hpp"
#include "tinycnn/bench/report.hpp"
#include "tinycnn/bench/result.hpp"
#include "tinycnn/bench/synthetic_data.hpp"
#include "tinycnn/core/error.hpp"
#include "tinycnn/graph/memory_estimate.hpp"
#include "tinycnn/graph/network.hpp"
#include "tinycnn/graph/profiler.hpp"
#include "tinycnn/graph/summary.hpp"
#include "tinycnn/optim/all.hpp"
#include "tinycnn/train/step_profiler.hpp"
#include "tinycnn/train/trainer.hpp"

namespace tinycnn::bench {

// Calls f with the optimizer the options name, configured as tf_cnn_benchmarks does: momentum
// is Nesterov momentum; rmsprop has decay 0.9, momentum 0.9, epsilon 1.
template <class F>
decltype(auto) with_optimizer(const BenchmarkOptions& o, F&& f) {
  if (o.optimizer == "sgd") return f(optim::Sgd{.learning_rate = o.learning_rate, .weight_decay = o.weight_decay});
  if (o.optimizer == "momentum")
    return f(optim::Momentum{
        .learning_rate = o.learning_rate, .momentum = o.momentum, .weight_decay = o.weight_decay, .nesterov = true});
  if (o.optimizer == "rmsprop")
    return f(optim::RmsProp{.learning_rate = o.learning_rate,
                            .decay = 0.9,
                            .momentum = 0.9,
                            .epsilon = 1.0,
                            .weight_decay = o.weight_decay});
  if (o.optimizer == "adam") return f(optim::Adam{.learning_rate = o.learning_rate, .weight_decay = o.weight_decay});
  throw Error("unknown optimizer '" + o.optimizer + "' (sgd, momentum, rmsprop, adam)");
}

namespace detail {

inline void emit(const BenchmarkOptions& o, const std::string& s) {
  std::fputs(s.c_str(), o.out);
  std::fflush(o.out);
}

// kind: "warm-up", "timed" or "profiled".
inline std::string step_name(const char* kind, long long k, long long of, int rep, int reps) {
  std::string s = std::string(kind) + " step " + std::to_string(k) + " of " + std::to_string(of);
  if (reps > 1) s += ", repetition " + std::to_string(rep) + " of " + std::to_string(reps);
  return s;
}

}  // namespace detail

// The checkpoint a run with --train_dir continues from, as tf_cnn_benchmarks restores the latest
// one it finds there: the regular file model.ckpt-N with the largest N. Empty when there is none.
inline std::filesystem::path latest_checkpoint(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (dir.empty() || !fs::is_directory(dir, ec)) return {};
  fs::path best;
  long long best_step = -1;
  for (const fs::directory_entry& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    const std::string prefix = "model.ckpt-";
    if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0 || name.size() > prefix.size() + 18)
      continue;
    const std::string digits = name.substr(prefix.size());
    if (digits.find_first_not_of("0123456789") != std::string::npos || !e.is_regular_file(ec)) continue;
    const long long step = std::stoll(digits);
    if (step > best_step) {
      best_step = step;
      best = e.path();
    }
  }
  if (ec) throw Error("--train_dir '" + dir + "': cannot list the folder: " + ec.message());
  return best;
}

template <class Spec, index_t H, index_t W, index_t C>
BenchmarkResult run_benchmark(Input<H, W, C> input, const BenchmarkOptions& o) {
  require(o.batch_size > 0, "batch_size must be positive");
  require(o.num_batches >= 0 && o.num_warmup_batches >= 0, "step counts must not be negative");
  require(o.repetitions >= 1, "repetitions must be at least 1");

  Cluster* const cluster = o.cluster;
  require(!(cluster && o.forward_only), "a forward-only run has nothing to distribute");
  BenchmarkResult r;
  r.model = o.model;
  if (cluster) r.world = cluster->world();
  if (cluster && cluster->is_server()) {  // no steps here: keep the variables until the workers end
    auto layout = make_model<Spec>(input, 1);
    cluster->serve(layout.parameter_ranges(), index_t(layout.parameters().size()));
    r.server = true;
    return r;
  }

  const index_t n = o.batch_size;  // per worker
  const index_t chunk = o.forward_only ? inference_chunk(n, o.inference_chunk) : n;
  {
    // An impossible batch stops here, naming its need and the limit, before any allocation.
    // Besides the network: the synthetic batch and the optimizer's state.
    using Planned = decltype(make_model<Spec>(input, 1));
    const int slots = with_optimizer(o, [](auto opt) { return int(decltype(opt)::state_per_param); });
    const std::size_t others = std::size_t(n) * (Planned::in_dims::size * sizeof(float) + sizeof(std::int32_t)) +
                               (o.forward_only ? 0 : std::size_t(slots) * Planned::root_type::param_storage * sizeof(float));
    require_memory_fits(estimate_memory<Planned>(chunk, !o.forward_only, o.threads, o.inter_threads), others,
                        "--batch_size=" + std::to_string(n) + " (" + o.model + ")", "lower --batch_size");
  }
  auto net = make_model<Spec>(input, chunk);  // Trainer::evaluate runs n images in chunks
  net.set_threads(o.threads, o.inter_threads);
  net.set_deterministic(o.deterministic);
  using Net = decltype(net);
  // Worker k's batch is rows [k n, (k+1) n) of one global draw (one process alone: all of it).
  const index_t workers = cluster ? cluster->workers() : 1, worker = cluster ? cluster->worker_index() : 0;
  const SyntheticBatch<float> data =
      make_synthetic_slice<float>(n * workers, worker * n, n, Net::in_dims::size, o.label_values, o.seed);
  distributed::AnyPolicy<float> policy;
  if (cluster) policy = distributed::AnyPolicy<float>(&cluster->policy(net.parameter_ranges(),
                                                                        index_t(net.parameters().size())));

  r.parameters = (long long)Net::num_params;
  r.forward_flops_per_image = Net::flops_per_image;
  r.flops_per_image = (o.forward_only ? 1.0 : 3.0) * Net::flops_per_image;
  r.threads = net.intra_threads();
  r.fma_peak_gflops = measure_fma_peak_gflops(r.threads, o.fma_seconds);

  HeaderInfo h;
  h.model = o.model;
  h.forward_only = o.forward_only;
  h.batch_size = n;
  h.workers = workers;
  if (cluster) h.variables = cluster->variables();
  h.num_batches = o.num_batches;
  h.num_epochs = double(o.num_batches) * double(n) / o.epoch_images;
  h.optimizer = o.optimizer;
  h.parameters = r.parameters;
  h.gflop_per_image = Net::flops_per_image / 1e9;
  h.extra = o.header_extra;
  h.extra.insert(h.extra.begin(), {"Learning rate", o.learning_rate_text});
  if (o.forward_only)
    h.extra.push_back({"Inference", strprintf("%lld images per step, in passes of %lld (results per image, as one pass)",
                                              (long long)n, (long long)chunk)});
  h.extra.push_back({"FMA peak", strprintf("%.1f GFLOP/s with %d threads, %s (measured now)", r.fma_peak_gflops, r.threads, kernels::isa_name(kernels::isa_in_use()))});
  detail::emit(o, format_header(h));
  if (o.summary) {
    detail::emit(o, model_summary(net) + "\n");
    r.model_layers = net.layers();
  }

  // A --train_dir that holds a checkpoint is continued, bit for bit as if the earlier run had not
  // stopped (every worker reads it: the folder must be one they all see).
  const std::filesystem::path resume_from = o.forward_only ? std::filesystem::path{} : latest_checkpoint(o.train_dir);
  with_optimizer(o, [&](auto optimizer) {
    for (int rep = 1; rep <= o.repetitions; ++rep) {
      net.init(o.seed);  // every repetition starts from the same weights
      // Dropout draws differ from worker to worker (the same masks everywhere would correlate them).
      Trainer trainer(net, optimizer, o.seed + std::uint64_t(worker), policy);
      if (!resume_from.empty()) {
        trainer.load(resume_from);
        // The checkpoint holds the first worker's dropout stream; the others start their own anew.
        if (worker != 0) trainer.rng() = resumed_worker_rng(o.seed, std::uint64_t(worker), std::uint64_t(trainer.step()));
        if (rep == 1) detail::emit(o, strprintf("Restored %s (step %lld)\n", resume_from.c_str(), (long long)trainer.step()));
      }
      auto step = [&](const char* kind, long long k, long long of) {
        try {
          if (!o.forward_only) return trainer.train_step(data.images.data(), data.labels.data()).loss;
          double loss = trainer.evaluate(data.images.data(), data.labels.data(), n).loss;
          if (!std::isfinite(loss)) throw Error("the loss became " + std::to_string(loss));
          return loss;
        } catch (const Error& e) {
          throw Error(std::string(e.what()).substr(9) + " [" + detail::step_name(kind, k, of, rep, o.repetitions) + "]");
        }
      };
      if (o.repetitions > 1) detail::emit(o, strprintf("Repetition %d of %d\n", rep, o.repetitions));
      detail::emit(o, "Running warm up\n");
      for (long long k = 1; k <= o.num_warmup_batches; ++k) step("warm-up", k, o.num_warmup_batches);
      detail::emit(o, "Done warm up\n");
      detail::emit(o, step_table_heading());

      RepetitionResult rr;
      rr.step_seconds.reserve(std::size_t(o.num_batches));
      rr.losses.reserve(std::size_t(o.num_batches));
      using clock = std::chrono::steady_clock;
      if (cluster) cluster->barrier();  // the workers start the timed steps together
      const double waited_before = cluster ? cluster->wait_seconds() : 0.0;
      const auto loop_start = clock::now();
      for (long long k = 1; k <= o.num_batches; ++k) {
        const auto t0 = clock::now();
        const double loss = step("timed", k, o.num_batches);
        rr.step_seconds.push_back(std::chrono::duration<double>(clock::now() - t0).count());
        rr.losses.push_back(loss);
        if (is_display_step(k, o.display_every)) {
          rr.last = speed_stats(double(n), rr.step_seconds);
          detail::emit(o, format_step_line(k, rr.last, loss));
        }
      }
      // Equations 3 and 4 of the report: every worker's images over the time from the common start
      // to the last worker's finish.
      const double own_seconds = std::chrono::duration<double>(clock::now() - loop_start).count();
      rr.elapsed_seconds = cluster ? cluster->max_over_workers(own_seconds) : own_seconds;
      rr.images_per_sec = rr.elapsed_seconds > 0 ? double(o.num_batches * n * workers) / rr.elapsed_seconds : 0.0;
      rr.worker_images_per_sec = rr.images_per_sec / double(workers);
      if (cluster) rr.wait_seconds_per_step = (cluster->wait_seconds() - waited_before) / double(o.num_batches);
      detail::emit(o, format_total(rr.images_per_sec));
      if (cluster)
        detail::emit(o, format_distributed_summary(rr.images_per_sec, workers, n, rr.wait_seconds_per_step,
                                                   own_seconds / double(o.num_batches), o.speedup_base));
      const double gflops = rr.worker_images_per_sec * r.flops_per_image / 1e9;  // this process's, against its peak
      detail::emit(o, strprintf("peak resident memory: %.1f MiB\n", double(peak_resident_bytes()) / 1048576.0));
      r.memory = net.memory();
      r.optimizer_state_bytes = trainer.optimizer_state().size_bytes();
      detail::emit(o, format_memory_plan(r.memory, r.optimizer_state_bytes));
      detail::emit(o, strprintf("achieved: %.1f GFLOP/s = %.1f %% of the %.1f GFLOP/s FMA peak of %d threads "
                                "(%s; a multiply-add is 2 FLOPs)\n",
                                gflops, r.fma_peak_gflops > 0 ? 100.0 * gflops / r.fma_peak_gflops : 0.0,
                                r.fma_peak_gflops, r.threads,
                                o.forward_only ? "forward FLOPs" : "training = 3 x forward FLOPs, the usual approximation"));
      r.repetitions.push_back(std::move(rr));

      if (rep == o.repetitions && !o.train_dir.empty()) {
        trainer.synchronize();  // every worker: the first one then holds the whole, current model
        if (worker == 0) {
          std::filesystem::create_directories(o.train_dir);
          auto file = std::filesystem::path(o.train_dir) / ("model.ckpt-" + std::to_string(trainer.step()));
          trainer.save(file);
          r.checkpoint = file.string();
          detail::emit(o, "saved checkpoint " + r.checkpoint + "\n");
        }
      }

      // The same Trainer steps as the timed ones, update included, with a profiler attached.
      if (rep == o.repetitions && o.per_layer && o.profile_steps > 0) {
        StepProfiler profiler;
        trainer.set_profiler(&profiler);
        for (int k = 1; k <= o.profile_steps; ++k) step("profiled", k, o.profile_steps);
        trainer.set_profiler(nullptr);
        r.layers = profiler.layers.timings();
        r.phases = profiler.phases;
      }
    }
    return 0;
  });

  if (cluster) cluster->finish();
  if (o.per_layer && o.profile_steps > 0) {
    detail::emit(o, strprintf("Per-layer time (%d extra steps after the timed ones, batch %lld), most expensive first\n",
                              o.profile_steps, (long long)n));
    detail::emit(o, format_layer_table(r.layers, o.forward_only));
  }
  if (o.repetitions > 1) detail::emit(o, format_repetition_summary(r.images_per_sec()));
  r.peak_resident_bytes = peak_resident_bytes();
  return r;
}

}  // namespace tinycnn::bench
