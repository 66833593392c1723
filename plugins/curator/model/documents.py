"""Markdown files with YAML front matter: one loader, one writer, clear errors.

Every document in content/ (articles, pages, niches, hand-picked links and
newsletter issues) goes through `load`, so an editor's typo is reported the
same way wherever it is, naming the file and the key.
"""

from __future__ import annotations

import os
import re
import secrets
import socket
import time
from typing import Any

import frontmatter
import yaml


class ContentError(ValueError):
    """An editor's mistake in a content file: says the file, the key and the fix."""

    exitcode = 2  # what `pelican` exits with (it reads the attribute), as `openhand curate` does
    unknown_niche: str | None = None  # niches.require_niche: the slug named that has no niche file

    def __init__(self, path: str, problem: str, key: str | None = None, fix: str | None = None):
        self.path, self.key, self.problem, self.fix = path, key, problem, fix
        where = f"{path}: {key}: " if key else f"{path}: "
        super().__init__(where + problem + (f" (fix: {fix})" if fix else ""))

    @property
    def errors(self) -> list[ContentError]:
        return [self]


class ContentErrors(ContentError):
    """Every content error one pass found, one line each: a build reports them all, then stops
    (as Pelican checks all its settings before failing), so one run shows the editor every fix."""

    def __init__(self, errors: list[ContentError]):
        self._errors = list(errors)
        self.path = ""
        self.key = self.problem = self.fix = None  # type: ignore[assignment]  # the errors carry them
        ValueError.__init__(self, f"{len(self._errors)} content errors (fix each, then build again):\n"
                            + "\n".join(str(e) for e in self._errors))

    @property
    def errors(self) -> list[ContentError]:
        return list(self._errors)


def raise_all(errors: list[ContentError]) -> None:
    """Raise what was collected: the one error as itself, several as ContentErrors; nothing if none."""
    flat = [e for error in errors for e in error.errors]
    if len(flat) == 1:
        raise flat[0]
    if flat:
        raise ContentErrors(flat)


def gather(errors: list[ContentError], read, *args, default: Any = None, **kwargs) -> Any:
    """read(*args, **kwargs), or `default` with its ContentError(s) added to `errors`."""
    try:
        return read(*args, **kwargs)
    except ContentError as exc:
        errors.extend(exc.errors)
        return default


def load(path: str) -> frontmatter.Post:
    """Parse a file's YAML front matter and body; raise ContentError if it is not YAML."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except UnicodeDecodeError as exc:
        raise ContentError(path, f"is not UTF-8 text ({exc.reason} at byte {exc.start})",
                           fix="save the file as UTF-8") from exc
    return loads(text, path)


def loads(text: str, path: str) -> frontmatter.Post:
    """As `load`, for text already read; `path` names it in errors."""
    text = text.lstrip("\ufeff")
    if not text.lstrip().startswith("---"):
        raise ContentError(path, "has no YAML front matter",
                           fix="start the file with a line '---', then 'key: value' lines, then '---'")
    try:
        post = frontmatter.loads(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ContentError(path, f"front matter is not valid YAML{line}: {problem}",
                           fix="quote values that contain ':' or start with '[', '{', '&', '*', '#'") from exc
    except ValueError as exc:
        raise ContentError(path, f"front matter is not a set of 'key: value' lines ({exc})",
                           fix="write one 'key: value' per line between the '---' lines") from exc
    if not isinstance(post.metadata, dict):
        raise ContentError(path, "front matter is not a set of 'key: value' lines",
                           fix="write one 'key: value' per line between the '---' lines")
    return post


class _Dumper(yaml.SafeDumper):
    """safe_dump, except text holding a line break YAML folds on reading (NEL, LS, PS) is written
    double-quoted, where those are escaped; otherwise it would come back as a space."""


# libyaml's emitter writes the same text ~10x faster, but escapes what it will not print (emoji and
# anything beyond U+FFFF among them), where an editor should read the character itself.
_FastDumper: Any = type("_FastDumper", (yaml.CSafeDumper,), {}) if getattr(yaml, "__with_libyaml__", False) else None


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = '"' if any(ch in value for ch in "\x85\u2028\u2029") else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


for _dumper in (_Dumper, _FastDumper):
    if _dumper is not None:
        _dumper.add_representer(str, _represent_str)
_YAML_OPTIONS: dict[str, Any] = {"sort_keys": False, "allow_unicode": True, "default_flow_style": False, "width": 88}


def dump_yaml(metadata: dict[str, Any]) -> str:
    """Front matter as the Python emitter writes it; libyaml's text when it escaped nothing
    (then the two agree, checked by a property test), the Python emitter's otherwise."""
    if _FastDumper is not None:
        head = yaml.dump(metadata, Dumper=_FastDumper, **_YAML_OPTIONS)
        if "\\" not in head:
            return head
    return yaml.dump(metadata, Dumper=_Dumper, **_YAML_OPTIONS)


def dumps(metadata: dict[str, Any], body: str = "") -> str:
    """Front matter + body as text; keys keep the order given."""
    head = dump_yaml(metadata)
    body = body.strip("\n")
    return f"---\n{head}---\n" + (f"\n{body}\n" if body else "")


def write_atomic(path: str, text: str, *, overwrite: bool = True, mode: int = 0o666) -> bool:
    """Write text so that a crash leaves either the old file or the new one, whole.

    With overwrite=False an existing file is left untouched and False returned;
    the check and the rename are one step (a hard link), so a file an editor
    creates meanwhile is not replaced either.
    """
    return write_bytes_atomic(path, text.encode("utf-8"), overwrite=overwrite, mode=mode)


PRIVATE = 0o600  # the mode for files that hold subscriber data: the owner only, whatever the umask


def write_bytes_atomic(path: str, data: bytes, *, overwrite: bool = True, durable: bool = True,
                       mode: int = 0o666) -> bool:
    """Binary form of write_atomic, for cache and mail files.

    The file gets `mode` less the user's umask, as any editor's file does (0644 under umask 022,
    so a co-editor or a web server can read it); pass mode=PRIVATE for subscriber data.
    durable=False skips the fsyncs, for files that are rebuilt anyway or flushed by the write
    that follows (the feed cache, mail/, the curation record): still atomic against a kill,
    only not against a power cut.
    """
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    tmp = os.path.join(folder, temp_name())
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, mode)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        if overwrite:
            os.replace(tmp, path)
        else:
            try:
                os.link(tmp, path)
            except FileExistsError:
                return False
        if durable:
            fsync_dir(folder)
        return True
    finally:
        if os.path.lexists(tmp):
            os.unlink(tmp)


# ---------------------------------------------------------------- temporary files a killed writer leaves

# `.openhand-<host>-<boot>-<pid>-<start>-<random>.tmp`: hidden, ignored by the project's .gitignore
# (`.openhand-*.tmp`), and naming its writer, so a later run can tell whether the writer is gone.
TEMP_PREFIX, TEMP_SUFFIX = ".openhand-", ".tmp"
_LEGACY_TEMP = re.compile(r"^\.[A-Za-z0-9_]{8}\.tmp$")   # tempfile.mkstemp's names, from older versions
LEGACY_TEMP_AGE = 600.0      # those carry no writer: removed once ten minutes old
FOREIGN_TEMP_AGE = 86400.0   # another machine's (a shared folder): its writer cannot be asked; a day


def _read(path: str) -> str:
    try:
        with open(path, encoding="ascii", errors="replace") as handle:
            return handle.read()
    except OSError:
        return ""


def _start_ticks(pid: int) -> str:
    """When process `pid` started (clock ticks since boot, Linux): with the pid, it names one process
    even after the pid is reused. "0" where /proc cannot say."""
    stat = _read(f"/proc/{pid}/stat")
    fields = stat.rsplit(")", 1)[-1].split()
    return fields[19] if len(fields) > 19 else "0"


def _machine() -> tuple[str, str]:
    host = re.sub(r"[^A-Za-z0-9.]", "_", socket.gethostname())[:64] or "host"
    boot = re.sub(r"[^0-9a-f]", "", _read("/proc/sys/kernel/random/boot_id"))[:8] or "0"
    return host, boot


def temp_name() -> str:
    """A fresh temporary file name naming this writer: machine, boot, pid and the pid's start time."""
    host, boot = _machine()
    pid = os.getpid()
    return f"{TEMP_PREFIX}{host}-{boot}-{pid}-{_start_ticks(pid)}-{secrets.token_hex(4)}{TEMP_SUFFIX}"


def _writer_gone(name: str, here: tuple[str, str], age: float) -> bool:
    if _LEGACY_TEMP.match(name):
        return age > LEGACY_TEMP_AGE
    try:
        host, boot, pid, start, _ = name[len(TEMP_PREFIX):-len(TEMP_SUFFIX)].rsplit("-", 4)
        pid_number = int(pid)
    except ValueError:
        return False  # not one of ours
    if host != here[0]:
        return age > FOREIGN_TEMP_AGE
    if boot != here[1]:
        return True   # written before this machine last started
    try:
        os.kill(pid_number, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass          # alive, another user's
    return _start_ticks(pid_number) != start  # alive, but a later process that got the same pid


def remove_abandoned_temp_files(*folders: str) -> list[str]:
    """Remove the temporary files a killed writer left under these folders (the real files are whole,
    old or new), whatever their age, as soon as their writer is gone; returns what was removed.

    A writer is gone when its pid is dead on this machine, or alive but started at another time (the
    pid was reused), or the machine has rebooted since. Another machine's writer (a folder shared
    over the network) cannot be asked: its files go once a day old."""
    here, now, removed = _machine(), time.time(), []
    for folder in folders:
        for dirpath, _, filenames in os.walk(folder):
            for name in filenames:
                if not (name.endswith(TEMP_SUFFIX) and name.startswith(".")):
                    continue
                path = os.path.join(dirpath, name)
                try:
                    if _writer_gone(name, here, now - os.lstat(path).st_mtime):
                        os.unlink(path)
                        removed.append(path)
                except OSError:
                    pass
    return removed


# ---------------------------------------------------------------- documents under a folder, confined

def inside(path: str, root: str) -> bool:
    """Whether `path`, symbolic links resolved, is `root` or in it."""
    real, top = os.path.realpath(path), os.path.realpath(root)
    return real == top or real.startswith(top.rstrip(os.sep) + os.sep)


def markdown_files(folder: str, root: str) -> tuple[list[str], list[str]]:
    """Every *.md file under `folder`, in name order, and the symbolic links that were not followed.

    Links are followed while they stay inside `root` (content/); each real file and folder is read
    once however many links lead to it, so a link loop ends instead of recursing for ever. A link
    that points outside `root` is not followed: nothing outside content/ gets into a draft."""
    if not inside(folder, root):
        return [], [folder]
    files, refused, seen_dirs, seen_files = [], [], set(), set()
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=True):
        real = os.path.realpath(dirpath)
        if real in seen_dirs:
            dirnames[:] = []
            continue
        seen_dirs.add(real)
        for name in list(dirnames):
            path = os.path.join(dirpath, name)
            if os.path.islink(path) and not inside(path, root):
                refused.append(path)
                dirnames.remove(name)
        dirnames.sort()
        for name in sorted(filenames):
            path = os.path.join(dirpath, name)
            if not name.endswith(".md"):
                continue
            if not inside(path, root):
                refused.append(path)
            elif os.path.realpath(path) not in seen_files:
                seen_files.add(os.path.realpath(path))
                files.append(path)
    return sorted(files), sorted(refused)


def fsync_dir(folder: str) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
