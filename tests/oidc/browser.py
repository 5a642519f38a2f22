#!/usr/bin/env python3
"""A real browser through kakunin's login: Debian's chromium, headless,
driven by Selenium through chromium-driver.

A tiny relying party runs here (http.server on 127.0.0.1:0; Authlib makes
its authorization request and redeems the code, checking the ID token).
The browser opens the RP's page, follows its login link to kakunin's login
page, the pairing code is read from the page (element `pairing-code`) and
approved with the card (`kakunin card approve`), and the page's own script
takes the browser to the RP's callback, which redeems the code and shows
who logged in. Then the same with a revoked card: the login page shows the
refusal and the browser never reaches the RP.

Run by tools/tests/cli/oidc_rp.rs: `python3 browser.py`. It prints
`rp: callback URL` first; the harness registers that redirect URI, starts
the provider and answers with the path of the configuration (common.py).
"""

import html
import http.server
import json
import os
import shutil
import sys
import tempfile
import threading
import time
import urllib.parse

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from common import Failed, approve, check, equal, expected_facts, insert_card, main
from rp_authlib import Rp

PAGE_TIMEOUT = 20
APPROVED_WITHIN = 15


class RpServer(http.server.ThreadingHTTPServer):
    """The relying party: `/` (a login link), `/login` (to the provider),
    `/callback` (the code redeemed, the person shown)."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), RpHandler)
        self.rp = None
        self.logins = {}  # state -> Authlib's authorization data
        self.results = []  # what each callback found
        self.base = f"http://127.0.0.1:{self.server_address[1]}"


class RpHandler(http.server.BaseHTTPRequestHandler):
    def log_message(self, fmt, *args):
        pass

    def page(self, status, body):
        data = f"<!doctype html><html><head><meta charset=utf-8><title>Test RP</title></head><body>{body}</body></html>".encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        srv = self.server
        url = urllib.parse.urlsplit(self.path)
        if url.path == "/":
            self.page(200, '<h1>Test RP</h1><a id="login" href="/login">マイナンバーカードでログイン</a>')
        elif url.path == "/login":
            auth = srv.rp.authorization("openid name address birthdate gender")
            srv.logins[auth["state"]] = auth
            self.send_response(302)
            self.send_header("Location", auth["url"])
            self.end_headers()
        elif url.path == "/callback":
            q = dict(urllib.parse.parse_qsl(url.query))
            result = {"query": q}
            try:
                auth = srv.logins.pop(q.get("state"), None)
                if auth is None:
                    raise Failed(f"callback with an unknown state: {q}")
                token, claims = srv.rp.redeem(srv.base + self.path, auth)
                info = srv.rp.app.userinfo(token=token)
                result.update(sub=claims["sub"], userinfo=dict(info))
                self.page(200, f'<p id="result">logged in: {html.escape(claims["sub"])}</p><p id="name">{html.escape(info.get("name", ""))}</p>')
            except Exception as e:  # shown to the test, which fails on it
                result["error"] = f"{type(e).__name__}: {e}"
                self.page(500, f'<p id="result">error: {html.escape(result["error"])}</p>')
            srv.results.append(result)
        else:
            self.page(404, "not found")


def chromium(profile):
    opts = webdriver.ChromeOptions()
    opts.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
    ):
        opts.add_argument(flag)
    service = Service(executable_path=shutil.which("chromedriver") or "/usr/bin/chromedriver")
    driver = webdriver.Chrome(service=service, options=opts)
    driver.set_page_load_timeout(PAGE_TIMEOUT)
    return driver


def to_login_page(driver, srv, cfg):
    """The RP's page, its login link, kakunin's login page: the pairing
    and verification codes as the page shows them."""
    driver.get(srv.base + "/")
    driver.find_element(By.ID, "login").click()
    code = WebDriverWait(driver, PAGE_TIMEOUT).until(lambda d: d.find_element(By.ID, "pairing-code")).text.strip()
    check(driver.current_url.startswith(cfg["issuer"] + "/authorize"), "the browser is on kakunin's login page", driver.current_url)
    check(len(code.replace("-", "")) >= 8, f"the login page shows a pairing code ({code})", code)
    verification = driver.find_element(By.ID, "verification-code").text.strip()
    check(verification.isdigit(), f"the login page shows a verification code ({verification})", verification)
    check(srv.rp.c["client_id"] in driver.page_source, "the login page names the RP", driver.page_source[:500])
    return code


def run():
    srv = RpServer()
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    print(f"rp: callback {srv.base}/callback", flush=True)
    config_path = sys.stdin.readline().strip()
    check(os.path.isfile(config_path), "the harness gave a configuration", config_path)
    sys.argv[1:] = [config_path]
    with open(config_path, encoding="utf-8") as f:
        cfg = json.load(f)
    equal(cfg["clients"]["web"]["redirect_uri"], srv.base + "/callback", "the registered redirect URI is this RP's")
    srv.rp = Rp(cfg, "web")
    profile = tempfile.mkdtemp(prefix="kakunin-chromium-")
    driver = chromium(profile)
    try:
        # A good card: the browser lands on the RP's callback, logged in.
        code = to_login_page(driver, srv, cfg)
        approve(cfg, cfg["issuer"], code, 0)
        WebDriverWait(driver, APPROVED_WITHIN).until(lambda d: d.current_url.startswith(srv.base + "/callback"))
        result = driver.find_element(By.ID, "result").text
        check(result.startswith("logged in: "), "the RP's callback redeemed the code", (result, srv.results))
        want = expected_facts(cfg, 1)
        equal(driver.find_element(By.ID, "name").text, want["name"], "the RP shows the card holder's name")
        got = srv.results[-1]
        equal(got["query"].get("iss"), cfg["issuer"], "the callback carried iss (RFC 9207)")
        for k, v in want.items():
            equal(got["userinfo"].get(k), v, f"the RP's userinfo {k}")

        # A revoked card: the login page shows the refusal; no callback.
        insert_card(2)
        before = len(srv.results)
        code = to_login_page(driver, srv, cfg)
        approve(cfg, cfg["issuer"], code, 1)
        message = WebDriverWait(driver, APPROVED_WITHIN).until(lambda d: d.find_element(By.ID, "message")).text
        check("revoked" in message and "失効" in message, "the page says the card is revoked", message)
        check(driver.current_url.startswith(cfg["issuer"] + "/authorize/wait/"), "the browser stays with kakunin", driver.current_url)
        time.sleep(0.5)
        equal(len(srv.results), before, "the RP's callback was not called for the revoked card")
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
        srv.shutdown()


if __name__ == "__main__":
    main(run)
