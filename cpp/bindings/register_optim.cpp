// The update rules as Python objects (_core.UpdateRule, _core.UpdateParams, which minibatch_epoch takes), and
// the gradient-descent update kernels on their own (the optimisers' Python loops and the tests use them).
// Arrays updated in place are taken as they are: a wrong dtype is a TypeError, never a silent converted copy.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <string>

#include "arrays.hpp"
#include "ufldl/optim.hpp"

namespace py = pybind11;

namespace ufldl::bindings {
namespace {

template <class T>
void sgd(py::array& theta, const py::array& grad, py::array& velocity, double lr, double momentum, bool nesterov) {
    const py::ssize_t n = theta.ndim() == 1 ? theta.shape(0) : -2;
    check_array<T>(theta, "theta", {n});
    check_array<T>(grad, "grad", {n});
    check_array<T>(velocity, "velocity", {n});
    check_no_overlap({&theta, "theta"}, {{&grad, "grad"}, {&velocity, "velocity"}});
    check_no_overlap({&velocity, "velocity"}, {{&grad, "grad"}});
    T* th = writable_data<T>(theta, "theta");
    T* v = writable_data<T>(velocity, "velocity");
    const T* g = static_cast<const T*>(grad.data());
    py::gil_scoped_release release;
    sgd_update<T>(th, g, v, n, lr, momentum, nesterov);
}

template <class T>
void adam(py::array& theta, const py::array& grad, py::array& m1, py::array& m2, std::int64_t t, double lr,
          double beta1, double beta2, double eps) {
    const py::ssize_t n = theta.ndim() == 1 ? theta.shape(0) : -2;
    check_array<T>(theta, "theta", {n});
    check_array<T>(grad, "grad", {n});
    check_array<T>(m1, "m1", {n});
    check_array<T>(m2, "m2", {n});
    if (t < 1) throw py::value_error("t (the step, counted from 1) must be >= 1, got " + std::to_string(t));
    check_no_overlap({&theta, "theta"}, {{&grad, "grad"}, {&m1, "m1"}, {&m2, "m2"}});
    check_no_overlap({&m1, "m1"}, {{&grad, "grad"}, {&m2, "m2"}});
    check_no_overlap({&m2, "m2"}, {{&grad, "grad"}});
    T* th = writable_data<T>(theta, "theta");
    T* a = writable_data<T>(m1, "m1");
    T* b = writable_data<T>(m2, "m2");
    const T* g = static_cast<const T*>(grad.data());
    py::gil_scoped_release release;
    adam_update<T>(th, g, a, b, n, t, lr, beta1, beta2, eps);
}

bool is_float32(const py::array& theta) {
    if (has_dtype<float>(theta)) return true;
    if (has_dtype<double>(theta)) return false;
    throw py::type_error("theta must have dtype float64 or float32, got " + dtype_str(theta));
}

}  // namespace

void register_optim(py::module_& m) {
    py::enum_<UpdateRule>(m, "UpdateRule")
        .value("sgd", UpdateRule::Sgd, "SGD with momentum (classical or Nesterov)")
        .value("adam", UpdateRule::Adam, "Adam");
    py::class_<UpdateParams>(m, "UpdateParams", "An update rule and its hyperparameters (see minibatch_epoch).")
        .def(py::init([](UpdateRule rule, double learning_rate, double momentum, bool nesterov, double beta1,
                         double beta2, double epsilon) {
                 return UpdateParams{rule, learning_rate, momentum, nesterov, beta1, beta2, epsilon};
             }),
             py::kw_only(), py::arg("rule") = UpdateRule::Sgd, py::arg("learning_rate") = 0.01,
             py::arg("momentum") = 0.0, py::arg("nesterov") = false, py::arg("beta1") = 0.9,
             py::arg("beta2") = 0.999, py::arg("epsilon") = 1e-8)
        .def_readwrite("rule", &UpdateParams::rule)
        .def_readwrite("learning_rate", &UpdateParams::learning_rate)
        .def_readwrite("momentum", &UpdateParams::momentum, "sgd: 0 is plain gradient descent.")
        .def_readwrite("nesterov", &UpdateParams::nesterov, "sgd: Nesterov's momentum.")
        .def_readwrite("beta1", &UpdateParams::beta1, "adam: the first moment's decay.")
        .def_readwrite("beta2", &UpdateParams::beta2, "adam: the second moment's decay.")
        .def_readwrite("epsilon", &UpdateParams::epsilon, "adam: added to sqrt(m2).")
        .def("__repr__", [](const UpdateParams& p) {
            return py::str("UpdateParams(rule={}, learning_rate={!r}, momentum={!r}, nesterov={!r}, beta1={!r}, "
                           "beta2={!r}, epsilon={!r})")
                .format(py::cast(p.rule), p.learning_rate, p.momentum, p.nesterov, p.beta1, p.beta2, p.epsilon);
        });
    m.def(
        "sgd_update",
        [](py::array& theta, const py::array& grad, py::array& velocity, double lr, double momentum, bool nesterov) {
            if (is_float32(theta)) return sgd<float>(theta, grad, velocity, lr, momentum, nesterov);
            sgd<double>(theta, grad, velocity, lr, momentum, nesterov);
        },
        py::arg("theta"), py::arg("grad"), py::arg("velocity"), py::arg("learning_rate"), py::arg("momentum"),
        py::arg("nesterov"), "In place: v = momentum v - lr g; theta += nesterov ? momentum v - lr g : v.");
    m.def(
        "adam_update",
        [](py::array& theta, const py::array& grad, py::array& m1, py::array& m2, std::int64_t t, double lr,
           double beta1, double beta2, double eps) {
            if (is_float32(theta)) return adam<float>(theta, grad, m1, m2, t, lr, beta1, beta2, eps);
            adam<double>(theta, grad, m1, m2, t, lr, beta1, beta2, eps);
        },
        py::arg("theta"), py::arg("grad"), py::arg("m1"), py::arg("m2"), py::arg("t"), py::arg("learning_rate"),
        py::arg("beta1"), py::arg("beta2"), py::arg("epsilon"), "In place: one Adam step t >= 1.");
}

}  // namespace ufldl::bindings
