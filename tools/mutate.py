"""`make mutate`: a small mutation tester. Does each module's test file notice when its code is wrong?

For every module listed under [tool.openhand.mutate] in pyproject.toml it makes one mutant per
mutation point (a comparison, boolean or arithmetic operator swapped, a constant changed, a return
value dropped, a statement removed, a condition forced or removed), and runs the module's test files
against each in a forked child of one warm process: the mutated module is executed into the already
imported module's namespace, and every other loaded module of the package that imported one of its
names gets the mutated one, so `from .tracking import url_key` sees the mutant too. A mutant is killed
when a test fails (or the run times out); it survives when every test passes. Equivalent mutants (no
test could tell them apart, the behaviour is the same) are listed with a reason in
tools/mutants-equivalent.txt and counted apart. Not part of `make test`: it runs the tests once per
mutant.

    tools/mutate.py                        every module, its kill rate, the survivors
    tools/mutate.py tracking selection     only the modules whose name ends so
    tools/mutate.py --list tracking        the mutants, without running anything
    tools/mutate.py -j 2                   two mutants at a time (default 1: the machine is shared)
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import importlib
import os
import signal
import sys
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EQUIVALENT_FILE = ROOT / "tools" / "mutants-equivalent.txt"

COMPARE_SWAPS = {ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE,
                 ast.GtE: ast.Gt, ast.Is: ast.IsNot, ast.IsNot: ast.Is, ast.In: ast.NotIn, ast.NotIn: ast.In}
BINOP_SWAPS = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult, ast.FloorDiv: ast.Mult,
               ast.Mod: ast.FloorDiv, ast.Pow: ast.Mult, ast.BitOr: ast.BitAnd, ast.BitAnd: ast.BitOr}
SYMBOL = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Is: "is",
          ast.IsNot: "is not", ast.In: "in", ast.NotIn: "not in", ast.Add: "+", ast.Sub: "-", ast.Mult: "*",
          ast.Div: "/", ast.FloorDiv: "//", ast.Mod: "%", ast.Pow: "**", ast.BitOr: "|", ast.BitAnd: "&",
          ast.And: "and", ast.Or: "or"}


@dataclasses.dataclass(frozen=True)
class Mutant:
    index: int          # the node's place in ast.walk order of the module
    kind: str           # what is done to it, e.g. "< -> <="
    line: int
    where: str          # the enclosing function (or "<module>")
    source: str         # the node's source, to recognise it again when lines move

    @property
    def key(self) -> str:
        """How tools/mutants-equivalent.txt names it: stable while the code around it moves."""
        return f"{self.where}: {self.kind}: {self.source}"


# --- finding mutation points ------------------------------------------------------------------------

def _parents(tree: ast.AST) -> dict[int, tuple[ast.AST, str]]:
    out = {}
    for node in ast.walk(tree):
        for name, value in ast.iter_fields(node):
            for child in value if isinstance(value, list) else [value]:
                if isinstance(child, ast.AST):
                    out[id(child)] = (node, name)
    return out


def _skipped(node: ast.AST, parents: dict) -> bool:
    """Annotations (never evaluated under `from __future__ import annotations`), docstrings, decorators
    (cache sizes and the like) and the entries of module-level tables of names (data, not logic: a test per
    entry would only restate the table) are not mutated."""
    child = node
    while id(child) in parents:
        parent, field = parents[id(child)]
        if field in ("annotation", "returns", "decorator_list"):
            return True
        if isinstance(parent, ast.AnnAssign) and field == "annotation":
            return True
        if isinstance(parent, ast.Expr) and isinstance(child, ast.Constant) and isinstance(child.value, str):
            return True  # a docstring, or a bare string
        if isinstance(parent, ast.ImportFrom | ast.Import):
            return True
        if isinstance(node, ast.Constant) and isinstance(parent, ast.Set | ast.Dict | ast.Tuple | ast.List) \
                and _at_module_level(parent, parents):
            return True
        child = parent
    return False


def _at_module_level(node: ast.AST, parents: dict) -> bool:
    while id(node) in parents:
        node, _ = parents[id(node)]
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            return False
    return True


def _where(node: ast.AST, parents: dict) -> str:
    names = []
    while id(node) in parents:
        node, _ = parents[id(node)]
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.append(node.name)
    return ".".join(reversed(names)) or "<module>"


def _constant_variant(value):
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        return value + 1
    if isinstance(value, str):
        return "" if value else "XX"
    if isinstance(value, bytes):
        return b"" if value else b"XX"
    return None


def _variants(node: ast.AST, parents: dict):
    """(kind, apply) pairs for one node; apply(node, parents) changes a fresh copy of the tree in place."""
    if isinstance(node, ast.Compare):
        for i, op in enumerate(node.ops):
            new = COMPARE_SWAPS.get(type(op))
            if new:
                yield f"{SYMBOL[type(op)]} -> {SYMBOL[new]}", lambda n, p, i=i, new=new: n.ops.__setitem__(i, new())
    elif isinstance(node, ast.BoolOp):
        new = ast.Or if isinstance(node.op, ast.And) else ast.And
        yield f"{SYMBOL[type(node.op)]} -> {SYMBOL[new]}", lambda n, p, new=new: setattr(n, "op", new())
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not | ast.USub):
        sign = "not " if isinstance(node.op, ast.Not) else "-"
        yield f"{sign}x -> x", lambda n, p: _replace(n, p, n.operand)
    elif isinstance(node, ast.BinOp | ast.AugAssign) and type(node.op) in BINOP_SWAPS:
        new = BINOP_SWAPS[type(node.op)]
        yield f"{SYMBOL[type(node.op)]} -> {SYMBOL[new]}", lambda n, p, new=new: setattr(n, "op", new())
    elif isinstance(node, ast.Constant) and node.value is not None and node.value is not Ellipsis:
        new = _constant_variant(node.value)
        if new is not None:
            yield f"{node.value!r:.30} -> {new!r:.30}", lambda n, p, new=new: setattr(n, "value", new)
    elif isinstance(node, ast.Return) and node.value is not None and not (
            isinstance(node.value, ast.Constant) and node.value.value is None):
        yield "return x -> return None", lambda n, p: setattr(n, "value", None)
    elif isinstance(node, ast.If | ast.IfExp | ast.While):
        already = node.test.value if isinstance(node.test, ast.Constant) else None  # `while True:` stays
        if already is not True:
            yield "condition -> True", lambda n, p: setattr(n, "test", ast.Constant(True))
        if not isinstance(node, ast.While) and already is not False:
            yield "condition -> False", lambda n, p: setattr(n, "test", ast.Constant(False))
    elif isinstance(node, ast.comprehension) and node.ifs:
        yield "comprehension condition removed", lambda n, p: setattr(n, "ifs", [])
    elif isinstance(node, ast.Continue):
        yield "continue -> break", lambda n, p: _replace(n, p, ast.Break())
    elif isinstance(node, ast.Break):
        yield "break -> continue", lambda n, p: _replace(n, p, ast.Continue())
    if isinstance(node, ast.Expr | ast.AugAssign) and not isinstance(node.value if isinstance(node, ast.Expr)
                                                                     else None, ast.Constant) \
            and not _at_module_level(node, parents):
        yield "statement removed", lambda n, p: _replace(n, p, ast.Pass())


def _replace(node: ast.AST, parents: dict, new: ast.AST) -> None:
    parent, field = parents[id(node)]
    value = getattr(parent, field)
    if isinstance(value, list):
        value[value.index(node)] = new
    else:
        setattr(parent, field, new)


def mutants(source: str) -> list[Mutant]:
    tree = ast.parse(source)
    parents = _parents(tree)
    out, seen = [], {}
    for index, node in enumerate(ast.walk(tree)):
        if _skipped(node, parents):
            continue
        for kind, _ in _variants(node, parents):
            segment = _segment(source, node, parents)
            line = getattr(node, "lineno", None) or getattr(getattr(node, "target", None), "lineno", 0)
            mutant = Mutant(index, kind, line, _where(node, parents), segment)
            seen[mutant.key] = seen.get(mutant.key, 0) + 1
            if seen[mutant.key] > 1:  # the same change to the same text again in one function: number it
                mutant = dataclasses.replace(mutant, source=f"{segment} #{seen[mutant.key]}")
            out.append(mutant)
    return sorted(out, key=lambda m: (m.line, m.index, m.kind))


def _segment(source: str, node: ast.AST, parents: dict) -> str:
    """The node's source, or its parent's while that is too short to tell two places apart (`1` -> `x[-1]`)."""
    text = ""
    while True:
        text = " ".join((ast.get_source_segment(source, node) or ast.unparse(node)).split())
        if len(text) >= 16 or isinstance(node, ast.stmt) or id(node) not in parents:
            return text[:70]
        node = parents[id(node)][0]


def mutated_tree(source: str, mutant: Mutant) -> ast.Module:
    tree = ast.parse(source)
    parents = _parents(tree)
    node = next(n for i, n in enumerate(ast.walk(tree)) if i == mutant.index)
    apply = next(a for kind, a in _variants(node, parents) if kind == mutant.kind)
    apply(node, parents)
    return ast.fix_missing_locations(tree)


# --- running ----------------------------------------------------------------------------------------

def _install(module, tree: ast.Module) -> None:
    """Run the mutated code in the module's own namespace; where another loaded module (the package's, or
    a test's) imported one of its names, rebind that name to the mutated object. Matched by name and
    identity, so `import re` or a shared small int is never touched."""
    old = dict(vars(module))
    exec(compile(tree, module.__file__, "exec"), vars(module))
    swapped = {name: (value, vars(module)[name]) for name, value in old.items()
               if name in vars(module) and vars(module)[name] is not value}
    for other in list(sys.modules.values()):
        if other is module or not hasattr(other, "__dict__"):
            continue
        names = vars(other)
        for name in swapped.keys() & names.keys():
            before, after = swapped[name]
            if names[name] is before:
                names[name] = after


def _warm(tests: list[str], pytest_args: list[str]) -> None:
    """Collect the tests once in this process, so every child starts with pytest's plugins and the test
    modules imported (a child then runs in a tenth of the time a fresh pytest takes)."""
    import contextlib
    import io

    import pytest

    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        pytest.main(["--collect-only", "-q", "-p", "no:cacheprovider", *pytest_args, *tests])


def _cap_examples(cap: int | None) -> None:
    """At most `cap` examples per property test (a mutant is usually caught in the first few; `make test`
    runs them all). Done before the tests are imported, so their @settings(max_examples=...) are capped."""
    if not cap:
        return
    import hypothesis

    init = hypothesis.settings.__init__
    if getattr(init, "capped", False):
        return

    def capped(self, parent=None, **kwargs):
        if kwargs.get("max_examples", 0) > cap:
            kwargs["max_examples"] = cap
        init(self, parent, **kwargs)

    capped.capped = True
    hypothesis.settings.__init__ = capped


def _child(module_name: str, tree: ast.Module | None, tests: list[str], pytest_args: list[str]) -> int:
    os.setpgid(0, 0)
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    os.dup2(null, 2)
    sys.stdout = sys.stderr = open(os.devnull, "w")  # also when the parent is itself a pytest capturing output
    try:
        import pytest

        if tree is not None:
            _install(importlib.import_module(module_name), tree)
        code = pytest.main(["-x", "-q", "-p", "no:cacheprovider", *pytest_args, *tests])
        return int(code)
    except BaseException:  # the mutant breaks the module itself: as good as a failing test
        return 1


def _start(module_name, tree, tests, pytest_args) -> int:
    pid = os.fork()
    if pid == 0:
        os._exit(_child(module_name, tree, tests, pytest_args))
    return pid


def _stop(pid: int) -> None:
    for target in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
        try:
            target()
        except (ProcessLookupError, PermissionError):
            pass
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass


@dataclasses.dataclass
class Result:
    module: str
    killed: list[Mutant] = dataclasses.field(default_factory=list)
    timed_out: list[Mutant] = dataclasses.field(default_factory=list)
    survived: list[Mutant] = dataclasses.field(default_factory=list)
    equivalent: list[Mutant] = dataclasses.field(default_factory=list)
    errors: list[Mutant] = dataclasses.field(default_factory=list)
    seconds: float = 0.0

    @property
    def counted(self) -> int:
        return len(self.killed) + len(self.timed_out) + len(self.survived)

    @property
    def rate(self) -> float:
        return (len(self.killed) + len(self.timed_out)) / self.counted if self.counted else 1.0


def run_module(module_name: str, path: Path, tests: list[str], *, pytest_args=(), jobs: int = 1,
               equivalent: dict[str, str] | None = None, timeout: float | None = None, progress=None) -> Result:
    """Every mutant of one module against its tests. The unmutated tests must pass first; the timeout
    per mutant is three times their time plus ten seconds unless given."""
    _cap_examples(int(os.environ.get("MUTATE_MAX_EXAMPLES", "0")))
    importlib.import_module(module_name)
    _warm(tests, list(pytest_args))

    source = path.read_text(encoding="utf-8")
    result = Result(module_name)
    started = time.monotonic()
    pid = _start(module_name, None, tests, list(pytest_args))
    _, status = os.waitpid(pid, 0)
    baseline = time.monotonic() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{module_name}: its tests fail without any mutation ({' '.join(tests)}): fix them first")
    limit = timeout if timeout is not None else 3 * baseline + 10
    equivalent = equivalent or {}
    queue = []
    for mutant in mutants(source):
        (result.equivalent.append(mutant) if mutant.key in equivalent else queue.append(mutant))
    running: dict[int, tuple[Mutant, float]] = {}
    try:
        _run_queue(module_name, source, tests, list(pytest_args), queue, running, jobs, limit, result, progress)
    finally:  # interrupted (Ctrl-C): no child left running
        for pid in running:
            _stop(pid)
    result.seconds = time.monotonic() - started
    for bucket in (result.killed, result.survived, result.timed_out, result.errors):
        bucket.sort(key=lambda m: (m.line, m.index, m.kind))
    return result


def _run_queue(module_name, source, tests, pytest_args, queue, running, jobs, limit, result, progress) -> None:
    while queue or running:
        while queue and len(running) < jobs:
            mutant = queue.pop(0)
            running[_start(module_name, mutated_tree(source, mutant), tests, list(pytest_args))] = (
                mutant, time.monotonic())
        finished = [(pid, status) for pid in list(running) for pid, status in [os.waitpid(pid, os.WNOHANG)] if pid]
        if not finished:  # (each child by its pid: never reap a process this one did not start)
            for pid, (mutant, since) in list(running.items()):
                if time.monotonic() - since > limit:
                    del running[pid]
                    _stop(pid)
                    result.timed_out.append(mutant)
            time.sleep(0.02)
            continue
        for pid, status in finished:
            mutant, _ = running.pop(pid)
            code = os.waitstatus_to_exitcode(status)
            bucket = {0: result.survived, 1: result.killed, 2: result.killed, 3: result.killed}.get(code, result.errors)
            bucket.append(mutant)
            if progress:
                progress(mutant, "survived" if code == 0 else "killed" if code in (1, 2, 3) else f"error {code}")


def read_equivalent(path: Path = EQUIVALENT_FILE) -> dict[str, dict[str, str]]:
    """module -> {mutant key: reason}, from lines `module | key | reason` (# comments, blank lines)."""
    out: dict[str, dict[str, str]] = {}
    if not path.exists():
        return out
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        module, _, rest = line.partition(" | ")
        key, _, reason = rest.rpartition(" | ")  # a key may hold " | " itself (an `a | b` in the source)
        parts = [module.strip(), key.strip(), reason.strip()]
        if not all(parts):
            raise SystemExit(f"{path.name}:{number}: write `module | key | reason`, the reason in one line")
        out.setdefault(parts[0], {})[parts[1]] = parts[2]
    return out


def config(root: Path = ROOT) -> dict:
    with open(root / "pyproject.toml", "rb") as f:
        return tomllib.load(f)["tool"]["openhand"]["mutate"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", help="only the modules whose name ends so (tracking, selection...)")
    parser.add_argument("-j", "--jobs", type=int, default=1)
    parser.add_argument("--list", action="store_true", help="list the mutants, run nothing")
    parser.add_argument("--timeout", type=float, help="seconds per mutant (default: 3x the tests' time + 10)")
    args = parser.parse_args(argv)
    cfg = config()
    target = cfg.get("target", 0.85)
    sys.path[:0] = [str(ROOT / "plugins"), str(ROOT / "tests")]
    os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY", str(ROOT / ".hypothesis" / "mutate"))
    os.environ.setdefault("MUTATE_MAX_EXAMPLES", str(cfg.get("max_examples", 0)))
    os.chdir(ROOT)
    chosen = {name: spec for name, spec in cfg["modules"].items()
              if not args.modules or any(name == m or name.endswith("." + m) for m in args.modules)}
    if not chosen:
        parser.error(f"no such module (known: {', '.join(cfg['modules'])})")
    equivalent = read_equivalent()
    results = []
    for name, spec in chosen.items():
        path = ROOT / "plugins" / (name.replace(".", "/") + ".py")
        if args.list:
            for m in mutants(path.read_text(encoding="utf-8")):
                mark = "  (equivalent)" if m.key in equivalent.get(name, {}) else ""
                print(f"{path.relative_to(ROOT)}:{m.line}: {m.key}{mark}")
            continue
        print(f"{name}: {len(mutants(path.read_text(encoding='utf-8')))} mutants against {' '.join(spec['tests'])}",
              flush=True)
        done = []

        def progress(mutant, outcome, done=done):
            done.append(outcome)
            if len(done) % 25 == 0:
                print(f"  ... {len(done)} run, {done.count('survived')} survived so far", flush=True)

        result = run_module(name, path, spec["tests"], pytest_args=spec.get("pytest_args", []), jobs=args.jobs,
                            equivalent=equivalent.get(name, {}), timeout=args.timeout, progress=progress)
        results.append(result)
        for m in result.survived:
            print(f"  survived  {path.relative_to(ROOT)}:{m.line}: {m.key}")
        for m in result.errors:
            print(f"  error     {path.relative_to(ROOT)}:{m.line}: {m.key}")
        print(f"  {result.rate:.0%} killed ({len(result.killed)} killed, {len(result.timed_out)} timed out, "
              f"{len(result.survived)} survived; {len(result.equivalent)} equivalent not counted) in "
              f"{result.seconds:.0f} s", flush=True)
    if results:
        print("\nmodule                          kill rate  killed  timeout  survived  equivalent")
        for r in results:
            print(f"{r.module:32}{r.rate:8.0%}{len(r.killed):8}{len(r.timed_out):9}{len(r.survived):10}"
                  f"{len(r.equivalent):12}")
        stale = {k for name, keys in equivalent.items() if name in chosen for k in keys} - {
            m.key for r in results for m in r.equivalent}
        for key in sorted(stale):
            print(f"note: {EQUIVALENT_FILE.name} lists a mutant no longer made: {key}")
    short = [r for r in results if r.rate < target]
    if short:
        print(f"below the {target:.0%} target: {', '.join(r.module for r in short)}")
    return 1 if short else 0


if __name__ == "__main__":
    sys.exit(main())
