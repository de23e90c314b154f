// L-BFGS as minFunc runs it (Mark Schmidt's minFunc, options.Method = 'lbfgs' with its defaults, the optimiser
// of the UFLDL exercises): docs/math.md#l-bfgs-direction and docs/math.md#l-bfgs-line-search. NumPy twin of the
// direction: ufldl.reference.lbfgs_two_loop; the whole procedure is checked against minFunc's own evaluations
// under GNU Octave (tests/data/minfunc_lbfgs.json, tests/test_lbfgs.py).
//
// An ask/tell state machine over a flat float64 vector: it never calls the objective itself. The caller
//
//   status = s.start(x0);                      // Evaluate: at s.point()
//   while (status == Evaluate) {               //   write the gradient at s.point() into s.gradient_out(),
//       f = fun(s.point(), s.gradient_out());  //   then tell the cost
//       status = s.tell(f);                    // Evaluate again (line search), Started (x0 evaluated),
//       ...                                    // Iteration (one completed), Stopped, or NonFinite
//   }
//
// and calls s.next() after Started or Iteration to begin the next iteration (next() reports Stopped when a
// stopping test has fired). Between iterations x(), f(), g() hold the iterate just completed, so a driver can
// hand control back to its caller there (callbacks, progress, interrupts) and resume with next(). The same
// machine serves a Python objective (ufldl.minimize drives it from Python) and a network evaluated in C++
// (lbfgs_network.hpp runs the evaluations and the line search without returning to Python).
//
// Everything is float64, whatever the precision of the objective: the iterate, the gradients, the direction
// and the memory of correction pairs.
//
// Storage: the memory is a ring of corrections + 1 slots of (s, y) pairs, each a contiguous row of n doubles
// (the spare slot receives a new pair before minFunc's curvature test decides whether it is kept); slots are
// allocated once and committed by the operating system as they are first written. Every pass over the vectors
// (the two loops, the trial point, the directional derivatives) is split into blocks of fixed size whose
// partial sums are added in block order, and the blocks are spread over the core's pool (parallel.hpp): results
// do not depend on the number of threads.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "ufldl/types.hpp"

namespace ufldl {

// minFunc's options for L-BFGS; the defaults are minFunc's (2009 version, the UFLDL starter code's).
struct LbfgsOptions {
    int corrections = 100;          // Corr: correction pairs kept
    std::int64_t max_iter = 500;    // MaxIter
    std::int64_t max_evals = 1000;  // MaxFunEvals: stop after the first iteration that ends with more
    double opt_tol = 1e-5;          // TolFun (optTol): stop when sum_i |g_i| <= opt_tol
    double prog_tol = 1e-9;         // TolX (progTol): on the step, the cost's change and g'd
    double c1 = 1e-4;               // sufficient decrease (Armijo)
    double c2 = 0.9;                // curvature (strong Wolfe)
    int max_line_search = 25;       // maxLS: the line search's iterations after its first evaluation
    double curvature_min = 1e-10;   // a pair is kept only when y's > curvature_min
};

// What the caller must do next.
enum class LbfgsStatus : int {
    Evaluate = 0,   // evaluate at point(), write the gradient into gradient_out(), call tell(f)
    Started = 1,    // x0 evaluated: f(), g() hold its cost and gradient; call next()
    Iteration = 2,  // an iteration completed: x(), f(), g() are its iterate; call next() (stop() may be set)
    Stopped = 3,    // the run is over: stop() says why; x(), f(), g() are the last iterate
    NonFinite = 4,  // the last evaluation was not usable (see tell); the run is over, nothing else changed
};

// Why the run stopped (minFunc's tests, in the order it applies them).
enum class LbfgsStop : int {
    None = 0,
    Optimality = 1,     // sum |g| <= opt_tol (at x0, or after an iteration)
    Step = 2,           // sum |t d| <= prog_tol
    Function = 3,       // |f_new - f_old| / max(|f_old|, |f_new|, 1) < prog_tol
    MaxEvals = 4,       // more than max_evals evaluations
    MaxIter = 5,        // max_iter iterations
    Directional = 6,    // g'd > -prog_tol before a line search: no descent along d
    BadDirection = 7,   // the direction is not finite (minFunc: "Step direction is illegal")
    NonFinite = 8,      // tell() refused an evaluation (see LbfgsStatus::NonFinite)
};

class Lbfgs {
public:
    // Throws std::invalid_argument for n < 1, corrections < 1, max_iter < 1, max_evals < 1, a negative
    // tolerance, c1 or c2 outside (0, 1), max_line_search < 1.
    Lbfgs(index_t n, const LbfgsOptions& options);
    ~Lbfgs();
    Lbfgs(const Lbfgs&) = delete;
    Lbfgs& operator=(const Lbfgs&) = delete;

    // Starts (or restarts) a run at x0 (n values, copied): Evaluate at x0. The memory is emptied.
    LbfgsStatus start(const double* x0);

    // The point to evaluate (valid until the next start/tell/next), and where the caller writes its gradient.
    const double* point() const { return trial_x_.get(); }
    double* gradient_out();

    // The cost at point(), whose gradient the caller has written into gradient_out(). Refused (NonFinite, and
    // nothing else changes) when the cost is NaN or -inf, when the cost is finite and a gradient entry is not,
    // and when the cost is +inf at x0. A cost of +inf at a line-search trial is minFunc's "illegal" value: the
    // line search backs off from it (docs/math.md#l-bfgs-line-search).
    LbfgsStatus tell(double f);

    // After Started or Iteration: the next direction and the first trial step (Evaluate), or Stopped.
    LbfgsStatus next();

    LbfgsStatus status() const { return status_; }
    LbfgsStop stop() const { return stop_; }
    index_t size() const { return n_; }
    const LbfgsOptions& options() const { return opt_; }

    // The current iterate (x0 until the first iteration completes), its cost and gradient.
    const double* x() const { return x_.get(); }
    double f() const { return f_; }
    const double* g() const;
    double initial_f() const { return f0_; }
    double grad_l1() const { return gsum_; }        // sum |g| at the current iterate

    std::int64_t iteration() const { return iteration_; }    // completed iterations
    std::int64_t evaluations() const { return evaluations_; }
    double step() const { return t_; }                    // t of the last completed line search (or the trial)
    double directional_derivative() const { return gtd_; }  // g'd of the current direction
    double trial_f() const { return trial_f_; }            // the last cost told
    // The gradient of the last evaluation told while it is not part of the state (after NonFinite: the refused
    // one), else null.
    const double* trial_gradient() const;
    // Whether the line search of the current (or last completed) iteration met a cost of +inf.
    bool met_infinity() const { return met_inf_; }
    int pairs() const { return count_; }                 // correction pairs in memory
    std::int64_t skipped_pairs() const { return skipped_; }  // pairs refused by the curvature test

private:
    enum class Phase { Idle, Initial, Bracket, Zoom, Armijo };
    struct Point {
        double t, f, gtd;
        int g;  // gradient buffer
        bool legal;
    };

    LbfgsStatus tell_bracket(double f, double gtd, bool legal);
    LbfgsStatus tell_zoom(double f, double gtd, bool legal);
    LbfgsStatus tell_armijo(double f, double gtd, bool legal);
    LbfgsStatus zoom_propose();
    LbfgsStatus finish_line_search();
    LbfgsStatus complete_iteration(double t, double f, int g);
    LbfgsStatus trial(double t);  // point() = x + t d; Evaluate
    LbfgsStatus stopped(LbfgsStop why);
    void update_memory();
    void direction();
    int free_buffer();
    double* buffer(int index);
    double* slot_s(int slot) const { return s_store_.get() + static_cast<std::size_t>(slot) * n_; }
    double* slot_y(int slot) const { return y_store_.get() + static_cast<std::size_t>(slot) * n_; }

    index_t n_;
    LbfgsOptions opt_;
    LbfgsStatus status_ = LbfgsStatus::Stopped;
    LbfgsStop stop_ = LbfgsStop::None;
    Phase phase_ = Phase::Idle;

    std::unique_ptr<double[]> x_, spare_, d_, trial_x_;
    std::vector<std::unique_ptr<double[]>> grads_;  // gradient buffers, referenced by index
    int g_cur_ = -1, g_old_ = -1, g_trial_ = -1;

    // The memory: slots of corrections + 1 pairs; order_[0 .. count_) oldest to newest, spare_slot_ free.
    std::unique_ptr<double[]> s_store_, y_store_;
    std::vector<int> order_;
    std::vector<double> rho_;  // 1 / y's of each slot
    std::vector<double> alpha_, rho_ordered_;
    std::vector<const double*> s_ptr_, y_ptr_;  // the pairs oldest to newest, for lbfgs_two_loop
    int count_ = 0, spare_slot_ = 0;
    double hdiag_ = 1.0;
    std::int64_t skipped_ = 0;

    double f_ = 0.0, f0_ = 0.0, f_old_ = 0.0, gsum_ = 0.0, gtd_ = 0.0, t_ = 0.0, trial_f_ = 0.0;
    std::int64_t iteration_ = 0, evaluations_ = 0;

    // The line search (minFunc's WolfeLineSearch and ArmijoBacktrack, as state).
    int ls_iter_ = 0;
    bool ls_first_ = true, done_ = false, insufficient_ = false, met_inf_ = false;
    double t_prev_ = 0.0, f_prev_ = 0.0, gtd_prev_ = 0.0, f_lo_ = 0.0;
    int g_prev_ = -1, lo_ = 0, hi_ = 1, n_bracket_ = 0;
    Point bracket_[2] = {};

    std::vector<double> partial_;  // block partial sums
};

// d = -H g by the two-loop recursion over k pairs given oldest to newest (s[i], y[i], rho[i] = 1 / y_i's_i),
// with initial scaling hdiag (docs/math.md#l-bfgs-direction); alpha has k entries (workspace), partial
// lbfgs_blocks(n) * 2 (workspace). Returns {g'd, sum |d|}. NumPy twin: ufldl.reference.lbfgs_two_loop.
struct DirectionSums {
    double gtd, d_l1;
};
DirectionSums lbfgs_two_loop(index_t n, int k, const double* const* s, const double* const* y, const double* rho,
                             double hdiag, const double* g, double* d, double* alpha, double* partial);
index_t lbfgs_blocks(index_t n);
// x'y as the solver sums it (blocks of fixed size added in block order, spread over the pool); partial holds
// lbfgs_blocks(n) values.
double lbfgs_dot(index_t n, const double* x, const double* y, double* partial);

// The cubic interpolations of minFunc's polyinterp (docs/math.md#l-bfgs-line-search).
// Minimiser of the cubic with values and slopes (fa, ga) at xa and (fb, gb) at xb, clamped to the interval
// between them; the midpoint when the cubic has no real minimiser (polyinterp's two-point case).
double lbfgs_cubic_min(double xa, double fa, double ga, double xb, double fb, double gb);
// The point of [lo, hi] where the same cubic is least, among lo, hi, xa, xb and its critical points (polyinterp
// with bounds: the extrapolation of the bracketing phase), computed as polyinterp computes it (from the cubic's
// monomial coefficients), so that it carries the same rounding.
double lbfgs_cubic_min_bounded(double xa, double fa, double ga, double xb, double fb, double gb, double lo,
                               double hi);

}  // namespace ufldl
