"""``ufldl train DATA.npy``: a sparse autoencoder on your own data, saved as a model file with pictures."""

import argparse
import math
import sys
import time
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ufldl.cli._args import Subcommands, float_in, image_shape, int_at_least
from ufldl.cli._output import (Say, check_own_file, check_record, draw_loss_curve, machine, make_directory,
                               recorded_files, versions, write_record)
from ufldl.cli._sizes import byte_size, check_examples, check_memory, check_network, training_bytes

if TYPE_CHECKING:  # for the annotations only: starting the command imports nothing heavy
    import numpy as np

MARKER = "ufldl train"

DESCRIPTION = """\
Train a sparse autoencoder (ufldl.SparseAutoencoder) on the rows of a NumPy
.npy file (one example per row, shape (n_examples, n_features); loaded with
allow_pickle=False) and save the fitted model with ufldl.save, so that Python
gets it back with ufldl.load(PATH). Beside the model it writes the learned
features as a picture (features.png, when the features are square images or
--image-shape says their shape), the cost per iteration (loss.png) and a record
of the run (run.json).

With the default sigmoid decoder the data must lie in [0, 1] (the tutorial
scales its patches into [0.1, 0.9]: use --normalize for its normalisation);
--decoder linear takes any range (whitened data, for instance).
"""


def add_parser(commands: Subcommands) -> argparse.ArgumentParser:
    train = commands.add_parser("train", help="train a sparse autoencoder on the rows of a .npy file and save it",
                                description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    train.add_argument("data", metavar="DATA.npy", help="a 2-D array, one example per row")
    train.add_argument("--normalize", action="store_true",
                       help="apply the tutorial's patch normalisation first (remove each row's mean, clip at "
                            "+-3 std, map into [0.1, 0.9])")
    model = train.add_argument_group("model")
    model.add_argument("--hidden", type=int_at_least(1), default=25, metavar="H",
                       help="hidden units (default: %(default)s)")
    model.add_argument("--rho", type=float_in(0, 1, low_open=True), default=0.01,
                       help="sparsity target in (0, 1) (default: %(default)s)")
    model.add_argument("--beta", type=float_in(0), default=3.0, help="sparsity weight >= 0 (default: %(default)s)")
    model.add_argument("--weight-decay", type=float_in(0), default=1e-4, metavar="LAMBDA",
                       help="weight decay lambda >= 0 (default: %(default)s)")
    model.add_argument("--decoder", choices=("sigmoid", "linear"), default="sigmoid",
                       help="output layer (default: %(default)s)")
    model.add_argument("--dtype", choices=("float64", "float32"), default="float64",
                       help="precision (default: %(default)s)")
    fitting = train.add_argument_group("training")
    fitting.add_argument("--solver", choices=("lbfgs", "cg", "gd", "sgd", "adam"), default="lbfgs",
                         help="optimiser (default: %(default)s)")
    fitting.add_argument("--max-iter", type=int_at_least(1), default=400, metavar="N",
                         help="iterations, or epochs for sgd and adam (default: %(default)s)")
    fitting.add_argument("--batch-size", type=int_at_least(1), default=None, metavar="B",
                         help="sgd/adam: examples per update (default: min(200, n_examples))")
    fitting.add_argument("--learning-rate", type=float_in(0, low_open=True), default=None, metavar="LR",
                         help="gd/sgd/adam step size (default: 0.1, 0.01, 0.001)")
    fitting.add_argument("--seed", type=int_at_least(0), default=0, help="random seed (default: %(default)s)")
    output = train.add_argument_group("output")
    output.add_argument("--out", default="model.npz", metavar="PATH",
                        help="the model file, an .npz archive (a name without a suffix gets .npz; another "
                             "suffix is refused); features.png, loss.png and run.json go beside it. None of these "
                             "files is overwritten unless an earlier 'ufldl train' wrote it there (its run.json "
                             "lists it) (default: %(default)s)")
    output.add_argument("--image-shape", type=image_shape, default=None, metavar="HxW[x3]",
                        help="shape of one example as an image, for the features picture: HxW, or HxWx3 for "
                             "colour rows laid out (height, width, RGB) (default: square if n_features is a "
                             "perfect square, else no picture)")
    output.add_argument("--quiet", action="store_true", help="print nothing but errors")
    train.set_defaults(handler=run, command_parser=train)
    return train


def load_rows(path: str, parser: argparse.ArgumentParser) -> "np.ndarray[Any, Any]":
    """The .npy file as a float array of shape (n, d), or a usage error saying what is wrong with it."""
    import numpy as np

    try:
        X = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        parser.error(f"DATA.npy: no such file: {str(path)!r}")
    except (OSError, ValueError) as exc:
        parser.error(f"DATA.npy: cannot read {str(path)!r} as a .npy array without pickle: {exc}")
    if not isinstance(X, np.ndarray):
        parser.error(f"DATA.npy: {str(path)!r} holds several arrays (an .npz?); save one 2-D array with np.save")
    if X.ndim != 2 or X.shape[0] < 1 or X.shape[1] < 1:
        parser.error(f"DATA.npy must hold a 2-D array, one example per row; got shape {X.shape}")
    if X.dtype.kind not in "biuf":
        parser.error(f"DATA.npy must hold real numbers; got dtype {X.dtype}")
    return X


def check_sizes(args: argparse.Namespace, X: "np.ndarray[Any, Any]", parser: argparse.ArgumentParser) -> None:
    """A usage error, before anything is allocated, when the autoencoder asked for cannot be trained here."""
    m, n_features = X.shape
    check_examples(parser, "DATA.npy", m)
    sizes = (n_features, args.hidden, n_features)
    count = check_network(parser, f"--hidden {args.hidden}", sizes, "autoencoder")
    itemsize = 8 if args.dtype == "float64" else 4
    converted = 0 if X.dtype.name == args.dtype else m * n_features * itemsize  # the data in the model's dtype
    needed = X.nbytes + converted + training_bytes(sizes, m, args.solver, itemsize=itemsize,
                                                   batch_size=args.batch_size)
    check_memory(parser, f"--hidden {args.hidden}", needed,
                 f"training a {'-'.join(map(str, sizes))} autoencoder ({count} parameters) with {args.solver} on "
                 f"{m} examples ({byte_size(X.nbytes)} of data)")


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    say: Say = (lambda *a: None) if args.quiet else (lambda *a: print(*a, flush=True))
    model_path = Path(args.out)
    if model_path.is_dir():
        parser.error(f"--out {args.out!r} is a directory; give a file name such as {str(model_path / 'model.npz')!r}")
    if model_path.suffix == "":
        model_path = model_path.with_name(model_path.name + ".npz")
        say(f"--out {args.out}: the model file is an .npz archive; writing {model_path}")
    elif model_path.suffix.lower() != ".npz":
        parser.error(f"--out must name an .npz file (the model is an .npz archive); got {args.out!r}: name it e.g. "
                     f"{str(model_path.with_suffix('.npz'))!r}")
    features_path = model_path.with_name("features.png")
    loss_path = model_path.with_name("loss.png")
    record_path = model_path.with_name("run.json")
    for sibling, what in ((features_path, "features picture"), (loss_path, "loss curve"), (record_path, "record")):
        if model_path.name.lower() == sibling.name:
            parser.error(f"--out must not be named {model_path.name}: the {what} is written to {sibling.name} "
                         "beside the model; name the model file e.g. model.npz")
    check_record(record_path, parser, MARKER)
    # loss.png and features.png have fixed names beside --out: overwritten only when an earlier run wrote them.
    earlier = recorded_files(record_path)
    check_own_file(loss_path, parser, MARKER, earlier)
    # The model file too: a file of that name that no earlier 'ufldl train' here wrote is the user's own.
    check_own_file(model_path, parser, MARKER, earlier)
    X = load_rows(args.data, parser)
    image_shape = args.image_shape
    if image_shape is None and math.isqrt(X.shape[1]) ** 2 == X.shape[1]:
        image_shape = (math.isqrt(X.shape[1]),) * 2
    if image_shape is not None and math.prod(image_shape) != X.shape[1]:
        parser.error(f"--image-shape {'x'.join(map(str, image_shape))} does not match the {X.shape[1]} features "
                     "of DATA.npy")
    if image_shape is not None:
        check_own_file(features_path, parser, MARKER, earlier)
    check_sizes(args, X, parser)

    import numpy as np

    import ufldl
    from ufldl import datasets, viz

    start = time.perf_counter()
    if not np.isfinite(X).all():
        print(f"ufldl train: error: DATA.npy holds NaN or inf values ({int((~np.isfinite(X)).sum())} of them)",
              file=sys.stderr)
        return 1
    if args.normalize:
        X = datasets.normalize_patches(X)
    say(f"data: {X.shape[0]} examples of {X.shape[1]} features from {args.data}, values in "
        f"[{X.min():.3g}, {X.max():.3g}]")
    make_directory(model_path.parent, parser)
    ae = ufldl.SparseAutoencoder(args.hidden, rho=args.rho, beta=args.beta, weight_decay=args.weight_decay,
                                 decoder=args.decoder, solver=args.solver, max_iter=args.max_iter,
                                 batch_size=args.batch_size or "auto", learning_rate=args.learning_rate,
                                 dtype=args.dtype, random_state=args.seed, verbose=0 if args.quiet else 1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ufldl.TrainingInterrupted)
        try:
            ae.fit(X)
        except ufldl.NonFiniteError as exc:
            print(f"ufldl train: error: {exc}", file=sys.stderr)
            return 1
    if caught:
        say("interrupted (Ctrl-C): saving what was learned so far")
    train_seconds = time.perf_counter() - start
    ae.set_params(verbose=0)  # the saved model should not print when refitted
    ae.save(model_path)
    files = {"model": str(model_path)}
    minibatch = args.solver in ("sgd", "adam")
    if draw_loss_curve(ae.loss_curve_ or [-ae.score(X)], loss_path, first=1 if ae.loss_curve_ else 0,
                       title="sparse autoencoder cost", xlabel="epoch" if minibatch else "iteration",
                       ylabel="loss" if minibatch else "cost"):
        files["loss_curve"] = str(loss_path)
    if image_shape is not None:
        viz.save_png(features_path, viz.tile_features(ae.components_, image_shape), scale=8)
        files["features"] = str(features_path)
    elif features_path.name in earlier and features_path.is_file():
        features_path.unlink()  # an earlier run's picture, of another model: not left beside this one
        say(f"removed {features_path}, the features picture of the earlier run")
    record = {
        "program": MARKER,
        "settings": {key: value for key, value in vars(args).items() if key not in ("handler", "command_parser")},
        "data": {"path": str(args.data), "shape": list(X.shape)},
        "iterations": ae.n_iter_,
        "converged": ae.converged_,
        "final_cost": ae.loss_curve_[-1] if ae.loss_curve_ else None,
        "reconstruction_cost": -ae.score(X),
        "hidden_mean_activation": {"min": float(ae.rho_hat_.min()), "max": float(ae.rho_hat_.max())},
        "seconds": round(train_seconds, 4),
        "files": files,
        "versions": versions(),
        "blas": ufldl.blas_info(),
        "platform": machine(),
    }
    write_record(record_path, record)
    say(f"wrote {', '.join(files.values())} and {record_path}; load the model with ufldl.load({str(model_path)!r})")
    return 130 if caught else 0  # 130: the shell's code for Ctrl-C (what was learned is saved all the same)
