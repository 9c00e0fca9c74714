"""HTML tables in the one HTML-to-text converter (helpdesk/bodytext.py): cells apart and
columns aligned, a row a line; layout tables (one cell a row) as their text; nested and
wide tables degrade to readable lines; block elements never glue words together."""
from __future__ import annotations

import email
from email import policy

from appliance.helpdesk.bodytext import CELL_WIDTH, TABLE_WIDTH, html_to_lines, html_to_text

CONTACT_FORM = ("<p>A new enquiry:</p><table border='1'>"
                "<tr><th>Name</th><td>Yusuf Buyer</td></tr>"
                "<tr><th>Email address</th><td><a href='mailto:y@buyer.example'>"
                "y@buyer.example</a></td></tr>"
                "<tr><th>Message</th><td>Do you ship<br>to Turkey?</td></tr></table>"
                "<p>Sent by the website.</p>")


def test_a_data_table_becomes_aligned_columns_a_row_a_line():
    assert html_to_text(CONTACT_FORM) == (
        "A new enquiry:\n\n"
        "Name           Yusuf Buyer\n"
        "Email address  y@buyer.example\n"
        "Message        Do you ship\n"
        "               to Turkey?\n\n"
        "Sent by the website.")


def test_the_rules_get_a_row_a_line_with_its_cells_apart():
    lines = html_to_lines(CONTACT_FORM).splitlines()
    assert lines[1:4] == ["Name           Yusuf Buyer", "Email address  y@buyer.example",
                          "Message        Do you ship to Turkey?"]
    assert "NameYusuf" not in html_to_lines(CONTACT_FORM)


def test_header_cells_empty_cells_and_ragged_rows_keep_their_columns():
    html = ("<table><thead><tr><th>Qty</th><th>Item</th><th>Price</th></tr></thead>"
            "<tbody><tr><td>2</td><td>Toner</td><td>99.00</td></tr>"
            "<tr><td></td><td>Paper</td></tr></tbody></table>")
    assert html_to_text(html) == ("Qty  Item   Price\n"
                                  "2    Toner  99.00\n"
                                  "     Paper")


def test_a_layout_table_is_its_text_and_a_table_nested_in_it_stays_aligned():
    html = ("<table role='presentation' width='100%'><tr><td>"
            "<table width='600'><tr><td style='background:#00f'>Acme Support</td></tr>"
            "<tr><td><p>Hello Ben,</p><p>your order:</p>"
            "<table><tr><td>Order</td><td>4711</td></tr><tr><td>Total</td><td>12.00</td>"
            "</tr></table></td></tr><tr><td>The Acme team</td></tr></table>"
            "</td></tr></table>")
    assert html_to_text(html) == ("Acme Support\n\nHello Ben,\n\nyour order:\n\n"
                                  "Order  4711\nTotal  12.00\n\nThe Acme team")


def test_long_cells_wrap_at_the_cell_width_and_stay_in_their_column():
    long = "word " * 30
    text = html_to_text(f"<table><tr><td>Note</td><td>{long}</td></tr></table>")
    lines = text.splitlines()
    assert len(lines) > 1
    assert all(len(line) <= len("Note  ") + CELL_WIDTH for line in lines)
    assert all(line.startswith("      word") for line in lines[1:])
    assert text.split() == ["Note"] + long.split()


def test_a_table_too_wide_for_a_line_becomes_rows_with_cells_apart():
    row = "".join(f"<td>column {n} with several words in it</td>" for n in range(8))
    text = html_to_text(f"<table><tr>{row}</tr><tr><td>a</td><td>b</td></tr></table>")
    first, second = text.splitlines()
    assert len("column 0 with several words in it") * 8 > TABLE_WIDTH
    assert first.startswith("column 0 with several words in it  column 1 with")
    assert second == "a  b"


def test_truncated_and_broken_tables_never_lose_their_words():
    assert html_to_text("<table><tr><td>a<td>b<tr><td>c") == "a  b\nc"
    assert html_to_text("<td>stray</td><td>cells</td>") == "stray cells"
    assert html_to_text("<table><tr><td>x</td></tr></table></table></td>y") == "x\n\ny"


def test_block_elements_end_lines_instead_of_gluing_words():
    html = ("<div>one</div><address>two</address><figure>three<figcaption>four"
            "</figcaption></figure><dl><dt>five</dt><dd>six</dd></dl><center>seven</center>"
            "<section>eight</section><aside>nine</aside><details><summary>ten</summary>"
            "eleven</details>")
    text = html_to_text(html)
    assert text.split() == ["one", "two", "three", "four", "five", "six", "seven", "eight",
                            "nine", "ten", "eleven"]
    assert all(len(line.split()) <= 1 for line in text.splitlines())


def test_an_incoming_html_only_mail_keeps_its_table_on_the_item(tmp_path):
    """The body intake stores for HTML-only mail (the contact form of a website)."""
    from appliance.helpdesk.mailparse import parse_message
    raw = ("From: Website <form@shop.example>\r\nTo: tickets@box.example\r\n"
           "Subject: Enquiry\r\nMessage-ID: <f1@shop.example>\r\nMIME-Version: 1.0\r\n"
           "Content-Type: text/html; charset=utf-8\r\n\r\n" + CONTACT_FORM + "\r\n").encode()
    assert email.message_from_bytes(raw, policy=policy.default).get_content_type() == \
        "text/html"
    parsed = parse_message(raw)
    assert "Name           Yusuf Buyer" in parsed.text
    assert "NameYusuf" not in parsed.text


def test_tables_nested_thousands_deep_keep_their_words_and_stay_cheap():
    import time
    html = "<table><tr><td>x " * 5000 + "deep" + "</td></tr></table>" * 5000
    start = time.process_time()
    text = html_to_text(html)
    assert time.process_time() - start < 1.5     # every level re-read would take seconds
    assert text.split() == ["x"] * 5000 + ["deep"]
