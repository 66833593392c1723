"""Feeds: each niche's Atom and RSS, and what every feed of the site needs that Pelican leaves out.

Pelican's Writer.write_feed builds the feeds (feedgenerator) and sends feed_generated before it
writes one; `finish_feed` is that signal's receiver, for the site's own feeds and the niches':

* an Atom feed's <id> is the feed's own absolute URL (Pelican gives every feed the site's URL,
  so all of them shared one id, against RFC 4287 4.2.6);
* an RSS <guid> that is not a URL (Pelican's tag: URIs) says isPermaLink="false";
* a niche feed links (rel=alternate) to its niche's hub page, not the home page (its subtitle,
  the niche's summary, goes in through the context's SITESUBTITLE, where the Writer reads it).
"""

from __future__ import annotations

from urllib.parse import urljoin

from ..curation.tracking import is_web_url

ALTERNATE = "feed_alternate"  # the context key a niche feed's hub page URL travels in


def absolute(url: str, context) -> str:
    """`url` made absolute: SITEURL when absolute, else https://SITE_DOMAIN (as the emails' links are)."""
    if is_web_url(url):
        return url
    from .emails import web_base

    return urljoin(web_base(context).rstrip("/") + "/", url.lstrip("/"))


def finish_feed(context, feed) -> None:
    """feed_generated receiver: an id of its own, honest guids, and a niche feed's own page."""
    if feed.feed.get("feed_url"):
        feed.feed["id"] = absolute(feed.feed["feed_url"], context)
    if context.get(ALTERNATE):
        feed.feed["link"] = context[ALTERNATE]
    for item in feed.items:
        guid = item.get("unique_id") or ""
        if guid and not is_web_url(guid):
            item["unique_id_is_permalink"] = False


def write_niche_feeds(writer, context, niche) -> None:
    """The niche's Atom and RSS feeds, written even before its first issue: the niche page links
    them, and a reader can subscribe early."""
    context = dict(context)
    if context.get("FEED_DOMAIN") is None:
        context["FEED_DOMAIN"] = context["SITEURL"]
    context["SITESUBTITLE"] = niche.summary or context.get("SITESUBTITLE")
    context[ALTERNATE] = writer.urljoiner(context["SITEURL"], niche.url)
    for path, kind in ((niche.feed_atom, "atom"), (niche.feed_rss, "rss")):
        if path:
            # RSS has one body field; Pelican fills it with the summary by default (RSS_FEED_SUMMARY_ONLY),
            # but a newsletter's feed carries the whole issue, so RSS items' summary is the full content.
            items = [FeedItem(i, full=(kind == "rss")) for i in niche.issues]  # already newest first
            writer.write_feed(items, context, path, feed_type=kind, feed_title=niche.title)


class FeedItem:
    """An issue as Pelican's Writer.write_feed wants an item (title is escaped: write_feed strips tags)."""

    def __init__(self, issue, full: bool = False):
        self.issue = issue
        self.title = issue.feed_title
        self.url = issue.url
        self.date = issue.date
        self.summary = issue.content_html if full else issue.summary
        self.author = issue.niche.file.email.from_.split("<")[0].strip().strip('"') or issue.niche.title

    def get_content(self, siteurl: str) -> str:
        return self.issue.content_html
