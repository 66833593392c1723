"""The no-strings rules that read pages, stylesheets and links: tracking parameters, click
redirects, tracking pixels and anything loaded from another host.

Pure functions over text; nostrings.py runs them on output/ and mail/ and reports the findings.
Only the elements that load or link something are parsed (a regex finds them; the rest of a page
is skipped by the regex engine), so a whole site scans in well under a second.
"""

from __future__ import annotations

import bisect
import html
import re
from functools import lru_cache
from urllib.parse import urlsplit

from ..curation.tracking import host_matches, is_click_redirect, is_web_url, tracking_params

# Hosts whose only job is counting opens and visits.
PIXEL_HOSTS = frozenset({
    "google-analytics.com", "googletagmanager.com", "doubleclick.net", "facebook.com", "facebook.net",
    "bat.bing.com", "px.ads.linkedin.com", "analytics.twitter.com", "t.co", "mc.yandex.ru",
    "scorecardresearch.com", "quantserve.com", "pixel.wp.com", "stats.wp.com", "list-manage.com",
    "mailchimp.com", "sendgrid.net", "mandrillapp.com", "hubspot.com", "hs-analytics.net", "hsforms.com",
    "open.convertkit-mail.com", "convertkit-mail.com", "klaviyo.com", "mailtrack.io", "getnotify.com",
    "pstmrk.it", "mjt.lu", "rs6.net", "exacttarget.com", "cmail19.com", "cmail20.com", "createsend1.com",
    "beehiiv.com", "substack.com", "matomo.cloud", "plausible.io", "clarity.ms", "hotjar.com", "segment.io",
})
# Elements and the attributes through which they load something.
LOAD_ATTRS = {
    "script": ("src",), "iframe": ("src",), "frame": ("src",), "embed": ("src",), "object": ("data",),
    "img": ("src", "srcset"), "source": ("src", "srcset"), "video": ("src", "poster"), "audio": ("src",),
    "track": ("src",), "input": ("src",), "image": ("href", "xlink:href"), "use": ("href", "xlink:href"),
    "body": ("background",), "table": ("background",), "td": ("background",),
}
LOADING_RELS = {"stylesheet", "icon", "apple-touch-icon", "apple-touch-icon-precomposed", "preload", "prefetch",
                "modulepreload", "manifest", "mask-icon", "preconnect", "dns-prefetch", "prerender"}
LINK_ELEMENTS = {"a": "href", "area": "href", "form": "action"}

_ATTR = r"""([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?"""
_ATTR_RE = re.compile(_ATTR)
# Only the elements that load or link something are parsed; the rest of a page is skipped by the regex engine.
_NAMES = sorted(set(LOAD_ATTRS) | set(LINK_ELEMENTS) | {"link"}, key=len, reverse=True)
_TAG_RE = re.compile(r"<(" + "|".join(_NAMES) + r")(?=[\s/>])((?:\s+" + _ATTR + r")*)\s*/?>", re.I)
_STYLE_ATTR_RE = re.compile(
    r"""<([a-zA-Z][\w:-]*)[^>]*?\sstyle\s*=\s*(?:"([^"]*url\([^"]*)"|'([^']*url\([^']*)')""", re.I
)
_COMMENT_RE = re.compile(r"<!--.*?-->", re.S)
_RAW_RE = re.compile(r"(<(script|style)\b[^>]*>)(.*?)(</\2\s*>)", re.S | re.I)
_CSS_URL_RE = re.compile(
    r"""url\(\s*(?:"([^"]*)"|'([^']*)'|([^)'"\s]*))\s*\)|@import\s+(?:"([^"]*)"|'([^']*)')""", re.I
)
_PX_STYLE_RE = re.compile(r"(?:^|;)\s*(?:width|height)\s*:\s*[01](?:px)?\s*(?:;|$|!)", re.I)


def host_of(url: str) -> str | None:
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return None
    return host.lower().rstrip(".") if host else None


def _on(host: str | None, domains) -> bool:
    return host is not None and host != "" and host_matches(host, domains) is not None


def is_remote(url: str) -> bool:
    url = url.strip()
    return is_web_url(url) or url.startswith("//")


@lru_cache(maxsize=65536)
def link_problems(url: str) -> tuple[tuple[str, str], ...]:
    """(rule, detail) for a link that carries tracking or goes through a click counter (the same
    links recur in pages, feeds and emails: cached)."""
    url = url.strip()
    if not is_remote(url):
        if "?" in url and not url.lower().startswith(("mailto:", "tel:", "data:")):
            params = tracking_params(url)  # a link within the site can carry them too
            if params:
                return (("tracking-param", f"link {url} carries tracking parameter(s) {', '.join(params)}"),)
        return ()
    full = "https:" + url if url.startswith("//") else url
    problems = []
    params = tracking_params(full)
    if params:
        problems.append(("tracking-param", f"link {url} carries tracking parameter(s) {', '.join(params)}"))
    if is_click_redirect(full):
        problems.append(("click-redirect", f"link {url} goes through a click-redirect or tracking service"))
    return tuple(problems)


def load_problems(url: str, what: str, site_hosts) -> list[tuple[str, str]]:
    """(rule, detail) for something a page or email loads: only from its own site."""
    url = url.strip()
    if not is_remote(url):
        return []
    host = host_of("https:" + url if url.startswith("//") else url)
    problems = list(link_problems(url))
    if host not in site_hosts:
        problems.append(("third-party", f"{what} loaded from another host ({host}): {url}"))
    return problems


def _srcset_urls(value: str) -> list[str]:
    return [part.strip().split()[0] for part in value.split(",") if part.strip()]


def _css_urls(css: str):
    for match in _CSS_URL_RE.finditer(css):
        yield match.start(), next((g for g in match.groups() if g is not None), "")


def _blank(match: re.Match) -> str:
    return re.sub(r"[^\n]", " ", match.group(0))


def _attrs(text: str) -> dict[str, str]:
    attrs = {}
    for attr in _ATTR_RE.finditer(text or ""):
        value = next((v for v in attr.group(2, 3, 4) if v is not None), "")
        attrs[attr.group(1).lower()] = html.unescape(value) if "&" in value else value
    return attrs


def form_problems(attrs: dict[str, str], site_hosts, endpoints=()) -> list[tuple[str, str]]:
    """(rule, detail) for a form that would send what a reader types anywhere but where it may go: a form
    that POSTs only to one of `endpoints` (the list endpoint's subscribe URL), one that GETs only to this site."""
    action = attrs.get("action", "").strip()
    method = attrs.get("method", "get").strip().lower() or "get"
    if method == "dialog":
        return []
    if method != "get":
        if not any(action == e or action.startswith(e.rstrip("/") + "/") for e in endpoints):
            where = ", which is not LIST_ENDPOINT's subscribe form" if endpoints else " (no LIST_ENDPOINT is set)"
            return [("form", f"a form posts what readers type to {action or 'this page'}{where}: no form may send "
                             "it anywhere else")]
        return []
    host = host_of("https:" + action if action.startswith("//") else action) if is_remote(action) else None
    if host and host not in site_hosts:
        return [("form", f"a form sends what readers type to another host ({host}): {action}")]
    return []


def scan_html(text: str, site_hosts=frozenset(), forms=()) -> list[tuple[int, str, str]]:
    """(line, rule, detail) for every tracking link, pixel, third-party load and form that sends readers'
    input elsewhere in an HTML document; `forms` are the URLs a form may POST to (LIST_ENDPOINT's)."""
    found: list[tuple[int, str, str]] = []
    newlines = [m.start() for m in re.finditer("\n", text)]

    def line_of(offset: int) -> int:
        return bisect.bisect_right(newlines, offset) + 1

    def add(offset: int, problems) -> None:
        found.extend((line_of(offset), rule, detail) for rule, detail in problems)

    body = _COMMENT_RE.sub(_blank, text)
    # Inline <style>: its url()s and @imports load things; inline <script> text is never parsed as tags.
    for raw in _RAW_RE.finditer(body):
        if raw.group(2).lower() == "style":
            for offset, url in _css_urls(raw.group(3)):
                add(
                    raw.start(3) + offset,
                    load_problems(html.unescape(url), "stylesheet resource (CSS url())", site_hosts),
                )
    body = _RAW_RE.sub(lambda m: m.group(1) + re.sub(r"[^\n]", " ", m.group(3)) + m.group(4), body)

    for tag in _TAG_RE.finditer(body):
        name = tag.group(1).lower()
        if name == "form":
            add(tag.start(), form_problems(_attrs(tag.group(2)), site_hosts, forms))
        if name != "img" and "//" not in tag.group(2) and "?" not in tag.group(2):
            continue  # no other host and no query: nothing in it can track
        attrs = _attrs(tag.group(2))
        at = tag.start()
        if name in LINK_ELEMENTS and LINK_ELEMENTS[name] in attrs:
            add(at, link_problems(attrs[LINK_ELEMENTS[name]]))
        if name == "link" and "href" in attrs:
            rels = set(attrs.get("rel", "").lower().split())
            if rels & LOADING_RELS:
                kind = (
                    "font"
                    if attrs.get("as") == "font"
                    else ("stylesheet" if "stylesheet" in rels else "/".join(sorted(rels & LOADING_RELS)))
                )
                add(at, load_problems(attrs["href"], kind, site_hosts))
            else:
                add(at, link_problems(attrs["href"]))
        for attr in LOAD_ATTRS.get(name, ()):
            if attr in attrs:
                urls = _srcset_urls(attrs[attr]) if attr == "srcset" else [attrs[attr]]
                for url in urls:
                    add(at, load_problems(url, name, site_hosts))
        if name == "img":
            pixel = pixel_reason(attrs)
            if pixel:
                add(at, [("tracking-pixel", f"image {attrs.get('src', '')!s} looks like a tracking pixel ({pixel})")])
    if "url(" in body.lower():
        for tag in _STYLE_ATTR_RE.finditer(body):
            style = html.unescape(tag.group(2) if tag.group(2) is not None else tag.group(3))
            for _, url in _css_urls(style):
                add(tag.start(), load_problems(url, f"{tag.group(1).lower()} style url()", site_hosts))
    return found


def pixel_reason(attrs: dict[str, str]) -> str | None:
    """Why an <img> looks like a tracking pixel, or None."""
    for key in ("width", "height"):
        if attrs.get(key, "").strip().lower().removesuffix("px") in ("0", "1"):
            return f"{key}={attrs[key]}"
    if _PX_STYLE_RE.search(attrs.get("style", "")):
        return "sized 0 or 1 px by its style"
    host = host_of(attrs.get("src", "").strip())
    if _on(host, PIXEL_HOSTS):
        return f"served by {host}, a known tracking host"
    return None


def scan_css(text: str, site_hosts=frozenset()) -> list[tuple[int, str, str]]:
    """(line, rule, detail) for fonts, images and imports a stylesheet loads from another host."""
    found: list[tuple[int, str, str]] = []
    for offset, url in _css_urls(text):
        line = text.count("\n", 0, offset) + 1
        found.extend(
            (line, rule, detail) for rule, detail in load_problems(url, "stylesheet resource (CSS url())", site_hosts)
        )
    return found
