#!/usr/bin/env python3
"""Independent check of an SVG chart written by hopsim (used by tests/planner/svg_test.cpp).

Parses the file with Python's XML parser (so it must be well-formed XML with correct escaping),
then checks the geometry: the root is an <svg> with a viewBox "0 0 W H" equal to its width and
height, no rect has a negative width or height, and every rect, line and text anchor lies inside
the viewBox. On success prints "ok", then one line per element in document order:
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
            out.append("text " + "".join(el.itertext()))
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
