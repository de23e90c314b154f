// Blocks of examples in either storage order (ufldl/network.hpp HiddenLayout). A block is a logical rows x width
// matrix E, one example per row, stored by example (E[i, j] at data[i * ld + j], the public layout) or by unit
// (hidden-major: E[i, j] at data[j * ld + i]). The products of such blocks are in src/example_products.hpp.
#pragma once
#include "ufldl/types.hpp"

namespace ufldl {

template <class T>
struct ExampleBlock {
    T* data;
    int ld;
    bool by_unit;
    // The block that starts at example i of this one (same storage).
    ExampleBlock from(index_t i) const { return {data + (by_unit ? i : i * ld), ld, by_unit}; }
};

template <class T>
ExampleBlock<const T> as_const(ExampleBlock<T> block) {
    return {block.data, block.ld, block.by_unit};
}

}  // namespace ufldl
