"""Project text in the original Pipeline's Markdown dialect (Markdown.pl rules) renders as it
rendered there: a heading needs no space after its hashes, and its closing hashes go."""

from __future__ import annotations

import pytest

from projections.projects import render_markdown


@pytest.mark.parametrize(
    ("text", "html"),
    [
        ("###Heading###", "<h3>Heading</h3>"),
        ("##Pipeline\n\nA place to share.", "<h2>Pipeline</h2>\n<p>A place to share.</p>"),
        ("#Title #", "<h1>Title</h1>"),
        ("## Spaced ##", "<h2>Spaced</h2>"),
        ("###### Six", "<h6>Six</h6>"),
    ],
)
def test_headings_read_as_the_original_read_them(text: str, html: str) -> None:
    assert render_markdown(text).strip() == html


@pytest.mark.parametrize(
    "text",
    ["```\n##not a heading\n```", "    ##indented code", "~~~~\n#also code\n~~~~"],
)
def test_code_is_left_as_it_is(text: str) -> None:
    assert "<h" not in render_markdown(text)
    assert "#" in render_markdown(text)


def test_more_than_six_hashes_or_hashes_alone_are_not_headings() -> None:
    assert "<h" not in render_markdown("#######Seven")
    assert render_markdown("###").strip() in ("<h3></h3>", "<p>###</p>")
