"""Screenshots of the web app for the README: today, week and the productivity dashboard at
desktop (1280 px) and phone (375 px) width, written to docs/screenshots/.

    bash scripts/build_assets.sh && .venv/bin/python scripts/screenshots.py

It starts a real ``timeboxd serve`` on a fresh data directory, fills it with ``timeboxd
demo`` (a student's term), starts the demo user's timer on the day's first block, logs in
as the demo user in Debian's Chromium (``apt-get install chromium``) and saves each page
whole. When ``pngquant`` is installed (``apt-get install pngquant``) the PNGs are reduced to
a 256-colour palette, which keeps them small enough for git.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx
from playwright.sync_api import Page, expect, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.servers import python_env, serving  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
WIDTHS = {"desktop": 1280, "phone": 375}
CHARTS_DRAWN = (
    "() => window.Chart && ['days', 'weekdays', 'hours']"
    ".every(n => window.Chart.getChart('chart-' + n) !== undefined)"
)
PAGES = {
    "today": ("/", "Add a block"),
    "week": ("/week", None),
    "dashboard": ("/dashboard/productivity", "Projects"),
}
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-domain-reliability",
    "--no-first-run",
    "--metrics-recording-only",
    "--hide-scrollbars",
]


def cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "timeboxd.cli", *args],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout


def demo(env: dict[str, str]) -> tuple[str, str, str]:
    """The demo user's email, web password and API key."""
    out = cli(env, "demo")
    found = re.search(r"web login: email (\S+), password (\S+)", out)
    if found is None:
        raise SystemExit(f"timeboxd demo did not print a web login:\n{out}")
    return found.group(1), found.group(2), out.strip().splitlines()[-1]


def start_timer(base: str, key: str) -> None:
    """The timer runs on the day's first block, so the today page shows it."""
    api = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"})
    day = api.get("/v1/agenda").json()["data"]
    first = day["blocks"][0] if day["blocks"] else None
    body = {"description": first["topic"], "project_id": first["project_id"]} if first else {}
    response = api.post("/v1/timer/start", json=body)
    if response.status_code != 201:
        raise SystemExit(f"could not start the timer: {response.text}")


def shoot(page: Page, base: str, name: str, width: str) -> Path:
    path, heading = PAGES[name]
    page.set_viewport_size({"width": WIDTHS[width], "height": 800})
    page.goto(base + path)
    if heading:
        expect(page.get_by_role("heading", name=heading)).to_be_visible()
    if name == "dashboard":
        page.wait_for_function(CHARTS_DRAWN)
    out = OUT / f"{name}-{width}.png"
    page.screenshot(path=str(out), full_page=True, animations="disabled", caret="hide")
    return out


def shrink(path: Path) -> None:
    if shutil.which("pngquant") is None:
        return
    subprocess.run(
        ["pngquant", "--force", "--skip-if-larger", "--strip", "--quality=70-95",
         "--output", str(path), "256", str(path)],
        check=False,
    )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--timezone", default="Europe/Berlin")
    args = parser.parse_args()
    chromium = shutil.which("chromium")
    if chromium is None:
        raise SystemExit("chromium is not installed (apt-get install chromium)")
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="timeboxd-shots.") as data:
        env = python_env(
            {
                **os.environ,
                "TIMEBOXD_DATA_DIR": data,
                "TIMEBOXD_LOG_LEVEL": "warning",
                "TIMEBOXD_DEFAULT_TIMEZONE": args.timezone,
            }
        )
        cli(env, "db", "upgrade")
        email, password, key = demo(env)
        with serving(env, workers=1, log=Path(data) / "server.log") as served:
            base = served.base_url
            start_timer(base, key)
            with sync_playwright() as p:
                browser = p.chromium.launch(
                    executable_path=chromium, headless=True, args=CHROMIUM_FLAGS
                )
                context = browser.new_context(
                    locale="en-GB", timezone_id=args.timezone, color_scheme="light"
                )
                page = context.new_page()
                page.goto(f"{base}/login")
                page.get_by_label("Email").fill(email)
                page.get_by_label("Password").fill(password)
                page.get_by_role("button", name="Log in").click()
                expect(page.get_by_role("button", name="Log out")).to_be_visible()
                for name in PAGES:
                    for width in WIDTHS:
                        out = shoot(page, base, name, width)
                        shrink(out)
                        print(f"{out.relative_to(ROOT)}: {out.stat().st_size // 1024} KB")
                browser.close()


if __name__ == "__main__":
    main()
