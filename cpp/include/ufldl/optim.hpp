// Gradient-descent updates on the flat parameter vector, each one fused pass over theta and the optimiser's
// state (docs/math.md#mini-batch-gradient-descent; the same rules as scikit-learn's MLP optimisers). Each
// kernel's NumPy twin, which computes the same formula, is named in its comment.
#pragma once
#include <cstdint>

#include "ufldl/types.hpp"

namespace ufldl {

// The update rule; bound to Python as _core.UpdateRule (sgd, adam).
enum class UpdateRule : int { Sgd = 0, Adam = 1 };

// The rule and its hyperparameters; bound to Python as _core.UpdateParams (same field names).
struct UpdateParams {
    UpdateRule rule = UpdateRule::Sgd;
    double learning_rate = 0.01;
    double momentum = 0.0;  // sgd: 0 is plain gradient descent
    bool nesterov = false;
    double beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8;  // adam
};

// The optimiser's state is two vectors of n entries, kept across updates, whose meaning depends on the rule
// (apply_update, Network::minibatch_epoch and the bindings call them state1 and state2):
//   sgd:   state1 = the velocity v; state2 is not used.
//   adam:  state1 = the first-moment estimate m1; state2 = the second-moment estimate m2.

// sgd (docs/math.md#sgd-with-momentum): v <- momentum * v - lr * g;
// theta <- theta + (nesterov ? momentum * v - lr * g : v). With momentum == 0 this is theta <- theta - lr * g
// and velocity may be null. NumPy twin: ufldl.reference.sgd_update.
template <class T>
void sgd_update(T* theta, const T* grad, T* velocity, index_t n, double learning_rate, double momentum,
                bool nesterov);

// adam (docs/math.md#adam), step t >= 1: m1 <- b1 m1 + (1 - b1) g;  m2 <- b2 m2 + (1 - b2) g^2;
// theta <- theta - lr * sqrt(1 - b2^t) / (1 - b1^t) * m1 / (sqrt(m2) + eps). The step factor is computed in
// double, the rest in T. NumPy twin: ufldl.reference.adam_update.
template <class T>
void adam_update(T* theta, const T* grad, T* m1, T* m2, index_t n, std::int64_t t, double learning_rate,
                 double beta1, double beta2, double epsilon);

// One update of either rule (sgd_update or adam_update above, whose NumPy twins are
// ufldl.reference.sgd_update and ufldl.reference.adam_update); state1 is the velocity (sgd) or m1 (adam),
// state2 is m2 (adam). step is the number of updates made so far and is incremented.
template <class T>
void apply_update(const UpdateParams& p, T* theta, const T* grad, T* state1, T* state2, index_t n,
                  std::int64_t& step);

// The update numbered step (>= 1, already counted) on a range of the vectors: apply_update split into parts.
template <class T>
void apply_update_range(const UpdateParams& p, T* theta, const T* grad, T* state1, T* state2, index_t n,
                        std::int64_t step);

}  // namespace ufldl
