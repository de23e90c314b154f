// Checks over whole arrays that the Python layer would otherwise make with temporaries (np.isfinite(X).all()
// allocates a boolean array as large as X).
#pragma once
#include "ufldl/types.hpp"

namespace ufldl {

// Whether all n values are finite: one vectorised pass over their exponent bits, in parts on the pool.
template <class T>
bool all_finite(const T* values, index_t n);

}  // namespace ufldl
