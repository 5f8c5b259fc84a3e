"""Empty stand-ins for the CUDA libraries a CUDA build of PyTorch links, so it imports on a CPU-only machine.

Only for the scratch reference of scripts/experiments/campp_reference.py (PyTorch is never a
project dependency). For every library that ``torch/lib/*.so`` needs and the machine lacks, a
shared object with that soname is built whose functions (and data symbols) named by PyTorch's
undefined-symbol table exist and do nothing; versioned references get a version node of the
library's name. CUDA then reports no device and PyTorch runs on the CPU.

    python3.11 scripts/experiments/torch_cuda_stubs.py /tmp/torchref /tmp/torchstub
    LD_LIBRARY_PATH=/tmp/torchstub /tmp/torchref/bin/python -c "import torch"
"""

from __future__ import annotations

import collections
import glob
import os
import re
import subprocess
import sys

# unversioned references: which missing library a symbol belongs to, by its prefix
PREFIXES = {"libnccl.so.2": ("nccl",), "libcusparseLt.so.0": ("cusparseLt",), "libcufile.so.0": ("cuFile",),
            "libnvshmem_host.so.3": ("nvshmem",)}


def main(venv: str, out: str) -> int:
    site = glob.glob(os.path.join(venv, "lib/python3*/site-packages/torch"))[0]
    lib = os.path.join(site, "lib")
    sos = glob.glob(lib + "/*.so") + glob.glob(site + "/*.so")
    needed: set[str] = set()
    for f in sos:
        needed |= set(re.findall(r"NEEDED\s+(\S+)", subprocess.run(["objdump", "-p", f], capture_output=True,
                                                                   text=True).stdout))
    have = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True).stdout
    missing = sorted(n for n in needed if not os.path.exists(os.path.join(lib, n)) and f"{n} " not in have)
    defined, undefined = set(), []
    for f in sos:
        for line in subprocess.run(["objdump", "-T", f], capture_output=True, text=True).stdout.splitlines():
            p = line.split()
            if len(p) < 4:
                continue
            if "*UND*" in line:
                undefined.append((p[-2].strip("()"), p[-1], " O " in line or " DO " in line))
            else:
                defined.add(p[-1])
    per: dict[str, dict[str, bool]] = collections.defaultdict(dict)
    version = {}
    for ver, sym, is_data in undefined:
        if sym in defined:
            continue
        if ver in missing:
            per[ver][sym], version[ver] = is_data, ver
        elif ver == "NVSHMEM" and "libnvshmem_host.so.3" in missing:
            per["libnvshmem_host.so.3"][sym], version["libnvshmem_host.so.3"] = is_data, ver
        elif ver == "Base":
            for name, prefixes in PREFIXES.items():
                if name in missing and sym.startswith(prefixes):
                    per[name][sym] = is_data
    os.makedirs(out, exist_ok=True)
    for name in missing:
        src = os.path.join(out, name + ".c")
        with open(src, "w") as c:
            for sym, is_data in per.get(name, {}).items():
                c.write(f"char {sym}[64];\n" if is_data else f"int {sym}(void) {{ return 999; }}\n")
        cmd = ["gcc", "-shared", "-fPIC", "-o", os.path.join(out, name), src, f"-Wl,-soname,{name}"]
        if name in version:
            vmap = os.path.join(out, name + ".map")
            with open(vmap, "w") as v:
                v.write(f"{version[name]} {{ global: *; }};\n")
            cmd.append(f"-Wl,--version-script={vmap}")
        subprocess.run(cmd, check=True)
        print(name, len(per.get(name, {})), "symbols")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1], sys.argv[2]))
