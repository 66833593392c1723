"""Compiled templates kept between builds, so a build compiles only the templates that changed.

Pelican gives every generator its own Jinja environment, and each compiles the theme's templates
from source in every build: for the demo, 26 compiles and about a fifth of the build's CPU
(0.95 s against 0.73 s with them kept, medians of twelve interleaved `pelican content` runs). Jinja's own
FileSystemBytecodeCache keeps them, keyed by the template's name and its file's path; this one
keys them by what the compiled code depends on instead (the name, the source, and the
environment's compile-time options), so two checkouts of a project, or a project moved to
another folder, share one entry, and a hit is relabelled with its own file so a traceback
names the template that ran. Jinja checks every entry against its Jinja and Python versions.

TEMPLATE_CACHE (default True) switches it on; TEMPLATE_CACHE_PATH says where (default None:
Jinja's own per-user folder in the system's temp folder; a relative path is taken from the folder
that holds content/). Whoever can write an entry runs code in the next build, so the folder is the
user's alone: Jinja makes and checks its own so, a TEMPLATE_CACHE_PATH the build makes is 0700, and
one that others can write is not used. A cache that cannot be read or written (a full disk, a read-only folder)
makes the build slower, never wrong: the template is compiled as if no cache were set.
"""

from __future__ import annotations

import logging
import os
import pickle
from hashlib import sha1
from types import CodeType
from typing import Any

from jinja2 import Environment
from jinja2.bccache import Bucket, FileSystemBytecodeCache

from ..model.settings import project_dir

logger = logging.getLogger(__name__)

PATTERN = "openhand-%s.jinja"   # apart from Jinja's own '__jinja2_%s.cache' in the same folder


def _name(value: Any) -> str:
    return f"{getattr(value, '__module__', '')}.{getattr(value, '__qualname__', type(value).__qualname__)}"


def compile_options(environment: Environment, name: str) -> str:
    """What, besides the source, changes the code Jinja compiles a template to: the syntax, whitespace
    control, autoescaping as decided for this template name, finalize, async, the extensions, and the
    filters and tests there are (a template naming one that is missing fails as it compiles)."""
    escape = environment.autoescape(name) if callable(environment.autoescape) else environment.autoescape
    return repr((
        _name(type(environment)), _name(environment.code_generator_class), bool(escape),
        environment.block_start_string, environment.block_end_string, environment.variable_start_string,
        environment.variable_end_string, environment.comment_start_string, environment.comment_end_string,
        environment.line_statement_prefix, environment.line_comment_prefix, environment.trim_blocks,
        environment.lstrip_blocks, environment.newline_sequence, environment.keep_trailing_newline,
        environment.optimized, environment.is_async,
        None if environment.finalize is None else _name(environment.finalize),
        sorted((key, _name(ext), ext.priority) for key, ext in environment.extensions.items()),
        sorted(environment.filters), sorted(environment.tests),
        environment.policies.get("ext.i18n.trimmed"),  # the one policy read while parsing
    ))


def relabel(code: CodeType, filename: str) -> CodeType:
    """The same code as if compiled from `filename` (every nested function's too)."""
    if code.co_filename == filename:
        return code
    consts = tuple(relabel(c, filename) if isinstance(c, CodeType) else c for c in code.co_consts)
    return code.replace(co_filename=filename, co_consts=consts)


class CompiledTemplates(FileSystemBytecodeCache):
    """Jinja's file cache, keyed by content rather than by path (see the module's text)."""

    def get_bucket(self, environment: Environment, name: str, filename: str | None, source: str) -> Bucket:
        checksum = self.get_source_checksum(source)
        key = sha1("\0".join((name, checksum, compile_options(environment, name))).encode("utf-8")).hexdigest()
        bucket = Bucket(environment, key, checksum)
        try:
            self.load_bytecode(bucket)
        except (OSError, EOFError, ValueError, TypeError, pickle.UnpicklingError) as exc:  # unreadable, cut short
            logger.debug("template cache: %s not read (%s)", name, exc)
            bucket.reset()
        if bucket.code is not None and filename:
            bucket.code = relabel(bucket.code, filename)
        return bucket

    def dump_bytecode(self, bucket: Bucket) -> None:
        try:
            super().dump_bytecode(bucket)
        except OSError as exc:  # a full disk or a read-only folder costs the next build a compile, nothing more
            logger.debug("template cache: %s not kept (%s)", self.directory, exc)


def template_cache(settings: dict[str, Any]) -> CompiledTemplates | None:
    """The cache TEMPLATE_CACHE and TEMPLATE_CACHE_PATH ask for, or None (off, or no private folder)."""
    if not settings["TEMPLATE_CACHE"]:
        return None
    path = project_dir(settings, "TEMPLATE_CACHE_PATH")
    try:
        if path is not None:  # private, as Jinja makes its own: whoever can write an entry runs code in the build
            os.makedirs(path, mode=0o700, exist_ok=True)
            found = os.stat(path)
            if found.st_uid != os.getuid() or found.st_mode & 0o022:
                logger.warning("templates are compiled afresh in every build: TEMPLATE_CACHE_PATH %s is writable by "
                               "other users; give it to yourself alone (chmod 700) or name another folder", path)
                return None
        return CompiledTemplates(path, PATTERN)
    except (OSError, RuntimeError) as exc:  # RuntimeError: Jinja found no folder private to this user
        logger.warning("templates are compiled afresh in every build: no cache folder (%s); set "
                       "TEMPLATE_CACHE_PATH to a folder you can write, or TEMPLATE_CACHE = False", exc)
        return None


def keep_compiled_templates(settings: dict[str, Any]) -> None:
    """Give every Pelican environment the cache, unless JINJA_ENVIRONMENT already names one."""
    jinja = dict(settings["JINJA_ENVIRONMENT"])
    if "bytecode_cache" in jinja:
        return
    cache = template_cache(settings)
    if cache is not None:
        jinja["bytecode_cache"] = cache
        settings["JINJA_ENVIRONMENT"] = jinja
