"""Checkpoints (ufldl.optimize.checkpoint): a full-batch run saves its iterate atomically and a new run resumes
from it — the same numbers as an uninterrupted run up to the checkpoint and as a new run from the checkpoint's
theta after it, also when the process writing it is killed (SIGKILL) in the middle of the run."""

import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import ufldl
from ufldl.optimize import Checkpoint


def data(m=300, n=16, seed=0):
    return np.random.default_rng(seed).uniform(0.1, 0.9, size=(m, n))


def network():
    return ufldl.Network([16, 5, 16], weight_decay=1e-4, sparsity=ufldl.KLSparsity(0.05, 3.0), random_state=0)


def run_in_two(X, first, total, solver="lbfgs"):
    """A run of ``first`` iterations, then a new run from its theta for the rest: what a resume must equal."""
    net = network()
    head = ufldl.train(net, X, X, solver, max_iter=first)
    tail = ufldl.train(net, X, X, solver, max_iter=total - first)
    return net, head.loss_curve + tail.loss_curve


@pytest.mark.parametrize("solver", ["lbfgs", "lbfgsb", "cg"])
def test_a_stopped_run_resumes_from_its_checkpoint(tmp_path, solver):
    X, path = data(), tmp_path / "run.ckpt"
    uninterrupted = network()
    reference = ufldl.train(uninterrupted, X, X, solver, max_iter=25)
    seen = []

    def stop_at_13(iteration, theta, cost):
        seen.append(iteration)
        return iteration == 13

    stopped = ufldl.train(network(), X, X, solver, max_iter=25, checkpoint=Checkpoint(path, every=5),
                          callback=stop_at_13)
    assert stopped.n_iter == 13 and seen == list(range(1, 14))
    saved = ufldl.load(path)  # written when the run ended, not only at iterations 5 and 10
    assert saved.n_iter == 13 and saved.loss_curve == reference.loss_curve[:13]  # bitwise the uninterrupted run
    assert saved.solver == solver and saved.theta.dtype == np.float64

    checkpoint, resumed_net, seen[:] = Checkpoint(path, every=5), network(), []
    resumed = ufldl.train(resumed_net, X, X, solver, max_iter=25, checkpoint=checkpoint,
                          callback=lambda it, theta, cost: seen.append(it))
    assert checkpoint.resumed_from == 13 and seen == list(range(14, 26))  # iterations counted over the run
    assert resumed.n_iter == 25 and len(resumed.loss_curve) == 25
    net, curve = run_in_two(X, 13, 25, solver)
    assert resumed.loss_curve == curve and np.array_equal(resumed_net.theta, net.theta)  # bitwise
    assert checkpoint.n_writes == 3  # iterations 15 and 20, and the end (25)
    assert ufldl.load(path).n_iter == 25

    again = ufldl.train(network(), X, X, solver, max_iter=25, checkpoint=path)  # nothing left to do
    assert again.n_iter == 25 and again.n_evals == 0 and "already reached" in again.message


def test_a_killed_process_leaves_a_whole_checkpoint_to_resume_from(tmp_path):
    path = tmp_path / "killed.ckpt"
    script = textwrap.dedent(f"""
        import sys, time
        import numpy as np, ufldl
        from ufldl.optimize import Checkpoint
        X = np.random.default_rng(0).uniform(0.1, 0.9, size=(300, 16))
        net = ufldl.Network([16, 5, 16], weight_decay=1e-4, sparsity=ufldl.KLSparsity(0.05, 3.0), random_state=0)
        def report(iteration, theta, cost):
            print("iteration", iteration, flush=True)
            if iteration >= 7:
                time.sleep(0.2)
        ufldl.train(net, X, X, max_iter=100, checkpoint=Checkpoint({str(path)!r}, every=3), callback=report)
        print("finished", flush=True)
    """)
    with subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True) as child:
        try:
            for line in child.stdout:
                if line.strip() == "iteration 8":
                    break
        finally:
            os.kill(child.pid, signal.SIGKILL)
            child.wait(timeout=60)
    assert child.returncode == -signal.SIGKILL
    saved = ufldl.load(path)  # whole: written to a temporary file, then renamed
    assert saved.n_iter in (6, 9)  # the last multiple of every=3 reached before the kill
    assert not [name for name in os.listdir(tmp_path) if name != "killed.ckpt"]  # no temporary file left over

    X = data()
    resumed_net = network()
    resumed = ufldl.train(resumed_net, X, X, max_iter=20, checkpoint=path)
    net, curve = run_in_two(X, saved.n_iter, 20)
    assert resumed.loss_curve == curve and np.array_equal(resumed_net.theta, net.theta)


def test_an_estimator_fit_resumes_from_its_checkpoint(tmp_path):
    X, path = data(), tmp_path / "ae.ckpt"
    params = dict(n_hidden=5, rho=0.05, weight_decay=1e-4, random_state=0)
    first = ufldl.SparseAutoencoder(max_iter=10, **params).fit(X, checkpoint=path)
    resumed = ufldl.SparseAutoencoder(max_iter=25, **params).fit(X, checkpoint=path)
    assert resumed.n_iter_ == 25 and len(resumed.loss_curve_) == 25
    assert resumed.loss_curve_[:10] == first.loss_curve_
    continued = ufldl.SparseAutoencoder(max_iter=10, **params).fit(X)
    continued.network_.theta = first.network_.theta
    tail = ufldl.train(continued.network_, X, X, max_iter=15)
    assert resumed.loss_curve_[10:] == tail.loss_curve
    assert np.array_equal(resumed.network_.theta, continued.network_.theta)


def test_a_checkpoint_of_something_else_is_refused(tmp_path):
    X, path = data(), tmp_path / "other.ckpt"
    ufldl.train(network(), X, X, max_iter=3, checkpoint=path)
    wider = ufldl.Network([16, 6, 16], random_state=0)
    with pytest.raises(ValueError, match="belongs to another network"):
        ufldl.train(wider, X, X, max_iter=3, checkpoint=path)
    with pytest.raises(ValueError, match="written by solver 'lbfgs', not 'cg'"):
        ufldl.train(network(), X, X, "cg", max_iter=3, checkpoint=path)
    ufldl.save(network(), tmp_path / "net.npz")
    with pytest.raises(ValueError, match="not a training checkpoint"):
        ufldl.train(network(), X, X, max_iter=3, checkpoint=tmp_path / "net.npz")
    with pytest.raises(TypeError, match="checkpoint is for the full-batch solvers"):
        ufldl.train(network(), X, X, "adam", max_iter=1, checkpoint=path)
    with pytest.raises(TypeError, match="checkpoint must be None, a path or a ufldl.optimize.Checkpoint"):
        ufldl.train(network(), X, X, max_iter=1, checkpoint=3)
    with pytest.raises(ValueError, match="every must be an integer >= 1"):
        Checkpoint(path, every=0)


def test_a_fit_on_a_dask_array_resumes_from_its_checkpoint(tmp_path):
    da = pytest.importorskip("dask.array")
    dask = pytest.importorskip("dask")
    X, path = data(), tmp_path / "dask.ckpt"
    Xd = da.from_array(X, chunks=(100, 16))
    with dask.config.set(scheduler="threads"):
        ufldl.train(network(), Xd, Xd, max_iter=8, checkpoint=path)
        resumed_net = network()
        resumed = ufldl.train(resumed_net, Xd, Xd, max_iter=20, checkpoint=path)
    net, curve = run_in_two(X, 8, 20)
    assert resumed.n_iter == 20
    assert np.abs(np.array(resumed.loss_curve) - curve).max() <= 1e-9 * curve[0]  # (chunked sums: rounding)
    assert np.abs(resumed_net.theta - net.theta).max() <= 1e-7


# ---------------------------------------------------------------------------- a stack: one file per stage


def stack(**changes):
    params = dict(hidden_layer_sizes=(6, 4), pretrain_max_iter=15, softmax_max_iter=15, finetune_max_iter=15,
                  random_state=0)
    return ufldl.StackedAutoencoder(**{**params, **changes})


def digits():
    X, y = ufldl.datasets.load_digits()
    return X[:300], y[:300]


def test_a_stack_fit_with_checkpoints_equals_one_without_and_repeats_from_them(tmp_path):
    X, y = digits()
    plain = stack().fit(X, y)
    directory = tmp_path / "stack"
    checked = stack().fit(X, y, checkpoint=directory)
    assert sorted(os.listdir(directory)) == ["autoencoder-1.ckpt", "autoencoder-2.ckpt", "finetune.ckpt",
                                             "softmax.ckpt"]
    assert checked.loss_curve_ == plain.loss_curve_
    assert np.array_equal(checked.network_.theta, plain.network_.theta)
    stamps = {name: os.stat(directory / name).st_mtime_ns for name in os.listdir(directory)}
    again = stack().fit(X, y, checkpoint=str(directory))  # every stage found whole: nothing trained again
    assert {name: os.stat(directory / name).st_mtime_ns for name in os.listdir(directory)} == stamps
    assert again.loss_curve_ == plain.loss_curve_ and np.array_equal(again.network_.theta, plain.network_.theta)
    assert np.array_equal(again.pretrained_network_.theta, plain.pretrained_network_.theta)


def test_a_stack_cut_short_resumes_its_stages_from_their_checkpoints(tmp_path):
    X, y = digits()
    directory = tmp_path / "stack"
    every = Checkpoint(directory, every=3)
    short = stack(pretrain_max_iter=8).fit(X, y, checkpoint=every)  # as if the client died after 8 iterations
    resumed = stack().fit(X, y, checkpoint=every)
    first = stack(pretrain_max_iter=8).fit(X, y).autoencoders_[0]
    whole = stack().fit(X, y)
    # The first autoencoder resumed after 8 of its 15 iterations: the uninterrupted run up to there, then a new
    # run from the saved theta (L-BFGS's memory starts afresh), as ufldl.train's checkpoint.
    ae = resumed.autoencoders_[0]
    assert ae.n_iter_ == 15 and ae.loss_curve_[:8] == first.loss_curve_ == short.autoencoders_[0].loss_curve_
    tail = ufldl.train(first.network_, X, X, max_iter=7)
    assert ae.loss_curve_[8:] == tail.loss_curve and np.array_equal(ae.network_.theta, first.network_.theta)
    # The later stages' files came from the first autoencoder at 8 iterations: removed, they trained afresh on
    # the resumed features, as a fit without checkpoints from those features does.
    assert resumed.autoencoders_[1].n_iter_ == 15 and resumed.n_iter_ == 15
    assert resumed.autoencoders_[0].loss_curve_[:8] == whole.autoencoders_[0].loss_curve_[:8]
    assert resumed.score(X, y) > 0.5


def test_a_converged_stage_is_not_trained_again(tmp_path):
    X, y = digits()
    directory = tmp_path / "stack"
    first = stack(softmax_max_iter=400).fit(X, y, checkpoint=directory)
    softmax = ufldl.io.load(directory / "softmax.ckpt")
    assert softmax.converged and softmax.n_iter < 400  # the softmax layer converges early on these digits
    again = stack(softmax_max_iter=400).fit(X, y, checkpoint=directory)
    assert again.loss_curve_ == first.loss_curve_ and np.array_equal(again.network_.theta, first.network_.theta)


def test_a_stack_checkpoint_must_be_a_directory(tmp_path):
    X, y = digits()
    (tmp_path / "file").write_text("not a directory")
    with pytest.raises(ValueError, match="is a file; a StackedAutoencoder keeps one file per stage"):
        stack().fit(X, y, checkpoint=tmp_path / "file")
    with pytest.raises(ValueError, match="its parent directory .* does not exist"):
        stack().fit(X, y, checkpoint=tmp_path / "missing" / "stack")
    with pytest.raises(TypeError, match="checkpoint must be None, a directory path or a ufldl.optimize.Checkpoint"):
        stack().fit(X, y, checkpoint=3)
