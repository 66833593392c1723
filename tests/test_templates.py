"""A build compiles only the templates that changed since the last one (build/templates.py).

Each test builds a real copy of the demo in this process (as pelican-plugins' tests do) and counts
what Jinja compiles; the kept code must render exactly what compiling afresh renders, follow an
edited template at once, name its own file in a traceback, and never stop a build it cannot help.
"""

from __future__ import annotations

import errno
import traceback
from pathlib import Path

import pytest
from jinja2 import Environment, FileSystemLoader, TemplateAssertionError

from curator.build.templates import CompiledTemplates
from support.project import build_in_process, copy_project


def _build(project: Path, monkeypatch, **override) -> list[str]:
    """One in-process build; the names of the templates Jinja compiled from source."""
    compiled: list[str] = []
    compile_ = Environment.compile

    def counting(self, source, name=None, filename=None, *args, **kwargs):
        compiled.append(name)
        return compile_(self, source, name, filename, *args, **kwargs)

    with monkeypatch.context() as m:
        m.setattr(Environment, "compile", counting)
        build_in_process(project, m, **override)
    return compiled


def _site(project: Path) -> dict[str, bytes]:
    out = project / "output"
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


@pytest.fixture
def cache(tmp_path) -> str:
    """A folder for the unit tests' caches; a build's TEMPLATE_CACHE_PATH is created by the build."""
    return str(tmp_path / "compiled")


def _folder(path: str) -> str:
    Path(path).mkdir(exist_ok=True)
    return path


def test_a_second_build_compiles_nothing_and_writes_the_same_site(tmp_path, monkeypatch, cache):
    project = copy_project(tmp_path / "site")
    first = _build(project, monkeypatch, TEMPLATE_CACHE_PATH=cache)
    assert {"base.html", "article.html", "newsletters/issue.html", "email/issue.html"} <= set(first)
    assert len(first) == len(set(first))  # base.html once, not once per generator
    site = _site(project)
    assert _build(project, monkeypatch, TEMPLATE_CACHE_PATH=cache) == []
    assert _site(project) == site
    assert Path(cache).stat().st_mode & 0o777 == 0o700  # nobody else can plant code for the next build


def test_a_copy_in_another_folder_uses_the_same_entries_and_an_edited_template_is_compiled_again(
        tmp_path, monkeypatch, cache):
    first = copy_project(tmp_path / "first", content=False)
    _build(first, monkeypatch, TEMPLATE_CACHE_PATH=cache)
    second = copy_project(tmp_path / "elsewhere" / "second", content=False)
    assert _build(second, monkeypatch, TEMPLATE_CACHE_PATH=cache) == []
    assert _site(second) == _site(first)

    base = second / "theme" / "templates" / "base.html"
    base.write_text(base.read_text(encoding="utf-8").replace("</head>", "<!-- edited -->\n</head>"), encoding="utf-8")
    assert _build(second, monkeypatch, TEMPLATE_CACHE_PATH=cache) == ["base.html"]
    assert "<!-- edited -->" in (second / "output" / "index.html").read_text(encoding="utf-8")
    assert _build(first, monkeypatch, TEMPLATE_CACHE_PATH=cache) == []  # the unedited copy still hits
    assert "<!-- edited -->" not in (first / "output" / "index.html").read_text(encoding="utf-8")


def test_a_template_from_the_cache_names_its_own_file_when_it_fails(tmp_path, cache):
    def boom():
        raise RuntimeError("boom")

    files = []
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "page.html").write_text("{% macro m() %}{{ boom() }}{% endmacro %}<p>{{ m() }}</p>\n")
        files.append(str(tmp_path / folder / "page.html"))
    for path in files:
        env = Environment(loader=FileSystemLoader(str(Path(path).parent)),
                          bytecode_cache=CompiledTemplates(_folder(cache)))
        template = env.get_template("page.html")
        assert template.filename == path
        with pytest.raises(RuntimeError) as failure:
            template.render(boom=boom)
        frames = [f.filename for f in traceback.extract_tb(failure.value.__traceback__)]
        assert path in frames and not {f for f in files if f != path} & set(frames), frames
    assert len(list(Path(cache).iterdir())) == 1  # one entry, the second folder's from the first's


def test_the_same_template_escaped_and_not_is_kept_twice(tmp_path, cache):
    (tmp_path / "t.html").write_text("{{ v }}")
    renders = []
    for autoescape in (False, True, lambda name: name.endswith(".html"), False):
        env = Environment(loader=FileSystemLoader(str(tmp_path)), autoescape=autoescape,
                          bytecode_cache=CompiledTemplates(_folder(cache)))
        renders.append(env.get_template("t.html").render(v="<b>"))
    assert renders == ["<b>", "&lt;b&gt;", "&lt;b&gt;", "<b>"]
    assert len(list(Path(cache).iterdir())) == 2


def test_a_filter_one_environment_lacks_fails_there_as_it_would_without_the_cache(tmp_path, cache):
    (tmp_path / "t.html").write_text("{{ v | shout }}")
    env = Environment(loader=FileSystemLoader(str(tmp_path)), bytecode_cache=CompiledTemplates(_folder(cache)))
    env.filters["shout"] = str.upper
    assert env.get_template("t.html").render(v="hi") == "HI"
    bare = Environment(loader=FileSystemLoader(str(tmp_path)), bytecode_cache=CompiledTemplates(cache))
    with pytest.raises(TemplateAssertionError, match="No filter named 'shout'"):
        bare.get_template("t.html")


def test_a_cache_that_fails_costs_a_compile_never_the_build(tmp_path, monkeypatch, cache, caplog):
    project = copy_project(tmp_path / "site", content=False)
    afresh = len(_build(project, monkeypatch, TEMPLATE_CACHE=False))  # every generator compiles its own
    _build(project, monkeypatch, TEMPLATE_CACHE_PATH=cache)
    site = _site(project)
    entries = sorted(Path(cache).iterdir())
    for path in entries:  # cut short, as by a crash or a full disk
        path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])
    assert len(_build(project, monkeypatch, TEMPLATE_CACHE_PATH=cache)) == len(entries)
    assert _site(project) == site

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    fresh = str(tmp_path / "full")
    with monkeypatch.context() as m:
        m.setattr("jinja2.bccache.tempfile.NamedTemporaryFile", full)
        assert len(_build(project, monkeypatch, TEMPLATE_CACHE_PATH=fresh)) == afresh
    assert _site(project) == site and list(Path(fresh).iterdir()) == []

    (tmp_path / "a-file").write_text("")
    with caplog.at_level("WARNING"):
        assert len(_build(project, monkeypatch, TEMPLATE_CACHE_PATH=str(tmp_path / "a-file" / "cache"))) == afresh
    assert _site(project) == site
    warned = [r.getMessage() for r in caplog.records if r.name == "curator.build.templates"]
    assert len(warned) == 1 and "set TEMPLATE_CACHE_PATH to a folder you can write" in warned[0]

    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)  # anyone could plant an entry: not used
    caplog.clear()
    with caplog.at_level("WARNING"):
        assert len(_build(project, monkeypatch, TEMPLATE_CACHE_PATH=str(shared))) == afresh
    assert list(shared.iterdir()) == []
    warned = [r.getMessage() for r in caplog.records if r.name == "curator.build.templates"]
    assert len(warned) == 1 and "writable by other users" in warned[0] and "chmod 700" in warned[0]


def test_it_can_be_switched_off(tmp_path, monkeypatch, cache):
    project = copy_project(tmp_path / "site", content=False)
    first = _build(project, monkeypatch, TEMPLATE_CACHE=False, TEMPLATE_CACHE_PATH=cache)
    assert _build(project, monkeypatch, TEMPLATE_CACHE=False, TEMPLATE_CACHE_PATH=cache) == first
    assert not Path(cache).exists()
