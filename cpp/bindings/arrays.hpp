// Validation of NumPy arrays handed to the kernels. The Python layer converts user input to the network's
// dtype and to C order first; these checks are the last line: an array that reaches a kernel has exactly the
// dtype, shape and layout the kernel assumes, and every dimension fits the 32-bit ints BLAS takes.
#pragma once
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <climits>
#include <initializer_list>
#include <utility>
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

namespace ufldl::bindings {

namespace py = pybind11;

inline std::string shape_str(const py::array& a) {
    std::ostringstream s;
    s << "(";
    for (py::ssize_t i = 0; i < a.ndim(); ++i) s << (i ? ", " : "") << a.shape(i);
    s << (a.ndim() == 1 ? ",)" : ")");
    return s.str();
}

inline std::string dtype_str(const py::array& a) { return py::str(a.dtype()).cast<std::string>(); }

// True when a's elements are T's in this machine's byte order. Not dtype identity: an equal dtype can be a
// different object (arrays from a memory map or unpickled carry their own descriptor).
template <class T>
bool has_dtype(const py::array& a) {
    const py::dtype want = py::dtype::of<T>(), got = a.dtype();
    if (got.is(want)) return true;
    const std::uint16_t probe = 1;
    const char native = *reinterpret_cast<const unsigned char*>(&probe) == 1 ? '<' : '>';
    const char order = got.byteorder();
    return (order == '=' || order == '|' || order == native) && got.kind() == want.kind() &&
           got.itemsize() == want.itemsize();
}

// Refuses an array whose data is not aligned to its element size: the kernels load T's (and SIMD vectors of
// them) from it, which is undefined behaviour when misaligned (UBSan reports it). NumPy marks such arrays, as
// an unpickled out-of-band buffer can be (theta or a chunk on a Dask worker); the Python layer copies them.
inline void check_aligned(const py::array& a, const char* name) {
    if (!(a.flags() & py::detail::npy_api::NPY_ARRAY_ALIGNED_))
        throw py::value_error(std::string(name) + " must be aligned to its " + std::to_string(a.itemsize()) +
                              "-byte elements; got an array at a misaligned address (copy it, e.g. "
                              "numpy.require(" + name + ", requirements='A'))");
}

// Checks dtype T, C-contiguity, alignment and shape; a negative entry in `shape` matches any extent.
template <class T>
void check_array(const py::array& a, const char* name, const std::vector<py::ssize_t>& shape) {
    if (!has_dtype<T>(a))
        throw py::type_error(std::string(name) + " must have dtype " + py::str(py::dtype::of<T>()).cast<std::string>() +
                             ", got " + dtype_str(a));
    bool ok = a.ndim() == static_cast<py::ssize_t>(shape.size());
    for (std::size_t i = 0; ok && i < shape.size(); ++i) ok = shape[i] < 0 || a.shape(i) == shape[i];
    if (!ok) {
        std::ostringstream want;
        want << "(";
        for (std::size_t i = 0; i < shape.size(); ++i)
            want << (i ? ", " : "") << (shape[i] < 0 ? std::string("m") : std::to_string(shape[i]));
        want << (shape.size() == 1 ? ",)" : ")");
        throw py::value_error(std::string(name) + " must have shape " + want.str() + ", got " + shape_str(a));
    }
    if (!(a.flags() & py::array::c_style)) {
        std::ostringstream strides;
        strides << "(";
        for (py::ssize_t i = 0; i < a.ndim(); ++i) strides << (i ? ", " : "") << a.strides(i);
        strides << (a.ndim() == 1 ? ",)" : ")");
        throw py::value_error(std::string(name) + " must be C-contiguous; got strides " + strides.str() +
                              " for shape " + shape_str(a));
    }
    check_aligned(a, name);
    for (py::ssize_t i = 0; i < a.ndim(); ++i)
        if (a.shape(i) > INT_MAX)
            throw py::value_error(std::string(name) + " has a dimension of " + std::to_string(a.shape(i)) +
                                  ", more than BLAS's 32-bit limit " + std::to_string(INT_MAX));
}

// An array the core reads or writes, with the name the user knows it by.
struct NamedArray {
    const py::array* array;
    const char* name;
};

// Refuses a buffer the core writes that shares memory with another argument: the kernels read their inputs
// after writing parts of their outputs (and assume no aliasing), so an overlap gives a silently wrong result,
// or overwrites the input (grad=net.theta would overwrite the parameters). Byte ranges of C-contiguous arrays.
inline void check_no_overlap(const NamedArray& written, std::initializer_list<NamedArray> others) {
    const auto range = [](const py::array& a) {
        const auto* begin = static_cast<const char*>(a.data());
        return std::pair<const char*, const char*>(begin, begin + a.nbytes());
    };
    const auto [w0, w1] = range(*written.array);
    if (w0 == w1) return;
    for (const NamedArray& other : others) {
        if (!other.array) continue;
        const auto [o0, o1] = range(*other.array);
        if (o0 < w1 && w0 < o1)
            throw py::value_error(std::string(written.name) + " must not share memory with " + other.name +
                                  " (the core writes " + written.name + " while it reads " + other.name +
                                  "); pass a separate array, e.g. numpy.empty_like(" + written.name + ")");
    }
}

template <class T>
T* writable_data(py::array& a, const char* name) {
    if (!a.writeable()) throw py::value_error(std::string(name) + " must be writable; got a read-only array");
    return static_cast<T*>(a.mutable_data());
}

}  // namespace ufldl::bindings
