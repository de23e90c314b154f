"""The compiled core's L-BFGS state machine (``cpp/include/ufldl/lbfgs.hpp``), as the optimisers take it.

``ufldl.optimize.lbfgs`` drives it; a network's objective runs its evaluations in the core
(:meth:`ufldl.Network.objective`). The compiled module is reached through the base layer only
(``docs/architecture.md``), so this module names what the optimisers need from it.
"""

from ufldl import _core

__all__ = ["LbfgsState", "LbfgsStatus", "LbfgsStop"]

#: ``LbfgsState(n, *, corrections, max_iter, max_evals, opt_tol, prog_tol, c1, c2, max_line_search)``: minFunc's
#: L-BFGS over a float64 vector of n values, asked for points and told costs and gradients.
LbfgsState = _core.Lbfgs
#: What the state asks for next: ``evaluate``, ``started``, ``iteration``, ``stopped``, ``non_finite``.
LbfgsStatus = _core.LbfgsStatus
#: Why a run stopped: ``optimality``, ``step``, ``function``, ``max_evals``, ``max_iter``, ``directional``,
#: ``bad_direction``, ``non_finite`` (``none`` while it runs).
LbfgsStop = _core.LbfgsStop
