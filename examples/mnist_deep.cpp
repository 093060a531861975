// Trains the TensorFlow tutorial's mnist_deep CNN on Fashion-MNIST (or any MNIST-format folder)
// with the tutorial's recipe: Adam 1e-4, batch 50. Shows progress and the test accuracy after
// every epoch; can save a checkpoint each epoch and resume from it. Under mpiexec or srun it
// trains with parameter servers or allreduce: each worker takes its share of every epoch.
//
//   build/examples/mnist_deep                          # 2 epochs on Debian's Fashion-MNIST
//   build/examples/mnist_deep --data DIR --epochs 5 --checkpoint run.ckpt --resume
//   mpiexec -n 3 build/examples/mnist_deep --variable_update=parameter_server --threads 1
//   build/examples/mnist_deep --max_steps 200 --num_intra_threads 2 --num_inter_threads 1 --mkl --kmp_blocktime 0
// The thread flags are the benchmark's (cnn_benchmark), so the thread sweep can run both
// (benchmarks/thread_sweep --program mnist_deep).
#include <omp.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <numeric>
#include <span>
#include <string>

#include "cli_checks.hpp"
#include "tinycnn/distributed/launch.hpp"
#include "tinycnn/graph/memory_estimate.hpp"
#include "tinycnn/graph/network.hpp"
#include "tinycnn/io/dataset.hpp"
#include "tinycnn/io/file.hpp"
#include "tinycnn/io/mnist.hpp"
#include "tinycnn/models/mnist_deep.hpp"
#include "tinycnn/optim/adam.hpp"
#include "tinycnn/parallel/cpu_mask.hpp"
#include "tinycnn/parallel/omp_environment.hpp"
#include "tinycnn/train/trainer.hpp"
#if TINYCNN_EXAMPLE_MPI
#include "tinycnn/distributed/all_reduce.hpp"
#include "tinycnn/distributed/mpi.hpp"
#include "tinycnn/distributed/parameter_server.hpp"
#endif

using namespace tinycnn;

namespace {

struct Settings {
  std::string data_dir = debian_fashion_mnist_dir().string();
  int epochs = 2;
  index_t batch_size = 50;  // per worker
  double learning_rate = 1e-4;
  std::uint64_t seed = 1234;
  int threads = 0;        // intra-op: threads inside one kernel (0: the library picks)
  int inter_threads = 0;  // independent pieces of the graph at once (0: the library picks)
  bool mkl = false;       // apply kmp to the OpenMP runtime (re-executes, as cnn_benchmark does)
  bool deterministic = false;  // the same results for any thread counts
  parallel::KmpSettings kmp;
  index_t max_steps = 0;  // stop after this many steps (0: the epochs decide)
  int display_every = 100;
  index_t train_images = 0;  // the first N of each set (0: all): quick runs and tests
  index_t test_images = 0;
  std::string checkpoint;
  bool resume = false;
  // Distributed training (under mpiexec or srun).
  std::string variable_update = "local";
  int num_ps = 1;
  bool cross_replica_sync = true;
  std::string comm_wait = "poll";
  double comm_timeout = 600;
};

// This process's part of the run: one of `workers` (servers do not get here).
struct Part {
  int worker = 0;
  int workers = 1;
  bool speaks() const { return worker == 0; }  // the first worker prints, evaluates and saves
};

using Net = decltype(make_model<models::MnistDeep>(models::MnistInput{}, 1));
optim::Adam adam(const Settings& s) { return optim::Adam{.learning_rate = optim::Constant{s.learning_rate}}; }

struct Data {
  Dataset train, test;
};

// The first n examples (all when n is 0 or more than there are).
Dataset first(Dataset ds, index_t n) {
  if (n == 0 || n >= ds.size()) return ds;
  std::vector<index_t> head(static_cast<std::size_t>(n));
  std::iota(head.begin(), head.end(), index_t{0});
  Dataset out;
  copy_batch(ds, std::span<const index_t>(head), out.images, out.labels);
  return out;
}

Data load(const Settings& s, bool say) {
  if (say) std::printf("loading %s\n", s.data_dir.c_str());
  Data d{first(load_mnist_folder(s.data_dir, "train"), s.train_images),
         first(load_mnist_folder(s.data_dir, "t10k"), s.test_images)};
  require(d.train.image_shape() == Shape{1, 28, 28, 1} && d.test.image_shape() == Shape{1, 28, 28, 1},
          "mnist_deep needs 28x28 single-channel images, the data has " + to_string(d.train.image_shape()));
  for (auto* ds : {&d.train, &d.test})
    for (std::int32_t l : ds->labels)
      require(l >= 0 && l < 10, "labels must be 0..9, found " + std::to_string(l) + " in " + s.data_dir);
  return d;
}

// Seconds as h:mm:ss (or m:ss), for progress lines.
std::string clock_time(double seconds) {
  const long long t = std::llround(std::max(0.0, seconds));
  char out[32];
  if (t >= 3600)
    std::snprintf(out, sizeof out, "%lld:%02lld:%02lld", t / 3600, t / 60 % 60, t % 60);
  else
    std::snprintf(out, sizeof out, "%lld:%02lld", t / 60, t % 60);
  return out;
}

// The epochs. Every worker shuffles the training set alike; global step g takes the next
// workers x batch images of that order, and worker k its k-th batch of them, so that a
// synchronous run sees what one process with the global batch would.
template <class T>
void train(const Settings& s, const Data& d, Net& net, T& trainer, const Part& part) {
  const index_t global_batch = s.batch_size * part.workers;
  require(d.train.size() >= global_batch, "the training set has fewer images than one (global) batch");
  const index_t steps_per_epoch = d.train.size() / global_batch;  // a short last batch is skipped
  const index_t all_steps = s.epochs * steps_per_epoch;
  const index_t last_step = s.max_steps > 0 ? std::min(s.max_steps, all_steps) : all_steps;
  // Where a run is in its data: the step means a place in an epoch only for the same global
  // batch and training set, so a checkpoint records both and a resume must match them.
  const std::uint64_t data_layout[2] = {std::uint64_t(global_batch), std::uint64_t(d.train.size())};
  if (s.resume && std::filesystem::exists(s.checkpoint)) {
    std::uint64_t saved_layout[2] = {};
    trainer.load(s.checkpoint, {{"data", saved_layout}});  // every worker: its model and, for the servers, theirs
    if (saved_layout[0] != data_layout[0] || saved_layout[1] != data_layout[1])
      throw Error(s.checkpoint + " was saved by a run with a global batch of " + std::to_string(saved_layout[0]) +
                  " (batch x workers) and " + std::to_string(saved_layout[1]) + " training images; this run has " +
                  std::to_string(data_layout[0]) + " and " + std::to_string(data_layout[1]) +
                  ": resume with the same --batch_size, worker count and --train_images");
    // The checkpoint holds the first worker's dropout stream; the others start their own anew.
    if (part.worker != 0) trainer.rng() = resumed_worker_rng(s.seed, std::uint64_t(part.worker), std::uint64_t(trainer.step()));
    if (part.speaks()) std::printf("resumed from %s at step %lld\n", s.checkpoint.c_str(), (long long)trainer.step());
  }
  if (part.speaks())
    std::printf("mnist_deep: %lld parameters, %.1f MFLOP forward per image; %lld train / %lld test images, "
                "batch %lld x %d worker%s, Adam %g, intra %d inter %d threads%s; %lld steps\n",
                (long long)net.num_params, net.flops_per_image / 1e6, (long long)d.train.size(),
                (long long)d.test.size(), (long long)s.batch_size, part.workers, part.workers == 1 ? "" : "s",
                s.learning_rate, net.intra_threads(), net.inter_threads(), s.deterministic ? " (deterministic)" : "",
                (long long)last_step);

  Tensor<float> images;
  std::vector<std::int32_t> labels;
  // Counted here: asynchronous servers make the Trainer's step count every worker's updates.
  index_t step = trainer.step();
  // The whole run's training speed: every step's time but the first one's of this process,
  // which plans the buffers (as the benchmark's warm-up step does).
  double run_seconds = 0;
  index_t run_steps = 0;
  const auto started = std::chrono::steady_clock::now();
  const index_t first_step = step;
  for (int epoch = int(step / steps_per_epoch); epoch < s.epochs && step < last_step; ++epoch) {
    Rng order_rng(s.seed + 1000 + std::uint64_t(epoch));  // the same order whether resumed or not
    std::vector<index_t> order = epoch_order(d.train.size(), &order_rng);
    double window_loss = 0;
    index_t window_steps = 0, epoch_steps = 0;
    double epoch_seconds = 0;
    auto window_start = std::chrono::steady_clock::now();
    for (index_t b = step % steps_per_epoch; b < steps_per_epoch && step < last_step; ++b) {
      copy_batch(d.train, order, b * part.workers + part.worker, s.batch_size, images, labels);
      auto t0 = std::chrono::steady_clock::now();
      StepResult r = trainer.train_step(images.data(), labels.data());
      const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      epoch_seconds += took;
      if (step > first_step) {
        run_seconds += took;
        ++run_steps;
      }
      window_loss += r.loss;
      ++window_steps;
      ++epoch_steps;
      ++step;
      if ((step % s.display_every == 0 || step == last_step) && part.speaks()) {
        const auto now = std::chrono::steady_clock::now();
        const double secs = std::chrono::duration<double>(now - window_start).count();
        const double so_far = std::chrono::duration<double>(now - started).count();
        const double eta = so_far / double(step - first_step) * double(last_step - step);
        std::printf("step %6lld/%lld  epoch %d  images/sec %8.1f  loss %.4f  elapsed %s  ETA %s\n", (long long)step,
                    (long long)last_step, epoch + 1, double(window_steps * global_batch) / secs,
                    window_loss / double(window_steps), clock_time(so_far).c_str(), clock_time(eta).c_str());
        std::fflush(stdout);
        window_loss = 0;
        window_steps = 0;
        window_start = std::chrono::steady_clock::now();
      }
    }
    // Every worker: the first one then holds the whole, current model (and the servers' state).
    trainer.synchronize();
    if (!part.speaks()) continue;
    StepResult eval = trainer.evaluate(d.test.images.data(), d.test.labels.data(), d.test.size());
    std::printf("epoch %d: test accuracy %.2f %% (%lld images), test loss %.4f, training %.1f images/sec\n",
                epoch + 1, 100.0 * eval.accuracy(), (long long)eval.examples, eval.loss,
                double(epoch_steps * global_batch) / epoch_seconds);
    std::fflush(stdout);
    if (!s.checkpoint.empty()) {
      trainer.save(s.checkpoint, {{"data", data_layout}});
      std::printf("saved %s (step %lld)\n", s.checkpoint.c_str(), (long long)trainer.step());
    }
  }
  // The line a sweep reads (benchmarks/thread_sweep): the benchmark's spelling.
  if (part.speaks() && run_steps > 0)
    std::printf("total images/sec: %.2f\n", double(run_steps * global_batch) / run_seconds);
}

Net make_net(const Settings& s) {
  // An impossible batch stops here with the need and the limit, not with bad_alloc or, under a
  // cgroup limit (Slurm's --mem), the OOM killer. Besides the network: the batch's images, twice
  // (the Trainer's copy), and Adam's two moments.
  const std::size_t images = 2 * std::size_t(s.batch_size) * Net::in_dims::size * sizeof(float);
  const std::size_t adam = 2 * std::size_t(Net::num_params) * sizeof(float);
  require_memory_fits(estimate_memory<Net>(s.batch_size, true, s.threads, s.inter_threads), images + adam,
                      "--batch_size " + std::to_string(s.batch_size), "lower --batch_size");
  auto net = make_model<models::MnistDeep>(models::MnistInput{}, s.batch_size);
  net.set_threads(s.threads, s.inter_threads);
  net.set_deterministic(s.deterministic);
  net.init(s.seed);
  return net;
}

int train_here(const Settings& s) {
  const Data d = load(s, true);
  Net net = make_net(s);
  Trainer trainer(net, adam(s), s.seed);
  train(s, d, net, trainer, Part{});
  return 0;
}

#if TINYCNN_EXAMPLE_MPI
namespace mpi = distributed::mpi;

// A launch that cannot work; only the first rank says it.
struct LaunchError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The ranks that share this rank's host (and its cores).
int ranks_on_this_host() {
  MPI_Comm local = MPI_COMM_NULL;
  mpi::check(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &local),
             "MPI_Comm_split_type");
  int n = 1;
  MPI_Comm_size(local, &n);
  MPI_Comm_free(&local);
  return n;
}

int train_distributed(Settings s, int& argc, char**& argv) {
  mpi::Environment env(argc, argv);
  const mpi::Comm world;
  const int rank = world.rank();
  try {
    if (s.threads == 0) {  // by default, each rank takes its share of its host's cores
      s.threads = std::max(1, omp_get_num_procs() / ranks_on_this_host());
      omp_set_num_threads(s.threads);
    }
    if (auto problem = distributed::launch_problem(world.size(), distributed::read_launch_environment()))
      throw LaunchError(*problem);
    const bool ps = s.variable_update == "parameter_server";
    const int servers = ps ? s.num_ps : 0;
    if (auto problem = distributed::roles_problem(world.size(), servers, s.variable_update, "mnist_deep"))
      throw LaunchError(*problem);
    const mpi::WaitPolicy wait{s.comm_wait == "spin" ? mpi::WaitMode::spin : mpi::WaitMode::poll,
                               std::chrono::duration<double>(s.comm_timeout)};
    const Part part{rank - servers, world.size() - servers};
    Net net = make_net(s);
    const index_t n = index_t(net.parameters().size());
    const distributed::ParameterServerOptions options{servers, index_t(1) << 20, wait, s.cross_replica_sync};
    if (rank < servers) {
      distributed::serve<float>(adam(s), net.parameter_ranges(), n, options, parallel::Execution{net.intra_threads(), 1, {}});
      return 0;
    }
    const Data d = load(s, part.speaks());
    if (part.speaks())
      std::printf("%s: %s; each worker trains on its share of every epoch\n", s.variable_update.c_str(),
                  ps ? (std::to_string(servers) + (servers == 1 ? " server, " : " servers, ") +
                        std::to_string(part.workers) + " workers, " +
                        (s.cross_replica_sync ? "synchronous" : "asynchronous")).c_str()
                     : (std::to_string(part.workers) + " ranks").c_str());
    const std::uint64_t seed = s.seed + std::uint64_t(part.worker);  // workers drop different units
    if (ps) {
      using Policy = distributed::ParameterServer<float>;
      Trainer<Net, optim::Adam, Policy> trainer(net, adam(s), seed, Policy(net.parameter_ranges(), n, options));
      train(s, d, net, trainer, part);
      trainer.policy().finish();
    } else {
      using Policy = distributed::AllReduce<float>;
      Trainer<Net, optim::Adam, Policy> trainer(net, adam(s), seed,
                                                Policy(net.parameter_ranges(), n, {index_t(1) << 20, wait}));
      train(s, d, net, trainer, part);
    }
    return 0;
  } catch (const LaunchError& e) {
    if (rank == 0) std::fprintf(stderr, "mnist_deep: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "mnist_deep: rank %d: %s\n", rank, e.what());
    std::fflush(stderr);
    mpi::abort_all(std::min(s.comm_timeout, 5.0));  // the others would wait for this rank
    return 1;
  }
}
#endif

}  // namespace

int main(int argc, char** argv) try {
  CLI::App app{"Train the TensorFlow tutorial's mnist_deep CNN with tinycnn"};
  Settings s;
  // More threads than this makes no progress, and far more crashes the OpenMP runtime.
  const int thread_limit = parallel::thread_flag_limit(parallel::allowed_cpus().size());
  app.add_option("--data", s.data_dir, "Folder with {train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]")
      ->capture_default_str();
  app.add_option("--epochs", s.epochs, "Passes over the training set")->capture_default_str()->check(examples::in_range(0, 1000000));
  app.add_option("--batch_size", s.batch_size, "Images per training step (per worker)")
      ->capture_default_str()->check(examples::in_range(index_t(1), index_t(1) << 20));
  app.add_option("--learning_rate", s.learning_rate, "Adam's learning rate")->capture_default_str()->check(examples::positive_number());
  app.add_option("--seed", s.seed, "Seed for weights, dropout and the data order")->capture_default_str();
  app.add_option("--num_intra_threads,--threads", s.threads,
                 "Threads inside one kernel (0: all cores, shared by the ranks on a host)")
      ->capture_default_str()->check(examples::in_range(0, thread_limit));
  app.add_option("--num_inter_threads", s.inter_threads, "Independent pieces of the graph run at once (0: the library picks)")
      ->capture_default_str()->check(examples::in_range(0, thread_limit));
  app.add_flag("--mkl", s.mkl, "Apply --kmp_* to the OpenMP runtime (re-executes with the environment set)");
  app.add_flag("--deterministic", s.deterministic, "The same results for any thread counts (costs some speed)");
  app.add_option("--kmp_blocktime", s.kmp.blocktime_ms, "ms an idle OpenMP thread spins (needs --mkl)")
      ->capture_default_str()->check(examples::in_range(0, 1000000));
  app.add_option("--kmp_affinity", s.kmp.affinity, "Intel KMP_AFFINITY string (needs --mkl)")->capture_default_str();
  app.add_option("--kmp_settings", s.kmp.settings, "1: print the OpenMP settings at start-up (needs --mkl)")
      ->capture_default_str()->check(examples::in_range(0, 1));
  app.add_option("--max_steps", s.max_steps, "Stop after this many training steps (0: the epochs decide)")
      ->capture_default_str()->check(examples::in_range(index_t{0}, index_t{1} << 40));
  app.add_option("--display_every", s.display_every, "Print progress every N steps")->capture_default_str()->check(examples::in_range(1, 1 << 30));
  app.add_option("--train_images", s.train_images, "Train on the first N training images (0: all)")
      ->capture_default_str()->check(examples::in_range(index_t(0), index_t(1) << 40));
  app.add_option("--test_images", s.test_images, "Evaluate on the first N test images (0: all)")
      ->capture_default_str()->check(examples::in_range(index_t(0), index_t(1) << 40));
  app.add_option("--checkpoint", s.checkpoint, "Save a checkpoint here after every epoch");
  app.add_flag("--resume", s.resume, "Continue from --checkpoint if it exists");
  app.add_option("--variable_update", s.variable_update,
                 "local, parameter_server or distributed_all_reduce (the last two under mpiexec or srun)")
      ->capture_default_str()->check(CLI::IsMember({"local", "parameter_server", "distributed_all_reduce"}));
  app.add_option("--num_ps", s.num_ps, "Parameter servers: the first ranks (--variable_update=parameter_server)")
      ->capture_default_str()->check(examples::in_range(1, 1 << 20));
  app.add_option("--cross_replica_sync", s.cross_replica_sync,
                 "true: the servers apply one averaged update per step; false: each worker's as it comes")
      ->capture_default_str();
  app.add_option("--comm_wait", s.comm_wait, "poll: a waiting rank sleeps between tests; spin: it does not")
      ->capture_default_str()->check(CLI::IsMember({"poll", "spin"}));
  app.add_option("--comm_timeout", s.comm_timeout, "Seconds a rank waits for another before it stops with an error")
      ->capture_default_str()->check(examples::in_range(0.0, 1e6));
  examples::add_version_flag(app, "mnist_deep");
  examples::add_isa_flag(app);
  const bool say = distributed::first_of_launch();  // of several copies, one speaks
  try {
    app.parse(argc, argv);
    if (s.resume && s.checkpoint.empty()) throw CLI::ValidationError("--resume", "needs --checkpoint PATH");
    for (const char* f : {"--kmp_blocktime", "--kmp_affinity", "--kmp_settings"})
      if (!s.mkl && app.count(f) > 0)
        throw CLI::ValidationError(f, "only takes effect with --mkl: add --mkl or drop it");
    if (s.mkl) try {
        (void)parallel::parse_kmp_affinity(s.kmp.affinity, parallel::allowed_cpus());
      } catch (const Error& e) {
        throw CLI::ValidationError("--kmp_affinity", std::string(e.what()).substr(std::string("tinycnn: kmp_affinity: ").size()));
      }
    const bool local = s.variable_update == "local";
    if (app.count("--num_ps") > 0 && s.variable_update != "parameter_server")
      throw CLI::ValidationError("--num_ps", "only applies to --variable_update=parameter_server");
    if (!s.cross_replica_sync && s.variable_update != "parameter_server")
      throw CLI::ValidationError("--cross_replica_sync", "false only applies to --variable_update=parameter_server");
    if (!s.cross_replica_sync && s.resume)
      throw CLI::ValidationError("--resume", "asynchronous servers count every worker's updates in the checkpoint's "
                                             "step, so the place in the epoch is not known: resume synchronously");
    if (local)
      for (const char* f : {"--comm_wait", "--comm_timeout"})
        if (app.count(f) > 0)
          throw CLI::ValidationError(f, "applies to distributed runs: add --variable_update=parameter_server or "
                                        "distributed_all_reduce");
    if (const int n = distributed::launched_processes(); local && n > 1)
      throw CLI::ValidationError(std::to_string(n) + " processes were started together, and --variable_update=local "
                                 "would make each train alone: add --variable_update=parameter_server or "
                                 "distributed_all_reduce");
#if !TINYCNN_EXAMPLE_MPI
    if (!local)
      throw CLI::ValidationError("--variable_update", "this mnist_deep was built without MPI: install libmpich-dev "
                                                      "and rebuild for distributed training");
#endif
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);
    if (say) std::fprintf(stderr, "mnist_deep: %s\n", e.what());
    return 2;
  }

  try {
    // A checkpoint that cannot be written should stop the run now, not after its first epoch.
    if (!s.checkpoint.empty()) check_output_file(s.checkpoint, "--checkpoint");
    // libgomp reads its settings when it loads: --mkl applies them in a fresh copy of this
    // process, before any OpenMP call and before MPI starts.
    if (s.mkl) {
      s.kmp.intra_threads = s.threads;
      if (say) std::printf("OpenMP environment set by --mkl:\n%s", parallel::apply_kmp_settings(s.kmp, argv));
    }
    if (s.threads > 0) omp_set_num_threads(s.threads);  // for OpenMP loops outside the network
#if TINYCNN_EXAMPLE_MPI
    if (s.variable_update != "local") return train_distributed(s, argc, argv);
#endif
    return train_here(s);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mnist_deep: %s\n", e.what());
    return 1;
  }
} catch (const std::exception& e) {  // whatever the steps above do not expect: one line, never abort
  std::fprintf(stderr, "mnist_deep: %s\n", e.what());
  return 1;
} catch (...) {
  std::fprintf(stderr, "mnist_deep: stopped by an unknown error\n");
  return 1;
}
