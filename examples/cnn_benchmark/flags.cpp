// cnn_benchmark's command line (flags.hpp): TensorFlow's flags read into the benchmark's options.
#include "flags.hpp"

#include <CLI/CLI.hpp>

#include "../cli_checks.hpp"
#include <algorithm>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "tinycnn/bench/report.hpp"
#include "tinycnn/distributed/launch.hpp"
#include "tinycnn/io/file.hpp"
#include "tinycnn/optim/schedule.hpp"
#include "tinycnn/parallel/cpu_mask.hpp"
#include "tinycnn/parallel/execution.hpp"
#include "tinycnn/parallel/omp_environment.hpp"

namespace cnn_benchmark {
namespace {

using namespace tinycnn;
using namespace tinycnn;

// Numbers are read here rather than by CLI11 so that every bad value gets the same kind of
// message: the flag, what it needs, what it got.
// `max` is every flag's ceiling, so no value wraps when it is stored in a narrower type; `why`
// says where a ceiling that is not obvious comes from.
long long parse_integer(const std::string& flag, const std::string& text, long long min, long long max,
                        const std::string& why = "") {
  const char* need = min > 0 ? "a positive integer" : min == 0 ? "a non-negative integer" : "an integer";
  errno = 0;
  char* end = nullptr;
  long long v = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || (errno == ERANGE && v < 0) || v < min)
    throw UsageError(flag + " must be " + need + (min > 1 ? " >= " + std::to_string(min) : "") + ", got '" + text + "'");
  if (errno == ERANGE || v > max)
    throw UsageError(flag + " must be at most " + std::to_string(max) + why + ", got '" + text + "'");
  return v;
}

// The ceilings of the integer flags (the thread counts' depends on the CPUs: thread_flag_limit).
constexpr long long kMaxBatch = 1 << 20;           // images per step: far beyond any memory
constexpr long long kMaxSteps = 1000000000;        // steps, warm-up steps, display interval
constexpr long long kMaxRepetitions = 100000;
constexpr long long kMaxBlocktime = 1000000;       // ms, as Intel's runtime accepts

double parse_number(const std::string& flag, const std::string& text, bool positive) {
  errno = 0;
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || !std::isfinite(v) || (positive ? v <= 0 : v < 0))
    throw UsageError(flag + " must be a " + (positive ? "positive" : "non-negative") + " number, got '" + text + "'");
  return v;
}

std::string model_names() {
  std::string s;
  for (const auto& m : cnn_benchmark::models()) s += (s.empty() ? "" : ", ") + std::string(m.name);
  return s;
}

// --cross_replica_sync=False, TensorFlow's spelling, or true/false/1/0.
bool parse_bool(const std::string& flag, const std::string& text) {
  if (text == "true" || text == "True" || text == "1") return true;
  if (text == "false" || text == "False" || text == "0") return false;
  throw UsageError(flag + " must be true or false, got '" + text + "'");
}

}  // namespace

Flags parse_flags(int argc, const char* const* argv, const std::vector<int>& cpus, bool touch_files) {
  CLI::App app{"The TensorFlow CNN benchmark (tf_cnn_benchmarks) on tinycnn: synthetic data, TF's flags and output"};
  std::string model = "trivial", batch_size, num_batches = "100", num_warmup_batches = "10", display_every = "10";
  std::string inference_chunk = "0";
  std::string optimizer = "sgd", learning_rate, momentum = "0.9", weight_decay = "4e-5";
  std::string inter = "0", intra = "0", kmp_blocktime = "0", kmp_settings = "1", num_cores = "0";
  std::string kmp_affinity = "granularity=fine,verbose,compact,1,0", omp_proc_bind;
  std::string seed = "1234", train_dir, repetitions = "1", output_json, output_csv, data_format = "NHWC";
  std::string variable_update = "local", device = "cpu";
  std::string num_ps = "1", cross_replica_sync = "true", comm_wait = "poll", comm_timeout = "600";
  std::string comm_bucket_mb = "4", speedup_base = "0";
  std::string job_name, ps_hosts, worker_hosts, task_index;
  bool forward_only = false, mkl = false, per_layer = false, deterministic = false, summary = false;

  app.add_option("--model", model, "Model: " + model_names())->capture_default_str();
  app.add_option("--batch_size", batch_size, "Images per step (default: the model's, as in TensorFlow)");
  app.add_option("--num_batches", num_batches, "Timed steps per repetition")->capture_default_str();
  app.add_option("--num_warmup_batches", num_warmup_batches, "Untimed steps first")->capture_default_str();
  app.add_option("--display_every", display_every, "Print a step line every N steps")->capture_default_str();
  app.add_option("--optimizer", optimizer, "sgd, momentum (Nesterov), rmsprop, adam")->capture_default_str();
  app.add_option("--learning_rate", learning_rate,
                 "Constant learning rate (default: the model's: 0.005, ResNets 0.1 piecewise at epochs 30/60)");
  app.add_option("--momentum", momentum, "Momentum of --optimizer=momentum")->capture_default_str();
  app.add_option("--weight_decay", weight_decay, "L2 weight decay on every parameter but batch norm's (as TensorFlow's benchmark)")->capture_default_str();
  app.add_flag("--forward_only", forward_only, "Time inference only (dropout off, batch norm frozen)");
  app.add_option("--inference_chunk", inference_chunk,
                 "Forward-only: images per forward pass (0: up to 8, a divisor of the batch where one fits)")
      ->capture_default_str();
  app.add_option("--num_inter_threads", inter, "Graph branches run at once (0: the library picks)")->capture_default_str();
  app.add_option("--num_intra_threads", intra, "Threads inside one kernel (0: the library picks)")->capture_default_str();
  app.add_flag("--deterministic", deterministic,
               "The same results for any thread counts (no split-K GEMM; costs some speed, see docs/threads.md)");
  app.add_option("--omp_proc_bind", omp_proc_bind,
                 "OpenMP binding per nesting level, e.g. spread,close: inter-op pieces spread, their kernels close");
  app.add_option("--num_cores", num_cores, "Run on the first N CPUs of this process's CPU mask (0: all of them)")
      ->capture_default_str();
  app.add_flag("--mkl", mkl, "Apply --kmp_* to the OpenMP runtime (re-executes with the environment set)");
  app.add_option("--kmp_blocktime", kmp_blocktime, "ms an idle OpenMP thread spins (needs --mkl)")->capture_default_str();
  app.add_option("--kmp_affinity", kmp_affinity, "Intel KMP_AFFINITY string (needs --mkl)")->capture_default_str();
  app.add_option("--kmp_settings", kmp_settings, "1: print the OpenMP settings at start-up (needs --mkl)")
      ->capture_default_str();
  app.add_option("--tf_random_seed", seed, "Seed for weights, dropout and the synthetic data")->capture_default_str();
  app.add_option("--train_dir", train_dir, "Save a checkpoint in this folder at the end");
  app.add_option("--repetitions", repetitions, "Repeat warm-up + timed steps (the report uses 5)")->capture_default_str();
  app.add_option("--output_json", output_json, "Write configuration, provenance, every step time and the summary here");
  app.add_option("--output_csv", output_csv, "Write one row per repetition here (configuration and provenance on each)");
  app.add_flag("--per_layer", per_layer, "Add a per-layer time table (extra steps after the timed ones)");
  app.add_flag("--summary", summary,
               "Print the model's layers (path, kind, output shape, parameters, FLOPs, memory) after the header");
  app.add_option("--data_format", data_format, "NHWC only")->capture_default_str();
  app.add_option("--variable_update", variable_update,
                 "local, parameter_server or distributed_all_reduce (the last two under mpiexec or srun)")
      ->capture_default_str();
  app.add_option("--num_ps", num_ps, "Parameter servers: the first ranks (--variable_update=parameter_server)")
      ->capture_default_str();
  app.add_option("--cross_replica_sync", cross_replica_sync,
                 "true: the servers apply one averaged update per step; false: each worker's as it comes")
      ->capture_default_str();
  app.add_option("--comm_wait", comm_wait,
                 "poll: a waiting rank sleeps 100 us between tests, leaving the cores to computation; spin: it "
                 "does not (dedicated cores)")->capture_default_str();
  app.add_option("--comm_timeout", comm_timeout,
                 "Seconds a rank waits for another before it stops, naming the missing rank")->capture_default_str();
  app.add_option("--comm_bucket_mb", comm_bucket_mb, "MiB of gradients per message")->capture_default_str();
  app.add_option("--speedup_base", speedup_base,
                 "images/sec to count a distributed run's speed-up from (e.g. one worker's; 0: none)")
      ->capture_default_str();
  for (auto [flag, into] : {std::pair{"--job_name", &job_name}, std::pair{"--ps_hosts", &ps_hosts},
                            std::pair{"--worker_hosts", &worker_hosts}, std::pair{"--task_index", &task_index}})
    app.add_option(flag, *into, "TensorFlow's cluster flag: tinycnn takes the cluster from MPI (see --variable_update)");
  app.add_option("--device", device, "cpu only")->capture_default_str();
  // The numeric flags are read as text (parse_integer, parse_number), so that every bad value gets
  // the same kind of message; --help shows them as numbers, with their ranges.
  const std::string threads_range = "INT in [0, " + std::to_string(parallel::thread_flag_limit(cpus.size())) + "]";
  const std::pair<const char*, std::string> numeric[] = {
      {"--batch_size", "INT in [1, " + std::to_string(kMaxBatch) + "]"},
      {"--num_batches", "INT in [1, " + std::to_string(kMaxSteps) + "]"},
      {"--num_warmup_batches", "INT in [0, " + std::to_string(kMaxSteps) + "]"},
      {"--display_every", "INT in [1, " + std::to_string(kMaxSteps) + "]"},
      {"--inference_chunk", "INT in [0, " + std::to_string(kMaxBatch) + "]"},
      {"--learning_rate", "FLOAT > 0"},
      {"--momentum", "FLOAT >= 0"},
      {"--weight_decay", "FLOAT >= 0"},
      {"--num_inter_threads", threads_range},
      {"--num_intra_threads", threads_range},
      {"--num_cores", "INT in [0, CPUs]"},
      {"--kmp_blocktime", "INT in [0, " + std::to_string(kMaxBlocktime) + "]"},
      {"--kmp_settings", "INT in [0, 1]"},
      {"--tf_random_seed", "INT >= 0"},
      {"--repetitions", "INT in [1, " + std::to_string(kMaxRepetitions) + "]"},
      {"--num_ps", "INT in [1, " + std::to_string(parallel::kMaxThreads) + "]"},
      {"--comm_timeout", "SECONDS in (0, 1e6]"},
      {"--comm_bucket_mb", "MiB in (0, 1024]"},
      {"--speedup_base", "FLOAT >= 0"},
  };
  for (const auto& [flag, type] : numeric) app.get_option(flag)->type_name(type);
  examples::add_version_flag(app, "cnn_benchmark");
  examples::add_isa_flag(app);

  Flags f;
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {  // --help, --version
    f.exit_now = app.exit(e);
    return f;
  } catch (const CLI::ParseError& e) {
    // CLI11 names the flag; switches are the only values it converts itself.
    const std::string what = e.what();
    const bool bad_switch = what.find("Could not convert") != std::string::npos;
    throw UsageError(what + " (" + (bad_switch ? "a switch takes no value or true/false/1/0" : "see --help") + ")");
  }

  bench::BenchmarkOptions& o = f.o;
  DistributedFlags& distributed_flags = f.distributed;
  const ModelEntry*& entry = f.entry;
  parallel::KmpSettings& kmp = f.kmp;
  int &inter_threads = f.inter_threads, &intra_threads = f.intra_threads, &cores_limit = f.cores_limit;
  {
    entry = find_model(model);
    if (!entry) throw UsageError("--model: unknown model '" + model + "' (valid: " + model_names() + ")");
    if (optimizer != "sgd" && optimizer != "momentum" && optimizer != "rmsprop" && optimizer != "adam")
      throw UsageError("--optimizer: unknown optimizer '" + optimizer + "' (valid: sgd, momentum, rmsprop, adam)");
    if (data_format == "NCHW")
      throw UsageError("--data_format=NCHW: tinycnn stores images as NHWC (channels last) only; use --data_format=NHWC");
    if (data_format != "NHWC") throw UsageError("--data_format: unknown format '" + data_format + "' (valid: NHWC)");
    if (variable_update != "local" && variable_update != "parameter_server" &&
        variable_update != "distributed_all_reduce") {
      for (const char* tf : {"replicated", "distributed_replicated", "independent", "horovod", "collective_all_reduce"})
        if (variable_update == tf)
          throw UsageError("--variable_update=" + variable_update +
                           " is TensorFlow's multi-device mode, not one tinycnn has (valid: local, parameter_server, "
                           "distributed_all_reduce)");
      throw UsageError("--variable_update: unknown mode '" + variable_update +
                       "' (valid: local, parameter_server, distributed_all_reduce)");
    }
    if (!job_name.empty() || !ps_hosts.empty() || !worker_hosts.empty() || !task_index.empty())
      throw UsageError("--job_name, --ps_hosts, --worker_hosts and --task_index are TensorFlow's way to describe a "
                       "cluster; tinycnn takes it from MPI: start every task at once with 'mpiexec -n 3 cnn_benchmark "
                       "--variable_update=parameter_server --num_ps=1 ...' (or 'srun -n 3 --mpi=pmi2 ...'), the first "
                       "--num_ps ranks being the servers");
    const int thread_limit = parallel::thread_flag_limit(cpus.size());
    const std::string per_cpu = " (" + std::to_string(parallel::kThreadsPerCpuLimit) + " per CPU of the " +
                                std::to_string(cpus.size()) + " this process may use)";
    distributed_flags.variable_update = variable_update;
    distributed_flags.num_ps = int(parse_integer("--num_ps", num_ps, 1, parallel::kMaxThreads));
    if (app.count("--num_ps") > 0 && variable_update != "parameter_server")
      throw UsageError("--num_ps only applies to --variable_update=parameter_server");
    distributed_flags.cross_replica_sync = parse_bool("--cross_replica_sync", cross_replica_sync);
    if (!distributed_flags.cross_replica_sync && variable_update != "parameter_server")
      throw UsageError("--cross_replica_sync=false only applies to --variable_update=parameter_server");
    if (comm_wait != "poll" && comm_wait != "spin")
      throw UsageError("--comm_wait: unknown mode '" + comm_wait + "' (valid: poll, spin)");
    distributed_flags.spin = comm_wait == "spin";
    distributed_flags.comm_timeout = parse_number("--comm_timeout", comm_timeout, true);
    if (distributed_flags.comm_timeout > 1e6) throw UsageError("--comm_timeout must be at most 1e6 seconds, got '" + comm_timeout + "'");
    const double bucket_mb = parse_number("--comm_bucket_mb", comm_bucket_mb, true);
    if (bucket_mb > 1024) throw UsageError("--comm_bucket_mb must be at most 1024, got '" + comm_bucket_mb + "'");
    distributed_flags.bucket_elements = std::max<index_t>(1, index_t(bucket_mb * 1048576.0 / sizeof(float)));
    o.speedup_base = parse_number("--speedup_base", speedup_base, false);
    if (variable_update == "local") {
      for (const char* f : {"--cross_replica_sync", "--comm_wait", "--comm_timeout", "--comm_bucket_mb", "--speedup_base"})
        if (app.count(f) > 0)
          throw UsageError(std::string(f) + " applies to distributed runs: add --variable_update=parameter_server or "
                           "distributed_all_reduce");
      if (const int n = distributed::launched_processes(); n > 1)
        throw UsageError(std::to_string(n) + " processes were started together, and --variable_update=local would "
                         "make each train alone: add --variable_update=parameter_server or distributed_all_reduce");
    } else if (forward_only) {
      throw UsageError("--forward_only measures one process's inference: drop --variable_update=" + variable_update);
    }
    if (device != "cpu") throw UsageError("--device: tinycnn runs on the CPU only (valid: cpu)");
    o.batch_size = batch_size.empty() ? entry->default_batch_size : parse_integer("--batch_size", batch_size, 1, kMaxBatch);
    o.num_batches = parse_integer("--num_batches", num_batches, 1, kMaxSteps);
    o.num_warmup_batches = parse_integer("--num_warmup_batches", num_warmup_batches, 0, kMaxSteps);
    o.display_every = parse_integer("--display_every", display_every, 1, kMaxSteps);
    o.inference_chunk = parse_integer("--inference_chunk", inference_chunk, 0, kMaxBatch);
    o.momentum = parse_number("--momentum", momentum, false);
    o.weight_decay = parse_number("--weight_decay", weight_decay, false);
    inter_threads = int(parse_integer("--num_inter_threads", inter, 0, thread_limit, per_cpu));
    intra_threads = int(parse_integer("--num_intra_threads", intra, 0, thread_limit, per_cpu));
    cores_limit = int(parse_integer("--num_cores", num_cores, 0, parallel::kMaxThreads));
    if (std::size_t(cores_limit) > cpus.size())
      throw UsageError("--num_cores " + num_cores + " is more than the " + std::to_string(cpus.size()) +
                       " CPUs this process may use (" + parallel::cpu_list(cpus) + ")");
    o.seed = std::uint64_t(parse_integer("--tf_random_seed", seed, 0, LLONG_MAX));
    o.repetitions = int(parse_integer("--repetitions", repetitions, 1, kMaxRepetitions));
    kmp.blocktime_ms = int(parse_integer("--kmp_blocktime", kmp_blocktime, 0, kMaxBlocktime));
    kmp.settings = int(parse_integer("--kmp_settings", kmp_settings, 0, 1));
    kmp.affinity = kmp_affinity;
    kmp.intra_threads = intra_threads;
    // TensorFlow silently ignores the KMP flags without --mkl; a setting that is asked for and not
    // applied is how results become irreproducible, so it is refused here.
    for (const char* f : {"--kmp_blocktime", "--kmp_affinity", "--kmp_settings"})
      if (!mkl && app.count(f) > 0)
        throw UsageError(std::string(f) + " only takes effect with --mkl: add --mkl=True or drop " + f);
    if (mkl && !omp_proc_bind.empty())
      throw UsageError("--omp_proc_bind and --mkl both set the threads' binding (--mkl from --kmp_affinity): use one");
    if (!omp_proc_bind.empty()) try {
        (void)parallel::proc_bind_environment(omp_proc_bind);
      } catch (const Error& e) {
        throw UsageError("--omp_proc_bind: " + std::string(e.what()).substr(std::string("tinycnn: omp_proc_bind: ").size()));
      }
    if (mkl) {
      try {
        (void)parallel::parse_kmp_affinity(kmp.affinity, cpus);
      } catch (const Error& e) {
        throw UsageError("--kmp_affinity: " + std::string(e.what()).substr(std::string("tinycnn: kmp_affinity: ").size()));
      }
    }
    for (const auto& [path, flag] : {std::pair{output_json, "--output_json"}, std::pair{output_csv, "--output_csv"}}) {
      if (path.empty() || !touch_files) continue;
      try {
        check_output_file(path, flag);
      } catch (const Error& e) {
        throw UsageError(std::string(e.what()).substr(std::string("tinycnn: ").size()));
      }
    }

    // A flag that would do nothing in this run is refused, not ignored.
    if (app.count("--momentum") > 0 && optimizer != "momentum")
      throw UsageError("--momentum applies to --optimizer=momentum, and this run uses " + optimizer +
                       ": add --optimizer=momentum or drop --momentum");
    if (app.count("--inference_chunk") > 0 && !forward_only)
      throw UsageError("--inference_chunk applies to --forward_only runs: add --forward_only or drop --inference_chunk");
    if (!train_dir.empty()) {
      if (forward_only)
        throw UsageError("--train_dir saves a trained model, and --forward_only trains nothing: drop one of them");
    }
    if (!train_dir.empty() && touch_files) {
      // The folder is made now (TensorFlow makes it too), so one that cannot be made or written
      // stops the run before its work, not after it.
      std::error_code ec;
      std::filesystem::create_directories(train_dir, ec);
      if (ec) throw UsageError("--train_dir '" + train_dir + "': cannot make the folder: " + ec.message());
      try {
        check_output_file(std::filesystem::path(train_dir) / "model.ckpt-9223372036854775807", "--train_dir checkpoint");
      } catch (const Error& e) {
        throw UsageError(std::string(e.what()).substr(std::string("tinycnn: ").size()));
      }
    }

    if (!learning_rate.empty()) {
      const double lr = parse_number("--learning_rate", learning_rate, true);
      o.learning_rate = optim::Constant{lr};
      o.learning_rate_steps = {{}, {lr}};
      o.learning_rate_text = bench::strprintf("%g (constant, --learning_rate)", lr);
    } else if (entry->schedule == Schedule::ResNetPiecewise) {
      // resnet_model.py: boundaries int(images_per_epoch / batch * epoch) for epochs 30 and 60.
      const double lr = entry->default_learning_rate, per_epoch = entry->epoch_images / double(o.batch_size);
      const auto b30 = std::int64_t(per_epoch * 30), b60 = std::int64_t(per_epoch * 60);
      try {
        o.learning_rate = optim::PiecewiseConstant({b30, b60}, {lr, lr * 0.1, lr * 0.01});
      } catch (const Error& e) {
        throw UsageError("--batch_size " + std::to_string(o.batch_size) + " leaves no room for the learning-rate schedule: " +
                         std::string(e.what()).substr(std::string("tinycnn: ").size()));
      }
      o.learning_rate_steps = {{(long long)b30, (long long)b60}, {lr, lr * 0.1, lr * 0.01}};
      o.learning_rate_text = bench::strprintf("%g, x0.1 after steps %lld and %lld (epochs 30 and 60 of %.0f images)",
                                              lr, (long long)b30, (long long)b60, entry->epoch_images);
    } else {
      o.learning_rate = optim::Constant{entry->default_learning_rate};
      o.learning_rate_steps = {{}, {entry->default_learning_rate}};
      o.learning_rate_text = bench::strprintf("%g (the model's default, constant)", entry->default_learning_rate);
    }
  }
  f.mkl = mkl;
  f.forward_only = forward_only;
  f.per_layer = per_layer;
  f.summary = summary;
  f.deterministic = deterministic;
  f.omp_proc_bind = omp_proc_bind;
  f.output_json = output_json;
  f.output_csv = output_csv;
  f.train_dir = train_dir;
  f.variable_update = variable_update;
  f.optimizer = optimizer;
  return f;
}

}  // namespace cnn_benchmark
