"""PLACEHOLDER (owned by the newsletter-build work)."""


def check_build(pelican) -> None:
    pass
