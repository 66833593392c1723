"""Front matter read key by key: each value typed and checked, every wrong key of a file found in one pass.

The niche, issue and hand-picked link loaders read their files through `Fields`; a wrong
value is a ContentError naming the file, the key and an example of a right one.
"""

from __future__ import annotations

from typing import Any

from .documents import ContentError, gather, raise_all

_MISSING = object()


class Fields:
    """Typed reads of one document's front matter; a wrong value raises ContentError
    naming the file, the key and an example of a right one."""

    def __init__(self, path: str, meta: dict[str, Any], prefix: str = "", errors: list | None = None):
        self.path, self.meta, self.prefix = path, meta, prefix
        self.errors: list[ContentError] = [] if errors is None else errors  # shared with nested() Fields

    def keep(self, read, *args, default: Any = None, **kwargs) -> Any:
        """A read that notes its ContentError and gives `default`, so one pass over a file finds every
        wrong key; `done()` then raises them together."""
        return gather(self.errors, read, *args, default=default, **kwargs)

    def done(self) -> None:
        raise_all(self.errors)

    def error(self, key: str, problem: str, example: str | None = None) -> ContentError:
        return ContentError(self.path, problem, key=self.prefix + key,
                            fix=f"write e.g. {key}: {example}" if example else None)

    def _get(self, key: str, default: Any, example: str | None) -> Any:
        value = self.meta.get(key, _MISSING)
        if value is _MISSING or value is None or value == "":
            if default is _MISSING:
                raise self.error(key, "is missing", example)
            return default
        return value

    def text(self, key: str, default: Any = _MISSING, example: str | None = None) -> Any:
        value = self._get(key, default, example)
        if value is default:
            return value
        if isinstance(value, (dict, list)):
            raise self.error(key, f"must be text, not a {type(value).__name__}", example)
        return str(value).strip()

    def number(self, key: str, default: Any = _MISSING, example: str | None = None,
               *, kind: type = int, minimum: float | None = None) -> Any:
        value = self._get(key, default, example)
        if value is default:
            return value
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or (kind is int and not isinstance(value, int))
        ):
            raise self.error(key, f"must be a {'whole ' if kind is int else ''}number, not {value!r}", example)
        if minimum is not None and value < minimum:
            raise self.error(key, f"must be at least {minimum}, not {value!r}", example)
        return kind(value)

    def choice(self, key: str, choices: tuple[str, ...], default: Any = _MISSING) -> str:
        value = self.text(key, default, example=choices[0])
        if value not in choices:
            raise self.error(key, f"must be one of {', '.join(choices)}, not {value!r}", choices[0])
        return value

    def words(self, key: str, default: Any = (), example: str | None = None) -> list[str]:
        """A list of short strings; a single string is taken as a one-item list."""
        value = self._get(key, default, example)
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, (list, tuple)) or any(isinstance(v, (dict, list)) or v is None for v in value):
            raise self.error(key, "must be a list of words, e.g. [tax, payroll]", example or "[tax, payroll]")
        return [str(v).strip() for v in value if str(v).strip()]

    def records(self, key: str, default: Any = (), example: str | None = None) -> list[dict[str, Any]]:
        value = self._get(key, default, example)
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, dict) for v in value):
            raise self.error(key, "must be a list of entries, each with its own 'key: value' lines", example)
        return list(value)

    def mapping(self, key: str, default: Any = _MISSING, example: str | None = None) -> dict[str, Any]:
        value = self._get(key, default, example)
        if not isinstance(value, dict):
            raise self.error(key, "must be a set of 'key: value' lines", example)
        return value

    def date(self, key: str, default: Any = _MISSING, example: str = "2026-11-02") -> Any:
        import datetime as dt

        value = self._get(key, default, example)
        if value is default or isinstance(value, dt.date):
            return value.date() if isinstance(value, dt.datetime) else value
        try:
            return dt.date.fromisoformat(str(value).strip()[:10])
        except ValueError:
            raise self.error(key, f"is not a date: {value!r}", example) from None

    def nested(self, key: str, record: dict[str, Any], index: int | None = None) -> Fields:
        label = f"{key}[{index}]." if index is not None else f"{key}."
        return Fields(self.path, record, self.prefix + label, self.errors)

    def unknown(self, known: set[str]) -> list[str]:
        """Keys that are not in `known`, for a warning (most are typos)."""
        return sorted(k for k in self.meta if k not in known)
