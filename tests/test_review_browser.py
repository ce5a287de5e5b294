#!/usr/bin/env python3
"""test_review_browser.py - the review page in a real browser.

Processes a real photo (tests' shared data) with one enrolled person who
consented, starts `consentblur review` on the output folder (in Dutch),
drives Debian's headless Chromium through chromedriver (the W3C WebDriver
protocol, spoken with urllib: nothing to install from pip), opens the page,
opens the photo, drags a rectangle over the face that was kept, confirms,
and then checks:
- the output's pixels inside the rectangle changed, and those away from
  every redacted region did not (the output is made again from the
  original, so they are bit for bit the same);
- the run record (run_edits: who, region, source, the output's new
  SHA-256) and the audit row (review.redact);
- `runs list` shows the change;
- the page is in Dutch under LANGUAGE=nl and in English under LC_ALL=C;
- the server stops on SIGTERM.
If Chromium or chromedriver cannot start, the test fails (it never skips):
CI installs them with `make deps`.

Usage: test_review_browser.py CONSENTBLUR_BINARY [TESTDATA]   ($CB_TESTDATA comes first)
"""
import hashlib
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

BINARY = os.path.abspath(sys.argv[1])
TESTDATA = os.environ.get("CB_TESTDATA") or (sys.argv[2] if len(sys.argv) > 2 else
                                             "../shared/testdata")
PHOTO = os.path.join(TESTDATA, "groups", "two_people.jpg")  # obama (kept), biden
PORTRAIT = os.path.join(TESTDATA, "identities", "obama", "obama.jpg")
ACTOR = "browser-test"
DUTCH_CONFIRM = "Dit gebied onherkenbaar maken"  # po/nl.po: "Redact this region"


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def run(args, env, **kw):
    p = subprocess.run([BINARY] + args, env=env, capture_output=True, text=True, **kw)
    if p.returncode != 0:
        fail("consentblur %s: exit %d\n%s%s" % (" ".join(args), p.returncode, p.stdout,
                                                 p.stderr))
    return p.stdout


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(method, url, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        fail("%s %s: %d %s" % (method, url, e.code, e.read()[:500]))


class Browser:
    """Just enough of WebDriver: a session, navigation, elements, script, actions."""

    def __init__(self):
        self.port = free_port()
        self.log = tempfile.TemporaryFile()
        try:
            self.proc = subprocess.Popen(["chromedriver", "--port=%d" % self.port],
                                         stdout=self.log, stderr=subprocess.STDOUT)
        except OSError as e:
            fail("chromedriver cannot start (%s): install chromium-driver (make deps)" % e)
        self.base = "http://127.0.0.1:%d" % self.port
        for _ in range(100):
            try:
                urllib.request.urlopen(self.base + "/status", timeout=1).read()
                break
            except OSError:
                time.sleep(0.1)
        else:
            fail("chromedriver did not answer")
        caps = {"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": shutil.which("chromium") or "/usr/bin/chromium",
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                         "--disable-dev-shm-usage", "--window-size=1400,1000",
                         "--user-data-dir=" + tempfile.mkdtemp(prefix="cb-chromium-")]}}}}
        self.session = http("POST", self.base + "/session", caps)["value"]["sessionId"]
        self.url = self.base + "/session/" + self.session

    def cmd(self, method, path, body=None):
        return http(method, self.url + path, body)["value"]

    def script(self, js, *args):
        return self.cmd("POST", "/execute/sync", {"script": js, "args": list(args)})

    def find(self, css):
        v = self.cmd("POST", "/element", {"using": "css selector", "value": css})
        return list(v.values())[0]

    def wait(self, js, what, timeout=30):
        end = time.time() + timeout
        while time.time() < end:
            v = self.script(js)
            if v:
                return v
            time.sleep(0.1)
        fail("timed out waiting for " + what)

    def quit(self):
        try:
            http("DELETE", self.url)
        finally:
            self.proc.terminate()
            self.proc.wait(10)


def pixels(path):
    """The picture as RGB bytes, decoded by ffmpeg."""
    out = subprocess.run(["ffmpeg", "-loglevel", "error", "-i", path, "-f", "rawvideo",
                          "-pix_fmt", "rgb24", "-"], capture_output=True, check=True).stdout
    return out


def mean_diff(a, b, width, rect):
    x0, y0, x1, y1 = rect
    total = n = 0
    for y in range(y0, y1):
        i, j = (y * width + x0) * 3, (y * width + x1) * 3
        total += sum(abs(p - q) for p, q in zip(a[i:j], b[i:j]))
        n += (x1 - x0) * 3
    return total / n


def start_review(env, out_dir):
    p = subprocess.Popen([BINARY, "review", out_dir, "--idle", "5"], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    p.stdout.readline()  # the line that says what this is
    url = p.stdout.readline().strip()
    if not url.startswith("http://127.0.0.1:"):
        p.kill()
        fail("no URL from review: %r %s" % (url, p.stderr.read()))
    return p, url


def setup(tmp):
    env = dict(os.environ, CONSENTBLUR_REGISTRY=os.path.join(tmp, "registry.db"),
               CONSENTBLUR_ACTOR=ACTOR, LC_ALL="C")
    env.pop("LANGUAGE", None)
    run(["person", "add", "O1", "--name", "Barack Obama", "--role", "staff"], env)
    run(["consent", "grant", "O1", "social", "--given-by", "self"], env)
    run(["enroll", "O1", PORTRAIT], env)
    os.mkdir(os.path.join(tmp, "in"))
    shutil.copy(PHOTO, os.path.join(tmp, "in", "two_people.jpg"))
    # UltraFace alone finds exactly the two faces (the photos' default also
    # blurs a sleeve button: README, "Face detection").
    report = json.loads(run(["process", os.path.join(tmp, "in", "two_people.jpg"), "-o",
                             os.path.join(tmp, "out"), "--purpose", "social", "--json",
                             "--detectors", "ultraface"], env))
    faces = report["files"][0]["faces"]
    kept = [f for f in faces if f["action"] == "kept"]
    if len(kept) != 1 or len(faces) != 2:
        fail("expected one kept face of two: %s" % faces)
    return env, kept[0]["box"], [f["box"] for f in faces if f["action"] != "kept"]


def drag_over(browser, box, natural_width):
    """Drag from inside the top-left of box to inside its bottom-right (picture pixels)."""
    overlay = browser.find("#overlay")
    rect = browser.cmd("GET", "/element/%s/rect" % overlay)
    scale = rect["width"] / natural_width
    x0, y0 = box[0] + 0.2 * box[2], box[1] + 0.2 * box[3]
    x1, y1 = box[0] + 0.8 * box[2], box[1] + 0.8 * box[3]
    at = lambda x, y: {"type": "pointerMove", "origin": "viewport", "duration": 100,
                       "x": int(rect["x"] + x * scale), "y": int(rect["y"] + y * scale)}
    browser.cmd("POST", "/actions", {"actions": [{
        "type": "pointer", "id": "mouse", "parameters": {"pointerType": "mouse"},
        "actions": [at(x0, y0), {"type": "pointerDown", "button": 0}, at((x0 + x1) / 2, y0 + 5),
                    at(x1, y1), {"type": "pointerUp", "button": 0}]}]})
    browser.cmd("DELETE", "/actions")
    return [int(x0), int(y0), int(x1), int(y1)]


def check_pixels(before, after, width, height, drawn, redacted_boxes):
    inside = mean_diff(before, after, width, drawn)
    if inside < 8:  # left as it was, it would be 0: the output is made again the same way
        fail("the rectangle is not redacted (mean change %.1f)" % inside)
    # Away from every region that is redacted (the drawn one's ellipse is up to 1.7 x 2
    # times the rectangle; automatic ones get new noise), plus a JPEG block of margin.
    changed = checked = 0
    for y in range(height):
        for x in range(0, width, 2):
            if any(b[0] - b[2] - 16 <= x <= b[0] + 2 * b[2] + 16 and
                   b[1] - b[3] - 16 <= y <= b[1] + 2 * b[3] + 16 for b in redacted_boxes):
                continue
            i = (y * width + x) * 3
            changed += before[i:i + 3] != after[i:i + 3]
            checked += 1
    if checked < width * height / 4:
        fail("only %d pixels away from the regions to compare" % checked)
    if changed:
        fail("%d pixels changed away from the redacted regions" % changed)
    print("inside the rectangle: mean change %.1f; elsewhere (%d pixels): unchanged" %
          (inside, checked))


def check_records(env, tmp, out_path, drawn):
    db = sqlite3.connect(os.path.join(tmp, "registry.db"))
    rows = db.execute("SELECT actor, x, y, w, h, first_frame, face, source, after_sha256 "
                      "FROM run_edits").fetchall()
    if len(rows) != 1:
        fail("expected one edit on record, got %s" % rows)
    actor, x, y, w, h, first, face, source, after = rows[0]
    sha = hashlib.sha256(open(out_path, "rb").read()).hexdigest()
    if (actor, first, face, source, after) != (ACTOR, -1, -1, "original", sha):
        fail("edit record %s (file %s)" % (rows[0], sha))
    if abs(x - drawn[0]) > 3 or abs(y - drawn[1]) > 3 or abs(x + w - drawn[2]) > 3 or \
            abs(y + h - drawn[3]) > 3:
        fail("edit region %s, drawn %s" % ((x, y, w, h), drawn))
    audit = db.execute("SELECT actor, action, details FROM audit ORDER BY id DESC LIMIT 1") \
        .fetchone()
    if audit[0] != ACTOR or audit[1] != "review.redact" or '"source": "original"' not in audit[2]:
        fail("audit row %s" % (audit,))
    runs = run(["runs", "list"], env)
    if "1 by hand" not in runs:
        fail("runs list does not show the change:\n" + runs)
    print("run record, audit row and runs list: ok")


def check_english(env, out_dir):
    p, url = start_review(env, out_dir)
    try:
        page = urllib.request.urlopen(url, timeout=30).read().decode()
        if '"Redact this region"' not in page or '<html lang="en"' not in page:
            fail("the page is not in English under LC_ALL=C")
    finally:
        p.send_signal(signal.SIGTERM)
        if p.wait(10) != 0:
            fail("review did not stop cleanly on SIGTERM")


def main():
    tmp = tempfile.mkdtemp(prefix="cb-review-browser-")
    env, kept_box, redacted = setup(tmp)
    out_dir = os.path.join(tmp, "out")
    out_path = os.path.join(out_dir, "two_people.jpg")
    before = pixels(out_path)
    nl = dict(env, LANGUAGE="nl", LC_ALL="nl_NL.UTF-8")
    server, url = start_review(nl, out_dir)
    browser = Browser()
    try:
        browser.cmd("POST", "/url", {"url": url})
        thumb = browser.wait("return document.querySelector("
                             "'.thumb[data-name=\"two_people.jpg\"]')", "the thumbnail")
        browser.cmd("POST", "/element/%s/click" % list(thumb.values())[0], {})
        width = browser.wait("const i=document.getElementById('big');"
                             "return i.complete && i.naturalWidth", "the large view")
        drawn = drag_over(browser, kept_box, width)
        if browser.script("return document.getElementById('confirm').textContent") != \
                DUTCH_CONFIRM:
            fail("no Dutch confirm button after the drag")
        browser.cmd("POST", "/element/%s/click" % browser.find("#confirm"), {})
        state = browser.wait("const s=document.getElementById('status').dataset.state;"
                             "return s==='done'||s==='failed' ? s : null", "the redaction")
        if state != "done":
            fail("redaction failed: " + browser.script(
                "return document.getElementById('status').textContent"))
    finally:
        browser.quit()
        server.send_signal(signal.SIGTERM)
        code = server.wait(10)
    if code != 0:
        fail("review exited with %d on SIGTERM" % code)
    after = pixels(out_path)
    height = len(before) // (3 * width)
    boxes = redacted + [[drawn[0], drawn[1], drawn[2] - drawn[0], drawn[3] - drawn[1]]]
    check_pixels(before, after, width, height, drawn, boxes)
    check_records(env, tmp, out_path, drawn)
    check_english(env, out_dir)
    shutil.rmtree(tmp)
    print("ok")


if __name__ == "__main__":
    main()
