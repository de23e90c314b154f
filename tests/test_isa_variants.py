"""The elementwise kernels are compiled once per instruction set (baseline x86-64, AVX2, AVX-512) and the widest
the CPU runs is chosen at import. This machine would only ever test one of them, so the comparisons with the
reference are re-run in a subprocess with each variant forced through UFLDL_ELEMENTWISE_ISA."""

import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ISAS = ("baseline", "avx2", "avx512")


def isa_in_use(env):
    code = "import ufldl; print(ufldl.blas_info()['elementwise_isa'])"
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          check=True).stdout.strip()


@pytest.mark.skipif("UFLDL_ELEMENTWISE_ISA" in os.environ, reason="already running under a forced variant")
@pytest.mark.parametrize("isa", ISAS)
def test_every_variant_matches_the_reference(isa):
    env = {**os.environ, "UFLDL_ELEMENTWISE_ISA": isa}
    if isa_in_use(env) != isa:
        pytest.skip(f"this CPU cannot run the {isa} kernels")
    if isa_in_use(dict(os.environ)) == isa:
        pytest.skip(f"{isa} is this CPU's own choice: the suite itself runs these files on it")
    files = [os.path.join(HERE, name) for name in ("test_network_reference.py", "test_awkward_shapes.py",
                                                   "test_gradient_check.py")]
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *files], env=env,
                            capture_output=True, text=True, cwd=os.path.dirname(HERE))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
