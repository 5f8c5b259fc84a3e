"""summary.html in headless Chromium: the table sorts by a clicked column, blanks last, plots present."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.batch.plots import cohort_plots
from service.batch.summary import summary_row, write_summary_html

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed"),
]


def _report(index, explore):
    return {"duration": 60.0, "index": index, "partial": False,
            "subscores": {"explore": {"score": explore}, "make_space": {"score": 50.0}},
            "miti": {"questions": 3}, "timing": {"talk_share_helper": 0.5, "options": {"guard": 0.3}}, "turns": [{}]}


def test_summary_table_sorts_by_clicked_column(tmp_path):
    from playwright.sync_api import sync_playwright

    rows = [
        summary_row("a/1.wav", trainee="Ann", status="done", report=_report(71.0, 80.0), report_link="a/1.wav/report.html"),
        summary_row("b/1.wav", trainee="Ben", status="done", report=_report(9.5, 20.0), report_link="b/1.wav/report.html"),
        summary_row("b/2.wav", trainee="Ben", status="failed", error_kind="corrupt_audio", reason="truncated"),
        summary_row("c/1.wav", trainee="Cy", status="done", report=_report(100.0, 60.0), report_link="c/1.wav/report.html"),
    ]
    page_path = tmp_path / "summary.html"
    write_summary_html(page_path, rows, counts="3 of 4 done: 3 now; 1 failed.", plots=cohort_plots(rows))
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                    args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page()
            page.goto(page_path.as_uri())
            assert page.locator("figure svg").count() == 3  # index, sub-score heat map, talk share
            headers = page.locator("table.sortable thead th").all_inner_texts()
            col = headers.index("Listening score (0-100)")

            def column(i):
                return page.locator(f"table.sortable tbody tr td:nth-child({i + 1})").all_inner_texts()

            page.locator("table.sortable thead th").nth(col).click()
            assert column(col) == ["9.5", "71.0", "100.0", ""]  # numeric, not text order; blank last
            page.locator("table.sortable thead th").nth(col).click()
            assert column(col) == ["100.0", "71.0", "9.5", ""]
            trainee = headers.index("Trainee")
            assert "Helper talk share (%)" in headers and not any("." in h for h in headers)
            page.locator("table.sortable thead th").nth(trainee).click()
            assert column(trainee) == ["Ann", "Ben", "Ben", "Cy"]
            link = page.locator("a", has_text="c/1.wav")
            assert link.get_attribute("href") == "c/1.wav/report.html"
        finally:
            browser.close()
