"""What the browser tests share: Chromium, a served app, axe-core and the layout checks.

axe-core is the copy kept beside these tests (axe/axe.min.js, see axe/README.md), evaluated in
the page by Playwright: no page loads it and nothing comes from elsewhere. Playwright's own
evaluation is not subject to the pages' Content-Security-Policy, which forbids every script.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from starlette.types import ASGIApp

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="needs Debian's chromium at /usr/bin/chromium (apt-get install -y chromium)",
)

AXE_VERSION = "4.14.1"
AXE_SOURCE = Path(__file__).parent / "axe" / "axe.min.js"
# WCAG 2.0, 2.1 and 2.2 at levels A and AA: what public sector websites must meet.
WCAG_AA_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]

# The widths every page must read at: a laptop and a phone.
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def output_folder(base: Path, *parts: str) -> Path:
    """Where screenshots go: IMPROVEFLOW_TEST_OUTPUT, else `base` (pytest's temporary folder)."""
    given = os.environ.get("IMPROVEFLOW_TEST_OUTPUT")
    folder = (Path(given) if given else base / "test-output").joinpath("screenshots", *parts)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@contextmanager
def launched_chromium() -> Iterator[Any]:
    """Debian's Chromium through Playwright, closed afterwards."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="needs the playwright package")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def serving(app: ASGIApp, port: int) -> Iterator[str]:
    """`app` under uvicorn on a loopback port, in a thread; yields its base address."""
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", lifespan="off", server_header=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert time.monotonic() < deadline, "the web server did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)


# A run that has not finished in a minute is reported, rather than left to wait for ever.
_RUN_AXE = """async (tags) => {
  const late = new Promise((_, fail) => setTimeout(
    () => fail(new Error("axe-core did not finish in 60 s")), 60000));
  const results = await Promise.race([late, axe.run(document, {
    runOnly: {type: "tag", values: tags},
    resultTypes: ["violations"],
  })]);
  return results.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    nodes: v.nodes.map((n) => ({target: n.target.join(" "), summary: n.failureSummary})),
  }));
}"""


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.2 A and AA violations on the page as it is now."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SOURCE.read_text(encoding="utf-8"))
    found: list[dict[str, Any]] = page.evaluate(_RUN_AXE, WCAG_AA_TAGS)
    return found


def describe_violations(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"][:5]:
            lines.append(f"    {node['target']}: {node['summary']}".replace("\n", " "))
    return "\n".join(lines)


# Every element that reaches past the right edge of the screen, and every box that hides part
# of what it holds behind a scroll bar or a clip: a cut column shows up as one or the other.
_LAYOUT = """() => {
  const width = document.documentElement.clientWidth;
  const problems = [];
  if (document.documentElement.scrollWidth > width) {
    const wide = document.documentElement.scrollWidth;
    problems.push(`the page is ${wide}px wide, the screen ${width}px`);
  }
  const hidden = (el) => {
    for (let at = el; at; at = at.parentElement) {
      const style = getComputedStyle(at);
      if (style.display === "none" || style.visibility === "hidden") return true;
      if (at.classList.contains("skip-link")) return true;
      // Hidden for the eye, kept for screen readers: the visually-hidden technique clips it.
      if (style.clipPath === "inset(50%)" || style.clip === "rect(0px, 0px, 0px, 0px)") return true;
    }
    return false;
  };
  const classes = (el) => typeof el.className === "string" && el.className.trim()
    ? "." + el.className.trim().split(/\\s+/).join(".") : "";
  const name = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + classes(el) +
    ` "${(el.textContent || "").trim().slice(0, 40)}"`;
  for (const el of document.body.querySelectorAll("*")) {
    if (hidden(el)) continue;
    const box = el.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;
    if (box.right > width + 1) {
      problems.push(`${name(el)} reaches ${Math.round(box.right)}px`);
      continue;
    }
    const style = getComputedStyle(el);
    if (style.overflowX !== "visible" && el.scrollWidth > el.clientWidth + 1) {
      problems.push(`${name(el)} hides ${el.scrollWidth - el.clientWidth}px of what it holds`);
    }
  }
  return problems.slice(0, 10);
}"""


def layout_problems(page: Any) -> list[str]:
    """Anything wider than the screen or cut off by its box, as sentences; [] when it all fits."""
    found: list[str] = page.evaluate(_LAYOUT)
    return found
