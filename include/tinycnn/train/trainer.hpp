// Trainer: one training step is forward -> softmax cross-entropy -> backward -> optimizer
// update, over the network's flat parameter buffer. It also evaluates (batch norm on its running
// statistics, dropout off) and saves and restores everything a run needs to resume: parameters,
// batch-norm statistics, optimizer state and the step count.
//
// The step's points, where a distribution policy (distributed/policy.hpp) comes in:
//   forward and loss
//   backward          policy.on_gradients_ready(step, range) per leaf, as its gradients become
//                     final: in backward order, concurrently for concurrent Concat branches
//   before update     policy.before_update(step)
//   update            policy.update(step, updater): updater.whole() or updater.slice(range)
//   after update      policy.after_update(step)
// The default policy, distributed::Local, updates the whole buffer and does nothing else.
// A StepProfiler (train/step_profiler.hpp) attached with set_profiler times every leaf layer
// and the three phases: forward and loss, backward, update (the last three points together).
// Neither a policy nor a profiler is part of a checkpoint's signature: a run saved with one
// resumes with another. A distributed policy may also start the ranks alike (begin, at
// construction and after a load) and bring a rank's copy up to date (synchronize(), below).
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "tinycnn/core/aligned_buffer.hpp"
#include "tinycnn/core/error.hpp"
#include "tinycnn/core/random.hpp"
#include "tinycnn/distributed/local.hpp"
#include "tinycnn/distributed/policy.hpp"
#include "tinycnn/graph/parameter_ranges.hpp"
#include "tinycnn/io/checkpoint.hpp"
#include "tinycnn/kernels/all.hpp"
#include "tinycnn/layers/layer.hpp"
#include "tinycnn/optim/optimizer.hpp"
#include "tinycnn/train/predict.hpp"
#include "tinycnn/train/step_profiler.hpp"
#include "tinycnn/train/weights.hpp"

namespace tinycnn {

struct StepResult {
  double loss = 0;        // cross-entropy (+ the weight-decay term, as TensorFlow's total_loss)
  index_t correct = 0;    // top-1 hits in the batch
  index_t examples = 0;
  double accuracy() const { return examples ? double(correct) / double(examples) : 0.0; }
};

template <class Net, class Opt, class Policy = distributed::Local>
  requires optim::OptimizerFor<Opt, typename Net::value_type> &&
           distributed::PolicyFor<Policy, typename Net::value_type, Opt>
class Trainer {
 public:
  using T = typename Net::value_type;

  Trainer(Net& net, Opt optimizer, std::uint64_t seed = 1234, Policy policy = Policy{})
      : net_(net),
        opt_(std::move(optimizer)),
        policy_(std::move(policy)),
        opt_state_(Opt::state_per_param * index_t(net.parameters().size())),
        rng_(seed),
        hook_(net.gradient_hook(ReportToPolicy{})) {
    opt_.init_state(opt_state_.span());
    set_weight_decay_rule(WeightDecayRule());
    plan_batch();
    begin();
  }

  // Makes this rank's copy of the model whole and current, where the policy is a distributed
  // one: the batch-norm running statistics averaged over the ranks (each normalises with its
  // own batches), and whatever the policy keeps elsewhere (a parameter server's optimizer state)
  // brought back. Call it on every rank together before evaluating or saving. Local has nothing
  // to do.
  void synchronize() {
    distributed::StepView<T> view = step_view();
    if constexpr (requires { policy_.synchronize(view, net_.state()); }) {
      policy_.synchronize(view, net_.state());
      step_ = view.step;  // asynchronous servers count every worker's updates
    }
  }

  // One step on net.batch() images (NHWC) and their labels.
  StepResult train_step(const T* images, const std::int32_t* labels) {
    plan_batch();
    detail::PhaseClock clock(profiler_ != nullptr);
    Context ctx{Mode::Train, &rng_, profiler_ ? &profiler_->layers : nullptr};
    const index_t n = net_.batch();
    const T* logits = net_.forward(images, ctx);
    StepResult r;
    r.examples = n;
    r.correct = kernels::count_correct(logits, labels, n, Net::classes);
    r.loss = kernels::softmax_cross_entropy(logits, labels, n, Net::classes, dlogits_.data());
    if (opt_.weight_decay != 0.0) r.loss += opt_.weight_decay * 0.5 * sum_of_squares();
    if (!std::isfinite(r.loss))
      throw Error("the loss became " + std::to_string(r.loss) + " at step " + std::to_string(step_ + 1) +
                  ": lower the learning rate or check the input data");
    PhaseTimes unused;
    PhaseTimes& phases = profiler_ ? profiler_->phases : unused;
    clock.lap(phases.forward_loss_seconds);

    const distributed::StepView<T> view = step_view();
    hook_.callback() = ReportToPolicy{&policy_, &view};
    ctx.gradients_ready = &hook_;
    net_.backward(images, dlogits_.data(), ctx);
    clock.lap(phases.backward_seconds);

    policy_.before_update(view);
    policy_.update(view, distributed::Updater<T, Opt>(opt_, view, opt_.learning_rate(step_), update_execution(),
                                                      &decay_exempt_));
    policy_.after_update(view);
    clock.lap(phases.update_seconds);
    ++phases.steps;
    ++step_;
    return r;
  }

  // Loss and accuracy over `count` images, in batches of net.batch(); a last partial batch is
  // padded with copies of its first image, whose results are not counted (train/predict.hpp).
  StepResult evaluate(const T* images, const std::int32_t* labels, index_t count) {
    Context ctx{Mode::Eval, &rng_, profiler_ ? &profiler_->layers : nullptr};
    StepResult total;
    double loss_sum = 0;
    for_each_batch(net_, images, count, ctx, [&](const T* logits, index_t first, index_t rows) {
      total.correct += kernels::count_correct(logits, labels + first, rows, Net::classes);
      loss_sum += kernels::softmax_cross_entropy(logits, labels + first, rows, Net::classes) * double(rows);
      total.examples += rows;
    });
    total.loss = total.examples ? loss_sum / double(total.examples) : 0.0;
    // Weights that are no longer numbers give a NaN here even where training's own loss was
    // still finite; going on would train and save them.
    if (!std::isfinite(total.loss))
      throw Error("the evaluation loss is " + std::to_string(total.loss) + " after step " + std::to_string(step_) +
                  " (the weights are no longer finite numbers): lower the learning rate");
    return total;
  }

  // Which parameters weight decay leaves out: by default batch norm's, as TensorFlow's CNN
  // benchmark (graph/weight_decay_rule.hpp). The loss's L2 term follows the same rule. A
  // ParameterServer's servers take theirs from ParameterServerOptions::decay_rule.
  void set_weight_decay_rule(const WeightDecayRule& rule) {
    decay_exempt_ = decay_exempt_ranges(net_.parameter_ranges(), rule);
  }
  // The runs of parameters that take no weight decay.
  const std::vector<ParameterRange>& decay_exempt() const { return decay_exempt_; }

  std::int64_t step() const { return step_; }
  const Opt& optimizer() const { return opt_; }
  Policy& policy() { return policy_; }
  const Policy& policy() const { return policy_; }
  // Times the following steps (and evaluations) into *profiler; nullptr detaches it. The
  // profiler must outlive its attachment.
  void set_profiler(StepProfiler* profiler) { profiler_ = profiler; }
  StepProfiler* profiler() const { return profiler_; }
  Rng& rng() { return rng_; }
  // The optimizer's accumulators (momentum, moments), as a checkpoint stores them.
  std::span<const T> optimizer_state() const { return opt_state_.span(); }

  // Everything needed to resume: parameters, batch-norm statistics, optimizer state, step, and
  // the state of the random numbers (dropout), so that a resumed run continues bit for bit.
  // `extra` holds what the caller needs besides (where it was in its data, say); load() fills
  // sections of the same names and sizes.
  // Refuses a model whose numbers are not all finite: such a checkpoint only makes every resumed
  // run fail, and it would replace the last good one.
  void save(const std::filesystem::path& file, CheckpointSections<const std::uint64_t> extra = {}) const {
    for (const auto& [name, values] : {std::pair{"parameters", std::span<const T>(net_.parameters())},
                                       std::pair{"batch-norm statistics", std::span<const T>(net_.state())},
                                       std::pair{"optimizer state", std::span<const T>(opt_state_.span())}})
      if (!std::all_of(values.begin(), values.end(), [](T v) { return std::isfinite(v); }))
        throw Error("not saving " + file.string() + " at step " + std::to_string(step_) + ": its " + name +
                    " hold NaN or Inf");
    const std::vector<std::uint64_t> rng = rng_.state();
    std::vector<CheckpointSection<const std::uint64_t>> integers{{"rng", rng}};
    integers.insert(integers.end(), extra.begin(), extra.end());
    const CheckpointSection<const T> model[] = {{"params", std::span<const T>(net_.parameters())},
                                                {"state", std::span<const T>(net_.state())},
                                                {"optimizer", opt_state_.span()}};
    save_checkpoint<T>(file, signature(), step_, model, integers);
  }
  void save(const std::filesystem::path& file, CheckpointSectionList<const std::uint64_t> extra) const {
    save(file, CheckpointSections<const std::uint64_t>(extra.begin(), extra.size()));
  }
  void load(const std::filesystem::path& file, CheckpointSections<std::uint64_t> extra = {}) {
    std::vector<std::uint64_t> rng(rng_.state().size());
    std::vector<CheckpointSection<std::uint64_t>> integers{{"rng", rng}};
    integers.insert(integers.end(), extra.begin(), extra.end());
    const CheckpointSection<T> model[] = {{"params", net_.parameters()}, {"state", net_.state()}, {"optimizer", opt_state_.span()}};
    step_ = load_checkpoint<T>(file, signature(), model, integers);
    rng_.set_state(rng);
    begin();
  }
  void load(const std::filesystem::path& file, CheckpointSectionList<std::uint64_t> extra) {
    load(file, CheckpointSections<std::uint64_t>(extra.begin(), extra.size()));
  }
  // A checkpoint fits when model, element type and optimizer are the same (load_weights, in
  // train/weights.hpp, takes the model and its statistics from any optimizer's checkpoint).
  std::string signature() const { return weights_signature<Net>() + " | " + opt_.name(); }

 private:
  void plan_batch() {
    const index_t n = net_.batch();
    if (dlogits_.size() != n * Net::classes) dlogits_.resize(n * Net::classes);
  }
  distributed::StepView<T> step_view() { return {net_.parameters(), net_.gradients(), opt_state_.span(), step_}; }
  // A distributed policy's start (at construction and after a load): the first rank's model,
  // optimizer state and step become every rank's (and a parameter server's).
  void begin() {
    distributed::StepView<T> view = step_view();
    if constexpr (requires { policy_.begin(view, net_.state()); }) {
      policy_.begin(view, net_.state());
      step_ = view.step;
    }
  }
  // The update and the weight-decay sum are elementwise loops over the flat buffers: the
  // network's intra-op threads, no workspace.
  parallel::Execution update_execution() const { return {net_.intra_threads(), 1, {}}; }
  // Summed in fixed chunks, added in chunk order: the reported loss is the same for any
  // thread count (an OpenMP reduction's order follows the threads). The exempt runs are then
  // taken out again, in order.
  double sum_of_squares() const {
    std::span<const T> w = net_.parameters();
    constexpr std::size_t chunk = std::size_t(1) << 16;
    const std::size_t chunks = (w.size() + chunk - 1) / chunk;
    std::vector<double> sums(chunks);
#pragma omp parallel for num_threads(net_.intra_threads()) schedule(static) if (chunks > 1)
    for (std::size_t c = 0; c < chunks; ++c) {
      double s = 0;
      for (std::size_t i = c * chunk; i < std::min(w.size(), (c + 1) * chunk); ++i) s += double(w[i]) * double(w[i]);
      sums[c] = s;
    }
    double total = 0;
    for (const double s : sums) total += s;
    for (const ParameterRange& r : decay_exempt_) {
      double s = 0;
      for (index_t i = r.offset; i < r.end(); ++i) s += double(w[std::size_t(i)]) * double(w[std::size_t(i)]);
      total -= s;
    }
    return total;
  }

  // Hands each leaf's gradient range to the policy, with the step being run; set at each step,
  // so nothing points into a Trainer that has since moved.
  struct ReportToPolicy {
    Policy* policy = nullptr;
    const distributed::StepView<T>* step = nullptr;
    void operator()(ParameterRange range) const { policy->on_gradients_ready(*step, range); }
  };

  Net& net_;
  Opt opt_;
  Policy policy_;
  AlignedBuffer<T> opt_state_;
  Rng rng_;
  std::vector<ParameterRange> decay_exempt_;  // parameters weight decay leaves out
  std::int64_t step_ = 0;
  AlignedBuffer<T> dlogits_;
  GradientRangeHook<ReportToPolicy> hook_;  // knows the leaves of net_, which must not move
  StepProfiler* profiler_ = nullptr;
};

}  // namespace tinycnn
