"""``ufldl demo``: the UFLDL tutorial's sparse-autoencoder exercise, end to end.

Natural-image patches, a 64-25-64 sigmoid autoencoder with the KL sparsity penalty, 400 iterations of L-BFGS,
and a picture of the 25 learned features (``docs/math.md``, "The tutorial's sparse autoencoder
exercise").
"""

import argparse
import os
import sys
import time
import warnings
from typing import TYPE_CHECKING, Any

from ufldl.cli._args import ArgumentGroup, Subcommands, float_in, int_at_least
from ufldl.cli._output import Say, draw_loss_curve, machine, make_directory, output_paths, versions, write_record
from ufldl.cli._sizes import check_examples, check_memory, check_network, training_bytes

if TYPE_CHECKING:  # for the annotations only: starting the command imports nothing heavy
    from ufldl._lib.types import Float64Array, FloatArray
    from ufldl.network import Network
    from ufldl.optimize import OptimizeResult

MARKER = "ufldl demo"  # run.json's "program": how an earlier run's record is recognised
PROGRESS_EVERY = 25  # iterations between progress lines

DESCRIPTION = """\
The UFLDL tutorial's sparse-autoencoder exercise, end to end:

  1. load two natural photographs (china.jpg and flower.jpg, shipped inside
     scikit-learn) as grayscale; shrink them by --downsample and flatten their
     1/f spectrum (--whiten), as the tutorial's Olshausen & Field images were;
  2. cut --n-patches random P x P patches (--patch-size) and normalise them as
     the tutorial does (remove each patch's mean, clip at +-3 std, map into
     [0.1, 0.9]);
  3. train a P*P - H - P*P sparse autoencoder (H = --hidden sigmoid units, KL
     sparsity target --rho with weight --beta, weight decay --weight-decay)
     with L-BFGS (minFunc's, the tutorial's, run by ufldl's core) for at most --max-iter
     iterations;
  4. write the learned features (one tile per hidden unit) to --out, and the
     cost per iteration (loss.png) and a record of the run (run.json) beside it.

With the defaults the features look like localised, oriented edge and line
detectors. The defaults take a few seconds on a 2-core machine.
"""


def add_data_options(data: ArgumentGroup) -> None:
    """The options of the patches (shared with ``ufldl patches``)."""
    data.add_argument("--n-patches", type=int_at_least(1), default=10000, metavar="M",
                      help="number of random patches to train on (default: %(default)s)")
    data.add_argument("--patch-size", type=int_at_least(2), default=8, metavar="P",
                      help="side of the square patches in pixels; the network has P*P inputs and outputs "
                           "(default: %(default)s)")
    data.add_argument("--downsample", type=int_at_least(1), default=3, metavar="F",
                      help="shrink the photographs by averaging F x F pixel blocks before cutting patches, so "
                           "that a patch spans real edges rather than blur and JPEG noise; 1 keeps full "
                           "resolution (default: %(default)s)")
    data.add_argument("--whiten", action=argparse.BooleanOptionalAction, default=True,
                      help="flatten the images' 1/f amplitude spectrum by f * exp(-(f/F0)^4) (f in cycles "
                           "per pixel), as for the tutorial's IMAGES.mat (default: whiten)")
    data.add_argument("--f0", type=float_in(0, low_open=True), default=0.3,
                      help="roll-off frequency of the whitening filter in cycles per pixel, > 0; IMAGES.mat used "
                           "0.4, which on these JPEG photographs leaves a unit or two dead for some seeds "
                           "(default: %(default)s)")
    data.add_argument("--seed", type=int_at_least(0), default=0,
                      help="seed of the patch positions and of the initial weights (default: %(default)s)")


def add_parser(commands: Subcommands) -> argparse.ArgumentParser:
    demo = commands.add_parser(
        "demo",
        help="train the tutorial's sparse autoencoder on natural-image patches and picture its features",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_data_options(demo.add_argument_group("data"))

    model = demo.add_argument_group("network and training")
    model.add_argument("--hidden", type=int_at_least(1), default=25, metavar="H",
                       help="number of hidden units (default: %(default)s)")
    model.add_argument("--rho", type=float_in(0, 1, low_open=True), default=0.01,
                       help="sparsity target: the desired mean activation of each hidden unit, in (0, 1) "
                            "(default: %(default)s)")
    model.add_argument("--beta", type=float_in(0), default=3.0,
                       help="weight of the KL sparsity penalty, >= 0 (default: %(default)s)")
    model.add_argument("--weight-decay", type=float_in(0), default=1e-4, metavar="LAMBDA",
                       help="weight decay lambda, >= 0: adds (lambda/2) * sum ||W||^2, not divided by the "
                            "number of patches (default: %(default)s)")
    model.add_argument("--max-iter", type=int_at_least(1), default=400, metavar="N",
                       help="maximum number of L-BFGS iterations (default: %(default)s)")

    output = demo.add_argument_group("output")
    output.add_argument("--out", default=os.path.join("ufldl-demo", "features.png"), metavar="PATH.png",
                        help="PNG file for the features picture; loss.png and run.json are written beside "
                             "it and its directory is created if needed (default: %(default)s)")
    output.add_argument("--quiet", action="store_true", help="print nothing but errors")
    demo.set_defaults(handler=run, command_parser=demo)
    return demo


def cut_patches(args: argparse.Namespace,
                parser: argparse.ArgumentParser) -> "tuple[Float64Array, list[Float64Array], list[list[int]]]":
    """The photographs, downsampled and whitened, cut into patches (not normalised): (patches, images, the
    images' original shapes)."""
    from ufldl import datasets

    images = datasets.load_natural_images()
    original_shapes = [list(image.shape) for image in images]
    try:
        if args.downsample > 1:
            images = datasets.downsample_images(images, args.downsample)
        if args.whiten:
            images = datasets.whiten_images(images, f0=args.f0)
        patches = datasets.sample_patches(images, args.n_patches, args.patch_size, random_state=args.seed)
    except ValueError as exc:
        parser.error(f"{exc} (after --downsample {args.downsample}: images of shape "
                     f"{', '.join(str(tuple(image.shape)) for image in images)})")
    return patches, images, original_shapes


def prepare_patches(args: argparse.Namespace, parser: argparse.ArgumentParser,
                    say: Say) -> "tuple[Float64Array, dict[str, Any]]":
    """The demo's data: the photographs, downsampled and whitened, cut into normalised patches."""
    from ufldl import datasets

    patches, images, original_shapes = cut_patches(args, parser)
    X = datasets.normalize_patches(patches)
    say(f"data: {X.shape[0]} patches of {args.patch_size}x{args.patch_size} pixels from {len(images)} images "
        f"of {' and '.join('x'.join(map(str, image.shape)) for image in images)} pixels "
        f"(downsample {args.downsample}, {f'whitened with f0 {args.f0}' if args.whiten else 'not whitened'}), "
        f"normalised into [{X.min():.2f}, {X.max():.2f}]")
    data = {
        "source": "sklearn.datasets.load_sample_images: china.jpg, flower.jpg (grayscale, BT.601 luma)",
        "image_shapes": original_shapes,
        "image_shapes_used": [list(image.shape) for image in images],
        "patches_shape": list(X.shape),
    }
    return X, data


def train(net: "Network", X: "Float64Array", args: argparse.Namespace, say: Say,
          quiet: bool = False) -> "tuple[OptimizeResult, list[float], bool]":
    """L-BFGS on the whole batch with progress (a bar on a terminal, a line every PROGRESS_EVERY iterations
    otherwise); returns (result, losses with the initial cost first, whether Ctrl-C stopped it).

    Ctrl-C stops training and keeps what was learned (the pictures are still written)."""
    import ufldl
    from ufldl._lib.progress import Progress

    reporter = Progress("lbfgs", "iteration", total=args.max_iter, every=PROGRESS_EVERY, enabled=not quiet)
    initial = net.cost(X, X)
    losses = [initial]
    reporter.update(0, f"cost {initial:.10g}")

    def progress(iteration: int, theta: "FloatArray", cost: float) -> None:
        losses.append(float(cost))
        reporter.update(iteration, f"cost {cost:.10g}")

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ufldl.TrainingInterrupted)
        result = ufldl.train(net, X, X, "lbfgs", max_iter=args.max_iter, max_corrections=100, callback=progress)
    if not caught:
        reporter.update(result.n_iter, f"cost {result.cost:.10g}", last=True)
    reporter.close(f"{'interrupted (Ctrl-C): writing what was learned so far; ' if caught else ''}stopped after "
                   f"{result.n_iter} iterations ({result.n_evals} evaluations, {result.seconds:.2f} s): "
                   f"{result.message}")
    return result, losses[:result.n_iter + 1], bool(caught)


def check_sizes(args: argparse.Namespace, parser: argparse.ArgumentParser) -> None:
    """A usage error, before anything is allocated, when the patches or the network asked for cannot be
    trained here."""
    m, n_pixels = args.n_patches, args.patch_size ** 2
    check_examples(parser, f"--n-patches {m}", m)
    sizes = (n_pixels, args.hidden, n_pixels)
    option = f"--patch-size {args.patch_size} --hidden {args.hidden}"
    count = check_network(parser, option, sizes)
    # The patches twice (as cut, and normalised) and their positions, then L-BFGS on all of them.
    needed = 2 * 8 * m * n_pixels + 2 * 8 * m + training_bytes(sizes, m, "lbfgs", max_corrections=100)
    check_memory(parser, f"--n-patches {m} {option}", needed,
                 f"{m} patches of {args.patch_size}x{args.patch_size} pixels and L-BFGS on a "
                 f"{'-'.join(map(str, sizes))} network ({count} parameters)")


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    say: Say = (lambda *a: None) if args.quiet else (lambda *a: print(*a, flush=True))
    features_path, loss_path, record_path = output_paths(args.out, parser, MARKER)
    check_sizes(args, parser)

    import numpy as np

    import ufldl
    from ufldl import viz
    from ufldl.diagnostics import feature_stats

    start = time.perf_counter()
    try:
        X, data = prepare_patches(args, parser, say)
    except ImportError as exc:
        print(f"ufldl demo: error: {exc}", file=sys.stderr)
        return 1
    data_seconds = time.perf_counter() - start
    make_directory(features_path.parent, parser)  # now, not after training: fail early

    n_pixels = args.patch_size ** 2
    layer_sizes = [n_pixels, args.hidden, n_pixels]
    net = ufldl.Network(layer_sizes, activations="sigmoid", weight_decay=args.weight_decay,
                        sparsity=ufldl.KLSparsity(args.rho, args.beta), random_state=args.seed)
    say(f"network: {'-'.join(map(str, layer_sizes))} sigmoid, rho {args.rho}, beta {args.beta}, "
        f"lambda {args.weight_decay}; L-BFGS, at most {args.max_iter} iterations, "
        f"{ufldl.blas_info()['num_threads']} BLAS threads")
    result, losses, interrupted = train(net, X, args, say, quiet=args.quiet)

    W1 = net.weights[0]
    norms = np.linalg.norm(W1, axis=1)
    rho_hat = net.mean_activations(X)[0]
    shape = (args.patch_size, args.patch_size)
    quality = {name: float(np.median(values)) for name, values in feature_stats(W1, shape).items()
               if name != "orientation"}
    say(f"features: median spread {quality['spread']:.2f} px (random weights: about 3.2), neighbour correlation "
        f"{quality['neighbour_correlation']:.2f}, anisotropy {quality['anisotropy']:.2f} (see ufldl.diagnostics)")
    viz.save_png(features_path, viz.tile_features(W1, shape), scale=8)
    loss_written = draw_loss_curve(losses, loss_path, title="sparse autoencoder cost")

    record: dict[str, Any] = {  # run.json
        "program": MARKER,
        "settings": {
            "n_patches": args.n_patches, "patch_size": args.patch_size, "downsample": args.downsample,
            "whiten": args.whiten, "f0": args.f0 if args.whiten else None, "seed": args.seed,
            "hidden": args.hidden, "rho": args.rho, "beta": args.beta, "weight_decay": args.weight_decay,
            "max_iter": args.max_iter, "layer_sizes": layer_sizes, "activations": list(net.activations),
        },
        "data": data,
        "optimizer": {"method": "lbfgs (minFunc's L-BFGS in the core, ufldl.train)", "max_corrections": 100,
                      "message": result.message, "converged": result.converged, "interrupted": result.interrupted,
                      "evaluations": result.n_evals},
        "iterations": result.n_iter,
        "initial_cost": losses[0],
        "final_cost": result.cost,
        "final_cost_terms": {k: float(v) for k, v in net.cost_terms(X, X).items()},
        "hidden_mean_activation": {"min": float(rho_hat.min()), "max": float(rho_hat.max())},
        "feature_norms": {"min": float(norms.min()), "max": float(norms.max())},
        "feature_quality_medians": quality,
        "seconds": {"data": round(data_seconds, 4), "training": round(result.seconds, 4),
                    "total": round(time.perf_counter() - start, 4)},
        "losses": losses,
        "files": {"features": str(features_path), **({"loss_curve": str(loss_path)} if loss_written else {})},
        "versions": versions(),
        "blas": ufldl.blas_info(),
        "platform": machine(),
    }
    write_record(record_path, record)
    say(f"wrote {features_path}, {f'{loss_path}, ' if loss_written else ''}and {record_path} "
        f"({record['seconds']['total']:.1f} s in all)")
    return 130 if interrupted else 0  # 130: the shell's code for Ctrl-C (what was learned is written all the same)
