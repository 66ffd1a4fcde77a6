#!/usr/bin/python3
"""browser.py - the built site, opened page by page in a real browser
(Debian's chromium, headless, driven by chromium-driver through Debian's
python3-selenium), served from this machine's loopback only.

Checks, one "ok"/"FAIL" line each:
  - every page reachable from the home page opens with no console error and
    without a request the server answered with an error (a missing page,
    picture, stylesheet or script);
  - every internal link (and form) leads to a page that exists, and to an element with
    its #anchor when it names one;
  - every page of the sitemap is reachable from the home page;
  - at a phone's width (390 px) no page scrolls sideways, and every picture
    has loaded;
  - the search box finds vmi_read_va, and the hit leads to its entry;
  - the search page lists the function without JavaScript (in its HTML).
Screenshots of the home page (desktop and phone) and of an API page go to
SHOTS_DIR.

usage: browser.py SITE_DIR SHOTS_DIR
"""
import http.server
import os
import re
import shutil
import sys
import tempfile
import threading
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

results = []


def report(ok, what, detail=""):
    results.append(ok)
    print(("ok   " if ok else "FAIL ") + what + ("" if ok or not detail else ": " + detail))


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True


def serve(site):
    errors = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **k):
            super().__init__(*a, directory=site, **k)

        def log_message(self, fmt, *args):
            pass

        def send_error(self, code, message=None, explain=None):
            if self.path != "/favicon.ico" or code != 404:
                errors.append("%d %s" % (code, self.path))
            super().send_error(code, message, explain)

    srv = Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv, errors


def browser(profile):
    o = webdriver.ChromeOptions()
    o.binary_location = "/usr/bin/chromium"
    for a in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
              "--disable-background-networking", "--disable-component-update", "--disable-sync",
              "--disable-dev-shm-usage", "--user-data-dir=" + profile, "--window-size=390,844",
              "--hide-scrollbars"):
        o.add_argument(a)
    o.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=o)


def console_errors(d):
    # the browser's own guess at /favicon.ico is not a request of the page's
    return [e["message"] for e in d.get_log("browser")
            if e.get("level") == "SEVERE" and "/favicon.ico " not in e["message"]]


def main():
    site, shots = sys.argv[1:3]
    if not os.path.exists(os.path.join(site, "index.html")):
        report(False, "the site is built", "no %s/index.html (make docs)" % site)
        return
    os.makedirs(shots, exist_ok=True)
    srv, server_errors = serve(site)
    base = "http://127.0.0.1:%d/" % srv.server_address[1]
    profile = tempfile.mkdtemp(prefix="tinyvmi-chromium-")
    d = browser(profile)
    try:
        crawl(d, base, site, server_errors)
        search(d, base)
        screenshots(d, base, shots)
    finally:
        d.quit()
        srv.shutdown()
        shutil.rmtree(profile, ignore_errors=True)
    report(not server_errors, "the server answered every request the pages made",
           "; ".join(sorted(set(server_errors))[:20]))


def page_of(url):
    return urllib.parse.urldefrag(url)[0]


def crawl(d, base, site, server_errors):
    seen, queue, anchors_wanted = set(), [base + "index.html"], {}
    came_from = {}
    ids, bad_console, wide, bad_img, broken = {}, [], [], [], []
    while queue:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        before = len(server_errors)
        d.get(url)
        rel = url[len(base):]
        if any(e.endswith(" /" + rel) for e in server_errors[before:]):
            broken.append("%s -> %s" % (came_from.get(url, "?"), rel))
        errs = console_errors(d)
        if errs:
            bad_console.append("%s: %s" % (rel, " | ".join(errs)))
        info = d.execute_script("""
            var links = Array.from(document.querySelectorAll('a[href]')).map(a => a.href)
                .concat(Array.from(document.querySelectorAll('form[action]')).map(f => f.action));
            var ids = Array.from(document.querySelectorAll('[id]')).map(e => e.id);
            var imgs = Array.from(document.images).filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src);
            var sheets = Array.from(document.styleSheets).length;
            return [links, ids, imgs, document.documentElement.scrollWidth, window.innerWidth, sheets];
        """)
        links, page_ids, imgs, sw, iw, sheets = info
        ids[url] = set(page_ids)
        if sw > iw + 1:
            wide.append("%s (%d px in %d)" % (rel, sw, iw))
        if imgs:
            bad_img.append("%s: %s" % (rel, ", ".join(imgs)))
        if sheets < 1:
            bad_img.append("%s: no stylesheet" % rel)
        for href in links:
            if not href.startswith(base):
                continue
            p, frag = urllib.parse.urldefrag(href)
            if p.endswith("/"):
                p += "index.html"
            if frag:
                anchors_wanted.setdefault(p, set()).add((frag, rel))
            if p.endswith(".html") and p not in seen:
                came_from.setdefault(p, rel)
                queue.append(p)
            elif not p.endswith(".html"):
                try:
                    urllib.request.urlopen(p).read()
                except Exception as e:  # noqa: BLE001 - any failure is the finding
                    broken.append("%s -> %s (%s)" % (rel, p[len(base):], e))
    report(len(seen) > 5, "the home page leads to %d pages" % len(seen), "only %d" % len(seen))
    report(not bad_console, "no console error on any page", "; ".join(bad_console[:10]))
    report(not broken, "no broken internal link", "; ".join(broken[:10]))
    missing = []
    for p, wants in anchors_wanted.items():
        have = ids.get(p)
        for frag, src in wants:
            if have is None or urllib.parse.unquote(frag) not in have:
                missing.append("%s -> %s#%s" % (src, p[len(base):], frag))
    report(not missing, "every #anchor linked to exists (%d)" % sum(len(w) for w in anchors_wanted.values()),
           "; ".join(sorted(missing)[:10]))
    report(not bad_img, "every picture and stylesheet loaded", "; ".join(bad_img[:10]))
    report(not wide, "no page scrolls sideways at a phone's width", "; ".join(wide[:10]))
    sitemap = ET.parse(os.path.join(site, "sitemap.xml")).getroot()
    locs = [e.text for e in sitemap.iter() if e.tag.endswith("loc")]
    orphans = []
    for loc in locs:
        path = urllib.parse.urlparse(loc).path.lstrip("/")
        if path.endswith("/") or not path:
            path += "index.html"
        if base + path not in seen:
            orphans.append(path)
    report(not orphans, "every page of the sitemap (%d) is reachable from the home page" % len(locs),
           ", ".join(orphans))


def search(d, base):
    d.get(base + "index.html")
    console_errors(d)  # what the crawl left in the log is not this test's
    box = d.find_element(By.CSS_SELECTOR, "header form.search input[name=q]")
    box.send_keys("vmi_read_va", Keys.ENTER)
    try:
        WebDriverWait(d, 10).until(lambda x: x.find_elements(By.CSS_SELECTOR, "#results li a"))
    except Exception:  # noqa: BLE001
        report(False, "the search box finds vmi_read_va", "no results on %s" % d.current_url)
        return
    hits = [a.get_attribute("href") for a in d.find_elements(By.CSS_SELECTOR, "#results li a")]
    first = hits[0] if hits else ""
    report(first.endswith("#vmi_read_va") and console_errors(d) == [],
           "the search box finds vmi_read_va first", "first hit %r of %d" % (first, len(hits)))
    if first:
        d.get(first)
        ok = d.execute_script("var e = document.getElementById('vmi_read_va');"
                              "return !!e && /vmi_read_va/.test(e.textContent);")
        report(bool(ok), "the hit leads to vmi_read_va's entry", d.current_url)
    html = urllib.request.urlopen(base + "search.html").read().decode()
    report(re.search(r'href="[^"]*#vmi_read_va"', html) is not None,
           "the search page lists vmi_read_va without JavaScript")


def screenshots(d, base, shots):
    d.set_window_size(390, 844)
    d.get(base + "index.html")
    d.save_screenshot(os.path.join(shots, "home-phone.png"))
    d.set_window_size(1280, 900)
    d.get(base + "index.html")
    d.save_screenshot(os.path.join(shots, "home.png"))
    d.get(base + "api/libvmi.html#vmi_read_va")
    d.save_screenshot(os.path.join(shots, "api-libvmi.png"))
    ok = all(os.path.getsize(os.path.join(shots, f)) > 10000
             for f in ("home.png", "home-phone.png", "api-libvmi.png"))
    report(ok, "screenshots saved in %s" % shots)


if __name__ == "__main__":
    main()
    sys.exit(0 if results and all(results) else 1)
