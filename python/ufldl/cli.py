"""The command line: ``ufldl demo`` (also ``python -m ufldl demo``).

``ufldl demo`` runs the UFLDL tutorial's sparse-autoencoder exercise end to end (``shared/spec/math.md``, "The
tutorial's sparse autoencoder exercise"): natural-image patches, a 64-25-64 sigmoid autoencoder with the KL
sparsity penalty, 400 iterations of L-BFGS, and a picture of the 25 learned features.
"""

import argparse
import json
import math
import os
import platform
import sys
import time
from pathlib import Path

__all__ = ["main", "build_parser"]

_RUN_MARKER = "ufldl demo"  # run.json's "program": how an earlier run's record is recognised


# ---------------------------------------------------------------------- argument types


def _int_at_least(low):
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be an integer >= {low}; got {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"must be an integer >= {low}; got {value}")
        return value

    parse.__name__ = f"integer >= {low}"  # argparse names the type in some messages
    return parse


def _float_in(low, high=None, *, low_open=False, high_open=True):
    if high is None:
        wanted = f"a number {'>' if low_open else '>='} {low}"
    else:
        wanted = f"a number in {'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"

    def parse(text):
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {wanted}; got {text!r}") from None
        ok = math.isfinite(value) and (value > low if low_open else value >= low)
        if ok and high is not None:
            ok = value < high if high_open else value <= high
        if not ok:
            raise argparse.ArgumentTypeError(f"must be {wanted}; got {text}")
        return value

    parse.__name__ = wanted
    return parse


# ---------------------------------------------------------------------- parser

_DEMO_DESCRIPTION = """\
The UFLDL tutorial's sparse-autoencoder exercise, end to end:

  1. load two natural photographs (china.jpg and flower.jpg, shipped inside
     scikit-learn) as grayscale; shrink them by --downsample and flatten their
     1/f spectrum (--whiten), as the tutorial's Olshausen & Field images were;
  2. cut --n-patches random P x P patches (--patch-size) and normalise them as
     the tutorial does (remove each patch's mean, clip at +-3 std, map into
     [0.1, 0.9]);
  3. train a P*P - H - P*P sparse autoencoder (H = --hidden sigmoid units, KL
     sparsity target --rho with weight --beta, weight decay --weight-decay)
     with SciPy's L-BFGS-B for at most --max-iter iterations;
  4. write the learned features (one tile per hidden unit) to --out, and the
     cost per iteration (loss.png) and a record of the run (run.json) beside it.

With the defaults the features look like localised, oriented edge and line
detectors. The defaults take a few seconds on a 2-core machine.
"""


def build_parser():
    """The argument parser of the ``ufldl`` command (exposed for documentation and tests)."""
    from ufldl import __version__

    parser = argparse.ArgumentParser(
        prog="ufldl",
        description="ufldl: the UFLDL tutorial's neural networks and sparse autoencoder, exact and fast.",
        epilog="Run 'ufldl demo' to train the tutorial's sparse autoencoder on natural-image patches and "
               "picture its features; 'ufldl demo --help' lists its settings.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    demo = commands.add_parser(
        "demo",
        help="train the tutorial's sparse autoencoder on natural-image patches and picture its features",
        description=_DEMO_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    data = demo.add_argument_group("data")
    data.add_argument("--n-patches", type=_int_at_least(1), default=10000, metavar="M",
                      help="number of random patches to train on (default: %(default)s)")
    data.add_argument("--patch-size", type=_int_at_least(2), default=8, metavar="P",
                      help="side of the square patches in pixels; the network has P*P inputs and outputs "
                           "(default: %(default)s)")
    data.add_argument("--downsample", type=_int_at_least(1), default=3, metavar="F",
                      help="shrink the photographs by averaging F x F pixel blocks before cutting patches, so "
                           "that a patch spans real edges rather than blur and JPEG noise; 1 keeps full "
                           "resolution (default: %(default)s)")
    data.add_argument("--whiten", action=argparse.BooleanOptionalAction, default=True,
                      help="flatten the images' 1/f amplitude spectrum by f * exp(-(f/F0)^4) (f in cycles "
                           "per pixel), as for the tutorial's IMAGES.mat (default: whiten)")
    data.add_argument("--f0", type=_float_in(0, low_open=True), default=0.3,
                      help="roll-off frequency of the whitening filter in cycles per pixel, > 0; IMAGES.mat used "
                           "0.4, which on these JPEG photographs leaves a unit or two dead for some seeds "
                           "(default: %(default)s)")
    data.add_argument("--seed", type=_int_at_least(0), default=0,
                      help="seed of the patch positions and of the initial weights (default: %(default)s)")

    model = demo.add_argument_group("network and training")
    model.add_argument("--hidden", type=_int_at_least(1), default=25, metavar="H",
                       help="number of hidden units (default: %(default)s)")
    model.add_argument("--rho", type=_float_in(0, 1, low_open=True), default=0.01,
                       help="sparsity target: the desired mean activation of each hidden unit, in (0, 1) "
                            "(default: %(default)s)")
    model.add_argument("--beta", type=_float_in(0), default=3.0,
                       help="weight of the KL sparsity penalty, >= 0 (default: %(default)s)")
    model.add_argument("--weight-decay", type=_float_in(0), default=1e-4, metavar="LAMBDA",
                       help="weight decay lambda, >= 0: adds (lambda/2) * sum ||W||^2, not divided by the "
                            "number of patches (default: %(default)s)")
    model.add_argument("--max-iter", type=_int_at_least(1), default=400, metavar="N",
                       help="maximum number of L-BFGS iterations (default: %(default)s)")

    output = demo.add_argument_group("output")
    output.add_argument("--out", default=os.path.join("ufldl-demo", "features.png"), metavar="PATH.png",
                        help="PNG file for the features picture; loss.png and run.json are written beside "
                             "it and its directory is created if needed (default: %(default)s)")
    output.add_argument("--quiet", action="store_true", help="print nothing but errors")
    demo.set_defaults(handler=_run_demo, command_parser=demo)
    return parser


# ---------------------------------------------------------------------- output paths


def _output_paths(out, demo_parser):
    """Check --out and its siblings before any work; return the (features, loss, record) paths."""
    features = Path(out)
    if features.suffix.lower() != ".png":
        demo_parser.error(f"--out must name a .png file (the features picture); got {out!r}")
    if features.is_dir():
        demo_parser.error(f"--out {out!r} is a directory; give a file name such as {str(features / 'features.png')!r}")
    if features.name.lower() == "loss.png":
        demo_parser.error("--out must not be named loss.png: the loss curve is written to loss.png beside it")
    loss = features.with_name("loss.png")
    record = features.with_name("run.json")
    for path in (features, loss):
        if path.exists() and not path.is_file():
            demo_parser.error(f"cannot write {str(path)!r}: it exists and is not a regular file")
    if record.exists():
        try:
            previous = json.loads(record.read_text(encoding="utf-8"))
            ours = isinstance(previous, dict) and previous.get("program") == _RUN_MARKER
        except (OSError, UnicodeDecodeError, ValueError):
            ours = False
        if not ours:
            demo_parser.error(
                f"refusing to overwrite {str(record)!r}: it exists and is not a run.json written by 'ufldl demo'; "
                "move it away or choose another --out directory"
            )
    parent = features.parent
    if parent.exists() and not parent.is_dir():
        demo_parser.error(f"cannot create the output directory {str(parent)!r}: a file of that name exists")
    return features, loss, record


def _make_directory(path, demo_parser):
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        demo_parser.error(f"cannot create the output directory {str(path)!r}: {exc.strerror or exc}")


# ---------------------------------------------------------------------- the demo


def _versions():
    import numpy
    import scipy

    import ufldl

    versions = {"ufldl": ufldl.__version__, "numpy": numpy.__version__, "scipy": scipy.__version__,
                "python": platform.python_version()}
    for name, module in (("scikit-learn", "sklearn"), ("pillow", "PIL")):
        try:
            versions[name] = __import__(module).__version__
        except ImportError:
            versions[name] = None
    return versions


def _run_demo(args, demo_parser):
    say = (lambda *a: None) if args.quiet else (lambda *a: print(*a, flush=True))
    features_path, loss_path, record_path = _output_paths(args.out, demo_parser)

    import numpy as np
    import scipy.optimize

    import ufldl
    from ufldl import datasets, viz

    start = time.perf_counter()
    try:
        images = datasets.load_natural_images()
    except ImportError as exc:
        print(f"ufldl demo: error: {exc}", file=sys.stderr)
        return 1
    original_shapes = [list(image.shape) for image in images]
    try:
        if args.downsample > 1:
            images = datasets.downsample_images(images, args.downsample)
        if args.whiten:
            images = datasets.whiten_images(images, f0=args.f0)
        patches = datasets.sample_patches(images, args.n_patches, args.patch_size, seed=args.seed)
    except ValueError as exc:
        demo_parser.error(f"{exc} (after --downsample {args.downsample}: images of shape "
                          f"{', '.join(str(tuple(image.shape)) for image in images)})")
    X = datasets.normalize_patches(patches)
    n_pixels = args.patch_size ** 2
    data_seconds = time.perf_counter() - start
    say(f"data: {X.shape[0]} patches of {args.patch_size}x{args.patch_size} pixels from {len(images)} images "
        f"of {' and '.join('x'.join(map(str, image.shape)) for image in images)} pixels "
        f"(downsample {args.downsample}, {f'whitened with f0 {args.f0}' if args.whiten else 'not whitened'}), "
        f"normalised into [{X.min():.2f}, {X.max():.2f}] in {data_seconds:.2f} s")

    _make_directory(features_path.parent, demo_parser)  # now, not after training: fail early

    layer_sizes = [n_pixels, args.hidden, n_pixels]
    net = ufldl.Network(layer_sizes, activations="sigmoid", weight_decay=args.weight_decay,
                        sparsity=ufldl.KLSparsity(args.rho, args.beta), seed=args.seed)
    # minFunc's defaults as the tutorial used them: 100 corrections, its tolerances ~ SciPy's defaults.
    options = {"maxiter": args.max_iter, "maxcor": 100}
    say(f"network: {'-'.join(map(str, layer_sizes))} sigmoid, rho {args.rho}, beta {args.beta}, "
        f"lambda {args.weight_decay}; L-BFGS-B, at most {args.max_iter} iterations, "
        f"{ufldl.blas_info()['num_threads']} BLAS threads")

    losses = []
    train_start = time.perf_counter()

    def fun(theta):
        cost, grad = net.cost_and_grad(X, X, theta)
        if not losses:  # the first evaluation is at the starting point
            losses.append(float(cost))
            say(f"iteration {0:4d}  cost {cost:.6f}  elapsed {time.perf_counter() - train_start:6.2f} s")
        return cost, grad

    def callback(intermediate_result):
        losses.append(float(intermediate_result.fun))
        iteration = len(losses) - 1
        if iteration % 25 == 0:
            say(f"iteration {iteration:4d}  cost {intermediate_result.fun:.6f}  "
                f"elapsed {time.perf_counter() - train_start:6.2f} s")

    result = scipy.optimize.minimize(fun, net.theta.copy(), jac=True, method="L-BFGS-B", options=options,
                                     callback=callback)
    train_seconds = time.perf_counter() - train_start
    net.theta = result.x
    final_cost = float(result.fun)
    if (len(losses) - 1) % 25 != 0:
        say(f"iteration {len(losses) - 1:4d}  cost {final_cost:.6f}  elapsed {train_seconds:6.2f} s")
    say(f"stopped after {result.nit} iterations ({result.nfev} evaluations, {train_seconds:.2f} s): "
        f"{result.message}")

    W1 = net.weights[0]
    norms = np.linalg.norm(W1, axis=1)
    rho_hat = net.mean_activations(X)[0]
    viz.save_png(features_path, viz.tile_features(W1, (args.patch_size, args.patch_size)), scale=8)
    viz.plot_loss_curve(losses, loss_path, title="sparse autoencoder cost")

    record = {
        "program": _RUN_MARKER,
        "settings": {
            "n_patches": args.n_patches, "patch_size": args.patch_size, "downsample": args.downsample,
            "whiten": args.whiten, "f0": args.f0 if args.whiten else None, "seed": args.seed,
            "hidden": args.hidden, "rho": args.rho, "beta": args.beta, "weight_decay": args.weight_decay, "max_iter": args.max_iter, "layer_sizes": layer_sizes,
            "activations": list(net.activations),
        },
        "data": {
            "source": "sklearn.datasets.load_sample_images: china.jpg, flower.jpg (grayscale, BT.601 luma)",
            "image_shapes": original_shapes,
            "image_shapes_used": [list(image.shape) for image in images],
            "patches_shape": list(X.shape),
        },
        "optimizer": {"method": "L-BFGS-B", "options": options, "message": str(result.message),
                      "success": bool(result.success), "evaluations": int(result.nfev)},
        "iterations": int(result.nit),
        "initial_cost": losses[0],
        "final_cost": final_cost,
        "final_cost_terms": {k: float(v) for k, v in net.cost_terms(X, X).items()},
        "hidden_mean_activation": {"min": float(rho_hat.min()), "max": float(rho_hat.max())},
        "feature_norms": {"min": float(norms.min()), "max": float(norms.max())},
        "seconds": {"data": round(data_seconds, 4), "training": round(train_seconds, 4),
                    "total": round(time.perf_counter() - start, 4)},
        "losses": losses,
        "files": {"features": str(features_path), "loss_curve": str(loss_path)},
        "versions": _versions(),
        "blas": ufldl.blas_info(),
        "platform": {"system": platform.platform(), "machine": platform.machine(), "cpu_count": os.cpu_count()},
    }
    record_path.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    say(f"wrote {features_path}, {loss_path} and {record_path} ({record['seconds']['total']:.1f} s in all)")
    return 0


def main(argv=None):
    """Entry point of the ``ufldl`` console script and of ``python -m ufldl``.

    Parameters
    ----------
    argv : list of str, optional
        The arguments (default ``sys.argv[1:]``).

    Returns
    -------
    status : int
        0 on success, 1 on a failure at run time, 2 on a usage error (argparse exits with 2 itself).
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        print("\nufldl: error: choose a command (e.g. 'ufldl demo')", file=sys.stderr)
        return 2
    try:
        return args.handler(args, args.command_parser)
    except KeyboardInterrupt:
        print("ufldl: interrupted", file=sys.stderr)
        return 130
