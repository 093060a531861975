// Concat<B1, B2, ...>: parallel branches over the same input, their outputs joined along the
// channel axis (an Inception module). Every branch must keep the same height and width. The
// branches are independent, so with num_inter_threads > 1 they run concurrently
// (parallel/branches.hpp), forward and backward.
#pragma once
#include <algorithm>
#include <array>
#include <string>
#include <tuple>

#include "tinycnn/core/tensor.hpp"
#include "tinycnn/kernels/all.hpp"
#include "tinycnn/graph/node.hpp"
#include "tinycnn/layers/layer.hpp"
#include "tinycnn/parallel/branches.hpp"

namespace tinycnn {

template <class... Branches>
struct Concat {
  static_assert(sizeof...(Branches) > 0, "tinycnn: a Concat needs at least one branch");

  template <class T, class In>
  class impl {
    using branches_t = std::tuple<impl_of<Branches, T, In>...>;
    static constexpr std::size_t N = sizeof...(Branches);
    using first_out = typename std::tuple_element_t<0, branches_t>::out_dims;
    static_assert(((impl_of<Branches, T, In>::out_dims::height == first_out::height &&
                    impl_of<Branches, T, In>::out_dims::width == first_out::width) && ...),
                  "tinycnn: Concat's branches produce different heights or widths; only channels may differ");

   public:
    using in_dims = In;
    using out_dims = Dims<first_out::height, first_out::width, (impl_of<Branches, T, In>::out_dims::channels + ...)>;
    static constexpr index_t num_params = (impl_of<Branches, T, In>::num_params + ...);
    static constexpr index_t num_state = (impl_of<Branches, T, In>::num_state + ...);
    static constexpr index_t param_storage = (impl_of<Branches, T, In>::param_storage + ...);
    static constexpr index_t state_storage = (impl_of<Branches, T, In>::state_storage + ...);
    static constexpr double flops = (impl_of<Branches, T, In>::flops + ...);

    static std::string describe() {
      std::string s = "Concat(";
      ((s += impl_of<Branches, T, In>::describe() + " | "), ...);
      s.resize(s.size() - 3);
      return s + ")";
    }

    // Per branch: its output gradient, its input gradient (branch 0 writes dx itself) and its
    // own scratch, side by side, since branches may run concurrently.
    static constexpr index_t scratch_size_of_branch(std::size_t i, index_t batch) {
      index_t sizes[] = {scratch_size_of<impl_of<Branches, T, In>>(batch)...};
      return sizes[i];
    }
    static constexpr index_t branch_scratch(std::size_t i, index_t batch) {
      index_t outs[] = {impl_of<Branches, T, In>::out_dims::size...};
      return align_count<T>(batch * outs[i]) + (i > 0 ? align_count<T>(batch * In::size) : 0) +
             align_count<T>(scratch_size_of_branch(i, batch));
    }
    static constexpr index_t scratch_size(index_t batch) {
      index_t total = 0;
      for (std::size_t i = 0; i < N; ++i) total += branch_scratch(i, batch);
      return total;
    }

    // The branches' transient outputs (layers/plan_traits.hpp), side by side.
    static constexpr index_t transient_size(index_t batch) {
      return (align_count<T>(transient_size_of<impl_of<Branches, T, In>>(batch)) + ...);
    }

    void plan(index_t batch) {
      batch_ = batch;
      rows_ = batch * out_dims::height * out_dims::width;
      out_.reshape(shape_of<out_dims>(batch));
      std::apply([&](auto&... b) { (b.plan(batch), ...); }, branches_);
      slots_.forget();
    }
    void bind(Slices<T> s) {
      std::apply([&](auto&... b) {
        ((b.bind(s), s.params += std::remove_reference_t<decltype(b)>::param_storage,
          s.grads += std::remove_reference_t<decltype(b)>::param_storage,
          s.state += std::remove_reference_t<decltype(b)>::state_storage), ...);
      }, branches_);
    }
    void init(Rng& rng) { std::apply([&](auto&... b) { (b.init(rng), ...); }, branches_); }

    // Branches running side by side each take a slot of the workspace, as large as the
    // largest branch needs with its share of the threads (parallel/branches.hpp).
    std::size_t workspace_bytes(const WorkspacePlan& w) { return slots_.workspace_bytes(*this, int(N), w); }

    const T* forward(const T* x, Context& ctx) {
      std::array<const T*, N> outs;
      const std::size_t slot = slots_.slot_bytes(*this, int(N), {ctx.exec.intra, ctx.exec.inter, false});
      const std::array<index_t, N> transient_at = transient_offsets(batch_);
      parallel::run_branches(ctx.exec, int(N), slot, [&](int i, const parallel::Execution& sub) {
        Context inner = ctx;
        inner.exec = sub;
        if (ctx.transient) inner.transient = static_cast<T*>(ctx.transient) + transient_at[std::size_t(i)];
        with_branch(std::size_t(i), [&](auto& b, std::size_t at) { outs[at] = detail::run_forward(b, x, inner); });
      });
      kernels::concat_channels_forward<T>(outs, channels_, out_.data(), rows_, ctx.exec);
      return out_.data();
    }
    void backward(const T* x, const T* dy, T* dx, Context& ctx) {
      std::array<T*, N> dys, dxs;
      std::array<Context, N> inner;
      ScratchCursor<T> arena{static_cast<T*>(ctx.scratch)};
      for (std::size_t i = 0; i < N; ++i) {
        dys[i] = arena.take(batch_ * channels_[i] * out_dims::height * out_dims::width);
        T* own_dx = i == 0 ? nullptr : arena.take(batch_ * In::size);
        dxs[i] = i == 0 ? dx : (dx ? own_dx : nullptr);
        inner[i] = ctx;
        inner[i].scratch = arena.next;
        arena.take(scratch_size_of_branch(i, batch_));
      }
      kernels::concat_channels_backward<T>(dy, rows_, channels_, dys, ctx.exec);
      // The first branch writes dx; each other one its own buffer, summed once all are done.
      const std::size_t slot = slots_.slot_bytes(*this, int(N), {ctx.exec.intra, ctx.exec.inter, true});
      parallel::run_branches(ctx.exec, int(N), slot, [&](int i, const parallel::Execution& sub) {
        with_branch(std::size_t(i), [&](auto& b, std::size_t at) {
          Context branch = inner[at];
          branch.exec = sub;
          detail::run_backward(b, x, static_cast<const T*>(dys[at]), dxs[at], branch);
        });
      });
      if (dx)
        for (std::size_t i = 1; i < N; ++i)
          kernels::add_inplace(dx, static_cast<const T*>(dxs[i]), batch_ * In::size, ctx.exec);
    }

    template <class F>
    void for_each(F&& f) { std::apply([&](auto&... b) { (f(b), ...); }, branches_); }
    std::size_t activation_bytes() const { return out_.bytes(); }  // the joined output; branches count their own

   private:
    static constexpr std::array<index_t, N> transient_offsets(index_t batch) {
      const std::array<index_t, N> sizes{align_count<T>(transient_size_of<impl_of<Branches, T, In>>(batch))...};
      std::array<index_t, N> at{};
      for (std::size_t b = 1; b < N; ++b) at[b] = at[b - 1] + sizes[b - 1];
      return at;
    }
    // Calls f(branch i, i) for a run-time i.
    template <class F>
    void with_branch(std::size_t i, F&& f) {
      [&]<std::size_t... I>(std::index_sequence<I...>) {
        ((I == i ? (f(std::get<I>(branches_), I), 0) : 0), ...);
      }(std::make_index_sequence<N>{});
    }

    static constexpr std::array<index_t, N> channels_ = {impl_of<Branches, T, In>::out_dims::channels...};
    index_t batch_ = 0, rows_ = 0;
    detail::BranchSlots slots_;
    branches_t branches_;
    Tensor<T> out_;
  };
};

}  // namespace tinycnn
