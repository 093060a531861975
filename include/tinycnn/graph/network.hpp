// Network: a model spec instantiated for an element type, an input shape and a batch size.
// It owns the three flat buffers every layer's parameters live in (parameters, gradients,
// batch-norm state), plans all activations once, and runs forward and backward. It also owns
// how its kernels run: the thread counts and the planned kernel workspace, which it hands to
// every layer in the Context of each pass, so two networks in one process are independent.
//
//   using Net = Sequential<Conv2D<32, 5>, ReLU, MaxPool<2>, Flatten, Dense<10>>;
//   auto net = make_model<Net>(Input<28, 28, 1>{}, /*batch=*/50);
#pragma once
#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tinycnn/core/aligned_buffer.hpp"
#include "tinycnn/core/error.hpp"
#include "tinycnn/core/random.hpp"
#include "tinycnn/graph/layer_info.hpp"
#include "tinycnn/graph/memory_plan.hpp"
#include "tinycnn/graph/node.hpp"
#include "tinycnn/graph/parameter_ranges.hpp"
#include "tinycnn/layers/layer.hpp"

namespace tinycnn {

template <class Spec, class T, class InDims>
class Network {
 public:
  using root_type = impl_of<Spec, T, InDims>;
  using value_type = T;
  using in_dims = InDims;
  using out_dims = typename root_type::out_dims;
  static_assert(Layer<root_type, T>, "tinycnn: the model does not provide the layer interface");
  static constexpr index_t num_params = root_type::num_params;  // trainable, exact
  static constexpr index_t num_state = root_type::num_state;
  static constexpr double flops_per_image = root_type::flops;   // forward
  static constexpr index_t classes = out_dims::size;

  // intra_threads: threads inside one kernel; inter_threads: independent branches at once
  // (0 for either: the library picks, see parallel/execution.hpp).
  explicit Network(index_t batch, int intra_threads = 0, int inter_threads = 1)
      : params_(root_type::param_storage), grads_(root_type::param_storage), state_(root_type::state_storage) {
    root_.bind({params_.data(), grads_.data(), state_.data()});
    set_threads(intra_threads, inter_threads);
    set_batch(batch);
  }
  // Layers point into the heap blocks of the buffers above, which a move carries along;
  // a copy would leave them pointing at the original's.
  Network(const Network&) = delete;
  Network& operator=(const Network&) = delete;
  Network(Network&&) = default;
  Network& operator=(Network&&) = default;

  // Plans every activation and workspace for this batch size; parameters are kept.
  void set_batch(index_t batch) {
    require(batch > 0, "batch size must be positive, got " + std::to_string(batch));
    batch_ = batch;
    root_.plan(batch);
    transient_.resize(transient_size_of<root_type>(batch));
    scratch_.resize(0);  // sized by the first backward: inference never needs it
    replan_workspace();
  }
  index_t batch() const { return batch_; }

  // Threads for the kernels (intra) and for independent branches (inter); 0 = the library
  // picks: all OpenMP threads for intra, 1 for inter (inside one kernel the cores are busy).
  void set_threads(int intra, int inter = 1) {
    intra_ = parallel::resolve_threads(intra, "intra-op thread count");
    inter_ = inter == 0 ? 1 : parallel::resolve_threads(inter, "inter-op thread count");
    replan_workspace();
  }
  int intra_threads() const { return intra_; }
  int inter_threads() const { return inter_; }
  // Deterministic: the same parameters and losses for any intra and inter thread counts, not
  // only from run to run at the same ones (parallel/execution.hpp). It costs the split-K GEMM
  // of the weight gradients (docs/threads.md measures how much); the workspace plan covers both.
  void set_deterministic(bool on) { deterministic_ = on; }
  bool deterministic() const { return deterministic_; }
  // Bytes of kernel workspace now held: the forward's need after planning, the training need
  // after the first backward.
  std::size_t workspace_bytes() const { return workspace_.bytes(); }
  // The workspace a pass needs with these threads (forward only, or forward and backward).
  std::size_t planned_workspace_bytes(bool backward) { return detail::workspace_of(root_, {intra_, inter_, backward}); }

  void init(std::uint64_t seed) {
    Rng rng(seed);
    root_.init(rng);
  }

  // x holds batch() images of in_dims (NHWC); returns batch() x classes logits. The logits, like
  // every activation, live in the network's planned buffers: the next forward overwrites them,
  // and so does backward, which keeps gradients in activations it no longer needs. Copy what you
  // keep (predict() in train/predict.hpp returns copies).
  const T* forward(const T* x, Context& ctx) {
    ctx.batch = batch_;
    ctx.transient = transient_.data();
    ctx.exec = execution(ctx);
    return detail::run_forward(root_, x, ctx);
  }
  // After forward on the same x: fills gradients() from d(loss)/d(logits), and dx (the
  // gradient with respect to the input) when it is not null. The arguments come in a layer's
  // order: x, dy, dx, ctx. It overwrites activations forward returned (see forward).
  void backward(const T* x, const T* dlogits, Context& ctx) { backward(x, dlogits, nullptr, ctx); }
  void backward(const T* x, const T* dlogits, T* dx, Context& ctx) {
    ctx.batch = batch_;
    if (scratch_.size() == 0) scratch_.resize(std::max<index_t>(scratch_size_of<root_type>(batch_), 1));
    ctx.scratch = scratch_.data();
    ctx.transient = transient_.data();
    if (!backward_planned_) {
      workspace_.reserve(planned_workspace_bytes(true));
      backward_planned_ = true;
    }
    ctx.exec = execution(ctx);
    detail::run_backward(root_, x, dlogits, dx, ctx);
  }

  // The flat buffers (slices are cache-line aligned, so their size can exceed num_params).
  std::span<T> parameters() { return params_.span(); }
  std::span<T> gradients() { return grads_.span(); }
  std::span<T> state() { return state_.span(); }
  std::span<const T> parameters() const { return params_.span(); }
  std::span<const T> gradients() const { return grads_.span(); }
  std::span<const T> state() const { return state_.span(); }

  // Bytes now held, by purpose. The transient arena holds activations (the ones recomputed in
  // backward), so it counts among them.
  MemoryPlan memory() {
    return {detail::activations_of(root_) + transient_.bytes(), params_.bytes(), grads_.bytes(), scratch_.bytes(),
            workspace_.bytes(), state_.bytes()};
  }

  // Every leaf layer that owns parameters or state, in forward order, with its ranges of
  // parameters() (and, at the same offsets, gradients()) and of state(). The ranges do not
  // overlap; together with the padding between them they tile the buffers.
  std::vector<LeafRanges> parameter_ranges() {
    std::vector<LeafRanges> ranges;
    for (const LayerInfo& l : layers())
      if (l.num_params > 0 || l.num_state > 0) ranges.push_back({l.description, l.params, l.state, l.path});
    return ranges;
  }
  // Every leaf layer by path, in forward order (graph/layer_info.hpp): kind, output shape,
  // counts, its named tensors and where they lie in parameters(), gradients() and state().
  std::vector<LayerInfo> layers() { return describe_layers(root_); }

  // One tensor by layer path and name, e.g. tensor("0", "weights") or tensor("1", "gamma"), as
  // spans of the flat buffers: write to values to set it. An unknown path or name is an Error
  // that lists what there is.
  TensorView<T> tensor(std::string_view path, std::string_view name) {
    const std::vector<LayerInfo> all = layers();
    for (const LayerInfo& l : all) {
      if (l.path != path) continue;
      std::string names;
      for (const TensorInfo& t : l.tensors) {
        if (t.name == name) {
          if (t.is_state) return {t, state().subspan(std::size_t(l.state.offset + t.offset), std::size_t(t.size())), {}};
          const auto at = std::size_t(l.params.offset + t.offset), n = std::size_t(t.size());
          return {t, parameters().subspan(at, n), gradients().subspan(at, n)};
        }
        names += (names.empty() ? "" : ", ") + t.name;
      }
      throw Error("layer '" + l.path + "' (" + l.description + ") has no tensor '" + std::string(name) + "'" +
                  (names.empty() ? ": it has no parameters" : "; it has " + names));
    }
    std::string with;
    int listed = 0;
    for (const LayerInfo& l : all)
      if (!l.tensors.empty() && listed++ < 12) with += (with.empty() ? "" : ", ") + l.path;
    throw Error("no layer at path '" + std::string(path) + "'; layers with tensors: " + with +
                (listed > 12 ? ", ... (" + std::to_string(listed) + " in all: see layers())" : ""));
  }

  // A GradientHook for ctx.gradients_ready that calls f(ParameterRange) with each leaf's range
  // of gradients() as soon as backward has made it final (see graph/gradient_hook.hpp for the
  // order and the threads it is called from). It holds this network's leaf addresses.
  template <class F>
  GradientRangeHook<F> gradient_hook(F f) {
    return GradientRangeHook<F>(detail::gradient_ranges_by_leaf(detail::leaf_places(root_)), std::move(f));
  }

  // Bytes of backward's gradient arena now held: zero until the first backward.
  std::size_t backward_scratch_bytes() const { return std::size_t(scratch_.size()) * sizeof(T); }

  root_type& root() { return root_; }
  static std::string signature() { return root_type::describe(); }

 private:
  parallel::Execution execution(const Context& ctx) {
    return {intra_, inter_, workspace_.view(), ctx.trace, nullptr, deterministic_};
  }
  // After a change of batch or threads: the forward's workspace now, backward's when it first runs.
  void replan_workspace() {
    if (batch_ == 0) return;
    workspace_.release();
    workspace_.reserve(planned_workspace_bytes(false));
    backward_planned_ = false;
  }

  AlignedBuffer<T> params_, grads_, state_;
  AlignedBuffer<T> transient_;  // outputs recomputed in backward rather than kept (layers/plan_traits.hpp)
  AlignedBuffer<T> scratch_;  // backward's temporary gradients, shared by all containers; allocated
                              // by the first backward after set_batch, so inference never holds it
  root_type root_;
  index_t batch_ = 0;
  int intra_ = 1, inter_ = 1;
  bool deterministic_ = false;
  parallel::WorkspaceArena workspace_;  // kernel scratch, planned (parallel/workspace.hpp)
  bool backward_planned_ = false;
};

template <class Spec, class T = float, index_t H, index_t W, index_t C>
auto make_model(Input<H, W, C>, index_t batch) {
  return Network<Spec, T, Dims<H, W, C>>(batch);
}

}  // namespace tinycnn
