#!/usr/bin/env python3
"""Cuts this recording's templates from the real simulated ERP, at scales 1.0, 1.25 and 1.5.

    scripts/with-xvfb.sh -- recordings/erp-closeout/cut-templates.py [BUILD_DIR]

Starts dockhand-sim-erp at each scale (no window manager, window at 40,30), walks it like a user (xdotool), and
saves each template with `dockhand-agent capture --region`: NAME.png at 1.0, NAME@1.25.png and NAME@1.5.png
(the runner prefers a template cut at the program's scale over a resized one). Regions are given at scale 1.0,
relative to the ERP's main window (or to a modal); the ERP places everything at round(base * scale).
Rerun it whenever the ERP's look changes (tests/apps/README.md is the UI contract).
"""
import json
import math
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BUILD = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build")
ERP = os.path.join(BUILD, "tests/apps/erp/dockhand-sim-erp")
AGENT = os.path.join(BUILD, "agent/dockhand-agent")
OUT = os.path.join(HERE, "templates")
ORIGIN = (40, 30)

# name: (x, y, w, h) at scale 1.0, relative to the main window: the label or button text with a little of
# its background (value-field labels keep their 28 px row, so right_of regions line up with the field).
# Buttons are cut 5 px inside their edges: a focused button draws a dotted rectangle there.
MAIN = {
    "login": {"menu": (3, 3, 244, 22), "login": (405, 325, 110, 22), "user-label": (300, 220, 90, 28),
              "password-label": (290, 264, 100, 28)},
    "home": {"home-pretender": (558, 262, 116, 28)},
    "pretender": {"po-number": (20, 80, 90, 28), "search": (300, 85, 80, 18), "po-label": (680, 155, 40, 28),
                  "status-label": (640, 195, 80, 28), "reference-label": (630, 315, 90, 28),
                  "finalize": (735, 370, 180, 24)},
}


def sc(v, s):
    return int(math.floor(v * s + 0.5))


def state(path):
    for _ in range(50):
        try:
            with open(path) as f:
                return json.load(f)
        except (OSError, ValueError):
            time.sleep(0.05)
    raise RuntimeError("no state file " + path)


def wait(path, pred, what):
    for _ in range(200):
        s = state(path)
        if pred(s):
            time.sleep(0.3)  # drawn
            return s
        time.sleep(0.05)
    raise RuntimeError("timed out waiting for " + what)


def cut(name, x, y, w, h, scale):
    suffix = "" if scale == 1.0 else "@%g" % scale
    out = os.path.join(OUT, name + suffix + ".png")
    subprocess.run([AGENT, "capture", "--region", "%d,%d,%d,%d" % (x, y, w, h), "-o", out], check=True,
                   stdout=subprocess.DEVNULL)
    print(out, w, "x", h)


def cut_main(screen, scale):
    for name, (x, y, w, h) in MAIN[screen].items():
        cut(name, ORIGIN[0] + sc(x, scale), ORIGIN[1] + sc(y, scale), sc(w, scale), sc(h, scale), scale)


def click_layout(s, name):
    x, y, w, h = s["layout"][name]
    subprocess.run(["xdotool", "mousemove", str(ORIGIN[0] + x + w // 2), str(ORIGIN[1] + y + h // 2), "click", "1"],
                   check=True)


def cut_button(s, title, label, name, scale, click=True):
    geo = subprocess.run(["xdotool", "search", "--name", "^%s$" % title, "getwindowgeometry", "--shell"],
                         check=True, capture_output=True, text=True).stdout
    vals = dict(line.split("=", 1) for line in geo.split() if "=" in line)
    dx, dy = int(vals["X"]), int(vals["Y"])
    for b in s["modal"]["buttons"]:
        if b["label"] == label:
            x, y, w, h = b["rect"]
            inset = sc(5, scale)  # inside the dotted focus rectangle a focused button draws
            cut(name, dx + x + inset, dy + y + inset, w - 2 * inset, h - 2 * inset, scale)
            if not click:
                return
            subprocess.run(["xdotool", "mousemove", str(dx + x + w // 2), str(dy + y + h // 2), "click", "1"],
                           check=True)
            return
    raise RuntimeError("no button " + label)


def main():
    os.makedirs(OUT, exist_ok=True)
    for scale in (1.0, 1.25, 1.5):
        tmp = tempfile.mkdtemp()
        st = os.path.join(tmp, "erp.json")
        erp = subprocess.Popen([ERP, "--state", st, "--scale", str(scale), "--position", "%d,%d" % ORIGIN,
                                "--seed", "1"], stderr=subprocess.DEVNULL)
        try:
            s = wait(st, lambda s: s.get("screen") == "login" and s.get("events"), "login screen")
            cut_main("login", scale)
            click_layout(s, "user")
            subprocess.run(["xdotool", "type", "dockhand"], check=True)
            click_layout(s, "password")
            subprocess.run(["xdotool", "type", "dockhand"], check=True)
            subprocess.run(["xdotool", "key", "Return"], check=True)
            s = wait(st, lambda s: s.get("screen") == "home", "home screen")
            cut_main("home", scale)
            click_layout(s, "home_pretender")
            s = wait(st, lambda s: s.get("screen") == "pretender", "pre-tender screen")
            subprocess.run(["xdotool", "type", "2K4GH7QZ"], check=True)
            subprocess.run(["xdotool", "key", "Return"], check=True)
            s = wait(st, lambda s: s.get("detail") and s["detail"]["po"] == "2K4GH7QZ", "PO details")
            cut_main("pretender", scale)
            click_layout(s, "finalize")
            s = wait(st, lambda s: s.get("modal") and s["modal"]["title"] == "Confirm", "Confirm")
            cut_button(s, "Confirm", "No", "no", scale, click=False)
            cut_button(s, "Confirm", "Yes", "yes", scale)
            s = wait(st, lambda s: s.get("modal") and s["modal"]["title"] == "Information", "Information")
            cut_button(s, "Information", "OK", "ok", scale)
        finally:
            erp.terminate()
            erp.wait()


if __name__ == "__main__":
    main()
