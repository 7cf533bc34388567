#!/usr/bin/env python3
"""Independent check of an SVG chart written by hopsim (used by tests/planner/svg_test.cpp).

Parses the file with Python's XML parser (so it must be well-formed XML with correct escaping),
then checks the geometry: the root is an <svg> with a viewBox "0 0 W H" equal to its width and
height, no rect has a negative width or height, every rect, line and text anchor lies inside
the viewBox, and no two texts overlap. A text's box is estimated from its font size (its own
font-size, else the root's, else 12): 0.6 em per character wide, from 0.8 em above the baseline
to 0.2 em below, placed by text-anchor; boxes may touch but not overlap by more than 1 px in
both directions. On success prints "ok", then one line per element in document order:
  text <content>            (the parsed, unescaped text)
  rect <x> <y> <width> <height> <fill>
Exit status 1 with "error: ..." lines otherwise.
"""
import sys
import xml.etree.ElementTree as ET

NS = "{http://www.w3.org/2000/svg}"
EPS = 0.05  # coordinates are written with one decimal


def main(path):
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as e:
        print(f"error: not well-formed XML: {e}")
        return 1
    problems = []
    if root.tag != NS + "svg":
        print(f"error: root element is {root.tag}, not an SVG <svg>")
        return 1
    vb = [float(v) for v in root.get("viewBox", "").split()]
    if len(vb) != 4 or vb[0] != 0 or vb[1] != 0 or vb[2] <= 0 or vb[3] <= 0:
        print(f"error: viewBox {root.get('viewBox')!r} is not '0 0 W H' with W, H > 0")
        return 1
    w, h = vb[2], vb[3]
    if float(root.get("width", "nan")) != w or float(root.get("height", "nan")) != h:
        problems.append("width/height differ from the viewBox")

    def inside(x, y):
        return -EPS <= x <= w + EPS and -EPS <= y <= h + EPS

    out = []
    boxes = []
    root_fs = float(root.get("font-size", "12"))
    for el in root.iter():
        tag = el.tag[len(NS):] if el.tag.startswith(NS) else el.tag
        if tag == "rect":
            x, y = float(el.get("x")), float(el.get("y"))
            rw, rh = float(el.get("width")), float(el.get("height"))
            if rw < 0 or rh < 0:
                problems.append(f"rect with negative size {rw} x {rh}")
            if not (inside(x, y) and inside(x + rw, y + rh)):
                problems.append(f"rect {x},{y} {rw}x{rh} outside the viewBox {w}x{h}")
            out.append(f"rect {x} {y} {rw} {rh} {el.get('fill')}")
        elif tag == "line":
            for a, b in (("x1", "y1"), ("x2", "y2")):
                if not inside(float(el.get(a)), float(el.get(b))):
                    problems.append(f"line end {el.get(a)},{el.get(b)} outside the viewBox")
        elif tag == "text":
            if not inside(float(el.get("x")), float(el.get("y"))):
                problems.append(f"text at {el.get('x')},{el.get('y')} outside the viewBox")
            content = "".join(el.itertext())
            out.append("text " + content)
            fs = float(el.get("font-size", root_fs))
            tw = 0.6 * fs * len(content)
            x = float(el.get("x"))
            anchor = el.get("text-anchor", "start")
            x0 = x - tw if anchor == "end" else x - tw / 2 if anchor == "middle" else x
            y = float(el.get("y"))
            # The whole estimated text, not just its anchor: a long label anchored at its end
            # must not run off the left edge, where a browser cuts it.
            if x0 < -EPS or x0 + tw > w + EPS:
                problems.append(f"text {content!r} spans x {x0:.1f}..{x0 + tw:.1f}, outside 0..{w}")
            boxes.append((x0, y - 0.8 * fs, x0 + tw, y + 0.2 * fs, content))
    for i in range(len(boxes)):
        for j in range(i + 1, len(boxes)):
            a, b = boxes[i], boxes[j]
            dx = min(a[2], b[2]) - max(a[0], b[0])
            dy = min(a[3], b[3]) - max(a[1], b[1])
            if dx > 1 and dy > 1:
                problems.append(f"texts overlap: {a[4]!r} and {b[4]!r}")
    if problems:
        for p in problems:
            print("error: " + p)
        return 1
    print("ok")
    for line in out:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
