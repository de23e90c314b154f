// Binds minFunc's L-BFGS state machine (ufldl/lbfgs.hpp) as _core.Lbfgs, with its enums _core.LbfgsStatus and
// _core.LbfgsStop, and the two-loop recursion alone as _core.lbfgs_two_loop (for the tests). ufldl.minimize
// drives an Lbfgs from Python for a Python objective; a network runs its evaluations in C++ through
// NetworkF64/F32.lbfgs_evaluations.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "arrays.hpp"
#include "lbfgs_state.hpp"

namespace py = pybind11;

namespace ufldl::bindings {
namespace {

// A read-only float64 view of n values owned by `owner` (kept alive by the view).
py::object view(const double* data, index_t n, py::handle owner) {
    if (data == nullptr) return py::none();
    py::array out(py::dtype::of<double>(), {static_cast<py::ssize_t>(n)}, {static_cast<py::ssize_t>(sizeof(double))},
                  data, owner);
    py::detail::array_proxy(out.ptr())->flags &= ~py::detail::npy_api::NPY_ARRAY_WRITEABLE_;
    return out;
}

LbfgsStatus tell(LbfgsState& state, double f, const py::array& grad) {
    const LbfgsUse use(state);
    Lbfgs& s = state.solver;
    if (s.status() != LbfgsStatus::Evaluate)
        throw py::value_error("tell() needs status Evaluate (call start() or next() first)");
    check_array<double>(grad, "grad", {s.size()});
    const double* g = static_cast<const double*>(grad.data());
    py::gil_scoped_release release;
    double* out = s.gradient_out();
    std::copy(g, g + s.size(), out);
    return s.tell(f);
}

py::array two_loop(const py::array& S, const py::array& Y, const py::array& g, double hdiag) {
    check_array<double>(g, "g", {-1});
    const py::ssize_t n = g.shape(0);
    check_array<double>(S, "S", {-1, n});
    const py::ssize_t k = S.shape(0);
    check_array<double>(Y, "Y", {k, n});
    if (n < 1) throw py::value_error("g must hold at least one value");
    std::vector<const double*> s(static_cast<std::size_t>(k)), y(static_cast<std::size_t>(k));
    std::vector<double> rho(static_cast<std::size_t>(k)), alpha(static_cast<std::size_t>(k));
    std::vector<double> partial(static_cast<std::size_t>(lbfgs_blocks(n)) * 2);
    const double* sp = static_cast<const double*>(S.data());
    const double* yp = static_cast<const double*>(Y.data());
    for (py::ssize_t i = 0; i < k; ++i) {
        s[static_cast<std::size_t>(i)] = sp + i * n;
        y[static_cast<std::size_t>(i)] = yp + i * n;
    }
    py::array_t<double> d(n);
    double* out = d.mutable_data();
    const double* gp = static_cast<const double*>(g.data());
    {
        py::gil_scoped_release release;
        for (py::ssize_t i = 0; i < k; ++i)  // rho_i = 1 / y_i's_i, summed as the solver sums it
            rho[static_cast<std::size_t>(i)] =
                1.0 / lbfgs_dot(n, y[static_cast<std::size_t>(i)], s[static_cast<std::size_t>(i)], partial.data());
        lbfgs_two_loop(n, static_cast<int>(k), s.data(), y.data(), rho.data(), hdiag, gp, out, alpha.data(),
                       partial.data());
    }
    return d;
}

}  // namespace

void register_lbfgs(py::module_& m) {
    py::enum_<LbfgsStatus>(m, "LbfgsStatus", "What an Lbfgs asks for next.")
        .value("evaluate", LbfgsStatus::Evaluate, "evaluate at .point and tell(cost, grad)")
        .value("started", LbfgsStatus::Started, "theta0 evaluated; call next()")
        .value("iteration", LbfgsStatus::Iteration, "an iteration completed (.x, .f, .g); call next()")
        .value("stopped", LbfgsStatus::Stopped, "the run is over; .stop says why")
        .value("non_finite", LbfgsStatus::NonFinite, "the last evaluation was refused (.trial_f, .trial_gradient)");
    py::enum_<LbfgsStop>(m, "LbfgsStop", "Why an Lbfgs run stopped (minFunc's tests).")
        .value("none", LbfgsStop::None)
        .value("optimality", LbfgsStop::Optimality, "sum |g| <= opt_tol")
        .value("step", LbfgsStop::Step, "sum |t d| <= prog_tol")
        .value("function", LbfgsStop::Function, "|f_new - f_old| / max(|f_old|, |f_new|, 1) < prog_tol")
        .value("max_evals", LbfgsStop::MaxEvals, "more than max_evals evaluations")
        .value("max_iter", LbfgsStop::MaxIter, "max_iter iterations")
        .value("directional", LbfgsStop::Directional, "g'd > -prog_tol: no descent along the direction")
        .value("bad_direction", LbfgsStop::BadDirection, "the direction is not finite")
        .value("non_finite", LbfgsStop::NonFinite, "an evaluation was refused");
    py::class_<LbfgsState>(m, "Lbfgs",
                           "minFunc's L-BFGS as an ask/tell state machine over a float64 vector (ufldl/lbfgs.hpp).\n"
                           "The iterate, gradients, direction and correction pairs are all float64.")
        .def(py::init([](index_t n, int corrections, std::int64_t max_iter, std::int64_t max_evals, double opt_tol,
                         double prog_tol, double c1, double c2, int max_line_search) {
                 LbfgsOptions o;
                 o.corrections = corrections;
                 o.max_iter = max_iter;
                 o.max_evals = max_evals;
                 o.opt_tol = opt_tol;
                 o.prog_tol = prog_tol;
                 o.c1 = c1;
                 o.c2 = c2;
                 o.max_line_search = max_line_search;
                 try {
                     return new LbfgsState(n, o);
                 } catch (const std::invalid_argument& e) {
                     throw py::value_error(e.what());
                 }
             }),
             py::arg("n"), py::kw_only(), py::arg("corrections") = 100, py::arg("max_iter") = 500,
             py::arg("max_evals") = 1000, py::arg("opt_tol") = 1e-5, py::arg("prog_tol") = 1e-9, py::arg("c1") = 1e-4,
             py::arg("c2") = 0.9, py::arg("max_line_search") = 25)
        .def(
            "start",
            [](LbfgsState& st, const py::array& x0) {
                const LbfgsUse use(st);
                check_array<double>(x0, "x0", {st.solver.size()});
                const double* x = static_cast<const double*>(x0.data());
                py::gil_scoped_release release;
                return st.solver.start(x);
            },
            py::arg("x0"), "Starts a run at x0 (copied; the memory is emptied): status evaluate at x0.")
        .def("tell", &tell, py::arg("f"), py::arg("grad"),
             "The cost f and gradient grad (float64, copied) at .point; returns the next status.")
        .def(
            "next",
            [](LbfgsState& st) {
                const LbfgsUse use(st);
                py::gil_scoped_release release;
                return st.solver.next();
            },
            "After started or iteration: the next direction and first trial step (evaluate), or stopped.")
        .def_property_readonly("status", [](const LbfgsState& st) { return st.solver.status(); })
        .def_property_readonly("stop", [](const LbfgsState& st) { return st.solver.stop(); })
        .def_property_readonly("n", [](const LbfgsState& st) { return st.solver.size(); })
        .def_property_readonly(
            "point", [](py::object self) { auto& st = self.cast<LbfgsState&>(); return view(st.solver.point(), st.solver.size(), self); },
            "Read-only view of the point to evaluate (valid until the next call).")
        .def_property_readonly(
            "x", [](py::object self) { auto& st = self.cast<LbfgsState&>(); return view(st.solver.x(), st.solver.size(), self); },
            "Read-only view of the current iterate (valid until the next call).")
        .def_property_readonly(
            "g", [](py::object self) { auto& st = self.cast<LbfgsState&>(); return view(st.solver.g(), st.solver.size(), self); },
            "Read-only view of the current iterate's gradient (None before the first evaluation).")
        .def_property_readonly(
            "trial_gradient",
            [](py::object self) {
                auto& st = self.cast<LbfgsState&>();
                return view(st.solver.trial_gradient(), st.solver.size(), self);
            },
            "Read-only view of the gradient of a refused evaluation (after non_finite), else None.")
        .def_property_readonly("f", [](const LbfgsState& st) { return st.solver.f(); }, "The current iterate's cost.")
        .def_property_readonly("initial_f", [](const LbfgsState& st) { return st.solver.initial_f(); })
        .def_property_readonly("trial_f", [](const LbfgsState& st) { return st.solver.trial_f(); },
                               "The cost of the last evaluation told.")
        .def_property_readonly("grad_l1", [](const LbfgsState& st) { return st.solver.grad_l1(); },
                               "sum |g| at the current iterate.")
        .def_property_readonly("iteration", [](const LbfgsState& st) { return st.solver.iteration(); })
        .def_property_readonly("evaluations", [](const LbfgsState& st) { return st.solver.evaluations(); })
        .def_property_readonly("step", [](const LbfgsState& st) { return st.solver.step(); },
                               "t of the last completed line search (during one: of the trial).")
        .def_property_readonly("directional_derivative",
                               [](const LbfgsState& st) { return st.solver.directional_derivative(); })
        .def_property_readonly("met_infinity", [](const LbfgsState& st) { return st.solver.met_infinity(); },
                               "Whether the current or last line search evaluated a cost of +inf.")
        .def_property_readonly("pairs", [](const LbfgsState& st) { return st.solver.pairs(); })
        .def_property_readonly("skipped_pairs", [](const LbfgsState& st) { return st.solver.skipped_pairs(); })
        .def_property_readonly("corrections", [](const LbfgsState& st) { return st.solver.options().corrections; })
        .def_property_readonly("max_iter", [](const LbfgsState& st) { return st.solver.options().max_iter; })
        .def_property_readonly("max_evals", [](const LbfgsState& st) { return st.solver.options().max_evals; })
        .def_property_readonly("opt_tol", [](const LbfgsState& st) { return st.solver.options().opt_tol; })
        .def_property_readonly("prog_tol", [](const LbfgsState& st) { return st.solver.options().prog_tol; });
    m.def(
        "lbfgs_polyinterp",
        [](double xa, double fa, double ga, double xb, double fb, double gb, std::optional<double> lo,
           std::optional<double> hi) {
            if (lo.has_value() != hi.has_value()) throw py::value_error("give both bounds lo and hi, or neither");
            if (!lo) return lbfgs_cubic_min(xa, fa, ga, xb, fb, gb);
            return lbfgs_cubic_min_bounded(xa, fa, ga, xb, fb, gb, *lo, *hi);
        },
        py::arg("xa"), py::arg("fa"), py::arg("ga"), py::arg("xb"), py::arg("fb"), py::arg("gb"),
        py::arg("lo") = py::none(), py::arg("hi") = py::none(),
        "minFunc's polyinterp for two points with values and slopes: the minimiser of the cubic between them\n"
        "(no bounds), or its least point in [lo, hi] (the line search's own kernels, for tests).");
    m.def("lbfgs_two_loop", &two_loop, py::arg("S"), py::arg("Y"), py::arg("g"), py::arg("hdiag"),
          "d = -H g by the core's two-loop recursion over the pairs S[i], Y[i] (rows, oldest first), initial\n"
          "scaling hdiag (the solver's own kernel, for tests).");
}

}  // namespace ufldl::bindings
