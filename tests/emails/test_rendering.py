"""The template language: variables, the sandbox, sanitizing and the plain-text part."""

from datetime import UTC, datetime, timedelta

import jinja2
import pytest

from forgecrm.emails import rendering, sanitize, tracking


def render(source: str, html: bool = True, **values: str) -> str:
    return rendering.render(source, values, html=html, recipient="Rahim Uddin (Acme Ltd)")


def test_variables_are_filled_in_and_escaped_in_html():
    source = "<p>Dear {{contact_first_name}} of {{ client_name }}</p>"
    assert rendering.check(source) == ("contact_first_name", "client_name")
    html = render(source, contact_first_name="Rahim", client_name="Tom & Jerry <Ltd>")
    assert html == "<p>Dear Rahim of Tom &amp; Jerry &lt;Ltd&gt;</p>"
    assert render("{{client_name}}", html=False, client_name="Tom & Jerry") == "Tom & Jerry"


def test_an_unknown_variable_is_refused_by_name():
    with pytest.raises(rendering.TemplateProblem) as refused:
        rendering.check("<p>Hi {{contact_first_name}}, about {{invoice_total}}</p>")
    assert refused.value.variable == "invoice_total"
    assert "Unknown variable {{invoice_total}}" in refused.value.message
    assert "{{client_name}}" in refused.value.message  # says what is available


def test_a_variable_without_a_value_is_refused_naming_it_and_the_recipient():
    with pytest.raises(rendering.TemplateProblem) as refused:
        render("<p>About {{project_name}}</p>", client_name="Acme Ltd")
    assert refused.value.variable == "project_name"
    assert refused.value.message == "{{project_name}} has no value for Rahim Uddin (Acme Ltd)."


def test_optional_parts_can_test_whether_a_variable_has_a_value():
    source = "{% if project_name is defined %}About {{project_name}}.{% else %}Hello.{% endif %}"
    assert render(source) == "Hello."
    assert render(source, project_name="Shop") == "About Shop."
    assert render("{{ project_name | default('your project') }}") == "your project"


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{{ ''.__class__.__mro__ }}", "Reading attributes or items"),
        ("{{ self }}", "Unknown variable {{self}}"),
        ("{{ cycler.__init__.__globals__ }}", "Reading attributes or items"),
        ("{{ client_name.__class__ }}", "Reading attributes or items"),
        ("{{ client_name['__class__'] }}", "Reading attributes or items"),
        ("{% for i in 'abcdef' %}{% for j in 'abcdef' %}x{% endfor %}{% endfor %}", "loops"),
        ("{{ lipsum(10**6) }}", "Calling functions"),
        ("{{ 9**9**9 }}", "Arithmetic"),
        ("{{ 'x' * 1000000000 }}", "Arithmetic"),
        ("{% set secret = 1 %}", "{% set %}"),
        ("{% include 'base.html' %}", "cannot include"),
        ("{% extends 'base.html' %}", "cannot include"),
        ("{% macro m() %}{% endmacro %}", "macros"),
        ("{{ client_name | attr('__class__') }}", "Unknown filter “attr”"),
        ("{{ client_name | safe }}", "Unknown filter “safe”"),
        ("{{ config }}", "Unknown variable {{config}}"),
        ("{{ range(10) }}", "Calling functions"),
        ("{{ " + "(" * 3000 + "client_name" + ")" * 3000 + " }}", "nested too deeply"),
        ("{% if client_name %}" * 600 + "{% endif %}" * 600, "nested too deeply"),
    ],
)
def test_template_injection_is_refused_before_rendering(source, message):
    with pytest.raises(rendering.TemplateProblem) as refused:
        render(source, client_name="Acme")
    assert message in refused.value.message
    for leak in ("<class", "object at", "__globals__'", "Traceback", "jinja2."):
        assert leak not in refused.value.message


def test_the_sandbox_still_blocks_what_the_checks_would_let_through():
    """Defence in depth: the environment itself refuses private attributes and has no globals."""
    with pytest.raises(jinja2.exceptions.SecurityError):
        rendering.HTML_ENV.from_string("{{ ''.__class__.__mro__ }}").render()
    with pytest.raises(jinja2.exceptions.UndefinedError):
        rendering.HTML_ENV.from_string("{{ cycler }}").render()


def test_syntax_errors_are_reported_with_their_line():
    with pytest.raises(rendering.TemplateProblem) as refused:
        rendering.check("<p>Hello</p>\n<p>{{ client_name </p>")
    assert refused.value.message.startswith("Line 2: ")


def test_scripts_event_handlers_and_javascript_urls_are_removed():
    dirty = (
        '<p onclick="steal()">Hi <b>there</b></p><script>alert(1)</script>'
        '<img src="https://pixelforgebd.com/logo.png" onerror="alert(2)" alt="Logo">'
        '<a href="javascript:alert(3)">bad</a><a href="https://pixelforgebd.com">good</a>'
        '<iframe src="https://evil.example"></iframe><p style="color: red; position: fixed">x</p>'
    )
    clean = sanitize.clean(dirty, template=False)
    for gone in ("script", "alert", "onclick", "onerror", "javascript:", "iframe", "position"):
        assert gone not in clean
    assert "<b>there</b>" in clean
    assert '<img src="https://pixelforgebd.com/logo.png" alt="Logo">' in clean
    assert 'href="https://pixelforgebd.com"' in clean
    assert 'style="color:red"' in clean


def test_a_template_keeps_variables_in_links_until_it_is_rendered():
    source = '<a href="{{client_website}}">Your site</a>'
    template = sanitize.clean(source, template=True)
    assert 'href="{{client_website}}"' in template
    rendered = render(template, client_website="javascript:alert(1)")
    assert "javascript" not in sanitize.clean(rendered, template=False)


def test_the_plain_text_part_keeps_paragraphs_lists_and_link_targets():
    html = (
        "<h1>Welcome</h1><p>Dear Rahim,<br>thanks for   choosing us.</p>"
        "<ul><li>One</li><li>Two</li></ul>"
        '<p>See <a href="https://pixelforgebd.com/plan">the plan</a> &amp; reply.</p>'
    )
    assert sanitize.html_to_text(html) == (
        "Welcome\n\nDear Rahim,\nthanks for choosing us.\n\n- One\n- Two\n\n"
        "See the plan (https://pixelforgebd.com/plan) & reply.\n"
    )


@pytest.mark.parametrize(
    ("agent", "ip", "seconds_after_sending", "machine"),
    [
        ("Mozilla/5.0 (Windows NT 10.0) Thunderbird/115.0", "203.0.113.9", 600, False),
        (
            "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 "
            "(via ggpht.com GoogleImageProxy)",
            "66.249.84.1",
            600,
            True,
        ),
        (
            "YahooMailProxy; https://help.yahoo.com/kb/yahoo-mail-proxy-SLN28749.html",
            "203.0.113.9",
            600,
            True,
        ),
        ("Mozilla/5.0", "17.58.101.10", 600, True),
        ("Mozilla/5.0 (Macintosh) AppleWebKit/605.1.15", "17.58.101.10", 600, True),
        ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) Mobile/15E148", "203.0.113.9", 600, False),
        ("Mozilla/5.0 (compatible; Barracuda Sentinel)", "203.0.113.9", 600, True),
        ("", "203.0.113.9", 600, True),
        ("Mozilla/5.0 (Windows NT 10.0) Thunderbird/115.0", "203.0.113.9", 3, True),
    ],
)
def test_opens_by_mail_proxies_prefetchers_and_on_arrival_are_told_apart(
    agent, ip, seconds_after_sending, machine
):
    sent = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
    now = sent + timedelta(seconds=seconds_after_sending)
    assert tracking.is_machine(user_agent=agent, ip=ip, sent_at=sent, now=now) is machine
