"""``ufldl patches OUT.npy``: the demo's natural-image patches, saved for ``ufldl train`` (or your own code)."""

import argparse
from pathlib import Path

from ufldl.cli._args import Subcommands
from ufldl.cli._output import Say
from ufldl.cli._sizes import check_examples, check_memory

DESCRIPTION = """\
Cut random square patches from the two photographs that ship with
scikit-learn, as 'ufldl demo' does (grayscale, shrunk by --downsample, their
1/f spectrum flattened by --whiten), and save them with numpy.save as one 2-D
float64 array, one flattened patch per row (shape (n_patches, P*P), row-major),
NOT normalised: 'ufldl train OUT.npy --normalize' applies the tutorial's
normalisation. For example:

  ufldl patches patches.npy
  ufldl train patches.npy --normalize --hidden 25 --out model.npz

An existing file is not overwritten unless --overwrite is given.
"""


def add_parser(commands: Subcommands) -> argparse.ArgumentParser:
    from ufldl.cli.demo import add_data_options

    cmd = commands.add_parser("patches", help="save the demo's natural-image patches as a .npy file for 'train'",
                              description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    cmd.add_argument("out", metavar="OUT.npy", help="the file to write (a name without a suffix gets .npy)")
    add_data_options(cmd.add_argument_group("patches"))
    cmd.add_argument("--overwrite", action="store_true", help="replace OUT.npy if it exists")
    cmd.add_argument("--quiet", action="store_true", help="print nothing but errors")
    cmd.set_defaults(handler=run, command_parser=cmd)
    return cmd


def out_path(args: argparse.Namespace, parser: argparse.ArgumentParser, say: Say) -> Path:
    """The checked output path: a .npy file that may be written."""
    path = Path(args.out)
    if path.suffix == "":
        path = path.with_name(path.name + ".npy")
        say(f"{args.out}: the patches are a .npy file; writing {path}")
    elif path.suffix.lower() != ".npy":
        parser.error(f"OUT.npy must name a .npy file; got {args.out!r}: name it e.g. {str(path.with_suffix('.npy'))!r}")
    if path.is_dir():
        parser.error(f"OUT.npy: {str(path)!r} is a directory")
    if path.exists() and not args.overwrite:
        parser.error(f"refusing to overwrite {str(path)!r}: it exists (pass --overwrite to replace it)")
    if path.parent.exists() and not path.parent.is_dir():
        parser.error(f"cannot create the output directory {str(path.parent)!r}: a file of that name exists")
    return path


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    say: Say = (lambda *a: None) if args.quiet else (lambda *a: print(*a, flush=True))
    path = out_path(args, parser, say)
    check_examples(parser, f"--n-patches {args.n_patches}", args.n_patches)
    check_memory(parser, f"--n-patches {args.n_patches}", 2 * 8 * args.n_patches * args.patch_size ** 2,
                 f"{args.n_patches} patches of {args.patch_size}x{args.patch_size} pixels")

    import numpy as np

    from ufldl.cli._output import make_directory
    from ufldl.cli.demo import cut_patches

    patches, images, _ = cut_patches(args, parser)
    X = np.ascontiguousarray(patches.reshape(patches.shape[0], -1), dtype=np.float64)
    make_directory(path.parent, parser)
    partial = path.with_name(path.name + ".partial")
    with open(partial, "wb") as file:  # np.save on a path would append .npy to the temporary name
        np.save(file, X, allow_pickle=False)
    partial.replace(path)  # atomic: a reader never sees half a file
    say(f"wrote {path}: {X.shape[0]} patches of {args.patch_size}x{args.patch_size} pixels, shape {X.shape}, "
        f"values in [{X.min():.3g}, {X.max():.3g}] (not normalised: 'ufldl train {path} --normalize')")
    return 0
