"""The one HTML-to-text converter: lines for the rules, paragraphs for people."""
from __future__ import annotations

from appliance.helpdesk.bodytext import html_to_lines, html_to_text

HTML = ("<html><head><title>t</title><style>p{color:red}</style></head><body>"
        "<p>See the <b>error</b>&nbsp;&amp; the\nlog:</p><script>alert(1)</script>"
        "<ul><li>one</li><li>two</li></ul>"
        "<table><tr><td>a</td><td>b</td></tr><tr><td>c</td><td>d</td></tr></table>"
        "<p>Read <a href='https://help.example/faq'>the FAQ</a> or "
        "<a href='https://help.example/x'>https://help.example/x</a>"
        " or <a href='mailto:s@help.example'>mail us</a>.</p>"
        "<hr><pre>keep\n  this</pre><div><div>nested</div></div><div>next</div>")


def test_html_to_text_for_people() -> None:
    assert html_to_text(HTML) == (
        "See the error & the log:\n\n- one\n\n- two\n\na  b\nc  d\n\n"
        "Read the FAQ <https://help.example/faq> or https://help.example/x or mail us.\n\n"
        "________________________________\n\nkeep\nthis\n\nnested\n\nnext")


def test_html_to_lines_for_the_rules() -> None:
    lines = html_to_lines(HTML).splitlines()
    assert lines[:5] == ["See the error & the log:", "- one", "- two", "a  b", "c  d"]
    assert lines[-4:] == ["keep", "this", "nested", "next"]
    assert "alert" not in html_to_lines(HTML) and "color" not in html_to_lines(HTML)


def test_broken_markup_never_raises() -> None:
    for html in ("<p unclosed <b>x", "<a href=", "</div></p>", "&#xffffffff;", "<" * 1000,
                 "<pre>" * 50 + "x", "<li>" * 50 + "y"):
        assert isinstance(html_to_text(html), str) and isinstance(html_to_lines(html), str)
