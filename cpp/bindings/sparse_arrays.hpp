// A scipy.sparse CSR matrix as the core takes it (_core.CsrMatrix: its three arrays and its shape), and its
// validation. A hostile matrix (an index out of range, a decreasing indptr, lengths that disagree) is refused
// with a ValueError before any kernel reads it: the kernels trust every index (ufldl/sparse_input.hpp).
#pragma once
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <climits>
#include <cstdint>
#include <string>
#include <utility>

#include "arrays.hpp"
#include "ufldl/sparse_input.hpp"

namespace ufldl::bindings {

namespace py = pybind11;

// The arrays are read-only attributes: the Python layer cannot swap one while a call runs without the GIL.
struct CsrInput {
    py::array data, indices, indptr;
    py::ssize_t rows = 0, cols = 0;
};

namespace detail {

// indices or indptr: 1-D, C-contiguous, int32 or int64; returns whether it is int64.
inline bool check_index_array(const py::array& a, const std::string& name) {
    const bool i32 = has_dtype<std::int32_t>(a), i64 = has_dtype<std::int64_t>(a);
    if (!i32 && !i64) throw py::type_error(name + " must have dtype int32 or int64, got " + dtype_str(a));
    if (a.ndim() != 1 || !(a.flags() & py::array::c_style))
        throw py::value_error(name + " must be a 1-D C-contiguous array, got shape " + shape_str(a));
    check_aligned(a, name.c_str());
    return i64;
}

template <class IP, class II>
void check_structure(const IP* indptr, const II* indices, py::ssize_t rows, py::ssize_t cols, py::ssize_t nnz,
                     const std::string& name) {
    if (indptr[0] != 0)
        throw py::value_error(name + ".indptr must start at 0, got " + std::to_string(indptr[0]));
    for (py::ssize_t i = 0; i < rows; ++i)
        if (indptr[i + 1] < indptr[i])
            throw py::value_error(name + ".indptr must be non-decreasing, got " + std::to_string(indptr[i + 1]) +
                                  " after " + std::to_string(indptr[i]) + " at index " + std::to_string(i + 1));
    if (static_cast<py::ssize_t>(indptr[rows]) != nnz)
        throw py::value_error(name + ".indptr must end at the number of stored entries (" + std::to_string(nnz) +
                              ", the length of data and indices), got " + std::to_string(indptr[rows]));
    for (py::ssize_t k = 0; k < nnz; ++k)
        if (indices[k] < 0 || static_cast<py::ssize_t>(indices[k]) >= cols)
            throw py::value_error(name + ".indices must lie in [0, " + std::to_string(cols) + ") (the columns), got " +
                                  std::to_string(indices[k]) + " at position " + std::to_string(k));
}

}  // namespace detail

// Checks a CSR input with `cols` columns (any when negative) and data of dtype T; returns the kernels' view.
template <class T>
CsrRows<T> check_csr(const CsrInput& X, const std::string& name, py::ssize_t cols) {
    const std::string shape = "(" + std::to_string(X.rows) + ", " + std::to_string(X.cols) + ")";
    if (X.rows < 1) throw py::value_error(name + " must hold at least one example (row), got shape " + shape);
    if (X.cols < 1) throw py::value_error(name + " must have at least one column, got shape " + shape);
    if (cols >= 0 && X.cols != cols)
        throw py::value_error(name + " must have " + std::to_string(cols) + " columns, got shape " + shape);
    if (X.rows > INT_MAX || X.cols > INT_MAX)
        throw py::value_error(name + " has shape " + shape + ": a dimension beyond the 32-bit limit " +
                              std::to_string(INT_MAX));
    check_array<T>(X.data, (name + ".data").c_str(), {-1});
    const bool indices64 = detail::check_index_array(X.indices, name + ".indices");
    const bool indptr64 = detail::check_index_array(X.indptr, name + ".indptr");
    if (X.indptr.shape(0) != X.rows + 1)
        throw py::value_error(name + ".indptr must have rows + 1 = " + std::to_string(X.rows + 1) +
                              " entries, got " + std::to_string(X.indptr.shape(0)));
    const py::ssize_t nnz = X.data.shape(0);
    if (X.indices.shape(0) != nnz)
        throw py::value_error(name + ".indices and " + name + ".data must have the same length, got " +
                              std::to_string(X.indices.shape(0)) + " and " + std::to_string(nnz));
    const auto check = [&](const auto* indptr) {
        if (indices64)
            detail::check_structure(indptr, static_cast<const std::int64_t*>(X.indices.data()), X.rows, X.cols, nnz,
                                    name);
        else
            detail::check_structure(indptr, static_cast<const std::int32_t*>(X.indices.data()), X.rows, X.cols, nnz,
                                    name);
    };
    if (indptr64)
        check(static_cast<const std::int64_t*>(X.indptr.data()));
    else
        check(static_cast<const std::int32_t*>(X.indptr.data()));
    CsrRows<T> out;
    out.data = static_cast<const T*>(X.data.data());
    out.indptr = X.indptr.data();
    out.indices = X.indices.data();
    out.indptr64 = indptr64;
    out.indices64 = indices64;
    out.rows = X.rows;
    out.cols = X.cols;
    return out;
}

}  // namespace ufldl::bindings
