// Names shared by every kernel: activations, losses and the index type.
#pragma once
#include <cstddef>
#include <cstdint>

namespace ufldl {

// Signed index for loops over m * n elements (can exceed 2^31 even when each dimension fits an int).
using index_t = std::ptrdiff_t;

// A layer's activation f (docs/math.md#activations-and-their-derivatives). NumPy twins: ufldl.reference.activate
// (f) and ufldl.reference.activation_derivative (f', from the output a = f(z)).
enum class Activation : int { Sigmoid = 0, Tanh = 1, Relu = 2, Identity = 3, Softmax = 4 };
// The data term of the cost: squared error (docs/math.md#squared-error), cross-entropy after a softmax output
// (docs/math.md#softmax-and-cross-entropy), or per-unit binary cross-entropy after a sigmoid output, the
// tutorial's logistic output units and the multilabel loss (docs/math.md#sigmoid-outputs-with-binary-cross-entropy).
enum class Loss : int { Squared = 0, CrossEntropy = 1, BinaryCrossEntropy = 2 };

}  // namespace ufldl
