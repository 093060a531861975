// What a benchmark run is asked to do and what it measured: plain data, no model types, so a
// driver that only parses flags and prints results does not compile any network.
#pragma once
#include "tinycnn/kernels/dispatch.hpp"
#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "tinycnn/bench/cluster.hpp"
#include "tinycnn/bench/json.hpp"
#include "tinycnn/graph/layer_info.hpp"
#include "tinycnn/bench/provenance.hpp"
#include "tinycnn/bench/report.hpp"
#include "tinycnn/bench/statistics.hpp"
#include "tinycnn/core/shape.hpp"
#include "tinycnn/graph/memory_plan.hpp"
#include "tinycnn/graph/profiler.hpp"
#include "tinycnn/optim/schedule.hpp"
#include "tinycnn/parallel/openmp_probe.hpp"
#include "tinycnn/train/step_profiler.hpp"

namespace tinycnn::bench {

// The thread settings a run was asked for (0: the library picks), as typed values.
struct ThreadSettings {
  int intra_requested = 0, inter_requested = 0;
  int inter = 1;  // the branches run at once in the end
  bool mkl = false;
  int kmp_blocktime = 0;
  std::string kmp_affinity;
  int kmp_settings = 1;
  int num_cores = 0;  // --num_cores (0: the whole CPU mask)
  std::string omp_proc_bind;  // --omp_proc_bind (empty: not given)
};

// The OpenMP runtime's own view once the process started: its answers, the variables it read
// (empty: unset), and what a team measurably did with them (parallel/openmp_probe.hpp).
struct OpenMpState {
  int max_threads = 0, procs = 0;
  std::string places, wait_policy, gomp_spincount, kmp_blocktime, kmp_affinity;
  std::string cpus_allowed;  // the process's CPU mask (taskset, Slurm's binding, --num_cores)
  parallel::OpenMpProbe probe;
};

// A piecewise-constant learning rate: values[0] until boundaries[0], values[1] until
// boundaries[1], ... (no boundaries: constant).
struct LearningRateSteps {
  std::vector<long long> boundaries;
  std::vector<double> values;
};

struct BenchmarkOptions {
  std::string model;                 // the name printed as "Model:"
  index_t batch_size = 32;
  long long num_batches = 100;       // timed steps per repetition
  long long num_warmup_batches = 10; // untimed steps before them
  long long display_every = 10;
  bool forward_only = false;         // inference (dropout off, batch norm on running statistics)
  index_t inference_chunk = 0;       // forward-only: images per forward pass (0: inference_chunk picks)
  int repetitions = 1;
  bool per_layer = false;            // a per-layer table from extra steps after the timed ones
  bool summary = false;              // the model's summary (graph/summary.hpp) after the header
  int profile_steps = 5;
  std::uint64_t seed = 1234;         // weights, dropout and the synthetic batch
  std::string optimizer = "sgd";     // sgd | momentum (Nesterov) | rmsprop | adam
  optim::LearningRate learning_rate = optim::Constant{0.005};
  std::string learning_rate_text = "0.005";
  double momentum = 0.9;
  double weight_decay = 4e-5;
  index_t label_values = 1000;       // synthetic labels are drawn from [0, label_values)
  double epoch_images = 1281167;     // the nominal epoch "Num epochs" is counted in (ImageNet's)
  std::string train_dir;             // save a checkpoint there at the end when set
  int threads = 0;                   // kernel threads in use, for the FMA peak
  int inter_threads = 1;             // independent branches at once (0: the library picks)
  bool deterministic = false;        // results the same for any thread count (Network::set_deterministic)
  double fma_seconds = 0.1;          // per round of the peak measurement
  std::vector<std::pair<std::string, std::string>> header_extra;  // the driver's thread/OpenMP lines
  ThreadSettings thread_settings;    // the thread and OpenMP flags as given, for the JSON
  OpenMpState openmp;                // what the OpenMP runtime reports once the settings apply
  LearningRateSteps learning_rate_steps;  // the learning rate schedule, for the JSON
  Provenance provenance;
  std::FILE* out = stdout;
  // A distributed run: the processes' roles and communication (nullptr: one process alone).
  Cluster* cluster = nullptr;
  std::string variable_update = "local";
  double speedup_base = 0;           // images/sec of the run a speed-up is counted from (0: none)
};

// Inference is per image (batch norm on running statistics, dropout off), so a forward-only step
// of n images runs in chunks through a network planned for one chunk: the same logits, the
// activations of a few images instead of n, and no slower (ResNet-50, 64 images on 2 cores:
// 45.5 images/sec in one pass, 46.4 in chunks of 8; peak resident 5389 -> 890 MiB). The pick:
// n itself up to 8, else the largest divisor of n from 8 down to 4, else about 8 with the last
// chunk padded. asked > 0 overrides it.
inline index_t inference_chunk(index_t n, index_t asked) {
  if (asked > 0) return std::min(asked, n);
  if (n <= 8) return n;
  for (index_t m = 8; m >= 4; --m)
    if (n % m == 0) return m;
  const index_t chunks = (n + 7) / 8;
  return (n + chunks - 1) / chunks;
}

struct RepetitionResult {
  std::vector<double> step_seconds;  // every timed step
  std::vector<double> losses;        // the loss of every timed step
  double elapsed_seconds = 0;        // wall time of the whole timed loop
  double images_per_sec = 0;         // all workers' images / elapsed_seconds (equations 3 and 4)
  double worker_images_per_sec = 0;  // this worker's: num_batches x batch / elapsed_seconds
  double wait_seconds_per_step = 0;  // this worker's wait for communication after backward
  SpeedStats last;                   // the statistics of the last step line
};

struct BenchmarkResult {
  std::string model;
  long long parameters = 0;
  double forward_flops_per_image = 0;
  double flops_per_image = 0;        // per processed image: 3 x forward when training, 1 x otherwise
  int threads = 0;
  double fma_peak_gflops = 0;
  std::vector<RepetitionResult> repetitions;
  std::vector<LayerTiming> layers;   // empty unless per_layer
  std::vector<LayerInfo> model_layers;  // empty unless summary
  PhaseTimes phases;                 // the profiled training steps' phases (per_layer)
  std::uint64_t peak_resident_bytes = 0;
  MemoryPlan memory;                  // the network's buffers by purpose, after the timed steps
  std::uint64_t optimizer_state_bytes = 0;
  std::string checkpoint;            // where it was saved, if it was
  WorldInfo world;                   // one process alone unless distributed
  bool server = false;               // this process served the variables: no steps of its own

  std::vector<double> images_per_sec() const {
    std::vector<double> v;
    for (const auto& r : repetitions) v.push_back(r.images_per_sec);
    return v;
  }
  double mean_images_per_sec() const { return mean(images_per_sec()); }
  double error_bar() const { return max_minus_min(images_per_sec()); }
  // Per worker (one process alone: the whole run), to compare with the FMA peak one process measured.
  double achieved_gflops() const { return mean_images_per_sec() / double(world.workers) * flops_per_image / 1e9; }
};

// The version of to_json's layout (docs/benchmark.md describes it field by field): a reader
// checks it before trusting a field's meaning.
inline constexpr const char* kResultSchema = "tinycnn.benchmark/2";

namespace detail {
inline void string_or_null(JsonWriter& j, std::string_view k, const std::string& v) {
  j.key(k);
  if (v.empty())
    j.null();
  else
    j.value(v);
}
}  // namespace detail

// The whole run as one JSON document: configuration, provenance, every step time, the summary.
inline std::string to_json(const BenchmarkOptions& o, const BenchmarkResult& r) {
  JsonWriter j;
  j.begin_object();
  j.field("schema", kResultSchema);
  j.key("configuration").begin_object();
  j.field("model", o.model).field("batch_size", (long long)o.batch_size).field("num_batches", o.num_batches);
  j.field("num_warmup_batches", o.num_warmup_batches).field("display_every", o.display_every);
  j.field("forward_only", o.forward_only).field("repetitions", o.repetitions);
  if (o.forward_only) j.field("inference_chunk", (long long)inference_chunk(o.batch_size, o.inference_chunk));
  j.field("optimizer", o.optimizer).field("learning_rate", o.learning_rate(0));
  j.key("learning_rate_schedule").begin_object();
  j.field("kind", o.learning_rate_steps.boundaries.empty() ? "constant" : "piecewise_constant");
  j.key("boundaries_steps").begin_array();
  for (long long b : o.learning_rate_steps.boundaries) j.value(b);
  j.end_array();
  const std::vector<double> rates =
      o.learning_rate_steps.values.empty() ? std::vector<double>{o.learning_rate(0)} : o.learning_rate_steps.values;
  j.key("values").array(rates);
  j.end_object();
  j.field("momentum", o.momentum).field("weight_decay", o.weight_decay);
  j.field("tf_random_seed", (unsigned long long)o.seed).field("data_format", "NHWC").field("variable_update", o.variable_update);
  const ThreadSettings& t = o.thread_settings;
  j.field("num_intra_threads", o.threads).field("num_intra_threads_requested", t.intra_requested);
  j.field("num_inter_threads", t.inter).field("num_inter_threads_requested", t.inter_requested);
  j.field("mkl", t.mkl).field("kmp_blocktime", t.kmp_blocktime).field("kmp_affinity", t.kmp_affinity);
  j.field("kmp_settings", t.kmp_settings).field("num_cores", t.num_cores).field("deterministic", o.deterministic);
  detail::string_or_null(j, "omp_proc_bind", t.omp_proc_bind);
  j.end_object();
  j.key("openmp").begin_object();
  const parallel::OpenMpProbe& probe = o.openmp.probe;
  j.field("max_threads", o.openmp.max_threads).field("procs", o.openmp.procs).field("cpus_allowed", o.openmp.cpus_allowed);
  j.field("proc_bind", probe.proc_bind).field("nested_proc_bind", probe.nested_proc_bind);
  j.field("num_places", probe.num_places);
  j.key("thread_places").begin_array();
  for (int place : probe.thread_places) j.value(place);
  j.end_array();
  j.key("thread_cpus").begin_array();
  for (int cpu : probe.thread_cpus) j.value(cpu);
  j.end_array();
  j.field("idle_spin_fraction", probe.idle_spin_fraction);
  detail::string_or_null(j, "omp_places", o.openmp.places);
  detail::string_or_null(j, "omp_wait_policy", o.openmp.wait_policy);
  detail::string_or_null(j, "gomp_spincount", o.openmp.gomp_spincount);
  detail::string_or_null(j, "kmp_blocktime_variable", o.openmp.kmp_blocktime);
  detail::string_or_null(j, "kmp_affinity_variable", o.openmp.kmp_affinity);
  j.end_object();
  const Provenance& p = o.provenance;
  j.key("provenance").begin_object();
  j.field("host", p.host).field("date_utc", p.date_utc).field("tinycnn_version", p.tinycnn_version);
  j.field("commit", p.build.commit).field("compiler", p.compiler).field("build_type", p.build.build_type);
  j.field("compiler_flags", p.build.flags).field("cpu_model", p.cpu_model).field("isa", std::string(kernels::isa_name(kernels::isa_in_use())));
  j.field("fma_peak_gflops", r.fma_peak_gflops);
  detail::string_or_null(j, "slurm_job_id", p.slurm_job_id);
  j.end_object();
  j.key("model").begin_object();
  j.field("parameters", r.parameters).field("forward_flops_per_image", r.forward_flops_per_image);
  j.field("flops_per_image_counted", r.flops_per_image);
  j.end_object();
  j.key("world").begin_object();
  j.field("ranks", r.world.ranks).field("servers", r.world.servers).field("workers", r.world.workers);
  j.field("policy", r.world.policy).field("synchronous", r.world.synchronous).field("layout", r.world.layout);
  j.key("hosts").begin_array();
  for (const std::string& h : r.world.hosts) j.value(h);
  j.end_array();
  j.end_object();
  j.field("fma_peak_gflops", r.fma_peak_gflops);
  j.field("isa", std::string(kernels::isa_name(kernels::isa_in_use())));  // the vectors the peak and the kernels use
  j.key("repetitions").begin_array();
  for (const auto& rep : r.repetitions) {
    j.begin_object();
    j.field("images_per_sec", rep.images_per_sec).field("elapsed_seconds", rep.elapsed_seconds);
    j.field("worker_images_per_sec", rep.worker_images_per_sec);
    j.field("communication_wait_seconds_per_step", rep.wait_seconds_per_step);
    j.field("step_images_per_sec", rep.last.images_per_sec).field("uncertainty", rep.last.uncertainty);
    j.field("jitter", rep.last.jitter);
    j.key("step_seconds").array(rep.step_seconds);
    j.key("losses").array(rep.losses);
    j.end_object();
  }
  j.end_array();
  j.key("summary").begin_object();
  j.field("mean_images_per_sec", r.mean_images_per_sec()).field("error_bar_max_minus_min", r.error_bar());
  j.key("images_per_sec").array(r.images_per_sec());
  j.field("achieved_gflops", r.achieved_gflops());
  j.field("fraction_of_fma_peak", r.fma_peak_gflops > 0 ? r.achieved_gflops() / r.fma_peak_gflops : 0.0);
  j.field("peak_resident_bytes", (unsigned long long)r.peak_resident_bytes);
  j.field("memory_activations_bytes", (unsigned long long)r.memory.activations);
  j.field("memory_parameters_bytes", (unsigned long long)r.memory.parameters);
  j.field("memory_gradients_bytes", (unsigned long long)r.memory.gradients);
  j.field("memory_backward_scratch_bytes", (unsigned long long)r.memory.backward_scratch);
  j.field("memory_workspace_bytes", (unsigned long long)r.memory.workspace);
  j.field("memory_batch_norm_statistics_bytes", (unsigned long long)r.memory.state);
  j.field("memory_optimizer_state_bytes", (unsigned long long)r.optimizer_state_bytes);
  j.end_object();
  if (!r.model_layers.empty()) {
    j.key("model_layers").begin_array();
    for (const LayerInfo& l : r.model_layers) {
      j.begin_object().field("path", l.path).field("kind", l.kind).field("description", l.description);
      j.key("output").begin_array().value((long long)l.out_h).value((long long)l.out_w).value((long long)l.out_c);
      j.end_array();
      j.field("parameters", (long long)l.num_params).field("forward_flops_per_image", l.flops);
      j.field("output_bytes", (unsigned long long)l.activation_bytes);
      j.end_object();
    }
    j.end_array();
  }
  if (!r.layers.empty()) {
    j.key("layers").begin_array();
    for (const auto& l : r.layers) {
      j.begin_object().field("order", (long long)l.order).field("name", l.name).field("flops", l.flops);
      j.field("forward_seconds_per_call", l.forward_calls ? l.forward_seconds / double(l.forward_calls) : 0.0);
      j.field("backward_seconds_per_call", l.backward_calls ? l.backward_seconds / double(l.backward_calls) : 0.0);
      j.end_object();
    }
    j.end_array();
  }
  if (r.phases.steps > 0) {
    const double steps = double(r.phases.steps);
    j.key("phases").begin_object();
    j.field("steps", (long long)r.phases.steps);
    j.field("forward_loss_seconds_per_step", r.phases.forward_loss_seconds / steps);
    j.field("backward_seconds_per_step", r.phases.backward_seconds / steps);
    j.field("update_seconds_per_step", r.phases.update_seconds / steps);
    j.end_object();
  }
  if (!r.checkpoint.empty()) j.field("checkpoint", r.checkpoint);
  j.end_object();
  return j.str() + "\n";
}

namespace detail {
inline std::string csv_field(const std::string& v) {  // RFC 4180: quoted, inner quotes doubled
  std::string q = "\"";
  for (char c : v) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}
}  // namespace detail

// One row per repetition, with the configuration and provenance repeated on each row, so that
// the rows of many runs concatenate into one table (a spreadsheet, pandas).
inline std::string to_csv(const BenchmarkOptions& o, const BenchmarkResult& r) {
  std::string out =
      "schema,model,batch_size,num_batches,num_warmup_batches,forward_only,num_intra_threads,num_inter_threads,"
      "mkl,kmp_blocktime,deterministic,variable_update,workers,repetition,images_per_sec,elapsed_seconds,"
      "worker_images_per_sec,communication_wait_seconds_per_step,host,date_utc,commit,compiler,cpu_model,isa,"
      "fma_peak_gflops,slurm_job_id\n";
  const ThreadSettings& t = o.thread_settings;
  const Provenance& p = o.provenance;
  for (std::size_t k = 0; k < r.repetitions.size(); ++k) {
    const RepetitionResult& rep = r.repetitions[k];
    out += strprintf("%s,%s,%lld,%lld,%lld,%d,%d,%d,%d,%d,%d,%s,%d,%zu,%.6g,%.6g,%.6g,%.6g,", kResultSchema,
                     detail::csv_field(o.model).c_str(), (long long)o.batch_size, o.num_batches, o.num_warmup_batches,
                     int(o.forward_only), o.threads, t.inter, int(t.mkl), t.kmp_blocktime, int(o.deterministic),
                     detail::csv_field(o.variable_update).c_str(), r.world.workers, k + 1, rep.images_per_sec,
                     rep.elapsed_seconds, rep.worker_images_per_sec, rep.wait_seconds_per_step);
    out += detail::csv_field(p.host) + "," + p.date_utc + "," + detail::csv_field(p.build.commit) + "," +
           detail::csv_field(p.compiler) + "," + detail::csv_field(p.cpu_model) + "," + kernels::isa_name(kernels::isa_in_use()) + "," +
           strprintf("%.6g", r.fma_peak_gflops) + "," + detail::csv_field(p.slurm_job_id) + "\n";
  }
  return out;
}

}  // namespace tinycnn::bench
