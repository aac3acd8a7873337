"""The HTML a published page shows for a notebook's Markdown output (`display(Markdown(...))`,
an object's `_repr_markdown_`): Markdown read as nbconvert reads it, links, emphasis, tables
and math as before, but raw HTML in it shown as written, never as a tag, and a link or an
image to an address that is not http(s), mailto, tel, ftp, irc or a relative one (a
`javascript:`, `vbscript:`, `data:` other than an image's) pointing nowhere (`#harmful-link`;
mistune 3.4's policy: an older mistune blocks `javascript:`, `vbscript:` and `data:` only).

nbconvert passes both straight into the page: a helper that writes CRM text into Markdown
without `smk.presentation.markdown_text` (or an analyst's notebook doing so) would run script
in the page. The notebook's own Markdown cells are its narrative, written by us or the analyst,
and keep nbconvert's rendering (`smk.report.render_html`).
"""

from __future__ import annotations

import html

from mistune import HTMLRenderer
from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath


class _OutputRenderer(IPythonRenderer):
    """nbconvert's renderer with raw HTML shown as written and unsafe addresses made inert;
    text and its entities (`&lt;` from `markdown_text`) as nbconvert writes them."""

    def __init__(self) -> None:
        # None: mistune's own policy, the safe protocols only (True, nbconvert's: any)
        super().__init__(escape=False, allow_harmful_protocols=None)

    def inline_html(self, html_text: str) -> str:
        """An inline tag (`<img ...>`, `<br>`) as its text."""
        return html.escape(html_text, quote=False)

    def block_html(self, html_text: str) -> str:
        """A block of HTML (`<details>`, `<script>`) as a paragraph of its text."""
        return f"<p>{html.escape(html_text.strip(), quote=False)}</p>\n"

    def block_mermaidjs(self, code: str) -> str:
        """A mermaid diagram as a code block: nbconvert writes its text as HTML (and a page
        loads no mermaid)."""
        return self.block_code(code)

    def image(self, text: str, url: str, title: str | None = None) -> str:
        """An image by its address alone: an output has no attachments (nbconvert stops the
        page at `attachment:x`) and a page embeds no file."""
        return HTMLRenderer.image(self, text, url, title)


def output_markdown_html(source: str) -> str:
    """`source`, a Markdown output's text, as the HTML its page shows (the module's doc)."""
    return MarkdownWithMath(renderer=_OutputRenderer()).render(source)
