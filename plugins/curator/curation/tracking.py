"""Tracking parameters and click redirects: what "no strings" strips and what the check rejects.

One list for both sides: curation cleans every link with `clean_link`, and the
no-strings check refuses any link for which `tracking_params` or
`is_click_redirect` says something is left. The list follows
../shared/REFERENCE.md; w3lib removes the parameters so that a link with
nothing to strip is returned untouched, byte for byte.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import parse_qsl, unquote, urlsplit

from w3lib.url import canonicalize_url, url_query_cleaner

TRACKING_PARAMS = frozenset({
    "pk_cid", "gclid", "gbraid", "wbraid", "dclid", "fbclid", "msclkid", "twclid", "yclid", "ymclid",
    "ysclid", "ttclid", "srsltid", "_gl", "mc_cid", "mc_eid", "_hsenc", "_hsmi", "__hssc", "__hstc",
    "__hsfp", "hsctatracking", "oly_anon_id", "oly_enc_id", "vero_id", "vero_conv", "ml_subscriber",
    "ml_subscriber_hash", "rb_clickid", "s_cid", "wickedid", "__s", "_openstat", "ss_email_id",
    "bsft_clkid", "bsft_uid", "et_rid", "irclickid", "_kx", "_bhlid", "_branch_match_id",
    "fb_action_ids", "fb_comment_id", "guce_referrer", "guce_referrer_sig", "unicorn_click_id", "mkt_tok",
})
TRACKING_PREFIXES = ("utm_", "mtm_", "oft_")
# Parameters that track only on their own sites (elsewhere `si` or `ref_src` may mean something).
SITE_PARAMS: dict[str, frozenset[str]] = {
    "instagram.com": frozenset({"igsh", "igshid"}),
    "youtube.com": frozenset({"si"}),
    "youtu.be": frozenset({"si"}),
    "twitter.com": frozenset({"ref_src", "ref_url"}),
    "x.com": frozenset({"ref_src", "ref_url"}),
}

# Wrappers whose real target is in a query parameter: unwrapped offline, no request made.
REDIRECT_WRAPPERS: dict[str, tuple[str, ...]] = {
    "google.com": ("q", "url"),
    "l.facebook.com": ("u",),
    "lm.facebook.com": ("u",),
    "l.instagram.com": ("u",),
    "out.reddit.com": ("url",),
    "t.umblr.com": ("z",),
    "href.li": (),
    "slack-redir.net": ("url",),
    "safelinks.protection.outlook.com": ("url",),
    "urldefense.com": (),
}
# Hosts that exist to count clicks or opens; a link through one of them is never "no strings".
CLICK_REDIRECT_HOSTS = frozenset({
    "feedproxy.google.com", "feeds.feedburner.com", "feedburner.com", "click.mailchimp.com",
    "list-manage.com", "mandrillapp.com", "sendgrid.net", "ct.sendgrid.net", "hubspotlinks.com",
    "hs-sites.com", "mailchi.mp", "clicks.aweber.com", "click.convertkit-mail.com",
    "convertkit-mail.com", "trk.klclick.com", "klclick.com",
    "clicks.beehiiv.com", "link.mail.beehiiv.com", "bit.ly", "ow.ly", "t.co",
    "lnkd.in", "buff.ly", "tinyurl.com", "rebrand.ly", "shorturl.at", "cutt.ly", "rb.gy", "is.gd",
    "awstrack.me", "r.mailjet.com", "mjt.lu", "click.pstmrk.it", "pstmrk.it", "links.iterable.com",
    "t.e2ma.net", "r20.rs6.net", "rs6.net", "cmail19.com", "cmail20.com", "createsend1.com",
    "go.pardot.com", "doubleclick.net", "googleadservices.com", "l.facebook.com",
    "lm.facebook.com", "l.instagram.com", "out.reddit.com", "href.li", "slack-redir.net",
    "safelinks.protection.outlook.com", "urldefense.com", "urldefense.proofpoint.com",
})


_WEB_SCHEME = re.compile(r"https?://", re.I)


def is_web_url(url: object) -> bool:
    """True for an http(s) URL, whatever the case of its scheme (HTTP://Example.org/x is one). The one
    test of "is this a web link" for niche feeds, picks, issue links and the cleaner."""
    return isinstance(url, str) and _WEB_SCHEME.match(url) is not None


def web_url(url: object) -> str | None:
    """An http(s) URL with its scheme written lowercase (the rest as it was), or None for anything else."""
    if not isinstance(url, str) or not is_web_url(url):
        return None
    scheme, rest = url.split(":", 1)
    return scheme.lower() + ":" + rest


# A link written out as text, any case of scheme: what the cleaner rewrites and the check reads in text.
TEXT_URL = re.compile(r"""https?://[^\s<>"'`)\]]+""", re.I)


def site_host(netloc: str) -> str:
    """A URL's host as a site is named: no userinfo, port or trailing dot, lowercase, no "www."."""
    host = netloc.rsplit("@", 1)[-1].split(":", 1)[0].lower().rstrip(".")
    return host[4:] if host.startswith("www.") else host


def host_matches(host: str, domains) -> str | None:
    """The entry of `domains` that `host` is, or is a subdomain of."""
    for domain in domains:
        if host == domain or host.endswith("." + domain):
            return domain
    return None


def _is_tracking(name: str, host: str) -> bool:
    low = name.lower()
    if low in TRACKING_PARAMS or low.startswith(TRACKING_PREFIXES):
        return True
    site = host_matches(host, SITE_PARAMS)
    return site is not None and low in SITE_PARAMS[site]


def tracking_params(url: str) -> list[str]:
    """Names of the tracking parameters in a URL, in order; empty when it is clean."""
    parts = urlsplit(url)
    host = site_host(parts.netloc)
    names = [name for name, _ in parse_qsl(parts.query, keep_blank_values=True)]
    return [name for name in dict.fromkeys(names) if _is_tracking(name, host)]


def strip_tracking(url: str) -> str:
    """The URL without tracking parameters; a URL with none comes back as the same string."""
    found = tracking_params(url)
    if not found:
        return url
    return url_query_cleaner(url, found, remove=True, unique=False, keep_fragments=True)


def unwrap_redirect(url: str, _depth: int = 0) -> str:
    """The target of a known redirect wrapper (google.com/url?q=, l.facebook.com/l.php?u=, ...).

    Done offline from the URL alone; a wrapper without a readable target is
    returned as it is (the check will then refuse it as a click redirect).
    """
    parts = urlsplit(url)
    host = site_host(parts.netloc)
    domain = host_matches(host, REDIRECT_WRAPPERS)
    if domain is None or _depth > 3:
        return url
    if domain == "google.com" and parts.path not in ("/url", "/link"):
        return url
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    for key in REDIRECT_WRAPPERS[domain]:
        target = web_url(query.get(key, ""))
        if target is not None:
            return unwrap_redirect(target, _depth + 1)
    target = web_url(unquote(parts.query)) if domain == "href.li" and is_web_url(parts.query) else None
    if target is not None:
        return unwrap_redirect(target, _depth + 1)
    return url


def is_click_redirect(url: str) -> bool:
    """True when the link goes through a service that counts clicks or shortens links."""
    parts = urlsplit(url)
    host = site_host(parts.netloc)
    if host == "google.com" and parts.path in ("/url", "/link"):
        return True
    if host.endswith("substack.com") and parts.path.startswith("/redirect"):
        return True
    return host_matches(host, CLICK_REDIRECT_HOSTS) is not None


def clean_link(url: str | None) -> str | None:
    """An outgoing link as Openhand publishes it: unwrapped, untracked, http(s) only (scheme in
    lowercase), else None (also for what urllib cannot read, such as "https://[")."""
    if not url:
        return None
    url = web_url(url.strip())
    if url is None or any(ch in url for ch in "\r\n\t\x00 "):
        return None
    try:
        url = strip_tracking(unwrap_redirect(url))
        return url if urlsplit(url).netloc else None
    except ValueError:  # "Invalid IPv6 URL", a port that is no number...
        return None


@lru_cache(maxsize=65536)
def url_key(url: str) -> str:
    """Which links are one link (never published): canonical query order, no fragment, no www.,
    no trailing slash. Worked out once per entry when its feed is cleaned and kept in the cache
    (w3lib's canonicalisation is the costliest step of deduplication)."""
    try:
        key = canonicalize_url(url, keep_fragments=False)
    except Exception:
        key = url
    key = re.sub(r"^https?://(www\.)?", "", key, flags=re.I)
    return key.rstrip("/")
