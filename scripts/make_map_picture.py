"""Write docs/img/map.png, the README's picture: a built map.html at 1440x900 in headless Chromium.

    .venv/bin/coverage-map build --out /tmp/docs-out
    .venv/bin/python scripts/make_map_picture.py /tmp/docs-out/map.html

Needs Playwright (the test extras) and Debian's Chromium (/usr/bin/chromium). The PNG is
reduced to a palette with Pillow so that the repository stays small (under 300 KB).
"""

from __future__ import annotations

import argparse
import io
from pathlib import Path

from PIL import Image
from playwright.sync_api import sync_playwright

REPO = Path(__file__).resolve().parents[1]
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-sync"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("map", type=Path, help="a map.html written by coverage-map build")
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "img" / "map.png")
    parser.add_argument("--colours", type=int, default=128, help="palette size of the PNG")
    args = parser.parse_args()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        page.goto(args.map.resolve().as_uri())
        page.wait_for_load_state("networkidle")
        page.wait_for_timeout(500)  # Leaflet's fade-in of the layers
        shot = page.screenshot()
        browser.close()
    image = Image.open(io.BytesIO(shot)).convert("RGB").quantize(colors=args.colours, dither=Image.Dither.NONE)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    image.save(args.out, optimize=True)
    print(f"{args.out}: {args.out.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
