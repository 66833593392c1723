"""Local settings: relative URLs, no feeds, for `make html` and `make serve`.

The curator plugin's own settings (NICHES_PATH, ISSUE_URL, MAIL_PATH, ...) have
their defaults in plugins/curator/model/settings.py; set any of them here to change it.
"""

AUTHOR = "Clearwater Bookkeeping & Advisory"
SITENAME = "Clearwater Advisory"
SITESUBTITLE = "Free, practical money help for small businesses and the people who run them"
SITEURL = ""
# The domain emails and Message-IDs are written for, even in local builds.
SITE_DOMAIN = "clearwater-advisory.example"
CONTACT_EMAIL = "hello@clearwater-advisory.example"

PATH = "content"
TIMEZONE = "America/Chicago"
DEFAULT_LANG = "en"
DEFAULT_DATE_FORMAT = "%-d %B %Y"

THEME = "theme"
PLUGIN_PATHS = ["plugins"]
PLUGINS = ["curator"]

ARTICLE_PATHS = ["articles"]
PAGE_PATHS = ["pages"]
STATIC_PATHS = ["downloads", "extra"]
EXTRA_PATH_METADATA = {}

ARTICLE_URL = "{category}/{slug}/"
ARTICLE_SAVE_AS = "{category}/{slug}/index.html"
PAGE_URL = "{slug}/"
PAGE_SAVE_AS = "{slug}/index.html"
CATEGORY_URL = "category/{slug}/"
CATEGORY_SAVE_AS = "category/{slug}/index.html"
TAG_URL = "tag/{slug}/"
TAG_SAVE_AS = "tag/{slug}/index.html"
AUTHOR_SAVE_AS = ""
AUTHORS_SAVE_AS = ""
ARCHIVES_SAVE_AS = "archives/index.html"
CATEGORIES_SAVE_AS = "categories/index.html"
TAGS_SAVE_AS = "tags/index.html"
DIRECT_TEMPLATES = ["index", "categories", "tags", "archives", "search", "404", "robots"]
SEARCH_URL = "search/"
SEARCH_SAVE_AS = "search/index.html"
ROBOTS_SAVE_AS = "robots.txt"  # theme/templates/robots.html; it names sitemap.xml under publishconf.py

DEFAULT_PAGINATION = 10
RELATIVE_URLS = True

# Feeds are written under publishconf.py only, as pelican-quickstart does.
FEED_ALL_ATOM = None
FEED_ALL_RSS = None
CATEGORY_FEED_ATOM = None
TRANSLATION_FEED_ATOM = None
AUTHOR_FEED_ATOM = None
AUTHOR_FEED_RSS = None

MARKDOWN = {
    "extension_configs": {
        "markdown.extensions.extra": {},
        "markdown.extensions.toc": {"permalink": False},
        "markdown.extensions.smarty": {},
    },
    "output_format": "html5",
}

MENUITEMS = []
DISPLAY_CATEGORIES_ON_MENU = False
DISPLAY_PAGES_ON_MENU = False
