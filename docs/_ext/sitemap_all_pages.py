"""Keep every page in sitemap.xml on incremental builds.

sphinx-sitemap collects a page's link when the page is written (``html-page-context``), so
a rebuild that rewrites only the changed pages produces a sitemap holding only those. Before
sphinx-sitemap writes the file, this adds the link of every source page it did not collect.
"""

from __future__ import annotations

import queue
from typing import Any

from sphinx.application import Sphinx
from sphinx_sitemap import is_excluded


def _add_unwritten_pages(app: Sphinx, exception: Exception | None) -> None:
    links = getattr(app.env.app, "sitemap_links", None)
    if exception is not None or links is None or app.builder.format != "html":
        return
    collected: dict[str, Any] = {}
    while True:
        try:
            link, last_updated = links.get_nowait()
        except queue.Empty:
            break
        collected[link] = last_updated
    suffix = app.config.html_file_suffix or ".html"
    for docname in sorted(app.env.found_docs):
        link = docname + suffix
        if link not in collected and not is_excluded(link, app.config.sitemap_excludes):
            collected[link] = None
    for link, last_updated in collected.items():
        links.put((link, last_updated))


def setup(app: Sphinx) -> dict[str, Any]:
    app.setup_extension("sphinx_sitemap")
    # sphinx-sitemap writes the file in its build-finished handler (default priority 500).
    app.connect("build-finished", _add_unwritten_pages, priority=400)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
