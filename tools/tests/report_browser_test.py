#!/usr/bin/python3
"""`trnsim report` pages in a real browser: headless Chromium (Debian's `chromium`) loads the report of a
timed run (exact and aggregated timeline), a multi-rank run, a functional run and a sweep, with no error
thrown or logged, and every chart drawn: the page's JS marks each chart with data-rendered="N ..." once drawn
and writes any error into #report-errors (checked in the DOM Chromium dumps), Chromium's own log is scanned
for console messages and uncaught errors, and a screenshot must show the timeline in several colours.

usage: report_browser_test.py TRNSIM_EXE     (run by CTest as report_browser; needs chromium on PATH)
"""
import html.parser
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import zlib

CHROMIUM_TIMEOUT_S = 60
WINDOW = (1400, 1800)


def run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=300, **kw)
    if r.returncode != 0:
        raise AssertionError("%s failed (%d):\n%s\n%s" % (" ".join(cmd), r.returncode, r.stdout, r.stderr))
    return r.stdout


class Elements(html.parser.HTMLParser):
    """Each element's attributes by id, and the text of #report-errors and #timeline-range."""

    def __init__(self):
        super().__init__()
        self.by_id = {}
        self.text = {"report-errors": "", "timeline-range": ""}
        self._in = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        a["tag"] = tag
        if "id" in a:
            self.by_id[a["id"]] = a
        self._in = a.get("id") if a.get("id") in self.text else None

    def handle_endtag(self, tag):
        self._in = None

    def handle_data(self, data):
        if self._in:
            self.text[self._in] += data


def chromium(args, page, workdir, fragment=""):
    """Runs headless Chromium on `page` (and #fragment) with a fresh profile; returns (stdout, stderr)."""
    profile = tempfile.mkdtemp(prefix="profile_", dir=workdir)
    cmd = ["chromium", "--headless=new", "--no-sandbox", "--disable-gpu", "--user-data-dir=" + profile,
           "--no-first-run", "--enable-logging=stderr", "--v=0", "--window-size=%d,%d" % WINDOW] + args
    env = dict(os.environ, HOME=workdir)  # root needs --no-sandbox; nothing is written to the real $HOME
    r = subprocess.run(cmd + ["file://" + page + fragment], capture_output=True, text=True, timeout=CHROMIUM_TIMEOUT_S,
                       env=env)
    shutil.rmtree(profile, ignore_errors=True)
    if r.returncode != 0:
        raise AssertionError("chromium exited %d on %s:\n%s" % (r.returncode, page, r.stderr[-3000:]))
    return r.stdout, r.stderr


def console_problems(stderr):
    """Console messages (the page logs none) and uncaught errors in Chromium's log."""
    return [l for l in stderr.splitlines() if ":CONSOLE(" in l or "Uncaught" in l]


def png_pixels(path):
    """Decodes an 8-bit RGB or RGBA, non-interlaced PNG (what Chromium's screenshots are) with zlib only:
    returns (width, height, channels, rows as bytes)."""
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, colour_type, _, _, interlace = header
    assert depth == 8 and colour_type in (2, 6) and interlace == 0, "unexpected PNG format %s" % (header,)
    channels = 3 if colour_type == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * channels
    rows, previous = [], bytearray(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        if kind == 1:  # Sub
            for i in range(channels, stride):
                line[i] = (line[i] + line[i - channels]) & 0xFF
        elif kind == 2:  # Up
            line = bytearray((a + b) & 0xFF for a, b in zip(line, previous))
        elif kind == 3:  # Average
            for i in range(stride):
                left = line[i - channels] if i >= channels else 0
                line[i] = (line[i] + ((left + previous[i]) >> 1)) & 0xFF
        elif kind == 4:  # Paeth
            for i in range(stride):
                a = line[i - channels] if i >= channels else 0
                b = previous[i]
                c = previous[i - channels] if i >= channels else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        rows.append(bytes(line))
        previous = line
    return width, height, channels, rows


def colours_in(png, box):
    """The distinct colours inside box (x, y, w, h), clipped to the image."""
    width, height, channels, rows = png
    x, y, w, h = box
    seen = set()
    for yy in range(max(0, y), min(height, y + h)):
        row = rows[yy]
        for xx in range(max(0, x), min(width, x + w)):
            seen.add(row[xx * channels:xx * channels + 3])
    return seen


def check_page(name, page, workdir, rendered_ids, absent_ids=(), timeline=True, empty_ok=()):
    t0 = time.time()
    dom, err = chromium(["--dump-dom"], page, workdir)
    problems = console_problems(err)
    assert not problems, "%s: console messages or uncaught errors:\n%s" % (name, "\n".join(problems))
    e = Elements()
    e.feed(dom)
    assert "report-errors" in e.by_id, "%s: no #report-errors element (did the page load?)" % name
    assert e.text["report-errors"].strip() == "", "%s: the page reported errors:\n%s" % (name, e.text["report-errors"])
    for id_ in rendered_ids:
        a = e.by_id.get(id_)
        assert a is not None, "%s: no #%s in the DOM" % (name, id_)
        r = a.get("data-rendered", "")
        m = re.match(r"(\d+) ", r)
        assert m and (int(m.group(1)) > 0 or id_ in empty_ok), "%s: #%s was not drawn (data-rendered=%r)" % (name, id_, r)
    for id_ in absent_ids:
        assert id_ not in e.by_id, "%s: #%s should not be there" % (name, id_)
    shot = os.path.join(workdir, name + ".png")
    _, err = chromium(["--screenshot=" + shot], page, workdir)
    problems = console_problems(err)
    assert not problems, "%s: console messages or uncaught errors:\n%s" % (name, "\n".join(problems))
    png = png_pixels(shot)
    assert (png[0], png[1]) == WINDOW, "%s: screenshot is %dx%d" % (name, png[0], png[1])
    everywhere = colours_in(png, (0, 0, png[0], png[1]))
    assert len(everywhere) > 50, "%s: the screenshot is nearly blank (%d colours)" % (name, len(everywhere))
    if timeline:
        box = [int(v) for v in e.by_id["timeline-canvas"]["data-rect"].split(",")]
        # The plot right of the row labels: the opcodes' colours, beyond background, grid and text.
        plot = (box[0] + 210, box[1] + 24, box[2] - 220, min(box[3] - 24, WINDOW[1] - box[1] - 24))
        found = colours_in(png, plot)
        assert len(found) >= 8, "%s: the timeline shows %d colours in %s" % (name, len(found), plot)
    print("ok   %-12s %s (%.1f s)" % (name, ", ".join("%s=%s" % (i, e.by_id[i].get("data-rendered")) for i in rendered_ids),
                                     time.time() - t0))


def check_zoomed(name, page, workdir, fragment, expected_range):
    """The timeline opened zoomed in (report.html#view=START,END): drawn, showing that range."""
    dom, err = chromium(["--dump-dom"], page, workdir, fragment)
    problems = console_problems(err)
    assert not problems, "%s: console messages or uncaught errors:\n%s" % (name, "\n".join(problems))
    e = Elements()
    e.feed(dom)
    assert e.text["report-errors"].strip() == "", "%s: the page reported errors:\n%s" % (name, e.text["report-errors"])
    assert e.text["timeline-range"].startswith(expected_range), "%s: shows %r" % (name, e.text["timeline-range"])
    r = e.by_id["timeline-canvas"].get("data-rendered", "")
    assert re.search(r", [1-9][0-9]* marks$", r), "%s: nothing drawn zoomed in (%r)" % (name, r)
    print("ok   %-12s %s: %s" % (name, e.text["timeline-range"], r))


def main():
    exe = os.path.abspath(sys.argv[1])
    if shutil.which("chromium") is None:
        raise SystemExit("chromium is not installed (tools/install_deps.sh installs it)")
    workdir = tempfile.mkdtemp(prefix="trnsim_report_browser_")
    try:
        def write(name, obj):
            path = os.path.join(workdir, name)
            with open(path, "w") as f:
                json.dump(obj, f)
            return path

        attention = {"kernel": "attention_cte", "params": {"seqlen_q": 1024, "seqlen_kv": 1024, "d": 128,
                                                           "causal": True}, "mode": "both"}
        timed = os.path.join(workdir, "timed")
        run([exe, "run", write("timed.json", attention), "--out", timed])
        run([exe, "report", timed])
        run_charts = ["summary", "numerics", "timeline-canvas", "timeline-legend", "busy-chart", "roofline-chart",
                      "opcode-chart"]
        check_page("timed", os.path.join(timed, "report.html"), workdir, run_charts)
        # The same run past a small slice budget: the bucket rows' drawing.
        run([exe, "report", timed, "--slice-budget", "200", "--out", os.path.join(workdir, "aggregated.html")])
        check_page("aggregated", os.path.join(workdir, "aggregated.html"), workdir, run_charts)
        # Zoomed in on both pages: exact slices found from the middle of the run, buckets wider than a pixel.
        for page in ("timed/report.html", "aggregated.html"):
            check_zoomed("zoomed", os.path.join(workdir, page), workdir, "#view=10000,12000",
                         "showing 10 us \u2013 12 us of ")

        ranks = os.path.join(workdir, "ranks")
        run([exe, "run", write("ranks.json", {"kernel": "collective", "params": {"kind": "all_gather",
                                                                                  "bytes": 262144, "ranks": 4}}),
             "--out", ranks])
        run([exe, "report", ranks])
        check_page("ranks", os.path.join(ranks, "report.html"), workdir,
                   run_charts + ["rank-chart", "rank-end-chart", "collectives"],
                   empty_ok=["roofline-chart"])  # a collective does no FLOPs: the roofs, and no point

        functional = os.path.join(workdir, "functional")
        run([exe, "run", write("functional.json", dict(attention, mode="functional")), "--out", functional])
        run([exe, "report", functional])
        check_page("functional", os.path.join(functional, "report.html"), workdir, ["summary", "numerics"],
                   absent_ids=["timeline-canvas", "roofline-chart"], timeline=False)

        sweep = os.path.join(workdir, "sweep")
        spec = {"base": {"kernel": "attention_cte", "params": {"seqlen_q": 128, "seqlen_kv": 128, "d": 64},
                         "mode": "timing", "trace": {"perfetto": False}},
                "product": {"params.seqlen_q": [128, 256, 512], "params.causal": [True, False]}}
        run([exe, "sweep", write("sweep.json", spec), "--out", sweep, "-j", "2"])
        run([exe, "report", sweep])
        check_page("sweep", os.path.join(sweep, "report.html"), workdir,
                   ["sweep-verdicts", "sweep-total-chart", "sweep-mfu-chart", "sweep-points"], timeline=False)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print("all report pages load without errors and draw every chart")


if __name__ == "__main__":
    main()
