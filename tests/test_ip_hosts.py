"""Hosts written as IP addresses: one spelling each, in article URLs, provider keys and ids.

An IP address has many spellings (``[0:0:0:0:0:0:0:1]`` and ``[::1]``; ``0x7f.1`` and
``127.0.0.1``); a browser sends one, the WHATWG URL standard's, so newsgraph keys by it.
An IPv6 provider is ``provider:[::1]``, bracketed as the URL standard's ``hostname`` is."""

from __future__ import annotations

import pytest

import graph
from graph.normalize import canonical_url, provider_key
from schema.query import execute

# -- article URLs ----------------------------------------------------------------------------


@pytest.mark.parametrize(("url", "canonical"), [
    ("http://[::1]/a", "https://[::1]/a"),
    ("http://[0:0:0:0:0:0:0:1]/a", "https://[::1]/a"),  # RFC 5952: the shortest form
    ("http://[::1]:8080/a", "http://[::1]:8080/a"),
    ("https://[2001:DB8:0:0:1:0:0:1]/x", "https://[2001:db8::1:0:0:1]/x"),
    ("https://[2001:db8::0001]/x", "https://[2001:db8::1]/x"),
    ("https://[::ffff:192.168.0.1]/x", "https://[::ffff:c0a8:1]/x"),  # as WHATWG writes it
    ("https://[::1]:443/x", "https://[::1]/x"),
])
def test_an_ipv6_host_has_one_spelling(url, canonical):
    # "[0:0:0:0:0:0:0:1]" and "[::1]" are one host; they were two articles.
    assert canonical_url(url) == canonical


@pytest.mark.parametrize(("url", "canonical"), [
    ("http://127.0.0.1/x", "https://127.0.0.1/x"),
    ("http://0x7f.1/x", "https://127.0.0.1/x"),  # as a browser reads it (WHATWG's IPv4 parser)
    ("http://0177.0.0.1/x", "https://127.0.0.1/x"),
    ("http://2130706433/x", "https://127.0.0.1/x"),
    ("http://127.1/x", "https://127.0.0.1/x"),
    ("http://127.0.0.1./x", "https://127.0.0.1/x"),
])
def test_an_ipv4_host_has_one_spelling(url, canonical):
    assert canonical_url(url) == canonical


@pytest.mark.parametrize(("url", "says"), [
    ("http://[fe80::1%25eth0]/a", "zone"),          # one machine's network interface
    ("http://[v1.fe]/a", "IPv6"),                   # IPvFuture: no browser opens it
    ("http://[1:2:3]/a", "IPv6"),
])
def test_an_ip_host_no_browser_opens_is_refused_saying_why(url, says):
    with pytest.raises(graph.InvalidURLError, match=says) as e:
        canonical_url(url)
    assert repr(url) in str(e.value)


@pytest.mark.parametrize("host", ["1password.example", "news.example.123abc",
                                  # WHATWG refuses these, RFC 3986 reads a name: kept
                                  "256.0.0.1", "1.2.3.4.5", "news.0", "0x7g.1"])
def test_a_host_that_is_no_ipv4_address_is_kept_as_a_name(host):
    assert canonical_url(f"http://{host.upper()}/a") == f"https://{host}/a"
    assert provider_key(host) == host


# -- provider keys ----------------------------------------------------------------------------


@pytest.mark.parametrize(("domain", "key"), [
    ("http://[::1]:8080/story", "[::1]"),
    ("http://[0:0:0:0:0:0:0:1]/story", "[::1]"),
    ("::1", "[::1]"),                    # a provider domain written as the bare address
    ("[::1]", "[::1]"),
    ("[::1]:8080", "[::1]"),
    ("2001:db8::1", "[2001:db8::1]"),    # was read as host "2001" and port "db8::1"
    ("2001:DB8:0:0:0:0:0:1", "[2001:db8::1]"),
    ("0x7f.1", "127.0.0.1"),
    ("http://127.1:8080/", "127.0.0.1"),
])
def test_an_ip_provider_has_one_key(domain, key):
    assert provider_key(domain) == key


# -- ids round-trip through the graph and node(id:) -----------------------------------------


def _corpus(tmp_path):
    (tmp_path / "a.md").write_text(
        "---\ntitle: Local story\nwebUrl: 'http://[::1]:8080/story'\nrelated:\n"
        "  - {title: Other, webUrl: 'http://[0:0:0:0:0:0:0:1]:8080/other'}\n---\n",
        encoding="utf-8")
    (tmp_path / "b.md").write_text(
        "---\ntitle: Long spelling\nwebUrl: 'http://[0:0:0:0:0:0:0:1]:8080/story'\n"
        "provider: {name: Loopback, domain: '::1'}\n---\n", encoding="utf-8")
    return graph.load(tmp_path)


def test_one_ipv6_host_is_one_provider_and_its_spellings_one_article(tmp_path):
    kg = _corpus(tmp_path)
    assert kg.report.errors == []
    # b.md duplicates a.md (one URL in two spellings), and its provider domain is valid
    assert all("provider domain ignored" not in w.reason for w in kg.report.warnings)
    assert sorted(n for n in kg if n.startswith("provider:")) == ["provider:[::1]"]
    assert sorted(n for n in kg if n.startswith("article:")) == [
        "article:http://[::1]:8080/other", "article:http://[::1]:8080/story"]
    assert kg["provider:[::1]"]["domain"] == "[::1]"


@pytest.mark.parametrize("ref", ["provider:[::1]", "provider:::1", "provider:0:0:0:0:0:0:0:1",
                                 "provider:http://[::1]:8080/x"])
def test_an_ipv6_provider_id_round_trips_through_node(tmp_path, ref):
    kg = _corpus(tmp_path)
    response = execute(kg, "query($id: ID!) { node(id: $id) { id ... on Provider { domain } } }",
                       {"id": ref})
    assert response == {"data": {"node": {"id": "provider:[::1]", "domain": "[::1]"}}}


def test_every_node_id_round_trips_through_node(tmp_path):
    kg = _corpus(tmp_path)
    for node in kg:
        response = execute(kg, "query($id: ID!) { node(id: $id) { id } }", {"id": node})
        assert response == {"data": {"node": {"id": node}}}, node
