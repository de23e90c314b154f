// The two kinds of product a network makes of blocks of examples (ufldl/example_blocks.hpp), written once for both
// storage orders: the gemm flags follow from the operands' and the output's orders, so callers name products,
// not flags.
#pragma once
#include "ufldl/example_blocks.hpp"
#include "ufldl/parallel.hpp"

namespace ufldl {

// out (rows x N) = in (rows x K) B, with B (K x N) = W or W^T for the row-major W of leading dimension ldw.
// Stored by unit, out^T = B^T in^T: BLAS writes the product in out's own order, the order that sets its speed.
template <class T>
void examples_times(int rows, int N, int K, ExampleBlock<const T> in, const T* W, bool trans_w, int ldw,
                    ExampleBlock<T> out) {
    if (out.by_unit)
        gemm(!trans_w, !in.by_unit, N, rows, K, T(1), W, ldw, in.data, in.ld, T(0), out.data, out.ld);
    else
        gemm(in.by_unit, trans_w, rows, N, K, T(1), in.data, in.ld, W, ldw, T(0), out.data, out.ld);
}

// G (N x K, row-major) = beta G + D^T A, for D (rows x N) and A (rows x K): a weight gradient.
template <class T>
void gradient_product(int N, int K, int rows, ExampleBlock<const T> D, ExampleBlock<const T> A, T beta, T* G) {
    gemm(!D.by_unit, A.by_unit, N, K, rows, T(1), D.data, D.ld, A.data, A.ld, beta, G, K);
}

}  // namespace ufldl
