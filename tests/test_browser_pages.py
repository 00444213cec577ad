"""The playground and explorer pages over HTTP: local assets, the CDN fallback, the whitelist.

These run without npm or a browser: the npm assets are stand-in files in ``tmp_path``
(``NEWSGRAPH_NODE_MODULES``); the real browser tests are in test_browser.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from schema import browser
from schema.app import create_app

CORPUS = Path(__file__).parent / "fixtures" / "corpus"
HTML = {"accept": "text/html"}


@pytest.fixture
def assets(tmp_path, monkeypatch):
    """A node_modules folder holding a stand-in for every whitelisted file."""
    root = tmp_path / "node_modules"
    for name, rel in browser.VENDOR_FILES.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(f"/* {name} */", encoding="utf-8")
    monkeypatch.setenv(browser.NODE_MODULES_ENV, str(root))
    return root


@pytest.fixture
def no_assets(tmp_path, monkeypatch):
    monkeypatch.setenv(browser.NODE_MODULES_ENV, str(tmp_path / "nothing-here"))


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app(CORPUS)) as c:
        yield c


def test_the_playground_is_served_from_local_assets_when_installed(client, assets):
    r = client.get("/graphql", headers=HTML)
    assert r.status_code == 200
    assert r.headers["x-newsgraph-assets"] == "local"
    assert "static/vendor/graphiql.min.js" in r.text
    assert "unpkg.com" not in r.text and "newsgraph-assets-missing" not in r.text
    script = client.get("/static/vendor/graphiql.min.js")
    assert script.status_code == 200 and script.text == "/* graphiql.min.js */"
    assert script.headers["content-type"].startswith("text/javascript")


def test_the_pages_hold_nothing_from_the_sample_data(client):
    """The playground's tabs and the explorer's boxes are made from the served corpus."""
    script = client.get("/static/playground.js").text
    assert "within(hops: 2, where: {mentions: $phrase})" in script
    assert "neighborhood(from: $from, hops: 1)" in script
    assert "loadReport" in script
    for page in (script, client.get("/static/explore.js").text,
                 (browser.STATIC / "explore.html").read_text(encoding="utf-8")):
        assert "sixthtone" not in page.lower() and "facial recognition" not in page.lower()


def test_without_assets_the_playground_says_how_to_install_them_and_uses_the_cdn(
        client, no_assets):
    r = client.get("/graphql", headers=HTML)
    assert r.status_code == 200
    assert r.headers["x-newsgraph-assets"] == "cdn"
    assert browser.INSTALL_COMMAND in r.text and "newsgraph-assets-missing" in r.text
    assert "https://unpkg.com/graphiql" in r.text
    missing = client.get("/static/vendor/graphiql.min.js")
    assert missing.status_code == 404 and browser.INSTALL_COMMAND in missing.text


def test_the_explorer_page_uses_local_sigma_or_says_how_to_install_it(client, tmp_path,
                                                                      monkeypatch, assets):
    local = client.get("/explore")
    assert local.status_code == 200 and local.headers["x-newsgraph-assets"] == "local"
    for name in browser.EXPLORER_ASSETS:
        assert f"static/vendor/{name}" in local.text
        assert client.get(f"/static/vendor/{name}").text == f"/* {name} */"
    assert "unpkg.com" not in local.text
    monkeypatch.setenv(browser.NODE_MODULES_ENV, str(tmp_path / "nothing-here"))
    fallback = client.get("/explore")
    assert fallback.headers["x-newsgraph-assets"] == "cdn"
    assert all(url in fallback.text for url in browser.CDN_EXPLORER.values())
    assert "static/vendor/" not in fallback.text and browser.INSTALL_COMMAND in fallback.text


def test_the_cdn_fallback_pins_the_versions_the_lockfile_installs():
    lock = json.loads((browser.STATIC / "package-lock.json").read_text(encoding="utf-8"))
    for name, url in browser.CDN_EXPLORER.items():
        package = browser.VENDOR_FILES[name].split("/", 1)[0]
        version = lock["packages"][f"node_modules/{package}"]["version"]
        assert f"/{package}@{version}/" in url


@pytest.mark.parametrize("path", [
    "/static/vendor/package.json", "/static/vendor/..%2Fpackage.json",
    "/static/package.json", "/static/package-lock.json", "/static/explore.html",
])
def test_only_whitelisted_files_are_served(client, assets, path):
    assert client.get(path).status_code == 404


def test_graphql_over_get_and_post_still_answer_json(client, assets):
    query = "{ stats { articles } }"
    expected = {"stats": {"articles": 9}}
    assert client.get("/graphql", params={"query": query}).json()["data"] == expected
    assert client.post("/graphql", json={"query": query}).json()["data"] == expected


def test_in_production_the_playground_is_off_unless_enabled_and_the_explorer_stays(assets):
    from schema.settings import Settings

    with TestClient(create_app(CORPUS, settings=Settings(production=True))) as prod:
        assert prod.get("/graphql", headers=HTML).status_code == 404
        assert prod.get("/explore").status_code == 200
        assert prod.get("/static/explore.js").status_code == 200
    with TestClient(create_app(CORPUS, settings=Settings(production=True, graphiql=True))) as on:
        page = on.get("/graphql", headers=HTML)
        assert page.status_code == 200 and page.headers["x-newsgraph-assets"] == "local"
