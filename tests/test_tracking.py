"""Tracking parameters and click redirects: the one list curation strips and the check refuses."""

from __future__ import annotations

from urllib.parse import parse_qsl, quote, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from curator.curation.tracking import (
    clean_link,
    is_click_redirect,
    is_web_url,
    strip_tracking,
    tracking_params,
    unwrap_redirect,
    web_url,
)
from support.budget import examples


@pytest.mark.parametrize(
    ("dirty", "clean"),
    [
        ("https://a.example/p?utm_source=x&utm_medium=email", "https://a.example/p"),
        ("https://a.example/p?id=3&UTM_Campaign=fall&ref=home#top", "https://a.example/p?id=3&ref=home#top"),
        ("https://a.example/p?b=&a=1&fbclid=Z&a=2#f", "https://a.example/p?b=&a=1&a=2#f"),
        ("https://shop.example/?gclid=1&_hsenc=2&mc_eid=3&mkt_tok=4&oft_id=5&q=ok", "https://shop.example/?q=ok"),
        ("https://www.youtube.com/watch?v=abc&si=xyz", "https://www.youtube.com/watch?v=abc"),
        ("https://x.com/u/status/1?ref_src=twsrc", "https://x.com/u/status/1"),
    ],
)
def test_tracking_parameters_are_stripped_and_the_rest_kept_in_order(dirty, clean):
    assert tracking_params(dirty)
    assert strip_tracking(dirty) == clean
    assert tracking_params(clean) == []


@pytest.mark.parametrize(
    "url",
    [
        "https://a.example/p?b=&a=1&a=2&x=%20y+z#frag",
        "https://blog.example/post?si=3&ref=newsletter",  # `si` tracks only on YouTube
        "https://a.example/p?q=a%2Fb;c=d",
        "https://a.example/p?",
    ],
)
def test_a_link_with_nothing_to_strip_comes_back_byte_identical(url):
    assert strip_tracking(url) == url
    assert clean_link(url) == url


def test_known_redirect_wrappers_are_unwrapped_offline():
    assert unwrap_redirect("https://www.google.com/url?q=https://irs.gov/a%3Fb%3D1&sa=D") == "https://irs.gov/a?b=1"
    assert clean_link("https://l.facebook.com/l.php?u=https%3A%2F%2Fa.example%2Fx%3Futm_source%3Dfb") == "https://a.example/x"
    assert unwrap_redirect("https://www.google.com/search?q=https://a.example") == "https://www.google.com/search?q=https://a.example"


@pytest.mark.parametrize(
    ("url", "redirect"),
    [
        ("https://click.mailchimp.com/track/click/30?u=1", True),
        ("http://feedproxy.google.com/~r/blog/~3/abc/post/", True),
        ("https://bit.ly/3abc", True),
        ("https://www.google.com/url?q=https://a.example", True),
        ("https://www.irs.gov/businesses/small", False),
        ("https://bitly-fan.example/post", False),
    ],
)
def test_click_redirect_services_are_recognised(url, redirect):
    assert is_click_redirect(url) is redirect


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,x", "vbscript:x", "/relative", "ftp://a.example/f",
                                 "https://a.example/\r\nSet-Cookie: x", "", None, "https://"])
def test_only_http_links_survive(url):
    assert clean_link(url) is None


names = st.sampled_from(["utm_source", "utm_x", "fbclid", "gclid", "id", "ref", "q", "page", "si", "_gl", "a"])
values = st.text(alphabet="abc019-_.%20", max_size=6)
query = st.lists(st.tuples(names, values), max_size=6).map(lambda pairs: "&".join(f"{k}={v}" for k, v in pairs))
urls = st.builds(
    lambda host, path, q, frag: f"https://{host}/{path}" + (f"?{q}" if q else "") + (f"#{frag}" if frag else ""),
    st.sampled_from(["a.example", "www.youtube.com", "x.com", "blog.example"]),
    st.text(alphabet="abc/-", max_size=8),
    query,
    st.text(alphabet="xyz", max_size=3),
)


@settings(max_examples=examples(300), deadline=None)
@given(urls)
def test_cleaning_is_idempotent_adds_nothing_and_leaves_clean_links_alone(url):
    once = clean_link(url)
    assert once is not None and once.startswith("https://")
    assert clean_link(once) == once
    assert tracking_params(once) == []
    before = {k for k, _ in parse_qsl(urlsplit(url).query, keep_blank_values=True)}
    after = {k for k, _ in parse_qsl(urlsplit(once).query, keep_blank_values=True)}
    assert after <= before
    if not tracking_params(url):
        assert once == url


@settings(max_examples=examples(300), deadline=None)
@given(st.text(max_size=40) | st.builds(lambda s, rest: s + rest, st.sampled_from(["HTTP://", "HtTpS://", "https://"]),
                                        st.text(max_size=30)))
def test_anything_at_all_comes_out_as_http_or_nothing(text):
    out = clean_link(text)
    assert out is None or out.startswith(("http://", "https://"))


@pytest.mark.parametrize("url, web", [
    ("HTTP://Example.org/x", "http://Example.org/x"),
    ("HtTpS://Example.org/A?B=C", "https://Example.org/A?B=C"),
    ("https://example.org/", "https://example.org/"),
    ("HTTP:/missing-slash", None), ("ftp://example.org/", None), ("/local/path.xml", None), ("", None), (None, None),
])
def test_an_http_url_is_one_whatever_the_case_of_its_scheme_and_is_written_lower_case(url, web):
    assert is_web_url(url) is (web is not None)
    assert web_url(url) == web
    if web is not None:
        assert clean_link(url) == web
        assert clean_link(url.replace("://", "://www.google.com/url?q=HTTP%3A%2F%2Ft.example%2Fp&x=")) \
            == "http://t.example/p"



@pytest.mark.parametrize(("url", "redirect"), [
    ("https://us1.list-manage.com/track/click?u=1&id=2", True),      # a subdomain of a click tracker
    ("https://US1.List-Manage.com./track/click?u=1", True),           # any case, a trailing dot
    ("https://x@bit.ly/3abc", True),                                 # userinfo before the host
    ("https://user:pw@www.bit.ly:443/3abc", True),
    ("https://bit.ly@a.example/3abc", False),                        # the host is a.example
    ("https://notlist-manage.com/track", False),                     # a name that only ends like one
    ("https://list-manage.com.a.example/track", False),
    ("https://news.substack.com/redirect/2/abc", True),
    ("https://news.substack.com/p/a-post", False),
    ("https://www.google.com/link?url=https://a.example", True),
    ("https://www.google.com/search?q=x", False),
])
def test_a_click_tracker_is_recognised_by_its_real_host_whatever_is_around_it(url, redirect):
    assert is_click_redirect(url) is redirect


@pytest.mark.parametrize(("dirty", "clean"), [
    ("https://a.example/p?utm_source=&id=3", "https://a.example/p?id=3"),      # a blank tracker is a tracker
    ("https://a.example/p?fbclid&id=3", "https://a.example/p?id=3"),
    ("https://a.example/p?id=3&utm_medium=", "https://a.example/p?id=3"),
])
def test_a_tracking_parameter_with_a_blank_value_is_stripped_too(dirty, clean):
    assert tracking_params(dirty) != []
    assert clean_link(dirty) == clean


def test_site_only_parameters_are_stripped_on_the_site_and_its_subdomains_only():
    assert clean_link("https://m.youtube.com/watch?v=1&si=2") == "https://m.youtube.com/watch?v=1"
    assert clean_link("https://notyoutube.com/watch?v=1&si=2") == "https://notyoutube.com/watch?v=1&si=2"


def test_a_wrapped_link_is_unwrapped_through_several_wrappers_and_then_untracked():
    inner = "https://a.example/x?utm_source=y&id=1"
    once = "https://l.facebook.com/l.php?u=" + inner.replace("?", "%3F").replace("&", "%26").replace("=", "%3D")
    twice = "https://www.google.com/url?q=" + once.replace("%", "%25").replace("?", "%3F").replace("=", "%3D")
    assert clean_link(twice) == "https://a.example/x?id=1"
    assert unwrap_redirect("https://href.li/?https://a.example/y") == "https://a.example/y"
    assert unwrap_redirect("https://l.facebook.com/l.php?u=javascript:alert(1)") == \
        "https://l.facebook.com/l.php?u=javascript:alert(1)"


def wrap(url: str, times: int) -> str:
    for _ in range(times):
        url = "https://www.google.com/url?q=" + quote(url, safe="")
    return url


def test_wrappers_are_unwrapped_four_deep_and_a_fifth_is_left_for_the_check_to_refuse():
    assert unwrap_redirect(wrap("https://a.example/x", 4)) == "https://a.example/x"
    five = unwrap_redirect(wrap("https://a.example/x", 5))
    assert five == wrap("https://a.example/x", 1) and is_click_redirect(five)


@pytest.mark.parametrize(("url", "target"), [
    ("https://www.google.com/link?url=https://a.example/x", "https://a.example/x"),
    ("https://href.li/?https://a.example/y", "https://a.example/y"),
    ("https://out.reddit.com/?https://a.example/z", "https://out.reddit.com/?https://a.example/z"),  # not its form
    ("https://href.li/?not-a-link", "https://href.li/?not-a-link"),
])
def test_each_wrapper_is_read_its_own_way(url, target):
    assert unwrap_redirect(url) == target


@pytest.mark.parametrize(("url", "redirect"), [
    ("https://news.substack.com/redirect/2/abc", True),
    ("https://substack.com/redirect/2/abc", True),
    ("https://a.example/redirect/2/abc", False),
    ("https://notsubstack.com/redirect/2/abc", False),   # a name that only ends like it
])
def test_substacks_redirect_links_and_only_those_are_click_redirects(url, redirect):
    assert is_click_redirect(url) is redirect
