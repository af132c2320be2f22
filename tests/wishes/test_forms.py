"""Form details a browser depends on."""

from datetime import date

from django.utils import translation

from wishes.forms.staff import VerifyForm


def test_date_pickers_get_iso_dates_in_every_language():
    # A browser's <input type=date> shows nothing unless the value is YYYY-MM-DD; the
    # Chinese locale's own format (2026/11/22) once left the visit date empty.
    for language in ("zh-hans", "en"):
        with translation.override(language):
            html = str(VerifyForm(initial={"visited_on": date(2026, 11, 22)})["visited_on"])
        assert 'type="date"' in html and 'value="2026-11-22"' in html, (language, html)
