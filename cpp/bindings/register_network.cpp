// Binds ufldl::Network<T> as _core.NetworkF64 / _core.NetworkF32, and the cost hyperparameters they take as
// _core.CostSettings.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <variant>

#include "arrays.hpp"
#include "lbfgs_state.hpp"
#include "sparse_arrays.hpp"
#include "ufldl/network.hpp"

namespace py = pybind11;

namespace ufldl::bindings {
namespace {

// weight_decay as the bindings take it: one lambda for every weight layer, or a list of one per layer.
using Decay = std::variant<double, std::vector<double>>;

// The cost's hyperparameters as Python gives them (_core.CostSettings): checked against a network, and turned
// into its CostParams, by each call that takes them.
struct CostSettings {
    Decay weight_decay = 0.0;        // lambda for every weight layer, or one per weight layer (L values)
    std::vector<bool> sparse_layers;  // L + 1 flags; flag l puts the KL penalty on hidden layer l
    double rho = 0.01;                // the sparsity target
    double beta = 3.0;                // the KL penalty's weight
    // The running rho_hat estimate (float64, n_1 + ... + n_L entries, updated in place), or None for each
    // batch's own rho_hat; rho_hat_decay in [0, 1) is its moving average's decay (1: the given estimate as it is).
    std::optional<py::array> running_rho_hat;
    double rho_hat_decay = 0.0;
};

// sample_weight (docs/math.md#sample-weights): None, or m finite weights >= 0 that are not all zero, as a
// C-ordered float64 array (a converted copy when it is not one already). Float64 whatever the network's dtype:
// the core sums the weights and the weighted column sums in float64, and float32 would round integer weights
// above 2^24 (and their sum).
using Weights = py::array_t<double, py::array::c_style | py::array::forcecast>;

std::optional<Weights> checked_sample_weight(const py::object& sample_weight, py::ssize_t m) {
    if (sample_weight.is_none()) return std::nullopt;
    Weights w = Weights::ensure(sample_weight);
    if (!w) {
        PyErr_Clear();
        throw py::type_error("sample_weight must be None or an array of " + std::to_string(m) +
                             " real numbers; got " + py::str(py::type::of(sample_weight)).cast<std::string>());
    }
    if (w.ndim() != 1 || w.shape(0) != m)
        throw py::value_error("sample_weight must have shape (" + std::to_string(m) + ",), one weight per row of X; "
                              "got shape " + shape_str(w));
    const double* v = w.data();
    double total = 0.0;
    for (py::ssize_t i = 0; i < m; ++i) {
        if (!(std::isfinite(v[i]) && v[i] >= 0.0))
            throw py::value_error("sample_weight must be finite and >= 0; got " + std::to_string(v[i]) +
                                  " at index " + std::to_string(i));
        total += v[i];
    }
    if (!(total > 0.0) || !std::isfinite(total))
        throw py::value_error("sample_weight must have a positive finite sum (it divides the weighted mean); got " +
                              std::to_string(total));
    return w;
}

// A network's architecture plus the workspace its evaluations reuse. One evaluation at a time uses the kept
// workspace; a call that finds it busy (another Python thread is inside) works in a private one instead, so
// concurrent calls are correct and never wait on each other.
template <class T>
class Engine {
public:
    Engine(std::vector<std::int64_t> sizes, std::vector<int> activations, int loss)
        : net_(std::move(sizes), to_activations(activations), static_cast<Loss>(loss)) {}

    // The cost terms (data, decay, sparsity) at theta for X, Y; the gradient is written into grad, and the
    // running rho_hat of `cost`, if any, is updated in place.
    py::tuple cost_and_grad(const py::array& theta, const py::object& X, const py::object& Y, py::array& grad,
                            const CostSettings& cost, const py::object& sample_weight) {
        return evaluate(theta, X, Y, grad, cost, sample_weight, nullptr);
    }

    // cost_and_grad, and the first hidden layer's one-pass sums (FirstLayerSums, docs/math.md#one-pass-kl-sums)
    // written into three float64 arrays: activation_sum and derivative_sum of shape (n_1,), derivative_input of
    // shape (n_1, n_0).
    py::tuple cost_and_grad_one_pass(const py::array& theta, const py::object& X, const py::object& Y,
                                     py::array& grad, const CostSettings& cost, py::array& activation_sum,
                                     py::array& derivative_sum, py::array& derivative_input,
                                     const py::object& sample_weight) {
        const auto& sizes = net_.sizes();
        if (net_.n_layers() < 2)
            throw py::value_error("the one-pass sums are those of the first hidden layer; this network has none");
        check_array<double>(activation_sum, "activation_sum", {sizes[1]});
        check_array<double>(derivative_sum, "derivative_sum", {sizes[1]});
        check_array<double>(derivative_input, "derivative_input", {sizes[1], sizes[0]});
        const std::vector<NamedArray> outputs{{&activation_sum, "activation_sum"},
                                              {&derivative_sum, "derivative_sum"},
                                              {&derivative_input, "derivative_input"}};
        for (const NamedArray& out : outputs) {
            for (const NamedArray& other : outputs)
                if (&other != &out) check_no_overlap(out, {other});
            check_no_overlap(out, {{&grad, "grad"}, {&theta, "theta"}});
        }
        const FirstLayerSums first_layer{writable_data<double>(activation_sum, "activation_sum"),
                                         writable_data<double>(derivative_sum, "derivative_sum"),
                                         writable_data<double>(derivative_input, "derivative_input")};
        return evaluate(theta, X, Y, grad, cost, sample_weight, &first_layer, outputs);
    }

private:
    // Both cost_and_grad bindings: `written` (the one-pass outputs, if any) are also checked against the inputs.
    py::tuple evaluate(const py::array& theta, const py::object& X, const py::object& Y, py::array& grad,
                       const CostSettings& cost, const py::object& sample_weight, const FirstLayerSums* first_layer,
                       const std::vector<NamedArray>& written = {}) {
        check_array<T>(theta, "theta", {net_.n_params()});
        check_array<T>(grad, "grad", {net_.n_params()});
        std::vector<NamedArray> inputs;
        DenseArrays dense;
        const Batch<T> batch = check_batch(X, Y, dense, inputs);
        const std::optional<Weights> weights = checked_sample_weight(sample_weight, batch.m);
        if (weights) inputs.push_back({&*weights, "sample_weight"});
        // A reference of this frame's own: the settings' attribute may be reassigned while the GIL is released.
        std::optional<py::array> running_rho_hat = cost.running_rho_hat;
        const NamedArray rho_arg{running_rho_hat ? &*running_rho_hat : nullptr, "running_rho_hat"};
        inputs.push_back({&theta, "theta"});
        check_no_overlap_all({&grad, "grad"}, inputs);
        check_no_overlap({&grad, "grad"}, {rho_arg});
        CostParams params = cost_params(cost, running_rho_hat);
        if (running_rho_hat) {
            check_no_overlap_all(rho_arg, inputs);
            check_no_overlap(rho_arg, {{&grad, "grad"}});
        }
        for (const NamedArray& out : written) {
            check_no_overlap_all(out, inputs);
            check_no_overlap(out, {rho_arg});
        }
        if (weights) params.sample_weight = weights->data();
        const T* th = static_cast<const T*>(theta.data());
        T* g = writable_data<T>(grad, "grad");
        CostTerms terms;
        {
            // Safe without the GIL: only raw pointers into arrays that this frame keeps alive are used.
            py::gil_scoped_release release;
            std::unique_lock<std::mutex> lock(mutex_, std::try_to_lock);
            if (lock.owns_lock()) {
                terms = net_.cost_and_grad(th, batch, params, g, workspace_, first_layer);
            } else {
                Workspace<T> private_workspace;
                terms = net_.cost_and_grad(th, batch, params, g, private_workspace, first_layer);
            }
        }
        return py::make_tuple(terms.data, terms.decay, terms.sparsity);
    }

public:
    // Runs mini-batch updates in C++ over the rows `order` of X (see Network::minibatch_epoch): theta, the
    // optimiser's state (state1: the velocity for sgd, the first moment m1 for adam; state2: the second moment
    // m2 for adam, unused by sgd), step (int64, shape (1,)), batch_costs (float64, one entry per batch) and the
    // running rho_hat estimate of `cost` (if any) are updated in place and must have their dtypes exactly.
    // Returns the number of updates made.
    index_t minibatch_epoch(py::array& theta, const py::object& X, const py::object& Y, const py::array& order,
                            py::ssize_t batch_size, const CostSettings& cost, const UpdateParams& update_params,
                            py::array& state1, py::array& state2, py::array& step, py::array& batch_costs,
                            const py::object& sample_weight) {
        // Copies of this frame's own: the Python objects may be changed while the GIL is released.
        const UpdateParams update = update_params;
        std::optional<py::array> running_rho_hat = cost.running_rho_hat;
        const index_t n = net_.n_params();
        check_array<T>(theta, "theta", {n});
        check_array<T>(state1, "state1", {n});
        check_array<T>(state2, "state2", {n});
        check_array<std::int64_t>(step, "step", {1});
        std::vector<NamedArray> inputs;
        DenseArrays dense;
        const Batch<T> batch = check_batch(X, Y, dense, inputs);
        const py::ssize_t m = batch.m;
        check_array<std::int64_t>(order, "order", {-1});
        const py::ssize_t n_order = order.shape(0);
        if (n_order < 1) throw py::value_error("order must hold at least one row index, got 0");
        const auto* ord = static_cast<const std::int64_t*>(order.data());
        for (py::ssize_t i = 0; i < n_order; ++i)
            if (ord[i] < 0 || ord[i] >= m)
                throw py::value_error("order must hold row indices in [0, " + std::to_string(m) + "), got " +
                                      std::to_string(ord[i]) + " at index " + std::to_string(i));
        if (batch_size < 1) throw py::value_error("batch_size must be >= 1, got " + std::to_string(batch_size));
        check_rule(update.rule);
        const py::ssize_t batches = (n_order + batch_size - 1) / batch_size;
        check_array<double>(batch_costs, "batch_costs", {batches});
        CostParams params = cost_params(cost, running_rho_hat);
        const std::optional<Weights> weights = checked_sample_weight(sample_weight, m);
        if (weights) {
            // Every batch is a weighted mean over its rows: none may weigh zero in all.
            const double* w = weights->data();
            for (py::ssize_t k = 0; k < batches; ++k) {
                double total = 0.0;
                for (py::ssize_t i = k * batch_size; i < std::min(n_order, (k + 1) * batch_size); ++i) total += w[ord[i]];
                if (!(total > 0.0))
                    throw py::value_error("sample_weight: batch " + std::to_string(k) + " of order (rows " +
                                          std::to_string(k * batch_size) + " to " +
                                          std::to_string(std::min(n_order, (k + 1) * batch_size) - 1) +
                                          ") has total weight 0; leave rows of weight 0 out of order");
            }
            params.sample_weight = w;
        }
        const NamedArray weight_arg{weights ? &*weights : nullptr, "sample_weight"};
        // Every buffer written in place, against every other argument.
        const NamedArray rho_arg{running_rho_hat ? &*running_rho_hat : nullptr, "running_rho_hat"};
        const NamedArray written[] = {{&theta, "theta"}, {&state1, "state1"},           {&state2, "state2"},
                                      {&step, "step"},   {&batch_costs, "batch_costs"}, rho_arg};
        inputs.push_back({&order, "order"});
        if (weights) inputs.push_back(weight_arg);
        for (const NamedArray& w : written) {
            if (!w.array) continue;
            for (const NamedArray& other : written)
                if (&other != &w) check_no_overlap(w, {other});
            check_no_overlap_all(w, inputs);
        }
        T* th = writable_data<T>(theta, "theta");
        T* s1 = writable_data<T>(state1, "state1");
        T* s2 = writable_data<T>(state2, "state2");
        auto* t = writable_data<std::int64_t>(step, "step");
        double* c = writable_data<double>(batch_costs, "batch_costs");
        index_t updates = 0;
        {
            py::gil_scoped_release release;  // raw pointers into arrays this frame keeps alive
            std::lock_guard<std::mutex> lock(mutex_);
            updates = net_.minibatch_epoch(th, batch, ord, n_order, batch_size, params, update, s1, s2, *t, c,
                                           workspace_);
        }
        return updates;
    }

    // Activations of layers first..last for X, the input of layer first (shape (m, n_{first-1})).
    py::list forward(const py::array& theta, const py::object& input, int first, int last) {
        const auto& sizes = net_.sizes();
        const int L = net_.n_layers();
        if (first < 1 || last > L || first > last)
            throw py::value_error("layers must satisfy 1 <= first <= last <= " + std::to_string(L) + ", got first " +
                                  std::to_string(first) + " and last " + std::to_string(last));
        check_array<T>(theta, "theta", {net_.n_params()});
        if (py::isinstance<CsrInput>(input)) {
            if (first != 1)
                throw py::value_error("a sparse X is the network's input: first must be 1, got " +
                                      std::to_string(first));
            return forward_sparse(theta, input.cast<const CsrInput&>(), last);
        }
        const py::array X = dense_argument(input, "X");
        check_array<T>(X, "X", {-1, sizes[first - 1]});
        const py::ssize_t m = X.shape(0);
        if (m < 1) throw py::value_error("X must hold at least one example (row), got 0");
        py::list out;
        std::vector<T*> ptrs;
        for (int l = first; l <= last; ++l) {
            py::array_t<T> a({m, static_cast<py::ssize_t>(sizes[l])});
            ptrs.push_back(a.mutable_data());
            out.append(a);
        }
        const T* th = static_cast<const T*>(theta.data());
        const T* x = static_cast<const T*>(X.data());
        {
            py::gil_scoped_release release;
            net_.forward(th, x, m, first, last, ptrs);
        }
        return out;
    }

    // Runs the L-BFGS state's evaluations at its trial points on the cost of (X, Y) in C++ (line search
    // included), until it asks for something other than an evaluation; returns that status. Ctrl-C is looked
    // for between evaluations (about every 0.1 s): KeyboardInterrupt then propagates, the state abandoned
    // mid-iteration. See ufldl/lbfgs_network.hpp; float32: the trial points are rounded to float32.
    LbfgsStatus lbfgs_evaluations(LbfgsState& state, const py::object& X, const py::object& Y,
                                  const CostSettings& cost, const py::object& sample_weight) {
        const LbfgsUse use(state);
        Lbfgs& solver = state.solver;
        if (solver.size() != net_.n_params())
            throw py::value_error("the Lbfgs state has " + std::to_string(solver.size()) +
                                  " parameters, the network " + std::to_string(net_.n_params()));
        if (solver.status() != LbfgsStatus::Evaluate) return solver.status();
        std::vector<NamedArray> inputs;
        DenseArrays dense;
        const Batch<T> batch = check_batch(X, Y, dense, inputs);
        std::optional<py::array> no_running;  // full batch: rho_hat from the whole of X
        CostParams params = cost_params(cost, no_running);
        const std::optional<Weights> weights = checked_sample_weight(sample_weight, batch.m);
        if (weights) params.sample_weight = weights->data();
        bool interrupted = false;
        auto keep_going = [&interrupted] {
            py::gil_scoped_acquire acquire;
            if (PyErr_CheckSignals() != 0) interrupted = true;
            return !interrupted;
        };
        LbfgsStatus status;
        {
            py::gil_scoped_release release;  // raw pointers into arrays this frame keeps alive
            std::unique_lock<std::mutex> lock(mutex_, std::try_to_lock);
            if (lock.owns_lock()) {
                status = run_lbfgs(solver, batch, params, workspace_, state, keep_going);
            } else {
                Workspace<T> private_workspace;
                status = run_lbfgs(solver, batch, params, private_workspace, state, keep_going);
            }
        }
        if (interrupted) throw py::error_already_set();
        return status;
    }

    const Network<T>& network() const { return net_; }

private:
    template <class KeepGoing>
    LbfgsStatus run_lbfgs(Lbfgs& solver, const Batch<T>& batch, const CostParams& params, Workspace<T>& ws,
                          LbfgsState& state, KeepGoing& keep_going) {
        if constexpr (std::is_same_v<T, float>) {
            return lbfgs_network_evaluations(solver, net_, batch, params, ws, state.f32, keep_going, 0.1);
        } else {
            LbfgsNetworkBuffers<double> unused;
            return lbfgs_network_evaluations(solver, net_, batch, params, ws, unused, keep_going, 0.1);
        }
    }

    // A dense argument: a NumPy array (the Python layer converts everything else first).
    static py::array dense_argument(const py::object& value, const char* name) {
        if (!py::isinstance<py::array>(value))
            throw py::type_error(std::string(name) + " must be a numpy.ndarray or a CsrMatrix, got " +
                                 py::str(py::type::of(value).attr("__name__")).cast<std::string>());
        return py::reinterpret_borrow<py::array>(value);
    }

    // The dense X and Y of a call, held in its frame (the overlap checks point at them).
    struct DenseArrays {
        py::array X, Y;
    };

    // X and Y checked and as the core takes them: each dense (a NumPy array) or sparse (a CsrMatrix; targets:
    // dense ones stored sparse). `inputs` receives every array read, named, for the overlap checks. The
    // arrays stay alive through X and Y (a CsrMatrix's arrays cannot be reassigned).
    Batch<T> check_batch(const py::object& X, const py::object& Y, DenseArrays& dense,
                         std::vector<NamedArray>& inputs) const {
        Batch<T> batch;
        if (py::isinstance<CsrInput>(X)) {
            const CsrInput& csr = X.cast<const CsrInput&>();
            batch.X_csr = check_csr<T>(csr, "X", net_.sizes()[0]);
            batch.X_sparse = true;
            batch.m = csr.rows;
            inputs.insert(inputs.end(), {{&csr.data, "X.data"}, {&csr.indices, "X.indices"}, {&csr.indptr, "X.indptr"}});
        } else {
            dense.X = dense_argument(X, "X");
            batch.m = check_inputs(dense.X);
            batch.X = static_cast<const T*>(dense.X.data());
            inputs.push_back({&dense.X, "X"});
        }
        if (py::isinstance<CsrInput>(Y)) {
            const CsrInput& csr = Y.cast<const CsrInput&>();
            batch.Y_csr = check_csr<T>(csr, "Y", net_.sizes().back());
            if (csr.rows != batch.m)
                throw py::value_error("Y must have as many rows as X (" + std::to_string(batch.m) + "), got " +
                                      std::to_string(csr.rows));
            batch.Y_sparse = true;
            inputs.insert(inputs.end(), {{&csr.data, "Y.data"}, {&csr.indices, "Y.indices"}, {&csr.indptr, "Y.indptr"}});
        } else {
            dense.Y = dense_argument(Y, "Y");
            const auto [y, labels] = check_targets(dense.Y, batch.m);
            batch.Y = y;
            batch.labels = labels;
            inputs.push_back({&dense.Y, "Y"});
        }
        return batch;
    }

    static void check_no_overlap_all(const NamedArray& written, const std::vector<NamedArray>& others) {
        for (const NamedArray& other : others) check_no_overlap(written, {other});
    }

    py::list forward_sparse(const py::array& theta, const CsrInput& input, int last) {
        const auto& sizes = net_.sizes();
        const CsrRows<T> X = check_csr<T>(input, "X", sizes[0]);
        py::list out;
        std::vector<T*> ptrs;
        for (int l = 1; l <= last; ++l) {
            py::array_t<T> a({static_cast<py::ssize_t>(X.rows), static_cast<py::ssize_t>(sizes[l])});
            ptrs.push_back(a.mutable_data());
            out.append(a);
        }
        const T* th = static_cast<const T*>(theta.data());
        {
            py::gil_scoped_release release;
            net_.forward(th, X, last, ptrs);
        }
        return out;
    }

    py::ssize_t check_inputs(const py::array& X) const {
        check_array<T>(X, "X", {-1, net_.sizes()[0]});
        const py::ssize_t m = X.shape(0);
        if (m < 1) throw py::value_error("X must hold at least one example (row), got 0");
        return m;
    }

    // Dense targets (m x n_out) or, for cross-entropy, int64 class labels (m,) in [0, n_out).
    std::pair<const T*, const std::int64_t*> check_targets(const py::array& Y, py::ssize_t m) const {
        const std::int64_t n_out = net_.sizes().back();
        if (Y.ndim() != 1) {
            check_array<T>(Y, "Y", {m, n_out});
            return {static_cast<const T*>(Y.data()), nullptr};
        }
        if (net_.loss() != Loss::CrossEntropy)
            throw py::value_error("integer labels Y need loss='cross_entropy'; squared error needs Y of shape (m, n_out)");
        check_array<std::int64_t>(Y, "Y", {m});
        const auto* labels = static_cast<const std::int64_t*>(Y.data());
        for (py::ssize_t i = 0; i < m; ++i)
            if (labels[i] < 0 || labels[i] >= n_out)
                throw py::value_error("Y (labels) must lie in [0, " + std::to_string(n_out) + "), got " +
                                      std::to_string(labels[i]) + " at index " + std::to_string(i));
        return {nullptr, labels};
    }

    // The core's CostParams from the settings, checked against this network. running_rho_hat is the frame's
    // reference to cost.running_rho_hat (written in place by the core).
    CostParams cost_params(const CostSettings& cost, std::optional<py::array>& running_rho_hat) const {
        const int L = net_.n_layers();
        const std::vector<bool>& sparse_layers = cost.sparse_layers;
        if (static_cast<int>(sparse_layers.size()) != L + 1)
            throw py::value_error("sparse_layers must have one flag per layer (L + 1 = " + std::to_string(L + 1) + ")");
        CostParams params;
        // One lambda for every weight layer, or one per layer (L values).
        params.weight_decay.assign(static_cast<std::size_t>(L) + 1, 0.0);
        if (const double* all = std::get_if<double>(&cost.weight_decay)) {
            std::fill(params.weight_decay.begin() + 1, params.weight_decay.end(), *all);
        } else {
            const auto& per_layer = std::get<std::vector<double>>(cost.weight_decay);
            if (static_cast<int>(per_layer.size()) != L)
                throw py::value_error("weight_decay must be one number or one per weight layer (L = " +
                                      std::to_string(L) + "), got " + std::to_string(per_layer.size()));
            std::copy(per_layer.begin(), per_layer.end(), params.weight_decay.begin() + 1);
        }
        params.rho = cost.rho;
        params.beta = cost.beta;
        params.sparse_layer.assign(sparse_layers.begin(), sparse_layers.end());
        if (running_rho_hat) {
            index_t units = 0;
            for (int l = 1; l <= L; ++l) units += net_.sizes()[l];
            check_array<double>(*running_rho_hat, "running_rho_hat", {units});
            const double decay = cost.rho_hat_decay;
            // 1: the given estimate as it is (a chunk of a larger sum: Network.partial_sums).
            if (!(decay >= 0.0 && decay <= 1.0))
                throw py::value_error("rho_hat_decay must lie in [0, 1], got " + std::to_string(decay));
            params.running_rho_hat = writable_data<double>(*running_rho_hat, "running_rho_hat");
            params.rho_hat_decay = decay;
        }
        return params;
    }

    // A rule from Python may be any integer cast to the enum (UpdateRule(5)): only the two rules exist.
    static void check_rule(UpdateRule rule) {
        if (rule != UpdateRule::Sgd && rule != UpdateRule::Adam)
            throw py::value_error("rule must be UpdateRule.sgd or UpdateRule.adam, got " +
                                  std::to_string(static_cast<int>(rule)));
    }

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
             py::arg("grad"), py::arg("cost"), py::arg("sample_weight") = py::none(),
             "Writes the gradient into grad and returns the cost terms (data, decay, sparsity) for the\n"
             "hyperparameters `cost` (a CostSettings; its running_rho_hat, if any, is updated in place).\n"
             "sample_weight: None or m weights >= 0 (converted to float64), every mean over rows weighted.")
        .def("cost_and_grad_one_pass", &Engine<T>::cost_and_grad_one_pass, py::arg("theta"), py::arg("X"),
             py::arg("Y"), py::arg("grad"), py::arg("cost"), py::arg("activation_sum"), py::arg("derivative_sum"),
             py::arg("derivative_input"), py::arg("sample_weight") = py::none(),
             "cost_and_grad, and the first hidden layer's one-pass sums written into three float64 arrays:\n"
             "activation_sum (n_1,) = sum_i w_i A_1[i], derivative_sum (n_1,) = colsum F and\n"
             "derivative_input (n_1, n_0) = F^T X, with F = f_1'(Z_1) row i scaled by w_i (1 without weights).")
        .def("minibatch_epoch", &Engine<T>::minibatch_epoch, py::arg("theta"), py::arg("X"), py::arg("Y"),
             py::arg("order"), py::arg("batch_size"), py::arg("cost"), py::arg("update"), py::arg("state1"),
             py::arg("state2"), py::arg("step"), py::arg("batch_costs"), py::arg("sample_weight") = py::none(),
             "Mini-batch updates over the rows `order` in C++, in place; returns the number of updates made.\n"
             "cost: a CostSettings; update: an UpdateParams. The optimiser's state: state1 is the velocity\n"
             "(sgd) or the first moment m1 (adam), state2 the second moment m2 (adam; unused by sgd).")
        .def("forward", &Engine<T>::forward, py::arg("theta"), py::arg("X"), py::arg("first"), py::arg("last"),
             "Returns [A_first, ..., A_last] for X, the input of layer first.")
        .def("lbfgs_evaluations", &Engine<T>::lbfgs_evaluations, py::arg("state"), py::arg("X"), py::arg("Y"),
             py::arg("cost"), py::arg("sample_weight") = py::none(),
             "Runs an Lbfgs's evaluations on the cost of (X, Y) in C++ until it asks for something else;\n"
             "returns that LbfgsStatus. cost: a CostSettings (its running_rho_hat is not used).")
        .def_property_readonly("n_params", [](const Engine<T>& e) { return e.network().n_params(); })
        .def_property_readonly(
            "hidden_layout",
            [](const Engine<T>& e) {
                return e.network().hidden_layout() == HiddenLayout::HiddenMajor ? "hidden-major" : "rows";
            },
            "How the hidden layers' intermediates are stored during an evaluation of a dense X: 'rows' or\n"
            "'hidden-major' (ufldl/network.hpp HiddenLayout; UFLDL_HIDDEN_LAYOUT at construction overrides).")
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
    py::class_<CostSettings>(m, "CostSettings",
                             "The cost's hyperparameters, checked against the network by each call that takes them.")
        .def(py::init([](std::vector<bool> sparse_layers, Decay weight_decay, double rho, double beta,
                         std::optional<py::array> running_rho_hat, double rho_hat_decay) {
                 return CostSettings{std::move(weight_decay), std::move(sparse_layers), rho, beta,
                                     std::move(running_rho_hat), rho_hat_decay};
             }),
             py::kw_only(), py::arg("sparse_layers"), py::arg("weight_decay") = 0.0, py::arg("rho") = 0.01,
             py::arg("beta") = 3.0, py::arg("running_rho_hat") = py::none(), py::arg("rho_hat_decay") = 0.0)
        .def_readwrite("sparse_layers", &CostSettings::sparse_layers,
                       "One flag per layer (L + 1): flag l puts the KL penalty on hidden layer l.")
        .def_readwrite("weight_decay", &CostSettings::weight_decay,
                       "lambda for every weight layer, or a list of one per weight layer (L values).")
        .def_readwrite("rho", &CostSettings::rho, "The sparsity target.")
        .def_readwrite("beta", &CostSettings::beta, "The weight of the KL penalty.")
        .def_readwrite("running_rho_hat", &CostSettings::running_rho_hat,
                       "float64 running estimate of rho_hat (n_1 + ... + n_L), updated in place; None: the batch's.")
        .def_readwrite("rho_hat_decay", &CostSettings::rho_hat_decay,
                       "The running estimate's decay, in [0, 1]; 1 uses the given estimate as it is.")
        .def("__repr__", [](const CostSettings& c) {
            const py::object self = py::cast(c);
            return py::str("CostSettings(sparse_layers={!r}, weight_decay={!r}, rho={!r}, beta={!r}, "
                           "running_rho_hat={}, rho_hat_decay={!r})")
                .format(self.attr("sparse_layers"), self.attr("weight_decay"), c.rho, c.beta,
                        c.running_rho_hat ? "<array of " + std::to_string(c.running_rho_hat->size()) + ">"
                                          : std::string("None"),
                        c.rho_hat_decay);
        });
    py::class_<CsrInput>(m, "CsrMatrix",
                         "A CSR matrix (scipy.sparse's three arrays and its shape) as the networks take it: one\n"
                         "example per row. Checked by each call that takes it (indices in range, indptr\n"
                         "non-decreasing from 0 to the number of entries).")
        .def(py::init([](py::array data, py::array indices, py::array indptr, std::pair<py::ssize_t, py::ssize_t> shape) {
                 return CsrInput{std::move(data), std::move(indices), std::move(indptr), shape.first, shape.second};
             }),
             py::arg("data"), py::arg("indices"), py::arg("indptr"), py::arg("shape"))
        .def_readonly("data", &CsrInput::data)
        .def_readonly("indices", &CsrInput::indices)
        .def_readonly("indptr", &CsrInput::indptr)
        .def_property_readonly("shape", [](const CsrInput& c) { return py::make_tuple(c.rows, c.cols); });
    bind_engine<double>(m, "NetworkF64");
    bind_engine<float>(m, "NetworkF32");
}

}  // namespace ufldl::bindings
