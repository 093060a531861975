// Sequential<L1, L2, ...>: layers applied one after another. The concrete layers are held in one
// flat std::tuple (no nesting of types), with each layer's input shape being the previous one's
// output shape, so a mismatch is reported by the layer that cannot take it.
#pragma once
#include <algorithm>
#include <array>
#include <string>
#include <tuple>
#include <utility>

#include "tinycnn/core/aligned_buffer.hpp"
#include "tinycnn/graph/node.hpp"
#include "tinycnn/layers/layer.hpp"

namespace tinycnn {

namespace detail {

template <class T, class In, class... Specs>
struct chain {
  using type = std::tuple<>;
  using out = In;
};
template <class T, class In, class First, class... Rest>
struct chain<T, In, First, Rest...> {
  using head = impl_of<First, T, In>;
  using tail = chain<T, typename head::out_dims, Rest...>;
  using type = decltype(std::tuple_cat(std::declval<std::tuple<head>>(), std::declval<typename tail::type>()));
  using out = typename tail::out;
};

// Runs a chain of concrete layers held in any indexable container (a tuple of different types
// or an array of one type): the shared machinery of Sequential and Repeat. Gradients between
// the layers go through two ping-pong buffers of LargestInner elements per image, taken from the
// scratch arena; the children get the rest of the arena.
template <class T, std::size_t N, index_t LargestInner, class InPlace = std::array<bool, N>>
class ChainRunner {
 public:
  // Child i (i >= 1) writes its input gradient to buffer i % 2; with one inner boundary only
  // buffer 1 is ever used.
  static constexpr int buffers = N > 2 ? 2 : (N == 2 ? 1 : 0);
  static constexpr index_t own_scratch(index_t batch) { return buffers * align_count<T>(batch * LargestInner); }

  // in_place[i]: child i may overwrite its input (see Sequential::in_place_at).
  template <class Get>
  const T* forward(const T* x, Context& ctx, Get&& get, const std::array<bool, N>& in_place = {}) {
    const T* cur = x;
    for_each_index([&](auto i) {
      inputs_[i] = cur;
      using L = std::remove_reference_t<decltype(get(i))>;
      if constexpr (runs_in_place<L>())
        cur = in_place[i] ? run_forward<true>(get(i), cur, ctx) : run_forward(get(i), cur, ctx);
      else
        cur = run_forward(get(i), cur, ctx);
    });
    return cur;
  }
  template <class Get>
  void backward(const T* dy, T* dx, Context& ctx, Get&& get) {
    ScratchCursor<T> arena{static_cast<T*>(ctx.scratch)};
    T* ping_pong[2] = {nullptr, nullptr};
    const index_t n = ctx.batch * LargestInner;
    if constexpr (buffers >= 1) ping_pong[1] = arena.take(n);
    if constexpr (buffers == 2) ping_pong[0] = arena.take(n);
    Context inner = ctx;
    inner.scratch = arena.next;
    const T* grad = dy;
    for_each_index_reversed([&](auto i) {
      T* target = i == 0 ? dx : ping_pong[i % 2];
      run_backward(get(i), inputs_[i], grad, target, inner);
      grad = target;
    });
  }

 private:
  template <class F, std::size_t... I>
  static void apply(F&& f, std::index_sequence<I...>) { (f(std::integral_constant<std::size_t, I>{}), ...); }
  template <class F>
  static void for_each_index(F&& f) { apply(f, std::make_index_sequence<N>{}); }
  template <class F, std::size_t... I>
  static void apply_reversed(F&& f, std::index_sequence<I...>) {
    (f(std::integral_constant<std::size_t, N - 1 - I>{}), ...);
  }
  template <class F>
  static void for_each_index_reversed(F&& f) { apply_reversed(f, std::make_index_sequence<N>{}); }

  std::array<const T*, N> inputs_{};
};

}  // namespace detail

template <class... Specs>
struct Sequential {
  static_assert(sizeof...(Specs) > 0, "tinycnn: a Sequential needs at least one layer");

  template <class T, class In>
  class impl {
    using chain = detail::chain<T, In, Specs...>;
    using layers_t = typename chain::type;
    static constexpr std::size_t N = sizeof...(Specs);

    template <class F, std::size_t... I>
    static constexpr auto fold(F&& f, std::index_sequence<I...>) {
      return f.template operator()<std::tuple_element_t<I, layers_t>...>();
    }
    template <class F>
    static constexpr auto fold(F&& f) { return fold(f, std::make_index_sequence<N>{}); }

   public:
    using in_dims = In;
    using out_dims = typename chain::out;
    static constexpr index_t num_params = fold([]<class... L>() { return (L::num_params + ...); });
    static constexpr index_t num_state = fold([]<class... L>() { return (L::num_state + ...); });
    static constexpr index_t param_storage = fold([]<class... L>() { return (L::param_storage + ...); });
    static constexpr index_t state_storage = fold([]<class... L>() { return (L::state_storage + ...); });
    static constexpr double flops = fold([]<class... L>() { return (L::flops + ...); });
    // The largest gradient passed between two children (the input size of children 1..N-1).
    static constexpr index_t largest_inner = fold([]<class First, class... L>() {
      return std::max<index_t>({index_t(0), L::in_dims::size...});
    });
    using runner_t = detail::ChainRunner<T, N, largest_inner>;
    static constexpr index_t scratch_size(index_t batch) {
      return runner_t::own_scratch(batch) +
             fold([batch]<class... L>() { return std::max<index_t>({scratch_size_of<L>(batch)...}); });
    }

    static std::string describe() {
      return fold([]<class... L>() {
        std::string s = "Sequential(";
        ((s += L::describe() + ", "), ...);
        s.resize(s.size() - 2);
        return s + ")";
      });
    }

    static constexpr bool reads_own_output = tinycnn::reads_own_output<std::tuple_element_t<N - 1, layers_t>>();
    // The output is the input itself when every child hands its input on.
    static constexpr bool forwards_input = fold([]<class... L>() { return (tinycnn::forwards_input<L>() && ...); });

    void plan(index_t batch) {
      std::size_t i = 0;
      for_each([&](auto& l) {
        using L = std::remove_reference_t<decltype(l)>;
        if constexpr (runs_in_place<L>()) {
          if (in_place_[i]) l.plan_in_place(batch);
          else l.plan(batch);
        } else {
          l.plan(batch);
        }
        ++i;
      });
    }
    void bind(Slices<T> s) {
      for_each([&](auto& l) {
        using L = std::remove_reference_t<decltype(l)>;
        l.bind(s);
        s.params += L::param_storage;
        s.grads += L::param_storage;
        s.state += L::state_storage;
      });
    }
    void init(Rng& rng) { for_each([&](auto& l) { l.init(rng); }); }
    const T* forward(const T* x, Context& ctx) { return runner_.forward(x, ctx, getter(), in_place_); }
    void backward(const T*, const T* dy, T* dx, Context& ctx) { runner_.backward(dy, dx, ctx, getter()); }

    // Visits the direct children in order.
    template <class F>
    void for_each(F&& f) { std::apply([&](auto&... l) { (f(l), ...); }, layers_); }
    template <std::size_t I>
    auto& get() { return std::get<I>(layers_); }

   private:
    // Child I may overwrite its input when that buffer is the output of an earlier sibling
    // (not this Sequential's input, which others may share): walking back over children that
    // hand their input on, we must meet one that owns its output.
    template <std::size_t I>
    static constexpr bool owned_by_earlier_sibling() {
      if constexpr (I == 0)
        return false;
      else if constexpr (tinycnn::forwards_input<std::tuple_element_t<I - 1, layers_t>>())
        return owned_by_earlier_sibling<I - 1>();
      else
        return true;
    }
    static constexpr std::array<bool, N> in_place_ = []<std::size_t... I>(std::index_sequence<I...>) {
      return std::array<bool, N>{(runs_in_place<std::tuple_element_t<I, layers_t>>() && owned_by_earlier_sibling<I>())...};
    }(std::make_index_sequence<N>{});

    auto getter() { return [this](auto i) -> auto& { return std::get<decltype(i)::value>(layers_); }; }
    layers_t layers_;
    runner_t runner_;
  };
};

}  // namespace tinycnn
