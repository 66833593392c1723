"""Index terms: the words of a text as the curator compares them, in the niche's language.

Text is NFKC-normalised and case-folded, cut into words, and each word is
reduced to its Snowball stem (PyStemmer) for the niche's `lang:`, so
'dentists', 'hygienists' and 'scheduling' meet 'dentist', 'hygienist' and
'schedule'. The language's function words come from the stopwords package. Scripts written without spaces (Chinese,
Japanese, Korean, Thai,
Lao, Khmer, Myanmar) have no words to cut, so a run of them becomes its
overlapping character pairs: a keyword of several characters is then found
inside a longer run as the same pairs, one after another.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import Stemmer
from stopwords import LANGUAGE_MAPPING, get_stopwords

# ISO 639-1 codes (what `lang:` and DEFAULT_LANG hold) to Snowball's algorithm names.
SNOWBALL = {
    "ar": "arabic", "hy": "armenian", "eu": "basque", "ca": "catalan", "cs": "czech", "da": "danish",
    "nl": "dutch", "en": "english", "eo": "esperanto", "et": "estonian", "fi": "finnish", "fr": "french",
    "de": "german", "el": "greek", "hi": "hindi", "hu": "hungarian", "id": "indonesian", "ga": "irish",
    "it": "italian", "lt": "lithuanian", "ne": "nepali", "no": "norwegian", "nb": "norwegian",
    "nn": "norwegian", "fa": "persian", "pl": "polish", "pt": "portuguese", "ro": "romanian",
    "ru": "russian", "sr": "serbian", "st": "sesotho", "es": "spanish", "sv": "swedish", "ta": "tamil",
    "tr": "turkish", "yi": "yiddish",
}
# Scripts without spaces between words: Thai, Lao, Myanmar, Khmer, Hangul Jamo, CJK symbols and
# punctuation excluded; kana, CJK ideographs (with extensions and compatibility forms), Hangul.
_SPACELESS = ("\u0e00-\u0e7f\u0e80-\u0eff\u1000-\u109f\u1780-\u17ff\u1100-\u11ff\u3040-\u309f"
              "\u30a0-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\ua960-\ua97f\uac00-\ud7af"
              "\uf900-\ufaff\U00020000-\U0003134f")
# Combining marks are not word characters to `re`, but they are part of Hebrew, Arabic and Indic words.
_MARKS = "\u0300-\u036f\u0483-\u0489\u0591-\u05c7\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0900-\u0dff"
_TOKEN = f"(?P<run>[{_SPACELESS}]+)|(?P<word>[^\\W_{_SPACELESS}](?:[^\\W_{_SPACELESS}]|[{_MARKS}])*)"


@lru_cache(maxsize=1)
def _token() -> re.Pattern:
    """Compiled on first use (a few ms, and most runs only ever see ASCII text)."""
    return re.compile(_TOKEN)


NO_STEMMER = "none"


def snowball_name(lang: str) -> str | None:
    """The Snowball algorithm for a language tag ('en', 'en-GB', 'pt_BR'), or None when there is none."""
    code = re.split(r"[-_]", (lang or "").strip().lower(), maxsplit=1)[0]
    return SNOWBALL.get(code)


class Analyzer:
    """Turns text into index terms for one language; stems are cached (PyStemmer's own cache)."""

    def __init__(self, lang: str):
        name = snowball_name(lang)
        self.lang = lang
        self.key = name or NO_STEMMER   # what the terms depend on: 'en' and 'en-GB' give the same terms
        self.stemmer = Stemmer.Stemmer(name) if name else None
        self.terms = lru_cache(maxsize=32768)(self._terms)  # entries repeat across niches and runs
        self._stop: frozenset[str] | None = None

    @property
    def stop_terms(self) -> frozenset[str]:
        """The language's function words as terms (the stopwords package's list; none if it has none)."""
        if self._stop is None:
            code = re.split(r"[-_]", (self.lang or "").strip().lower(), maxsplit=1)[0]
            words = get_stopwords(code) if code in LANGUAGE_MAPPING else []
            self._stop = frozenset(t for w in words for t in self.terms(w))
        return self._stop

    def _terms(self, text: str) -> tuple[str, ...]:
        if not text:
            return ()
        if not text.isascii():
            text = unicodedata.normalize("NFKC", text)
        text = text.casefold()
        if text.isascii():  # most text: words only, no run of a spaceless script
            words = re.findall(r"[a-z0-9]+", text)
            return tuple(self.stemmer.stemWords(words)) if self.stemmer else tuple(words)
        out: list[str] = []
        words = []
        for match in _token().finditer(text):
            run = match.group("run")
            if run is None:
                words.append(match.group("word"))
                continue
            out.extend(self._stem(words))
            words = []
            out.extend([run] if len(run) == 1 else [run[i:i + 2] for i in range(len(run) - 1)])
        out.extend(self._stem(words))
        return tuple(out)

    def fields(self, title: str, summary: str) -> list[str]:
        """An entry's title and summary as terms, each one space-separated string (for the feed cache)."""
        return [" ".join(self._terms(title)), " ".join(self._terms(summary))]  # once each: no cache to fill

    def surface(self, text: str) -> dict[str, str]:
        """Each word term of the text -> the first word it came from, as written (for `why`)."""
        out: dict[str, str] = {}
        for match in re.finditer(f"[^\\W_{_SPACELESS}](?:[^\\W_{_SPACELESS}]|[{_MARKS}])*", text or ""):
            word = match.group(0)
            (term,) = self.terms(word)[:1] or ("",)
            out.setdefault(term, word)
        return out

    def _stem(self, words: list[str]) -> list[str]:
        return self.stemmer.stemWords(words) if self.stemmer and words else words


@lru_cache(maxsize=64)
def analyzer(lang: str) -> Analyzer:
    """One analyzer per language per process."""
    return Analyzer(lang)
