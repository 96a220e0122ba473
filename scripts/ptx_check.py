"""Helpers of the PTX checks (check_sdd_ptx.py, check_dsd_ptx.py): a kernel module as it was at a commit, and a
kernel's sm_90 PTX without debug line info."""

import importlib.util
import re
import subprocess
import sys
import tempfile

import triton
from triton.backends.compiler import GPUTarget
from triton.compiler import ASTSource


def module_at(rev: str, path: str, name: str):
    """The module at ``path`` as of git ``rev``, loaded as ``tilesparse.kernels.<name>`` (so its relative imports
    resolve inside the package)."""
    source = subprocess.run(["git", "show", f"{rev}:{path}"], capture_output=True, text=True, check=True).stdout
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
        f.write(source)
    qualified = f"tilesparse.kernels.{name}"
    spec = importlib.util.spec_from_file_location(qualified, f.name)
    module = importlib.util.module_from_spec(spec)
    sys.modules[qualified] = module
    spec.loader.exec_module(module)
    return module


def sm90_ptx(kernel, signature: dict, constants: dict, num_warps: int = 4, num_stages: int = 3) -> str:
    compiled = triton.compile(ASTSource(kernel, signature, constants), target=GPUTarget("cuda", 90, 32),
                              options={"num_warps": num_warps, "num_stages": num_stages})
    code = re.sub(r"//.*", "", compiled.asm["ptx"].split(".section\t.debug")[0])
    return "\n".join(line for line in code.splitlines() if not line.strip().startswith((".loc", ".file")))
