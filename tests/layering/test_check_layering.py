#!/usr/bin/env python3
"""tests/layering/test_check_layering.py CHECKER CC — scripts/check-layering
on small trees built here: it must find a pair of files that call each
other, a longer ring and a call up the layers, name them, and pass a clean
tree."""
import json
import os
import subprocess
import sys
import tempfile

CHECKER, CC = sys.argv[1], sys.argv[2]


def build(files):
    """A tree of `files` ({path: C source}) compiled into a build folder with
    a compile_commands.json; returns (top, build)."""
    top = tempfile.mkdtemp(prefix="mf-layering-")
    out = os.path.join(top, "build")
    os.makedirs(out)
    cmds = []
    for rel, text in files.items():
        src = os.path.join(top, rel)
        os.makedirs(os.path.dirname(src), exist_ok=True)
        with open(src, "w") as f:
            f.write(text)
        obj = rel.replace("/", "_") + ".o"
        subprocess.run([CC, "-c", "-o", os.path.join(out, obj), src], check=True)
        cmds.append({"directory": out, "file": src,
                     "command": "%s -o %s -c %s" % (CC, obj, src)})
    with open(os.path.join(out, "compile_commands.json"), "w") as f:
        json.dump(cmds, f)
    return top, out


def run(files):
    top, out = build(files)
    p = subprocess.run([sys.executable, CHECKER, out, top], capture_output=True, text=True)
    return p.returncode, p.stdout


failures = 0


def expect(what, cond, output):
    global failures
    if not cond:
        failures += 1
        print("FAIL: %s\n%s" % (what, output))
    else:
        print("ok: %s" % what)


# routing/a.c and routing/b.c call each other; gossip/low.c calls up into coord/.
rc, out = run({
    "routing/a.c": "void mf_b(void);\nvoid mf_a(void) { mf_b(); }\n",
    "routing/b.c": "void mf_a(void);\nvoid mf_b(void) { }\nvoid mf_b2(void) { mf_a(); }\n",
    "gossip/low.c": "void mf_up(void);\nvoid mf_low(void) { mf_up(); }\n",
    "coord/up.c": "void mf_up(void) { }\n",
    "tests/t.c": "void mf_a(void);\nvoid mf_t(void) { mf_a(); }\n",
})
expect("a cycle fails the check", rc == 1, out)
expect("the cycle is named with its functions",
       "cycle: routing/a.c <-> routing/b.c" in out and "routing/a.c calls mf_b" in out and
       "routing/b.c calls mf_a" in out, out)
expect("an upward call is named",
       "upward: gossip/low.c (gossip/) calls coord/up.c (coord/): mf_up" in out, out)
expect("tests are left out", "tests/t.c" not in out, out)

# A ring of three, no pair among them.
rc, out = run({
    "coord/x.c": "void mf_y(void);\nvoid mf_x(void) { mf_y(); }\n",
    "coord/y.c": "void mf_z(void);\nvoid mf_y(void) { mf_z(); }\n",
    "coord/z.c": "void mf_x(void);\nvoid mf_z(void) { mf_x(); }\n",
})
expect("a ring of three files fails the check and is named",
       rc == 1 and "3 files reach each other through calls: coord/x.c, coord/y.c, coord/z.c" in out
       and "<->" not in out, out)

# The same files with the cycle broken and the call going down: clean.
rc, out = run({
    "routing/a.c": "void mf_b(void);\nvoid mf_a(void) { mf_b(); }\n",
    "routing/b.c": "void mf_low(void);\nvoid mf_b(void) { mf_low(); }\n",
    "gossip/low.c": "void mf_low(void) { }\n",
    "cmd/main.c": "void mf_a(void);\nint main(void) { mf_a(); return 0; }\n",
})
expect("a layered tree without cycles passes", rc == 0 and "0 problems" in out, out)

sys.exit(1 if failures else 0)
