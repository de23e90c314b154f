// Binds ufldl::Network<T> as _core.NetworkF64 / _core.NetworkF32.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "arrays.hpp"
#include "ufldl/network.hpp"

namespace py = pybind11;

namespace ufldl::bindings {
namespace {

// A network's architecture plus the workspace its evaluations reuse. One evaluation at a time uses the kept
// workspace; a call that finds it busy (another Python thread is inside) works in a private one instead, so
// concurrent calls are correct and never wait on each other.
template <class T>
class Engine {
public:
    Engine(std::vector<std::int64_t> sizes, std::vector<int> activations, int loss)
        : net_(std::move(sizes), to_activations(activations), static_cast<Loss>(loss)) {}

    py::tuple cost_and_grad(const py::array& theta, const py::array& X, const py::array& Y, py::array& grad,
                            double weight_decay, const std::vector<bool>& sparse_layers, double rho, double beta) {
        const auto& sizes = net_.sizes();
        const int L = net_.n_layers();
        check_array<T>(theta, "theta", {net_.n_params()});
        check_array<T>(X, "X", {-1, sizes[0]});
        check_array<T>(grad, "grad", {net_.n_params()});
        const py::ssize_t m = X.shape(0);
        if (m < 1) throw py::value_error("X must hold at least one example (row), got 0");
        const T* y = nullptr;
        const std::int64_t* labels = nullptr;
        if (Y.ndim() == 1) {
            if (net_.loss() != Loss::CrossEntropy)
                throw py::value_error("integer labels Y need loss='cross_entropy'; squared error needs Y of shape (m, n_out)");
            check_array<std::int64_t>(Y, "Y", {m});
            labels = static_cast<const std::int64_t*>(Y.data());
            const std::int64_t n_out = sizes[L];
            for (py::ssize_t i = 0; i < m; ++i)
                if (labels[i] < 0 || labels[i] >= n_out)
                    throw py::value_error("Y (labels) must lie in [0, " + std::to_string(n_out) + "), got " +
                                          std::to_string(labels[i]) + " at index " + std::to_string(i));
        } else {
            check_array<T>(Y, "Y", {m, sizes[L]});
            y = static_cast<const T*>(Y.data());
        }
        CostParams params;
        params.weight_decay = weight_decay;
        params.rho = rho;
        params.beta = beta;
        params.sparse_layer.assign(L + 1, 0);
        if (static_cast<int>(sparse_layers.size()) != L + 1)
            throw py::value_error("sparse_layers must have one flag per layer (L + 1 = " + std::to_string(L + 1) + ")");
        for (int l = 0; l <= L; ++l) params.sparse_layer[l] = sparse_layers[l];

        const T* th = static_cast<const T*>(theta.data());
        const T* x = static_cast<const T*>(X.data());
        T* g = writable_data<T>(grad, "grad");
        CostTerms terms;
        {
            // Safe without the GIL: only raw pointers into arrays that this frame keeps alive are used.
            py::gil_scoped_release release;
            std::unique_lock<std::mutex> lock(mutex_, std::try_to_lock);
            if (lock.owns_lock()) {
                terms = net_.cost_and_grad(th, x, y, labels, m, params, g, workspace_);
            } else {
                Workspace<T> private_workspace;
                terms = net_.cost_and_grad(th, x, y, labels, m, params, g, private_workspace);
            }
        }
        return py::make_tuple(terms.data, terms.decay, terms.sparsity);
    }

    py::list forward(const py::array& theta, const py::array& X) {
        const auto& sizes = net_.sizes();
        check_array<T>(theta, "theta", {net_.n_params()});
        check_array<T>(X, "X", {-1, sizes[0]});
        const py::ssize_t m = X.shape(0);
        if (m < 1) throw py::value_error("X must hold at least one example (row), got 0");
        py::list out;
        std::vector<T*> ptrs;
        for (int l = 1; l <= net_.n_layers(); ++l) {
            py::array_t<T> a({m, static_cast<py::ssize_t>(sizes[l])});
            ptrs.push_back(a.mutable_data());
            out.append(a);
        }
        const T* th = static_cast<const T*>(theta.data());
        const T* x = static_cast<const T*>(X.data());
        {
            py::gil_scoped_release release;
            net_.forward(th, x, m, ptrs);
        }
        return out;
    }

    const Network<T>& network() const { return net_; }

private:
    static std::vector<Activation> to_activations(const std::vector<int>& codes) {
        std::vector<Activation> acts;
        for (int c : codes) {
            if (c < 0 || c > static_cast<int>(Activation::Softmax))
                throw py::value_error("unknown activation code " + std::to_string(c));
            acts.push_back(static_cast<Activation>(c));
        }
        return acts;
    }

    Network<T> net_;
    Workspace<T> workspace_;
    std::mutex mutex_;
};

template <class T>
void bind_engine(py::module_& m, const char* name) {
    py::class_<Engine<T>>(m, name)
        .def(py::init<std::vector<std::int64_t>, std::vector<int>, int>(), py::arg("sizes"), py::arg("activations"),
             py::arg("loss"))
        .def("cost_and_grad", &Engine<T>::cost_and_grad, py::arg("theta"), py::arg("X"), py::arg("Y"),
             py::arg("grad"), py::arg("weight_decay"), py::arg("sparse_layers"), py::arg("rho"), py::arg("beta"),
             "Writes the gradient into grad and returns the cost terms (data, decay, sparsity).")
        .def("forward", &Engine<T>::forward, py::arg("theta"), py::arg("X"),
             "Returns [A_1, ..., A_L], the activations of every layer.")
        .def_property_readonly("n_params", [](const Engine<T>& e) { return e.network().n_params(); })
        .def("weight_offset", [](const Engine<T>& e, int l) { return e.network().weight_offset(l); })
        .def("bias_offset", [](const Engine<T>& e, int l) { return e.network().bias_offset(l); });
}

}  // namespace

void register_network(py::module_& m) {
    py::enum_<Activation>(m, "Activation")
        .value("sigmoid", Activation::Sigmoid)
        .value("tanh", Activation::Tanh)
        .value("relu", Activation::Relu)
        .value("identity", Activation::Identity)
        .value("softmax", Activation::Softmax);
    bind_engine<double>(m, "NetworkF64");
    bind_engine<float>(m, "NetworkF32");
}

}  // namespace ufldl::bindings
