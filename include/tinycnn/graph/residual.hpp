// Residual<Main, Shortcut = Identity>: y = Main(x) + Shortcut(x). Both paths see the same input
// and must produce the same shape. The ReLU that ResNet applies after the sum is a separate
// layer following the Residual. A projection shortcut is independent of the main path, so with
// num_inter_threads > 1 the two run side by side (parallel/branches.hpp), forward and backward.
#pragma once
#include <array>
#include <string>

#include "tinycnn/core/tensor.hpp"
#include "tinycnn/kernels/all.hpp"
#include "tinycnn/layers/flatten.hpp"
#include "tinycnn/graph/node.hpp"
#include "tinycnn/layers/layer.hpp"
#include "tinycnn/parallel/branches.hpp"

namespace tinycnn {

template <class Main, class Shortcut = Identity>
struct Residual {
  template <class T, class In>
  class impl {
    using main_t = impl_of<Main, T, In>;
    using short_t = impl_of<Shortcut, T, In>;
    static_assert(std::is_same_v<typename main_t::out_dims, typename short_t::out_dims>,
                  "tinycnn: Residual's main path and shortcut produce different shapes "
                  "(use a projection shortcut, e.g. a strided 1x1 Conv2D, when the main path changes shape)");
    static constexpr bool identity = std::is_same_v<Shortcut, Identity>;

   public:
    // The sum can overwrite the main path's output (saving an activation per block) when that
    // buffer is main's own and main's backward does not read it back.
    static constexpr bool add_in_place =
        !tinycnn::forwards_input<main_t>() && !tinycnn::reads_own_output<main_t>();
    using in_dims = In;
    using out_dims = typename main_t::out_dims;
    static constexpr index_t num_params = main_t::num_params + short_t::num_params;
    static constexpr index_t num_state = main_t::num_state + short_t::num_state;
    static constexpr index_t param_storage = main_t::param_storage + short_t::param_storage;
    static constexpr index_t state_storage = main_t::state_storage + short_t::state_storage;
    static constexpr double flops = main_t::flops + short_t::flops + double(out_dims::size);

    // A projection shortcut's input gradient, then what the two paths need themselves: side by
    // side, since they may run at once.
    static constexpr index_t scratch_size(index_t batch) {
      if constexpr (identity) return scratch_size_of<main_t>(batch);
      return align_count<T>(batch * In::size) + align_count<T>(scratch_size_of<main_t>(batch)) +
             scratch_size_of<short_t>(batch);
    }

    // The two paths' transient outputs, side by side for the same reason.
    static constexpr index_t transient_size(index_t batch) {
      if constexpr (identity) return transient_size_of<main_t>(batch);
      return align_count<T>(transient_size_of<main_t>(batch)) + transient_size_of<short_t>(batch);
    }

    static std::string describe() {
      return "Residual(" + main_t::describe() + " | " + short_t::describe() + ")";
    }

    void plan(index_t batch) {
      batch_ = batch;
      main_.plan(batch);
      shortcut_.plan(batch);
      if constexpr (!add_in_place) out_.reshape(shape_of<out_dims>(batch));
      slots_.forget();
    }
    void bind(Slices<T> s) {
      main_.bind(s);
      shortcut_.bind({s.params + main_t::param_storage, s.grads + main_t::param_storage,
                      s.state + main_t::state_storage});
    }
    void init(Rng& rng) {
      main_.init(rng);
      shortcut_.init(rng);
    }
    // The two paths' workspace: one slot each when they run side by side.
    std::size_t workspace_bytes(const WorkspacePlan& w) {
      if constexpr (identity) return detail::workspace_of(main_, w);
      return slots_.workspace_bytes(*this, paths, w);
    }

    const T* forward(const T* x, Context& ctx) {
      const T* a = nullptr;
      const T* b = nullptr;
      if constexpr (identity) {
        a = detail::run_forward(main_, x, ctx);
        b = detail::run_forward(shortcut_, x, ctx);
      } else {
        const std::size_t slot = slots_.slot_bytes(*this, paths, {ctx.exec.intra, ctx.exec.inter, false});
        parallel::run_branches(ctx.exec, paths, slot, [&](int i, const parallel::Execution& sub) {
          Context inner = ctx;
          inner.exec = sub;
          if (i == 1 && ctx.transient)
            inner.transient = static_cast<T*>(ctx.transient) + align_count<T>(transient_size_of<main_t>(batch_));
          if (i == 0)
            a = detail::run_forward(main_, x, inner);
          else
            b = detail::run_forward(shortcut_, x, inner);
        });
      }
      T* sum = add_in_place ? const_cast<T*>(a) : out_.data();  // a is main's own buffer then
      kernels::add(a, b, sum, batch_ * out_dims::size, ctx.exec);
      return sum;
    }
    void backward(const T* x, const T* dy, T* dx, Context& ctx) {
      if constexpr (identity) {
        detail::run_backward(main_, x, dy, dx, ctx);
        if (dx) kernels::add_inplace(dx, dy, batch_ * In::size, ctx.exec);
      } else {
        ScratchCursor<T> arena{static_cast<T*>(ctx.scratch)};
        T* shortcut_dx = arena.take(batch_ * In::size);
        std::array<Context, paths> inner{ctx, ctx};
        inner[0].scratch = arena.take(scratch_size_of<main_t>(batch_));
        inner[1].scratch = arena.next;
        const std::size_t slot = slots_.slot_bytes(*this, paths, {ctx.exec.intra, ctx.exec.inter, true});
        parallel::run_branches(ctx.exec, paths, slot, [&](int i, const parallel::Execution& sub) {
          inner[i].exec = sub;
          if (i == 0)
            detail::run_backward(main_, x, dy, dx, inner[0]);
          else
            detail::run_backward(shortcut_, x, dy, dx ? shortcut_dx : nullptr, inner[1]);
        });
        if (dx) kernels::add_inplace(dx, static_cast<const T*>(shortcut_dx), batch_ * In::size, ctx.exec);
      }
    }

    std::size_t activation_bytes() const { return out_.bytes(); }  // the sum, when not added in place
    template <class F>
    void for_each(F&& f) {
      f(main_);
      f(shortcut_);
    }

   private:
    static constexpr int paths = 2;
    index_t batch_ = 0;
    detail::BranchSlots slots_;
    main_t main_;
    short_t shortcut_;
    Tensor<T> out_;  // unused when adding in place
  };
};

}  // namespace tinycnn
