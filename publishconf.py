"""Published settings: absolute URLs, site and niche feeds, a clean output/.

Used by `make publish`; everything else comes from pelicanconf.py.
"""

import os
import sys

sys.path.append(os.curdir)
from pelicanconf import *  # noqa: E402,F403

SITEURL = "https://clearwater-advisory.example"
RELATIVE_URLS = False

FEED_DOMAIN = SITEURL
FEED_ALL_ATOM = "feeds/all.atom.xml"
FEED_ALL_RSS = "feeds/all.rss.xml"
CATEGORY_FEED_ATOM = "feeds/{slug}.atom.xml"

# sitemap.xml by Pelican's sitemap plugin (pelican-sitemap, pinned in requirements.txt); robots.txt names it.
PLUGINS = PLUGINS + ["sitemap"]  # noqa: F405
SITEMAP = {"format": "xml", "exclude": [r"^404\.html$", r"^robots\.txt$"]}

DELETE_OUTPUT_DIRECTORY = True
PREVIEW_PATH = None  # draft issues are previewed only in local builds

# The list endpoint (`openhand listen`, README "Readers"): a subscribe form on each hub and one-click
# unsubscribe links in every email. Off until you run one:
# LIST_ENDPOINT = "https://list.clearwater-advisory.example"
# LIST_TRUSTED_PROXIES = ["127.0.0.1", "::1"]  # the TLS reverse proxy in front of it (docs/readers.md)
