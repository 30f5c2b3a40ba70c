#!/usr/bin/env python3
"""Checks that every #include "x/..." in src/ and tools/ respects the dependency table in docs/structure.md.

The table rows look like: | `crypto/bls` | L1 | base, crypto/ct, crypto/hash |
A file in module M may include headers of M itself and of the modules listed as M's allowed dependencies
(transitively closed). A row whose folder does not exist yet (a module announced before its code lands) is
fine: it only has no files to check. Exit 0 when clean, 1 with one line per violation otherwise."""
import os
import re
import sys

root = sys.argv[1] if len(sys.argv) > 1 else os.getcwd()
table = open(os.path.join(root, "docs", "structure.md"), encoding="utf-8").read()
row = re.compile(r"^\|\s*`([a-z0-9_/]+)`\s*\|\s*L(\d)\s*\|([^|]*)\|", re.M)
deps, layer = {}, {}
for m in row.finditer(table):
    mod = m.group(1)
    layer[mod] = int(m.group(2))
    deps[mod] = [d.strip().strip("`") for d in m.group(3).split(",") if d.strip() and d.strip() != "-"]
if not deps:
    print("check_layers: no module table found in docs/structure.md")
    sys.exit(1)

errors = []
for mod, ds in deps.items():
    for d in ds:
        if d not in deps:
            errors.append(f"docs/structure.md: {mod} depends on unknown module {d}")
        elif layer[d] > layer[mod]:
            errors.append(f"docs/structure.md: {mod} (L{layer[mod]}) depends upward on {d} (L{layer[d]})")

def closure(mod, seen=None):
    seen = seen if seen is not None else set()
    for d in deps.get(mod, []):
        if d not in seen:
            seen.add(d)
            closure(d, seen)
    return seen

def module_of(relpath):
    """Longest module name that prefixes the path (relative to src/ or the repo root for tools/)."""
    best = None
    for mod in deps:
        if relpath == mod or relpath.startswith(mod + "/"):
            if best is None or len(mod) > len(best):
                best = mod
    return best

inc = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
checked = 0
for top in ("src", "tools"):
    for dirpath, _, files in os.walk(os.path.join(root, top)):
        for f in files:
            if not f.endswith((".hpp", ".cpp", ".h")):
                continue
            path = os.path.join(dirpath, f)
            rel = os.path.relpath(path, os.path.join(root, "src") if top == "src" else root)
            mod = module_of(rel)
            if mod is None:
                errors.append(f"{top}/{rel}: not in any module of docs/structure.md")
                continue
            allowed = closure(mod) | {mod}
            for target in inc.findall(open(path, encoding="utf-8").read()):
                checked += 1
                tmod = module_of(target)
                if tmod is None:
                    continue  # a local include (same folder) or a generated header
                if tmod not in allowed:
                    errors.append(f"{top}/{rel}: module {mod} may not include {target} (module {tmod})")

for e in errors:
    print(e)
print(f"check_layers: {checked} includes checked, {len(errors)} violations")
sys.exit(1 if errors else 0)
