"""The template language of emails: {{variables}} checked, sandboxed and filled in.

Templates are Jinja2 run in a `SandboxedEnvironment` with `StrictUndefined`. On top of the
sandbox, a template may only use a small, harmless part of the language: variables from
`VARIABLES`, a few text filters, `{% if %}` and string literals. Loops, attribute access,
calls, arithmetic, `{% set %}`, includes and the like are refused before anything is
rendered, so a template can neither reach Python objects nor make the worker spin.
"""

import functools
import re
from collections.abc import Iterator

import jinja2
from jinja2 import nodes
from jinja2.sandbox import SandboxedEnvironment

VARIABLES: dict[str, str] = {
    "client_name": "The client company's name",
    "client_website": "The client's website",
    "client_industry": "The client's industry",
    "client_city": "The client's city",
    "contact_name": "The recipient's full name",
    "contact_first_name": "The recipient's first name",
    "contact_last_name": "The recipient's last name",
    "contact_title": "The recipient's job title",
    "contact_email": "The recipient's e-mail address",
    "project_name": "The linked project, else the client's latest active project",
    "deal_title": "The linked deal, else the client's latest open deal",
    "date": "Today's date where the recipient is, e.g. 25 November 2026",
    "year": "This year where the recipient is, e.g. 2026",
    "sender_name": "Your name",
    "sender_email": "Your e-mail address",
    "sender_company": "The name the email is sent from, e.g. Pixel Forge",
    "unsubscribe_url": "The recipient's own link to stop our emails (one click, no sign-in)",
}

FILTERS = ("upper", "lower", "title", "capitalize", "trim", "default", "d", "truncate")

ALLOWED_NODES = (
    nodes.Template,
    nodes.Output,
    nodes.TemplateData,
    nodes.Name,
    nodes.Const,
    nodes.Filter,
    nodes.Test,
    nodes.Keyword,
    nodes.If,
    nodes.CondExpr,
    nodes.And,
    nodes.Or,
    nodes.Not,
    nodes.Compare,
    nodes.Operand,
    nodes.Concat,
    nodes.List,
    nodes.Tuple,
)

REFUSALS: tuple[tuple[type[nodes.Node] | tuple[type[nodes.Node], ...], str], ...] = (
    (nodes.For, "{% for %} loops are not available in email templates."),
    (
        (nodes.Getattr, nodes.Getitem),
        "Reading attributes or items (“.” or “[]”) is not allowed; "
        "use the variables as they are, e.g. {{client_name}}.",
    ),
    ((nodes.Call, nodes.Macro, nodes.CallBlock), "Calling functions or macros is not allowed."),
    ((nodes.Assign, nodes.AssignBlock, nodes.With), "{% set %} and {% with %} are not available."),
    (
        (nodes.Extends, nodes.Include, nodes.Import, nodes.FromImport, nodes.Block),
        "Email templates cannot include, import or extend other templates.",
    ),
    (nodes.BinExpr, "Arithmetic is not available in email templates."),
)


TOO_DEEP = "The template is nested too deeply."


class TemplateProblem(Exception):
    """A template that cannot be used, with a message meant for the person who wrote it."""

    def __init__(self, message: str, *, variable: str = ""):
        super().__init__(message)
        self.message = message
        self.variable = variable


def tag(name: str) -> str:
    """'client_name' -> '{{client_name}}', as variables are written in templates."""
    return "{{" + name + "}}"


def _environment(*, html: bool) -> SandboxedEnvironment:
    env = SandboxedEnvironment(undefined=jinja2.StrictUndefined, autoescape=html)
    env.globals.clear()
    env.filters = {name: env.filters[name] for name in FILTERS}
    return env


HTML_ENV = _environment(html=True)
TEXT_ENV = _environment(html=False)


def _walk(node: nodes.Node) -> Iterator[nodes.Node]:
    yield node
    for child in node.iter_child_nodes():
        yield from _walk(child)


def _refusal(node: nodes.Node) -> str:
    for kinds, message in REFUSALS:
        if isinstance(node, kinds):
            return message
    return f"This part of the template language ({type(node).__name__}) is not available."


def _check_node(node: nodes.Node) -> str | None:
    """The variable a node reads, or a TemplateProblem if the node is not allowed."""
    line = f"Line {node.lineno}: " if getattr(node, "lineno", None) else ""
    if not isinstance(node, ALLOWED_NODES):
        raise TemplateProblem(line + _refusal(node))
    if isinstance(node, nodes.Filter) and node.name not in FILTERS:
        allowed = ", ".join(f for f in FILTERS if f != "d")
        raise TemplateProblem(f"{line}Unknown filter “{node.name}”. Available: {allowed}.")
    if isinstance(node, nodes.Name):
        if node.name not in VARIABLES:
            raise TemplateProblem(
                f"{line}Unknown variable {tag(node.name)}. Available: "
                + ", ".join(tag(v) for v in VARIABLES)
                + ".",
                variable=node.name,
            )
        return node.name
    return None


def _parse(source: str, env: SandboxedEnvironment) -> nodes.Template:
    try:
        return env.parse(source)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateProblem(f"Line {exc.lineno}: {exc.message}") from None


@functools.lru_cache(maxsize=256)
def check(source: str) -> tuple[str, ...]:
    """The variables `source` uses, in order; TemplateProblem if it is not a usable template."""
    used: list[str] = []
    try:
        for node in _walk(_parse(source, HTML_ENV)):
            name = _check_node(node)
            if name and name not in used:
                used.append(name)
    except RecursionError:
        raise TemplateProblem(TOO_DEEP) from None
    return tuple(used)


@functools.lru_cache(maxsize=256)
def _compiled(source: str, html: bool) -> jinja2.Template:
    """Checked and compiled once per distinct source: a batch renders one template many times."""
    check(source)
    env = HTML_ENV if html else TEXT_ENV
    try:
        return env.from_string(source)
    except jinja2.TemplateError as exc:
        raise TemplateProblem(str(exc.message or exc)) from None
    except RecursionError:
        raise TemplateProblem(TOO_DEEP) from None


UNDEFINED = re.compile(r"^'(\w+)' is undefined$")


def render(source: str, values: dict[str, str], *, html: bool, recipient: str) -> str:
    """Fill in `source`; a variable without a value for `recipient` is a TemplateProblem."""
    template = _compiled(source, html)
    try:
        return template.render(values)
    except jinja2.UndefinedError as exc:
        match = UNDEFINED.match(str(exc.message))
        name = match.group(1) if match else ""
        raise TemplateProblem(
            f"{tag(name)} has no value for {recipient}." if name else str(exc.message),
            variable=name,
        ) from None
    except jinja2.TemplateError:
        raise TemplateProblem("This template tries something that is not allowed.") from None
    except RecursionError:
        raise TemplateProblem(TOO_DEEP) from None
    except (TypeError, ValueError, OverflowError):
        raise TemplateProblem("The template could not be filled in; check its filters.") from None
