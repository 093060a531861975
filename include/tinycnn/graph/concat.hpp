// Concat<B1, B2, ...>: parallel branches over the same input, their outputs joined along the
// channel axis (an Inception module). Every branch must keep the same height and width. The
// branches are independent, so with num_inter_threads > 1 they run concurrently
// (parallel/branches.hpp), forward and backward.
#pragma once
#include <array>
#include <string>
#include <tuple>

#include "tinycnn/core/tensor.hpp"
#include "tinycnn/kernels/concat.hpp"
#include "tinycnn/kernels/elementwise.hpp"
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

    void plan(index_t batch) {
      batch_ = batch;
      rows_ = batch * out_dims::height * out_dims::width;
      out_.reshape(shape_of<out_dims>(batch));
      std::size_t i = 0;
      std::apply([&](auto&... b) {
        ((b.plan(batch), branch_dy_[i].resize(batch * std::remove_reference_t<decltype(b)>::out_dims::size), ++i), ...);
      }, branches_);
      for (std::size_t b = 1; b < N; ++b) branch_dx_[b].resize(batch * In::size);
    }
    void bind(Slices<T> s) {
      std::apply([&](auto&... b) {
        ((b.bind(s), s.params += std::remove_reference_t<decltype(b)>::param_storage,
          s.grads += std::remove_reference_t<decltype(b)>::param_storage,
          s.state += std::remove_reference_t<decltype(b)>::state_storage), ...);
      }, branches_);
    }
    void init(Rng& rng) { std::apply([&](auto&... b) { (b.init(rng), ...); }, branches_); }

    const T* forward(const T* x, Context& ctx) {
      std::array<const T*, N> outs;
      parallel::run_branches(int(N), [&](int i) {
        with_branch(std::size_t(i), [&](auto& b, std::size_t at) { outs[at] = detail::run_forward(b, x, ctx); });
      });
      kernels::concat_channels_forward<T>(outs, channels_, out_.data(), rows_);
      return out_.data();
    }
    void backward(const T* x, const T* dy, T* dx, Context& ctx) {
      std::array<T*, N> dys;
      for (std::size_t i = 0; i < N; ++i) dys[i] = branch_dy_[i].data();
      kernels::concat_channels_backward<T>(dy, rows_, channels_, dys);
      // The first branch writes dx; each other one its own buffer, summed once all are done.
      parallel::run_branches(int(N), [&](int i) {
        with_branch(std::size_t(i), [&](auto& b, std::size_t at) {
          T* target = at == 0 ? dx : (dx ? branch_dx_[at].data() : nullptr);
          detail::run_backward(b, x, static_cast<const T*>(branch_dy_[at].data()), target, ctx);
        });
      });
      if (dx)
        for (std::size_t i = 1; i < N; ++i) kernels::add_inplace(dx, branch_dx_[i].data(), batch_ * In::size);
    }

    template <class F>
    void for_each(F&& f) { std::apply([&](auto&... b) { (f(b), ...); }, branches_); }

   private:
    // Calls f(branch i, i) for a run-time i.
    template <class F>
    void with_branch(std::size_t i, F&& f) {
      [&]<std::size_t... I>(std::index_sequence<I...>) {
        ((I == i ? (f(std::get<I>(branches_), I), 0) : 0), ...);
      }(std::make_index_sequence<N>{});
    }

    static constexpr std::array<index_t, N> channels_ = {impl_of<Branches, T, In>::out_dims::channels...};
    index_t batch_ = 0, rows_ = 0;
    branches_t branches_;
    Tensor<T> out_;
    std::array<AlignedBuffer<T>, N> branch_dy_;
    std::array<AlignedBuffer<T>, N> branch_dx_;  // [0] unused: branch 0 writes dx itself
  };
};

}  // namespace tinycnn
