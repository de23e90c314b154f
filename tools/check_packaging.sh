#!/usr/bin/env bash
# The packaging check (.ci/run runs it; about 3 minutes on 2 cores, most of it compiling the wheel):
#   1. build the sdist and, from the sdist, the wheel (python -m build, isolated, as a publisher would);
#   2. check the sdist holds only the project (tools/check_sdist.py), and both files' metadata (twine check);
#   3. repair the wheel as [tool.cibuildwheel] does (auditwheel repair --exclude libscipy_openblas.so) and check
#      it is a manylinux wheel;
#   4. install it into a fresh virtual environment with no C or C++ compiler on PATH (binary packages only) and
#      run a smoke test: ufldl --version, --help, and a tiny fit, from outside the source tree;
#   5. install it into a second environment at the lowest versions pyproject.toml allows, the extras' included
#      (tools/min_constraints.py: Dask, Sphinx and the rest of the test extra), and run a fast subset of the tests
#      there, the Dask tests and the documentation build among them.
# Usage: tools/check_packaging.sh [--keep DIR]   (DIR keeps the built files and the environments)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

keep=
if [[ ${1:-} == --keep ]]; then keep=${2:?--keep needs a directory}; fi
if [[ -n $keep ]]; then
  work=$keep
  rm -rf "$work" && mkdir -p "$work"
else
  work=$(mktemp -d /tmp/ufldl-packaging.XXXXXX)
  trap 'rm -rf "$work"' EXIT
fi
log=$work/log.txt
step_start=$SECONDS
step() {  # step NAME: print how long the previous step took, then the next step's name
  echo "  ($((SECONDS - step_start)) s)"
  step_start=$SECONDS
  echo "+ packaging: $1"
}
quiet() {  # run a command with its output in the log; show the log's end if it fails
  if ! "$@" >>"$log" 2>&1; then
    echo "FAILED: $*" >&2
    tail -n 60 "$log" >&2
    exit 1
  fi
}

echo "+ packaging: tools (build, twine, auditwheel: pyproject.toml's dependency group 'release')"
python3 -m venv "$work/tools"
quiet "$work/tools/bin/python" -m pip install --upgrade "pip>=25.1"
quiet "$work/tools/bin/python" -m pip install --group release
tools=$work/tools/bin

step "sdist, then the wheel built from it (python -m build)"
quiet "$tools/python" -m build --outdir "$work/dist" .
sdist=$(ls "$work"/dist/ufldl-*.tar.gz)
wheel=$(ls "$work"/dist/ufldl-*.whl)

step "the sdist holds only the project; twine check"
# Under CI (a fresh clone) a file git does not track is junk the run made; in a work tree it may be new work.
"$tools/python" tools/check_sdist.py ${CI:+--strict} "$sdist"
"$tools/twine" check --strict "$sdist" "$wheel"

step "auditwheel repair --exclude libscipy_openblas.so (as [tool.cibuildwheel])"
quiet env PATH="$tools:$PATH" "$tools/auditwheel" repair --exclude libscipy_openblas.so -w "$work/wheelhouse" "$wheel"
wheel=$(ls "$work"/wheelhouse/ufldl-*.whl)
case $(basename "$wheel") in
  *manylinux*) echo "$(basename "$wheel")" ;;
  *) echo "FAILED: the repaired wheel is not a manylinux wheel: $wheel" >&2; exit 1 ;;
esac
if "$tools/python" -m zipfile -l "$wheel" | grep -q "libscipy_openblas"; then
  echo "FAILED: the repaired wheel grafted a copy of libscipy_openblas" >&2
  exit 1
fi

step "a fresh environment without a compiler: install the wheel, smoke test"
python3 -m venv "$work/fresh"
nocc=$work/fresh/bin  # PATH holds the environment's own scripts and nothing else
for compiler in cc gcc g++ c++ clang clang++; do
  if PATH=$nocc command -v "$compiler" >/dev/null; then
    echo "FAILED: $compiler is on the restricted PATH" >&2
    exit 1
  fi
done
quiet env -u CC -u CXX PATH="$nocc" "$nocc/python" -m pip install --only-binary :all: "$wheel"
mkdir -p "$work/smoke"
(
  cd "$work/smoke"  # not the source tree: the installed package is what is imported
  export PATH=$nocc
  ufldl --version
  ufldl --help >/dev/null
  "$nocc/python" - "$work/fresh" <<'EOF'
import sys

import numpy as np

import ufldl

assert ufldl.__file__.startswith(sys.argv[1]), ufldl.__file__
X = np.random.default_rng(0).uniform(0.1, 0.9, size=(200, 16))
ae = ufldl.SparseAutoencoder(n_hidden=4, max_iter=20, random_state=0).fit(X)
assert ae.components_.shape == (4, 16) and np.isfinite(ae.loss_curve_).all()
assert ae.loss_curve_[-1] < ae.loss_curve_[0]
print(f"smoke test: ufldl {ufldl.__version__} from {ufldl.__file__}: a 16-4-16 autoencoder fitted, cost "
      f"{ae.loss_curve_[0]:.4f} -> {ae.loss_curve_[-1]:.4f}; {ufldl.blas_info()['version']}")
EOF
)

step "the lowest versions pyproject.toml allows: install, fast tests"
# The test extra names the plot, dask and docs extras: their minimums are pinned too.
"$tools/python" tools/min_constraints.py test >"$work/minimum.txt"
echo "  $(tr '\n' ' ' <"$work/minimum.txt")"
python3 -m venv "$work/minimum"
# matplotlib 3.8 calls pyparsing's camelCase API, which pyparsing 3.3 deprecates: the pyparsing of its time.
echo "pyparsing<3.3" >"$work/contemporary.txt"
quiet "$work/minimum/bin/python" -m pip install --only-binary :all: -c "$work/minimum.txt" -c "$work/contemporary.txt" \
  "$wheel[test]"
# Every pinned version must be the one installed (a constraint pip could not meet would have failed above).
"$work/minimum/bin/python" - "$work/minimum.txt" <<'EOF'
import sys
from importlib.metadata import version

from packaging.version import Version

for line in open(sys.argv[1]).read().split():
    name, wanted = line.split("==")
    assert Version(version(name)) == Version(wanted), (name, version(name), wanted)
EOF
# From the source tree for the tests, but importing the installed package (python/ is not on sys.path).
# scikit-learn's own compliance checks (test_scikit_learn_checks: check_estimator's list) are left to the main
# suite at the newest release: they change between releases (1.6 and 1.7 check the message of a refused sparse
# input, and the sparse tag, differently), and what this environment tests is that ufldl works at the minimums.
"$work/minimum/bin/python" -m pytest -q -p no:cacheprovider -k "not test_scikit_learn_checks" \
  tests/test_core_api.py tests/test_network_reference.py tests/test_io.py tests/test_optimize.py \
  tests/test_minibatch.py tests/test_train.py tests/test_preprocessing.py tests/test_autoencoder.py \
  tests/test_classifiers.py tests/test_cli.py tests/test_cli_hardening.py tests/test_packaging.py \
  tests/test_scale_dask.py tests/test_docs.py
echo "  ($((SECONDS - step_start)) s)"
