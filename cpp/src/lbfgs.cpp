// minFunc's L-BFGS as a state machine (see ufldl/lbfgs.hpp; docs/math.md#l-bfgs-direction and
// docs/math.md#l-bfgs-line-search). The comments name the statements of minFunc's minFunc.m,
// WolfeLineSearch.m, ArmijoBacktrack.m, polyinterp.m, lbfgsUpdate.m and lbfgs.m that each step follows.
#include "ufldl/lbfgs.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "ufldl/parallel.hpp"

namespace ufldl {
namespace {

// Every reduction over n values is a sum of partial sums over blocks of this many values, added in block order.
constexpr index_t block_size = 2048;

// MATLAB's max and min of two numbers: a NaN argument is ignored (minFunc's clamps rely on it).
double mmax(double a, double b) {
    if (std::isnan(a)) return b;
    if (std::isnan(b)) return a;
    return b > a ? b : a;
}
double mmin(double a, double b) {
    if (std::isnan(a)) return b;
    if (std::isnan(b)) return a;
    return b < a ? b : a;
}

// Runs body(i0, i1, sums) over the blocks of [0, n), in parts on the pool when it pays, each block's K sums into
// partial[K * block + k]; returns the K totals, each added in block order (so the result does not depend on the
// number of parts). cost: passes over vectors of n values the body makes (for the split).
template <int K, class Body>
std::array<double, K> blocked(index_t n, int cost, double* partial, Body body) {
    const index_t blocks = lbfgs_blocks(n);
    auto run = [&](index_t b0, index_t b1) {
        for (index_t b = b0; b < b1; ++b) {
            std::array<double, K> sums{};
            const index_t i0 = b * block_size;
            body(i0, std::min(n, i0 + block_size), sums);
            for (int k = 0; k < K; ++k) partial[K * b + k] = sums[k];
        }
    };
    const int parts = static_cast<int>(std::min<long long>(parts_for(static_cast<long long>(n) * cost), blocks));
    if (parts <= 1) {
        run(0, blocks);
    } else {
        auto task = [&](int p) { run(blocks * p / parts, blocks * (p + 1) / parts); };
        parallel_parts(parts, task);
    }
    std::array<double, K> total{};
    for (index_t b = 0; b < blocks; ++b)
        for (int k = 0; k < K; ++k) total[k] += partial[K * b + k];
    return total;
}

// An elementwise pass without sums, in the same parts.
template <class Body>
void elementwise(index_t n, int cost, Body body) {
    parallel_ranges(n, cost, [&](long long i0, long long i1) { body(static_cast<index_t>(i0), static_cast<index_t>(i1)); });
}

}  // namespace

index_t lbfgs_blocks(index_t n) { return (n + block_size - 1) / block_size; }

double lbfgs_dot(index_t n, const double* x, const double* y, double* partial) {
    const CoreCall call;
    return blocked<1>(n, 2, partial, [=](index_t i0, index_t i1, std::array<double, 1>& acc) {
        double sum = 0.0;
#pragma omp simd reduction(+ : sum)
        for (index_t i = i0; i < i1; ++i) sum += x[i] * y[i];
        acc[0] = sum;
    })[0];
}

// ------------------------------------------------------------------------------------------ the direction

namespace {

// d[j] += a x[j] over [i0, i1), then returns sum of w[j] d[j] there: one update of the recursion fused with the
// dot product the next one needs. (d - alpha y is computed as d + (-alpha) y: the same value, the negation exact.)
double update_dot(double* __restrict d, double a, const double* __restrict x, const double* __restrict w, index_t i0,
                  index_t i1) {
    double sum = 0.0;
#pragma omp simd reduction(+ : sum)
    for (index_t j = i0; j < i1; ++j) {
        d[j] += a * x[j];
        sum += w[j] * d[j];
    }
    return sum;
}

// One pass of the recursion over [0, n): d += a x, and w'd (w may be null: no sum).
double pass(index_t n, double* partial, double* d, double a, const double* x, const double* w) {
    return blocked<1>(n, 3, partial, [=](index_t i0, index_t i1, std::array<double, 1>& acc) {
        acc[0] = update_dot(d, a, x, w, i0, i1);
    })[0];
}

}  // namespace

// lbfgs.m: q = -g; for i = k..1: al(i) = ro(i) s_i'q, q -= al(i) y_i; r = Hdiag q; for i = 1..k:
// be(i) = ro(i) y_i'r, r += s_i (al(i) - be(i)); d = r. Each pass over the vectors finishes one update and makes
// the dot product the next one needs, so every pair is read twice in all (once per loop).
DirectionSums lbfgs_two_loop(index_t n, int k, const double* const* s, const double* const* y, const double* rho,
                             double hdiag, const double* g, double* d, double* alpha, double* partial) {
    const CoreCall call;
    if (k == 0) {  // d = Hdiag * (-g) with no pairs (minFunc's Hdiag is 1 until a pair is kept)
        const auto sums = blocked<2>(n, 2, partial, [=](index_t i0, index_t i1, std::array<double, 2>& acc) {
            double gtd = 0.0, l1 = 0.0;
#pragma omp simd reduction(+ : gtd, l1)
            for (index_t i = i0; i < i1; ++i) {
                const double di = hdiag * -g[i];
                d[i] = di;
                gtd += g[i] * di;
                l1 += std::fabs(di);
            }
            acc[0] = gtd;
            acc[1] = l1;
        });
        return {sums[0], sums[1]};
    }
    // q = -g, and s_k'q.
    const double* sk = s[k - 1];
    double dot = blocked<1>(n, 2, partial, [=](index_t i0, index_t i1, std::array<double, 1>& acc) {
        double sum = 0.0;
#pragma omp simd reduction(+ : sum)
        for (index_t i = i0; i < i1; ++i) {
            d[i] = -g[i];
            sum += sk[i] * d[i];
        }
        acc[0] = sum;
    })[0];
    for (int i = k - 1; i > 0; --i) {
        alpha[i] = rho[i] * dot;
        dot = pass(n, partial, d, -alpha[i], y[i], s[i - 1]);  // q -= al(i) y_i, and s_{i-1}'q
    }
    alpha[0] = rho[0] * dot;
    {  // q -= al(1) y_1; r = Hdiag q, and y_1'r
        const double a = alpha[0];
        const double* y0 = y[0];
        dot = blocked<1>(n, 2, partial, [=](index_t i0, index_t i1, std::array<double, 1>& acc) {
            double sum = 0.0;
#pragma omp simd reduction(+ : sum)
            for (index_t j = i0; j < i1; ++j) {
                d[j] = hdiag * (d[j] - a * y0[j]);
                sum += y0[j] * d[j];
            }
            acc[0] = sum;
        })[0];
    }
    for (int i = 0; i + 1 < k; ++i) {  // r += s_i (al(i) - be(i)), and y_{i+1}'r
        const double beta = rho[i] * dot;
        dot = pass(n, partial, d, alpha[i] - beta, s[i], y[i + 1]);
    }
    // The last update, and g'd and sum |d| of the direction.
    const double c = alpha[k - 1] - rho[k - 1] * dot;
    const double* sl = s[k - 1];
    const auto sums = blocked<2>(n, 3, partial, [=](index_t i0, index_t i1, std::array<double, 2>& acc) {
        double gtd = 0.0, l1 = 0.0;
#pragma omp simd reduction(+ : gtd, l1)
        for (index_t j = i0; j < i1; ++j) {
            d[j] += sl[j] * c;
            gtd += g[j] * d[j];
            l1 += std::fabs(d[j]);
        }
        acc[0] = gtd;
        acc[1] = l1;
    });
    return {sums[0], sums[1]};
}

// ------------------------------------------------------------------------------------------ polyinterp

// polyinterp.m's two-point case without bounds:
//   d1 = g1 + g2 - 3 (f1 - f2) / (x1 - x2);  d2 = sqrt(d1^2 - g1 g2);
//   t = x2 - (x2 - x1) (g2 + d2 - d1) / (g2 - g1 + 2 d2), clamped to [x1, x2]
// with x1 the smaller abscissa; the midpoint when d2 is not real.
double lbfgs_cubic_min(double xa, double fa, double ga, double xb, double fb, double gb) {
    const bool a_first = !(xb < xa);  // MATLAB's min: the first of equal values
    const double x1 = a_first ? xa : xb, f1 = a_first ? fa : fb, g1 = a_first ? ga : gb;
    const double x2 = a_first ? xb : xa, f2 = a_first ? fb : fa, g2 = a_first ? gb : ga;
    const double d1 = g1 + g2 - 3.0 * (f1 - f2) / (x1 - x2);
    const double disc = d1 * d1 - g1 * g2;
    if (disc < 0.0) return (xa + xb) / 2.0;  // sqrt would be complex (a NaN stays "real", as in MATLAB)
    const double d2 = std::sqrt(disc);
    const double t = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2.0 * d2));
    return mmin(mmax(t, x1), x2);
}

// polyinterp.m's general case for two points with values and slopes and the bounds [lo, hi], computed as it
// computes it (its rounding is what minFunc's next trial point carries): the monomial coefficients of the cubic
// p(x) = c0 x^3 + c1 x^2 + c2 x + c3 from the 4 x 4 system [xa^3 xa^2 xa 1; xb^3 xb^2 xb 1; 3 xa^2 2 xa 1 0;
// 3 xb^2 2 xb 1 0] c = [fa; fb; ga; gb] (Gaussian elimination with partial pivoting, as LAPACK's dgesv behind
// MATLAB's A\b), the critical points from the roots of p' = [3 c0, 2 c1, c2], then the candidates lo, hi, xa, xb
// and the real critical points: the one in [lo, hi] with the least p (Horner, the first of equal values), or the
// midpoint of the bounds if none is.
double lbfgs_cubic_min_bounded(double xa, double fa, double ga, double xb, double fb, double gb, double lo,
                               double hi) {
    double A[4][4] = {{std::pow(xa, 3.0), std::pow(xa, 2.0), xa, 1.0},
                      {std::pow(xb, 3.0), std::pow(xb, 2.0), xb, 1.0},
                      {3.0 * std::pow(xa, 2.0), 2.0 * xa, 1.0, 0.0},
                      {3.0 * std::pow(xb, 2.0), 2.0 * xb, 1.0, 0.0}};
    double c[4] = {fa, fb, ga, gb};
    for (int j = 0; j < 4; ++j) {
        int pivot = j;
        for (int i = j + 1; i < 4; ++i)
            if (std::fabs(A[i][j]) > std::fabs(A[pivot][j])) pivot = i;
        if (pivot != j) {
            for (int k = 0; k < 4; ++k) std::swap(A[j][k], A[pivot][k]);
            std::swap(c[j], c[pivot]);
        }
        const double inverse = 1.0 / A[j][j];
        for (int i = j + 1; i < 4; ++i) {
            A[i][j] *= inverse;
            for (int k = j + 1; k < 4; ++k) A[i][k] -= A[i][j] * A[j][k];
        }
    }
    for (int i = 1; i < 4; ++i)
        for (int k = 0; k < i; ++k) c[i] -= A[i][k] * c[k];
    for (int i = 3; i >= 0; --i) {
        for (int k = i + 1; k < 4; ++k) c[i] -= A[i][k] * c[k];
        c[i] /= A[i][i];
    }
    auto p = [&](double x) { return ((c[0] * x + c[1]) * x + c[2]) * x + c[3]; };
    double candidates[6] = {lo, hi, xa, xb, 0.0, 0.0};
    int count = 4;
    const double q2 = 3.0 * c[0], q1 = 2.0 * c[1], q0 = c[2];  // p'
    if (std::isfinite(q2) && std::isfinite(q1) && std::isfinite(q0)) {  // polyinterp skips an infinite p'
        if (q2 != 0.0) {  // roots(): the real roots of the quadratic (complex ones are not candidates)
            const double disc = q1 * q1 - 4.0 * q2 * q0;
            if (disc >= 0.0) {
                const double q = -0.5 * (q1 + std::copysign(std::sqrt(disc), q1));
                if (q != 0.0) {
                    candidates[count++] = q / q2;
                    candidates[count++] = q0 / q;
                } else {
                    candidates[count++] = 0.0;  // p' = q2 u^2: a double root at 0
                }
            }
        } else if (q1 != 0.0) {  // roots() drops a leading zero
            candidates[count++] = -q0 / q1;
        }
    }
    double best = std::numeric_limits<double>::infinity();
    double where = (lo + hi) / 2.0;  // polyinterp: bisection when no candidate is valid
    for (int i = 0; i < count; ++i) {
        const double x = candidates[i];
        if (!(x >= lo && x <= hi)) continue;
        const double value = p(x);
        if (value < best) {
            best = value;
            where = x;
        }
    }
    return where;
}

// ------------------------------------------------------------------------------------------ the state machine

Lbfgs::Lbfgs(index_t n, const LbfgsOptions& options) : n_(n), opt_(options) {
    if (n < 1) throw std::invalid_argument("n (the number of parameters) must be >= 1, got " + std::to_string(n));
    if (options.corrections < 1)
        throw std::invalid_argument("corrections must be >= 1, got " + std::to_string(options.corrections));
    if (options.max_iter < 1) throw std::invalid_argument("max_iter must be >= 1, got " + std::to_string(options.max_iter));
    if (options.max_evals < 1)
        throw std::invalid_argument("max_evals must be >= 1, got " + std::to_string(options.max_evals));
    if (!(options.opt_tol >= 0.0) || !(options.prog_tol >= 0.0) || !(options.curvature_min >= 0.0))
        throw std::invalid_argument("the tolerances must be >= 0");
    if (!(options.c1 > 0.0 && options.c1 < 1.0) || !(options.c2 > options.c1 && options.c2 < 1.0))
        throw std::invalid_argument("the line search needs 0 < c1 < c2 < 1, got c1 = " + std::to_string(options.c1) +
                                    ", c2 = " + std::to_string(options.c2));
    if (options.max_line_search < 1)
        throw std::invalid_argument("max_line_search must be >= 1, got " + std::to_string(options.max_line_search));
    const std::size_t size = static_cast<std::size_t>(n);
    // new double[] without value-initialisation: the operating system commits the pages as they are written,
    // so the memory of a run that ends early, or keeps few pairs, costs what it uses.
    x_.reset(new double[size]);
    spare_.reset(new double[size]);
    d_.reset(new double[size]);
    trial_x_.reset(new double[size]);
    const std::size_t slots = static_cast<std::size_t>(options.corrections) + 1;
    s_store_.reset(new double[slots * size]);
    y_store_.reset(new double[slots * size]);
    order_.resize(slots);
    rho_.assign(slots, 0.0);
    alpha_.assign(static_cast<std::size_t>(options.corrections), 0.0);
    s_ptr_.assign(static_cast<std::size_t>(options.corrections), nullptr);
    y_ptr_.assign(static_cast<std::size_t>(options.corrections), nullptr);
    rho_ordered_.assign(static_cast<std::size_t>(options.corrections), 0.0);
    partial_.assign(static_cast<std::size_t>(lbfgs_blocks(n)) * 3, 0.0);
}

Lbfgs::~Lbfgs() = default;

double* Lbfgs::buffer(int index) {
    while (static_cast<int>(grads_.size()) <= index) grads_.emplace_back(new double[static_cast<std::size_t>(n_)]);
    return grads_[static_cast<std::size_t>(index)].get();
}

const double* Lbfgs::g() const { return g_cur_ < 0 ? nullptr : grads_[static_cast<std::size_t>(g_cur_)].get(); }

const double* Lbfgs::trial_gradient() const {
    return g_trial_ < 0 ? nullptr : grads_[static_cast<std::size_t>(g_trial_)].get();
}

double* Lbfgs::gradient_out() { return buffer(g_trial_ < 0 ? 0 : g_trial_); }

// A gradient buffer nothing refers to: at most the current and old gradients, the previous trial's (bracketing)
// or the two bracket points' (zoom) are live besides the new trial's, so five buffers always suffice.
int Lbfgs::free_buffer() {
    for (int i = 0;; ++i) {
        bool used = i == g_cur_ || i == g_old_ || i == g_prev_;
        for (int b = 0; b < n_bracket_; ++b) used = used || i == bracket_[b].g;
        if (!used) {
            buffer(i);
            return i;
        }
    }
}

LbfgsStatus Lbfgs::start(const double* x0) {
    const CoreCall call;
    std::copy(x0, x0 + n_, x_.get());
    std::copy(x0, x0 + n_, trial_x_.get());
    count_ = 0;
    spare_slot_ = 0;
    hdiag_ = 1.0;
    skipped_ = 0;
    iteration_ = 0;
    evaluations_ = 0;
    g_cur_ = g_old_ = g_prev_ = -1;
    n_bracket_ = 0;
    t_ = 0.0;
    gtd_ = 0.0;
    f_ = f0_ = trial_f_ = std::numeric_limits<double>::quiet_NaN();
    met_inf_ = false;
    stop_ = LbfgsStop::None;
    g_trial_ = free_buffer();
    phase_ = Phase::Initial;
    return status_ = LbfgsStatus::Evaluate;
}

LbfgsStatus Lbfgs::stopped(LbfgsStop why) {
    stop_ = why;
    phase_ = Phase::Idle;
    g_prev_ = -1;
    n_bracket_ = 0;
    return status_ = LbfgsStatus::Stopped;
}

LbfgsStatus Lbfgs::trial(double t) {
    t_ = t;
    const double* x = x_.get();
    const double* d = d_.get();
    double* xt = trial_x_.get();
    elementwise(n_, 3, [&](index_t i0, index_t i1) {
        for (index_t i = i0; i < i1; ++i) xt[i] = x[i] + t * d[i];  // minFunc's x + t*d
    });
    g_trial_ = free_buffer();
    return status_ = LbfgsStatus::Evaluate;
}

LbfgsStatus Lbfgs::tell(double f) {
    if (status_ != LbfgsStatus::Evaluate) throw std::logic_error("tell() needs status Evaluate");
    const CoreCall call;
    ++evaluations_;
    trial_f_ = f;
    const double* gt = buffer(g_trial_);
    // One pass: g'd at the trial (the line search's slope), or sum |g| at x0. Either is finite exactly when every
    // gradient entry is, unless a product or the sum overflows; then the entries are looked at one by one.
    const double* d = d_.get();
    const bool initial = phase_ == Phase::Initial;
    const double value = blocked<1>(n_, initial ? 1 : 2, partial_.data(),
                                    [&](index_t i0, index_t i1, std::array<double, 1>& acc) {
                                        double sum = 0.0;
                                        if (initial) {
#pragma omp simd reduction(+ : sum)
                                            for (index_t i = i0; i < i1; ++i) sum += std::fabs(gt[i]);
                                        } else {
#pragma omp simd reduction(+ : sum)
                                            for (index_t i = i0; i < i1; ++i) sum += gt[i] * d[i];
                                        }
                                        acc[0] = sum;
                                    })[0];
    bool grad_finite = std::isfinite(value);
    if (!grad_finite) {
        grad_finite = true;
        for (index_t i = 0; i < n_ && grad_finite; ++i) grad_finite = std::isfinite(gt[i]);
    }
    const bool refused = std::isnan(f) || f == -std::numeric_limits<double>::infinity() ||
                         (std::isfinite(f) && !grad_finite) || (initial && !std::isfinite(f));
    if (refused) {
        stop_ = LbfgsStop::NonFinite;
        phase_ = Phase::Idle;
        return status_ = LbfgsStatus::NonFinite;
    }
    if (initial) {
        f_ = f0_ = f;
        g_cur_ = g_trial_;
        g_trial_ = -1;
        gsum_ = value;
        // minFunc.m: "Check optimality of initial point".
        if (gsum_ <= opt_.opt_tol) return stopped(LbfgsStop::Optimality);
        phase_ = Phase::Idle;
        return status_ = LbfgsStatus::Started;
    }
    const bool legal = std::isfinite(f) && grad_finite;  // isLegal(f_new) && isLegal(g_new)
    if (f == std::numeric_limits<double>::infinity()) met_inf_ = true;
    switch (phase_) {
        case Phase::Bracket: return tell_bracket(f, value, legal);
        case Phase::Zoom: return tell_zoom(f, value, legal);
        case Phase::Armijo: return tell_armijo(f, value, legal);
        default: throw std::logic_error("tell() outside a line search");
    }
}

// minFunc.m, one iteration up to the line search: the memory update, the direction, the tests on it, the first
// trial step.
LbfgsStatus Lbfgs::next() {
    if (status_ == LbfgsStatus::Stopped || status_ == LbfgsStatus::NonFinite) return status_;
    if (status_ != LbfgsStatus::Started && status_ != LbfgsStatus::Iteration)
        throw std::logic_error("next() needs status Started or Iteration");
    if (stop_ != LbfgsStop::None) return stopped(stop_);
    const CoreCall call;
    if (iteration_ > 0) update_memory();  // i == 1: d = -g, no memory, Hdiag = 1 (start() set them)
    direction();
    if (stop_ != LbfgsStop::None) return stopped(stop_);
    // "Check that progress can be made along direction".
    if (gtd_ > -opt_.prog_tol) return stopped(LbfgsStop::Directional);
    // "Select Initial Guess": t = min(1, 1/sum|g|) on the first iteration, then 1 (LS_init = 0).
    double t = iteration_ == 0 ? std::min(1.0, 1.0 / gsum_) : 1.0;
    if (iteration_ > 0 && t <= 0.0) t = 1.0;
    f_old_ = f_;
    // WolfeLineSearch.m's start.
    phase_ = Phase::Bracket;
    ls_iter_ = 0;
    ls_first_ = true;
    done_ = false;
    insufficient_ = false;
    met_inf_ = false;
    t_prev_ = 0.0;
    f_prev_ = f_;
    g_prev_ = g_cur_;
    gtd_prev_ = gtd_;
    n_bracket_ = 0;
    return trial(t);
}

// lbfgsUpdate.m: y = g - g_old, s = t d; kept when y's > 1e-10 (the oldest pair dropped when the memory is full),
// and then Hdiag = y's / y'y; otherwise the memory is left as it was.
void Lbfgs::update_memory() {
    const int slot = spare_slot_;
    double* s = slot_s(slot);
    double* y = slot_y(slot);
    const double* g = buffer(g_cur_);
    const double* go = buffer(g_old_);
    const double* d = d_.get();
    const double t = t_;
    const auto sums = blocked<2>(n_, 5, partial_.data(), [&](index_t i0, index_t i1, std::array<double, 2>& acc) {
        double ys = 0.0, yy = 0.0;
#pragma omp simd reduction(+ : ys, yy)
        for (index_t i = i0; i < i1; ++i) {
            y[i] = g[i] - go[i];
            s[i] = t * d[i];
            ys += y[i] * s[i];
            yy += y[i] * y[i];
        }
        acc[0] = ys;
        acc[1] = yy;
    });
    g_old_ = -1;  // no longer needed
    const double ys = sums[0], yy = sums[1];
    if (!(ys > opt_.curvature_min)) {
        ++skipped_;
        return;
    }
    rho_[static_cast<std::size_t>(slot)] = 1.0 / ys;
    if (count_ < opt_.corrections) {
        // Not full: slots 0 .. count_ - 1 hold the pairs in order and the spare is slot count_.
        order_[static_cast<std::size_t>(count_++)] = slot;
        spare_slot_ = count_;
    } else {
        // Full: the oldest pair is dropped and its slot becomes the spare.
        const int oldest = order_[0];
        std::copy(order_.begin() + 1, order_.begin() + count_, order_.begin());
        order_[static_cast<std::size_t>(count_ - 1)] = slot;
        spare_slot_ = oldest;
    }
    hdiag_ = ys / yy;
}

void Lbfgs::direction() {
    const int k = count_;
    for (int i = 0; i < k; ++i) {
        const int slot = order_[static_cast<std::size_t>(i)];
        s_ptr_[static_cast<std::size_t>(i)] = slot_s(slot);
        y_ptr_[static_cast<std::size_t>(i)] = slot_y(slot);
        rho_ordered_[static_cast<std::size_t>(i)] = rho_[static_cast<std::size_t>(slot)];
    }
    const DirectionSums sums = lbfgs_two_loop(n_, k, s_ptr_.data(), y_ptr_.data(), rho_ordered_.data(), hdiag_,
                                              buffer(g_cur_), d_.get(), alpha_.data(), partial_.data());
    gtd_ = sums.gtd;
    if (!std::isfinite(sums.d_l1)) stop_ = LbfgsStop::BadDirection;  // minFunc: ~isLegal(d)
}

// WolfeLineSearch.m, the bracketing loop, entered after each of its evaluations.
LbfgsStatus Lbfgs::tell_bracket(double f_new, double gtd_new, bool legal) {
    if (!ls_first_) ++ls_iter_;  // LSiter = LSiter + 1 after an extrapolated evaluation
    ls_first_ = false;
    const int g_new = g_trial_;
    g_trial_ = -1;
    if (ls_iter_ >= opt_.max_line_search) {  // the loop ran out: bracket = [0 t]
        bracket_[0] = {0.0, f_, gtd_, g_cur_, true};
        bracket_[1] = {t_, f_new, gtd_new, g_new, legal};
        n_bracket_ = 2;
        g_prev_ = -1;
        return finish_line_search();
    }
    if (!legal) {
        // "Extrapolated into illegal region, switching to Armijo line-search": t = (t + t_prev)/2, then
        // ArmijoBacktrack from there (its LS = max(0, min(LS - 2, 2)) = 2: cubic backtracking with slopes).
        phase_ = Phase::Armijo;
        ls_first_ = true;
        g_prev_ = -1;
        return trial((t_ + t_prev_) / 2.0);
    }
    const Point fresh{t_, f_new, gtd_new, g_new, legal};
    const Point previous{t_prev_, f_prev_, gtd_prev_, g_prev_, true};
    if (f_new > f_ + opt_.c1 * t_ * gtd_ || (ls_iter_ > 1 && f_new >= f_prev_)) {
        bracket_[0] = previous;
        bracket_[1] = fresh;
        n_bracket_ = 2;
        g_prev_ = -1;
        return zoom_propose();
    }
    if (std::fabs(gtd_new) <= -opt_.c2 * gtd_) {
        bracket_[0] = fresh;
        n_bracket_ = 1;
        done_ = true;
        g_prev_ = -1;
        return finish_line_search();
    }
    if (gtd_new >= 0.0) {
        bracket_[0] = previous;
        bracket_[1] = fresh;
        n_bracket_ = 2;
        g_prev_ = -1;
        return zoom_propose();
    }
    // Cubic extrapolation into [t + 0.01 (t - t_prev), 10 t].
    const double temp = t_prev_;
    t_prev_ = t_;
    const double min_step = t_ + 0.01 * (t_ - temp);
    const double max_step = t_ * 10.0;
    const double t = lbfgs_cubic_min_bounded(temp, f_prev_, gtd_prev_, t_prev_, f_new, gtd_new, min_step, max_step);
    f_prev_ = f_new;
    g_prev_ = g_new;
    gtd_prev_ = gtd_new;
    return trial(t);
}

// WolfeLineSearch.m, the zoom loop: its test, and the next trial point.
LbfgsStatus Lbfgs::zoom_propose() {
    if (done_ || ls_iter_ >= opt_.max_line_search) return finish_line_search();
    phase_ = Phase::Zoom;
    lo_ = bracket_[1].f < bracket_[0].f ? 1 : 0;  // [f_LO LOpos] = min(bracketFval)
    hi_ = 1 - lo_;
    f_lo_ = bracket_[lo_].f;
    const Point& a = bracket_[0];
    const Point& b = bracket_[1];
    double t;
    if (!a.legal || !b.legal) {
        t = (a.t + b.t) / 2.0;  // "Bisecting"
    } else {
        t = lbfgs_cubic_min(a.t, a.f, a.gtd, b.t, b.f, b.gtd);  // "Grad-Cubic Interpolation"
    }
    // "Test that we are making sufficient progress".
    const double top = mmax(a.t, b.t), bottom = mmin(a.t, b.t);
    if (mmin(top - t, t - bottom) / (top - bottom) < 0.1) {
        if (insufficient_ || t >= top || t <= bottom) {
            t = std::fabs(t - top) < std::fabs(t - bottom) ? top - 0.1 * (top - bottom) : bottom + 0.1 * (top - bottom);
            insufficient_ = false;
        } else {
            insufficient_ = true;
        }
    } else {
        insufficient_ = false;
    }
    return trial(t);
}

LbfgsStatus Lbfgs::tell_zoom(double f_new, double gtd_new, bool legal) {
    ++ls_iter_;
    const Point fresh{t_, f_new, gtd_new, g_trial_, legal};
    g_trial_ = -1;
    if (f_new > f_ + opt_.c1 * t_ * gtd_ || f_new >= f_lo_) {
        bracket_[hi_] = fresh;  // "Armijo condition not satisfied or not lower than lowest point"
    } else {
        if (std::fabs(gtd_new) <= -opt_.c2 * gtd_) {
            done_ = true;  // "Wolfe conditions satisfied"
        } else if (gtd_new * (bracket_[hi_].t - bracket_[lo_].t) >= 0.0) {
            bracket_[hi_] = bracket_[lo_];  // "Old HI becomes new LO"
        }
        bracket_[lo_] = fresh;  // "New point becomes new LO"
    }
    if (!done_ && std::fabs((bracket_[0].t - bracket_[1].t) * gtd_new) < opt_.prog_tol)
        return finish_line_search();  // "Line Search can not make further progress"
    return zoom_propose();
}

// ArmijoBacktrack.m (from WolfeLineSearch after an illegal value), entered after each of its evaluations.
LbfgsStatus Lbfgs::tell_armijo(double f_new, double gtd_new, bool legal) {
    const int g_new = g_trial_;
    g_trial_ = -1;
    if (!ls_first_) {
        // "Check whether step size has become too small": sum(abs(t*d)) <= tolX, after the evaluation.
        const double* d = d_.get();
        const double t = t_;
        const double l1 = blocked<1>(n_, 1, partial_.data(), [&](index_t i0, index_t i1, std::array<double, 1>& acc) {
            double sum = 0.0;
#pragma omp simd reduction(+ : sum)
            for (index_t i = i0; i < i1; ++i) sum += std::fabs(t * d[i]);
            acc[0] = sum;
        })[0];
        if (l1 <= opt_.prog_tol) return complete_iteration(0.0, f_, g_cur_);  // t = 0, f_new = f, g_new = g
    }
    ls_first_ = false;
    const bool f_legal = std::isfinite(f_new);
    if (f_new > f_ + opt_.c1 * t_ * gtd_ || !f_legal) {
        const double temp = t_;
        double t;
        if (!f_legal) {
            t = 0.5 * t_;  // "Backtrack w/ fixed backtracking rate"
        } else {
            // "Backtracking w/ cubic interpolation w/ derivative" (the gradient is finite here: a finite cost
            // with a non-finite gradient was refused by tell()).
            (void)legal;
            t = lbfgs_cubic_min(0.0, f_, gtd_, t_, f_new, gtd_new);
        }
        if (t < temp * 1e-3) {
            t = temp * 1e-3;
        } else if (t > temp * 0.6) {
            t = temp * 0.6;
        }
        return trial(t);
    }
    return complete_iteration(t_, f_new, g_new);
}

LbfgsStatus Lbfgs::finish_line_search() {
    // [f_LO LOpos] = min(bracketFval); t = bracket(LOpos), f_new and g_new from it.
    int lo = 0;
    if (n_bracket_ == 2 && bracket_[1].f < bracket_[0].f) lo = 1;
    const Point best = bracket_[lo];
    n_bracket_ = 0;
    return complete_iteration(best.t, best.f, best.g);
}

// minFunc.m after the line search: x = x + t*d, then its tests in order.
LbfgsStatus Lbfgs::complete_iteration(double t, double f, int g) {
    t_ = t;
    n_bracket_ = 0;
    g_prev_ = -1;
    g_trial_ = -1;
    phase_ = Phase::Idle;
    const double* x = x_.get();
    const double* d = d_.get();
    double* xn = spare_.get();
    const double* gn = buffer(g);
    const auto sums = blocked<2>(n_, 4, partial_.data(), [&](index_t i0, index_t i1, std::array<double, 2>& acc) {
        double step = 0.0, l1 = 0.0;
#pragma omp simd reduction(+ : step, l1)
        for (index_t i = i0; i < i1; ++i) {
            const double td = t * d[i];
            xn[i] = x[i] + td;
            step += std::fabs(td);
            l1 += std::fabs(gn[i]);
        }
        acc[0] = step;
        acc[1] = l1;
    });
    x_.swap(spare_);
    g_old_ = g_cur_;
    g_cur_ = g;
    const double f_old = f_old_;
    f_ = f;
    gsum_ = sums[1];
    ++iteration_;
    status_ = LbfgsStatus::Iteration;
    if (gsum_ <= opt_.opt_tol) {
        stop_ = LbfgsStop::Optimality;
    } else if (sums[0] <= opt_.prog_tol) {
        stop_ = LbfgsStop::Step;
    } else if (std::fabs(f - f_old) / std::max({std::fabs(f_old), std::fabs(f), 1.0}) < opt_.prog_tol) {
        stop_ = LbfgsStop::Function;
    } else if (evaluations_ > opt_.max_evals) {
        stop_ = LbfgsStop::MaxEvals;
    } else if (iteration_ >= opt_.max_iter) {
        stop_ = LbfgsStop::MaxIter;
    }
    return status_;
}

}  // namespace ufldl
