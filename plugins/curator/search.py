"""PLACEHOLDER (owned by the site work): Pagefind index after the build."""


def index_site(pelican) -> None:
    pass
