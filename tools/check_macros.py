#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Fails when an iap_embedded header leaks a macro into the program that includes it.

For every public header (include/iap_embedded/*.hpp) and for the single header, in every build
mode (header-only, separate compilation, separate compilation without exceptions, and the one
translation unit that compiles the library), two translation units are preprocessed with
`-dM -E`:
  baseline: every third-party and standard header (<...>) that the iap_embedded files reached by
            the header include, each guarded by __has_include;
  checked:  the same, then the header.
A macro in `checked` that is not in `baseline` (or has another definition there) must be one of:
  - a public macro, named in include/iap_embedded/config.hpp or version.hpp;
  - an include guard: IAP_EMBEDDED_..._HPP or IAP_EMBEDDED_..._IPP, defined empty.
Anything else (an internal helper macro, WIN32_LEAN_AND_MEAN, ...) is reported and the exit status is 1.

Usage: tools/check_macros.py [--cxx COMPILER ...] [-- EXTRA_FLAGS...]
  --cxx: the compiler command (default: $CXX or c++); may be repeated for a command of several words.
  Extra flags after `--` go to every compile (e.g. -I for mbedTLS in a non-standard place).
Exit status: 0 clean, 1 leak found, 2 a header did not preprocess.
"""
import os
import pathlib
import re
import shlex
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
INCLUDE = ROOT / "include"
SINGLE_INCLUDE = ROOT / "single_include"
SYSTEM_INCLUDE = re.compile(r'^\s*#\s*include\s*<([^>]+)>')
DEFINE = re.compile(r"^#define (\w+)(.*)$")
GUARD = re.compile(r"^IAP_EMBEDDED_\w+_(HPP|IPP)$")

SEPARATE = ["-DIAP_EMBEDDED_SEPARATE_COMPILATION"]
MODES = [
    ("header-only", []),
    ("separate", SEPARATE),
    ("separate, -fno-exceptions", SEPARATE + ["-fno-exceptions"]),
]


def documented_macros() -> set:
    names = set()
    for name in ("config.hpp", "version.hpp"):
        names |= set(re.findall(r"\bIAP_EMBEDDED_[A-Z0-9_]+\b", (INCLUDE / "iap_embedded" / name).read_text()))
    return {n for n in names if not GUARD.match(n)}


def run(cmd: list) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True)


class Checker:
    def __init__(self, cxx: list, extra: list, work: pathlib.Path):
        self.cxx = cxx
        self.extra = extra
        self.work = work
        self.allowed = documented_macros()
        self.leaks = 0
        self.failures = 0
        self.checked = 0

    def flags(self, include_dir: pathlib.Path, mode_flags: list) -> list:
        return self.cxx + ["-std=c++17", "-I", str(include_dir)] + mode_flags + self.extra

    def macros(self, source: str, flags: list, label: str):
        path = self.work / "tu.cpp"
        path.write_text(source)
        done = run(flags + ["-dM", "-E", str(path)])
        if done.returncode != 0:
            print(f"FAILED to preprocess ({label}):\n{done.stderr[:3000]}", file=sys.stderr)
            self.failures += 1
            return None
        out = {}
        for line in done.stdout.splitlines():
            m = DEFINE.match(line)
            if m:
                out[m.group(1)] = m.group(2).strip()
        return out

    def own_files(self, prologue: str, header: str, flags: list, label: str):
        """The iap_embedded files a translation unit including `header` reads."""
        path = self.work / "deps.cpp"
        path.write_text(prologue + f"#include <{header}>\n")
        done = run(flags + ["-M", str(path)])
        if done.returncode != 0:
            print(f"FAILED to preprocess ({label}):\n{done.stderr[:3000]}", file=sys.stderr)
            self.failures += 1
            return None
        files = []
        for word in done.stdout.replace("\\\n", " ").split()[1:]:
            p = pathlib.Path(word).resolve()
            if INCLUDE in p.parents or SINGLE_INCLUDE in p.parents:
                files.append(p)
        return files

    def check(self, header: str, include_dir: pathlib.Path, mode: str, mode_flags: list, prologue: str = ""):
        label = f"{header} [{mode}{', ' + prologue.strip() if prologue else ''}]"
        flags = self.flags(include_dir, mode_flags)
        files = self.own_files(prologue, header, flags, label)
        if files is None:
            return
        third_party = []
        for f in files:
            for line in f.read_text().splitlines():
                m = SYSTEM_INCLUDE.match(line)
                if m and m.group(1) not in third_party:
                    third_party.append(m.group(1))
        baseline = "".join(f"#if __has_include(<{h}>)\n#include <{h}>\n#endif\n" for h in third_party)
        before = self.macros(baseline, flags, label + " baseline")
        after = self.macros(prologue + baseline + f"#include <{header}>\n", flags, label)
        if before is None or after is None:
            return
        self.checked += 1
        bad = []
        for name, body in sorted(after.items()):
            if before.get(name) == body:
                continue
            if name in self.allowed:
                continue
            if GUARD.match(name) and body == "":
                continue
            if name in before:
                bad.append(f"{name} {body}   (redefined; was: {before[name]})")
            else:
                bad.append(f"{name} {body}".rstrip())
        if bad:
            self.leaks += len(bad)
            print(f"LEAK {label}:")
            for b in bad:
                print(f"    #define {b}")

    def has(self, header: str) -> bool:
        path = self.work / "has.cpp"
        path.write_text(f"#include <{header}>\n")
        return run(self.cxx + ["-std=c++17", "-E", "-o", os.devnull, str(path)] + self.extra).returncode == 0


def main() -> int:
    args = sys.argv[1:]
    if any(a in ("-h", "--help") for a in args[: args.index("--") if "--" in args else len(args)]):
        print(__doc__.strip())
        return 0
    extra = []
    if "--" in args:
        extra = args[args.index("--") + 1:]
        args = args[: args.index("--")]
    cxx = []
    while args:
        if args[0] == "--cxx" and len(args) > 1:
            cxx.append(args[1])
            args = args[2:]
        else:
            print(f"check_macros: unknown argument {args[0]} (see --help)", file=sys.stderr)
            return 2
    if not cxx:
        cxx = shlex.split(os.environ.get("CXX", "c++"))

    with tempfile.TemporaryDirectory(prefix="iap_embedded_macros.") as tmp:
        c = Checker(cxx, extra, pathlib.Path(tmp))
        boost = c.has("boost/beast/http.hpp")
        headers = sorted(p.name for p in (INCLUDE / "iap_embedded").glob("*.hpp"))
        for h in headers:
            if h in ("src.hpp", "beast_transport_src.hpp"):
                continue  # the compiling translation unit, below
            if h.startswith("beast_transport") and not boost:
                print(f"skipped iap_embedded/{h}: Boost.Beast not found")
                continue
            for mode, flags in MODES:
                c.check(f"iap_embedded/{h}", INCLUDE, mode, flags)
        c.check("iap_embedded/src.hpp", INCLUDE, "separate, compiling", SEPARATE)
        if boost:
            c.check("iap_embedded/beast_transport_src.hpp", INCLUDE, "separate, compiling", SEPARATE)
        for mode, flags in MODES:
            c.check("iap_embedded/iap_embedded.hpp", SINGLE_INCLUDE, "single header, " + mode, flags)
        c.check("iap_embedded/iap_embedded.hpp", SINGLE_INCLUDE, "single header, separate, compiling", SEPARATE,
                "#define IAP_EMBEDDED_SOURCE\n")
        print(f"{c.checked} translation units checked, {c.leaks} leaked macro(s), {c.failures} failure(s)")
        if c.failures:
            return 2
        return 1 if c.leaks else 0


if __name__ == "__main__":
    sys.exit(main())
