"""Whom an entry is for: the niche's readers, their customers, or nobody in particular.

Signals an editor uses before reading a word of the article, each grounded in the niche's own
file and said in `why` (a source's focus, the share of its entries about the niche, is focus.py's):

* **Customer-side.** An owner's newsletter speaks to the provider; advice for the provider's
  customers speaks *about* the provider to someone who goes to one. The tell is where the reader
  stands: "your dentist" (the reader has one), "a dentist who takes your insurance" (one who
  serves the reader's things), "a vet near you" (one the reader is looking for nearby). An owner's
  "When your practice needs a hygienist", "Ask a dentist: how we cut no-shows" or "Call a lawyer
  before you sign the lease" never puts the reader on the customer's side, whatever the verb. The
  providers are the niche's professionals, named after its field the way professions are
  ('dentist' after a 'Dental practices' niche, 'vet' after 'Veterinary', 'lawyer' after 'law'):
  its keywords (and section keywords) that share the first PROFESSION_PREFIX letters or more of a
  term of its title without being one; the places are its title's own keywords ('practice',
  'clinic', 'coffee shop'), which the reader owns ("your clinic" is the reader's). More tells of
  the customer's side: shopping for, needing or going to one ("How to choose a physio for back
  pain", "find the best coffee shop", "Do you need a lawyer after a minor car accident?", "your cat
  needs to see a vet": a seeking verb, an article and the professional or place as the last word
  of its phrase, before a function word, a comma or the end, "pick a quiet café, buy the first
  round"; a title that names another of them, "Can't find a physio? Where clinics are recruiting"
  or "When the clinic needs a second vet", is the owner hiring; needing or seeing *the* provider is the
  reader's own act only after 'you' or 'to', "Should you see the vet", not "Why clients see the
  vet as expensive", which is about the practice's customers), doing the provider's work at home
  ("Teeth whitening at home", "How to pour latte art at home"; not feeling or working at home:
  "make new patients feel at home", "staff who work at home"), and what the provider vouches for
  ("Five physio-approved stretches", "vet-recommended diets": sold to the customer). The second
  person is read per language (SECOND_PERSON, NEARBY, SEEKING, GOING, AT_HOME, ENDORSED:
  Snowball's language names); a niche in a language without an entry there is not judged by that
  tell.
* **Named only.** An entry whose only keywords are the niche's own name, its professionals and
  places ("Millbrook vet clinic hosts adoption day": 'vet', 'clinic'), is in the niche's world
  without saying what it is about, as a passing mention is: its score is lowered by NAMED_ONLY,
  and `why` says so. In the relevance corpus three of four such entries are labelled 0, against
  three of ten of the rest; the other fourth ("The day we stopped overbooking Mondays") keep
  most of their score.
* **First-hand.** A title in the first person ("Why we stopped opening at 7am", "Our front-desk
  script") is a practitioner telling what they did, the account an editor looks for first: its
  score is raised by FIRST_HAND, and `why` says so. The first person is read per language
  (FIRST_PERSON); 'us' is left out, as it is as often the country.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property, lru_cache

from ..model.niches import Niche
from .terms import Analyzer

PROFESSION_PREFIX = 4  # 'dentist'/'dental': a shorter shared beginning is chance ('client'/'clinic')
PROFESSION_STEM = 3    # ... unless one word begins the other ('vet'/'veterinary', 'law'/'lawyer')
SERVES_GAP = 3         # 'a dentist who takes your insurance': at most this many words between
# The second person's possessives, and the phrases that look for something near the reader, per
# language (as words; they are read through the niche's analyzer). Plain 'ihr', 'su', 'seu' are left out:
# they are as often 'her', 'their', 'his'.
SECOND_PERSON = {
    "english": ("your",),
    "french": ("votre", "vos", "ton", "ta", "tes"),
    "german": ("dein", "deine", "deinen", "deinem", "deiner", "deines", "euer", "eure"),
    "spanish": ("tu", "tus", "vuestro", "vuestra", "vuestros", "vuestras"),
    "italian": ("tuo", "tua", "tuoi", "tue", "vostro", "vostra", "vostri", "vostre"),
    "dutch": ("jouw", "uw"),
    "portuguese": ("teu", "tua", "teus", "tuas", "vosso", "vossa"),
}
NEARBY = {
    "english": ("near you", "near me", "in your area"),
    "french": ("près de chez vous", "près de chez toi", "près de chez moi"),
    "german": ("in deiner nähe", "in ihrer nähe", "in meiner nähe"),
    "spanish": ("cerca de ti", "cerca de usted", "cerca de mí"),
    "italian": ("vicino a te", "vicino a me"),
    "dutch": ("bij jou in de buurt", "bij u in de buurt", "bij mij in de buurt"),
    "portuguese": ("perto de você", "perto de si", "perto de mim"),
}
# A product or routine the provider vouches for ('physio-approved stretches', 'vet-recommended diets'):
# sold to the provider's customers. Joined by a hyphen only: 'what the vet recommended' is a story.
ENDORSED = {
    "english": ("approved", "recommended", "endorsed", "tested"),
}

# Shopping for a provider: the seeking verbs, and the articles that make the provider one of many.
SEEKING = {
    "english": (("choose", "choosing", "find", "finding", "pick", "select"), ("a", "an", "the")),
    "french": (("choisir", "trouver"), ("un", "une", "le", "la", "l")),
    "spanish": (("elegir", "escoger", "encontrar"), ("un", "una", "el", "la")),
    "italian": (("scegliere", "trovare"), ("un", "uno", "una", "il", "lo", "la", "l")),
    "portuguese": (("escolher", "encontrar"), ("um", "uma", "o", "a")),
}
# Needing or going to one: these verbs count before any provider (an article of the third list: 'Why every
# shop needs a bookkeeper') and after the words of the second ('Do you need a lawyer', 'When to visit the
# dentist') or opening the field; not before their provider ('Why clients see the vet as expensive', 'when
# they visit the practice': the practice's own customers).
GOING = {
    "english": (("see", "seeing", "visit", "visiting", "consult", "consulting", "need", "needs"), ("you", "to"),
                ("a", "an")),
}
SEEK_GAP = 2           # 'find a good divorce lawyer': at most this many words between article and provider
# Doing at home what the provider does ('teeth whitening at home', 'latte art at home'); not next to
# these words ('make new patients feel at home', 'sich zu Hause fühlen' is the practice's own welcome;
# 'staff who work at home' are the reader's).
AT_HOME = {
    "english": (("at home",), ("feel", "feels", "felt", "feeling", "work", "works", "worked", "working")),
    "french": (("à la maison", "chez soi"), ("travailler", "travaille", "travaillent")),
    "german": (("zu hause", "zuhause"), ("fühlen", "fühlt", "arbeiten", "arbeitet")),
    "spanish": (("en casa",), ("sentir", "siente", "sienta", "trabajar", "trabaja", "trabajan")),
    "italian": (("a casa",), ("sentire", "senta", "lavorare", "lavora", "lavorano")),
    "dutch": (("thuis",), ("voelen", "voelt", "werken", "werkt")),
    "portuguese": (("em casa",), ("sentir", "sinta", "trabalhar", "trabalha", "trabalham")),
}
NAMED_ONLY = 0.8      # what an entry whose only keywords are the niche's name is multiplied by
FIRST_HAND = 1.3      # what a first-person title multiplies an entry's score by
FIRST_PERSON = {
    "english": ("i", "we", "our", "my", "me"),
    "french": ("je", "j", "nous", "notre", "nos", "mon", "ma", "mes"),
    "german": ("ich", "wir", "unser", "unsere", "unseren", "unserem", "unserer", "mein", "meine", "meinen",
               "meinem", "meiner"),
    "spanish": ("yo", "nosotros", "nosotras", "nuestro", "nuestra", "nuestros", "nuestras", "mi", "mis"),
    "italian": ("io", "noi", "nostro", "nostra", "nostri", "nostre", "mio", "mia", "miei", "mie"),
    "dutch": ("ik", "wij", "we", "ons", "onze", "mijn"),
    "portuguese": ("eu", "nós", "nosso", "nossa", "nossos", "nossas", "meu", "minha", "meus", "minhas"),
}


@dataclass(frozen=True)
class Reader:
    """What tells a niche's reader from its providers' customers: the professionals (as terms, and as
    the editor wrote them), the places the reader owns, and the language's second person and nearby
    phrases."""

    professionals: frozenset[str] = frozenset()
    places: frozenset[str] = frozenset()
    yours: frozenset[str] = frozenset()
    nearby: tuple[tuple[str, ...], ...] = ()
    has: str = ""        # regex: 'your (family) dentist' (compiled when an entry may hold it)
    serves: str = ""     # regex: 'a dentist who takes your <group 1>'
    endorsed: str = ""   # regex: 'dentist-approved'
    seeking: frozenset[str] = frozenset()    # 'choose', 'find' as terms
    going: frozenset[str] = frozenset()      # 'see', 'need' as terms: seeking when the reader does them
    goers: frozenset[str] = frozenset()      # 'you', 'to' as terms: the words before `going` that say so
    one_of: frozenset[str] = frozenset()     # 'a', 'an' as terms: after `going`, any provider
    articles: frozenset[str] = frozenset()   # 'a', 'the' as terms
    home: tuple[tuple[str, ...], ...] = ()   # 'at home' as terms
    homely: frozenset[str] = frozenset()     # 'feel' (at home) as terms
    stop: frozenset[str] = frozenset()       # the language's function words as terms
    place_phrases: frozenset[tuple[str, ...]] = frozenset()   # places of several words: 'coffee shop'

    @cached_property
    def ours(self) -> frozenset[str]:
        """The professionals and places together: the niche's own name (worked out once per reader)."""
        return self.professionals | self.places

    @cached_property
    def place_ends(self) -> frozenset[str]:
        """The last words of the places of several words ('shop' of 'coffee shop')."""
        return frozenset(p[-1] for p in self.place_phrases)

    @property
    def active(self) -> bool:
        return bool(self.ours and self.yours)


def _plain(term: str) -> str:
    """The term without accents ('café' and 'cafe' are one word)."""
    return "".join(c for c in unicodedata.normalize("NFKD", term) if not unicodedata.combining(c))


def _named_after(term: str, field: str) -> bool:
    """A profession named after the field: 'dentist' after 'dental', 'vet' after 'veterinari'."""
    if term == field or not field.isalpha():
        return False
    if term.startswith(field) or field.startswith(term):
        return min(len(term), len(field)) >= PROFESSION_STEM
    return len(os.path.commonprefix((term, field))) >= PROFESSION_PREFIX


GAP = r"[^\w.!?:;]"   # what may stand between two words of one clause


def _alternatives(words) -> str:
    return "|".join(sorted(map(re.escape, words), key=len, reverse=True))


@lru_cache(maxsize=256)
def reader(niche: Niche, analyzer: Analyzer) -> Reader:
    """The niche's professionals and places, and its language's second person (see the module's text)."""
    yours = SECOND_PERSON.get(analyzer.key, ())   # none: the customer side is not read (see `active`)
    title_terms = tuple(map(_plain, analyzer.terms(niche.title)))
    plain_title = frozenset(title_terms)
    words = list(niche.keywords) + [w for s in niche.sections for w in s.keywords]
    analysed = [(w, analyzer.terms(w)) for w in words]
    singles = [(w.casefold(), t[0]) for w, t in analysed if len(t) == 1]
    places = frozenset(t for _, t in singles if _plain(t) in plain_title)
    place_phrases = frozenset(
        t for _, t in analysed if len(t) > 1
        and any(title_terms[i:i + len(t)] == tuple(map(_plain, t)) for i in range(len(title_terms))))
    named = [(w, t) for w, t in singles if t not in places and any(_named_after(_plain(t), f) for f in plain_title)]
    professionals = frozenset(t for _, t in named)
    has = serves = endorsed = ""
    marks = ENDORSED.get(analyzer.key, ())
    if named and marks:
        endorsed = rf"(?<!\w)(?:{_alternatives({w for w, _ in named})})-(?:{_alternatives(marks)})(?!\w)"
    if named and yours:
        # The professional as the editor wrote the keyword (one, as a customer has): 'your dentists' are
        # the practice's own.
        who, mine = _alternatives({w for w, _ in named}), _alternatives(yours)
        has = rf"(?<!\w)(?:{mine})\s+(?:\w+\s+)?(?:{who})(?!\w)"
        serves = rf"(?<!\w)(?:{who})(?!\w)(?:{GAP}+\w+){{0,{SERVES_GAP}}}?{GAP}+(?:{mine})\s+(\w+)"
    seek, articles = SEEKING.get(analyzer.key, ((), ()))
    going, goers, one_of = GOING.get(analyzer.key, ((), (), ()))
    home, homely = AT_HOME.get(analyzer.key, ((), ()))

    def as_terms(words) -> frozenset[str]:
        return frozenset(t for w in words for t in analyzer.terms(w))

    def phrases(texts) -> tuple[tuple[str, ...], ...]:
        return tuple(analyzer.terms(p) for p in texts)

    return Reader(professionals, places, as_terms(yours), phrases(NEARBY.get(analyzer.key, ())), has, serves,
                  endorsed, as_terms(seek), as_terms(going), as_terms(goers), as_terms(one_of), as_terms(articles),
                  phrases(home), as_terms(homely), analyzer.stop_terms, place_phrases)


@lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern:
    return re.compile(pattern, re.I)


def _nearby(terms: tuple[str, ...], phrases: tuple[tuple[str, ...], ...]) -> tuple[str, ...]:
    for phrase in phrases:
        if phrase[0] not in terms:
            continue
        size = len(phrase)
        for i in range(len(terms) - size + 1):
            if terms[i:i + size] == phrase:
                return phrase
    return ()


def _seeks(terms: tuple[str, ...], i: int, who: Reader) -> bool:
    """Whether terms[i] looks for the provider after it: a seeking verb, or a GOING one before any provider
    ('needs a vet') or done by the reader ('you see the vet', 'to visit the dentist', or opening the field)."""
    term = terms[i]
    if term in who.seeking:
        return True
    return term in who.going and (i == 0 or terms[i - 1] in who.goers or terms[i + 1] in who.one_of)


_PHRASE_END = re.compile(r"(\w+)\s*[,;:.!?)]")


def _phrase_ends(text: str, analyzer: Analyzer) -> frozenset[str]:
    """The terms the text writes just before a comma or a stop: where a phrase ends, whatever follows."""
    return frozenset(t for m in _PHRASE_END.finditer(text) for t in analyzer.terms(m.group(1))[-1:])


def _ours_at(terms: tuple[str, ...], first: int, j: int, who: Reader) -> bool:
    """Whether a professional or place ends at terms[j], one of several words ('coffee shop') beginning
    no earlier than terms[first]."""
    return terms[j] in who.ours or any(
        j + 1 - len(p) >= first and terms[j + 1 - len(p):j + 1] == p for p in who.place_phrases)


def _seeking(terms: tuple[str, ...], who: Reader, text: str, analyzer: Analyzer) -> tuple[int, int] | None:
    """Where the terms shop for a provider ('choose a physio', 'choose a vet clinic'), as (first, last)
    term, or None: a seeking verb (or a GOING one: 'needs a bookkeeper', 'you see the vet', not 'clients
    see the vet'), an article, at most SEEK_GAP words, then a professional or place that ends its phrase
    (before a function word, the end, or in `text` a comma: not 'choose a practice management system'),
    and no other of them in the field (not 'Can't find a physio? Where clinics are recruiting')."""
    if who.seeking.isdisjoint(terms) and who.going.isdisjoint(terms):
        return None
    ends = _phrase_ends(text, analyzer)   # read only once a verb is there
    ours = who.ours
    for i in range(len(terms) - 2):
        if terms[i + 1] not in who.articles or not _seeks(terms, i, who):
            continue
        for j in range(i + 2, min(len(terms), i + 3 + SEEK_GAP)):
            if not _ours_at(terms, i + 2, j, who) or (j + 1 < len(terms) and terms[j + 1] not in who.stop
                                                      and terms[j] not in ends):
                continue
            if any(t in ours for t in terms[:i] + terms[j + 1:]):
                return None
            return i, j
    return None


def _at_home(terms: tuple[str, ...], who: Reader) -> tuple[int, int] | None:
    """Where the terms do something at home ('whitening at home'), as the phrase's (first, size), or None;
    not where they feel at home (a word of `homely` just before or after the phrase)."""
    for phrase in who.home:
        if phrase[-1] not in terms:
            continue
        size = len(phrase)
        for i in range(len(terms) - size + 1):
            beside = terms[max(0, i - 1):i] + terms[i + size:i + size + 1]
            if terms[i:i + size] == phrase and who.homely.isdisjoint(beside):
                return i, size
    return None


def _written(text: str, analyzer: Analyzer, terms: tuple[str, ...]) -> str:
    """The terms as the text wrote them (for `why`)."""
    words = analyzer.surface(text)
    return " ".join(words.get(t, t) for t in terms)


def customer_side(fields: Iterable[tuple[str, tuple[str, ...]]], who: Reader, analyzer: Analyzer) -> str:
    """The words that put the entry's reader on the customer's side ('your dentist'), or ''.
    `fields`: the entry's title and summary, each as (text, its terms)."""
    if not who.active:
        return ""
    fields = tuple(fields)
    for text, terms in fields:
        pro = not who.professionals.isdisjoint(terms)
        if not pro and who.places.isdisjoint(terms) and who.place_ends.isdisjoint(terms):
            continue
        if pro and who.endorsed:
            found = _compiled(who.endorsed).search(text)   # 'physio-approved stretches': sold to the customer
            if found:
                return found.group(0)
        if pro and not who.yours.isdisjoint(terms):
            found = _compiled(who.has).search(text)   # 'your dentist': the reader has one
            if found:
                return found.group(0)
            for found in _compiled(who.serves).finditer(text):  # 'a dentist who takes your insurance'
                if not who.places.intersection(analyzer.terms(found.group(1))):  # not 'a vet who leaves your clinic'
                    return found.group(0)
        near = _nearby(terms, who.nearby)          # 'a vet near you', 'clinics near you': looked for nearby
        if near:
            words = analyzer.surface(text)
            first = next(t for t in terms if t in who.ours or t in who.place_ends)   # what let the field in
            return f"{words.get(first, first)} ... {' '.join(words.get(t, t) for t in near)}"
        shopping = _seeking(terms, who, text, analyzer)   # 'how to choose a physio': shopping for one
        if shopping is not None:
            return _written(text, analyzer, terms[shopping[0]:shopping[1] + 1])
    if who.home:   # with or without the provider named: 'latte art at home' is a home barista's
        for text, terms in fields:
            at = _at_home(terms, who)
            if at is not None:   # the phrase and the word before it: 'whitening at home'
                return _written(text, analyzer, terms[max(0, at[0] - 1):at[0] + at[1]])
    return ""


@lru_cache(maxsize=64)
def first_person(analyzer: Analyzer) -> frozenset[str]:
    """The language's first person as terms (none for a language FIRST_PERSON has no entry for)."""
    return frozenset(t for w in FIRST_PERSON.get(analyzer.key, ()) for t in analyzer.terms(w))


def first_hand(title: tuple[str, ...], mine: frozenset[str]) -> str:
    """The first-person term of the title's terms ('we'), or '': the title tells what its author did.
    A letter alone followed by a number is a code, not a person ('Form I-9'; 'Why we 86 the specials
    board' is one)."""
    if mine.isdisjoint(title):
        return ""
    return next((t for t, after in zip(title, title[1:] + ("",), strict=True)
                 if t in mine and not (len(t) == 1 and after.isdigit())), "")


def named_only(keywords: Iterable[tuple[str, tuple[str, ...]]], who: Reader) -> tuple[str, ...]:
    """The entry's keywords (label, terms) as the editor wrote them when every one is the niche's own
    name, one of its professionals or places ('vet', 'clinic'); () when any says what it is about."""
    found = tuple(keywords)
    ours = who.ours
    if not found or not ours or any(len(terms) != 1 or terms[0] not in ours for _, terms in found):
        return ()
    return tuple(label for label, _ in found)
