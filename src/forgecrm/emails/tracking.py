"""Open and click tracking: unguessable tokens, rewritten links, the pixel, proxy detection."""

import base64
import functools
import ipaddress
import re
import secrets
from datetime import datetime, timedelta
from html import escape, unescape
from urllib.parse import urlsplit

from django.conf import settings
from django.urls import reverse

from forgecrm.emails import sanitize

PIXEL_GIF = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")

# Opens this soon after sending are a machine fetching images on arrival, not a reader.
PREFETCH_WINDOW = timedelta(seconds=15)

# Mail-privacy proxies, prefetchers and security scanners that fetch images and follow
# links on arrival. Apple Mail Privacy Protection fetches from Apple's 17.0.0.0/8 with a
# bare "Mozilla/5.0" user agent.
PROXY_AGENTS = re.compile(
    r"GoogleImageProxy|ggpht\.com|YahooMailProxy|Yahoo.*Proxy|OutlookProxy|"
    r"Microsoft Office Protocol Discovery|BingPreview|Barracuda|Mimecast|Proofpoint|"
    r"Forcepoint|Zscaler|Symantec|Trend ?Micro|bot\b|crawler|spider|preview|scanner|"
    r"python-requests|curl/|Wget|Go-http-client|HeadlessChrome",
    re.IGNORECASE,
)
APPLE_PROXY_AGENT = "Mozilla/5.0"
APPLE_NETWORK = ipaddress.ip_network("17.0.0.0/8")


def new_email_token() -> str:
    return secrets.token_urlsafe(32)


def new_link_token() -> str:
    return secrets.token_urlsafe(16)


@functools.cache
def _path(view_name: str, slots: int) -> str:
    """The path of a public view (tracking, unsubscribe) with {0}, {1} ... for its tokens.

    Resolved once: reverse() for every link of thousands of emails would be most of the
    cost of building them.
    """
    marks = [f"SLOT{i}" * 4 for i in range(slots)]
    path = reverse(view_name, args=marks)
    for i, mark in enumerate(marks):
        path = path.replace(mark, f"{{{i}}}")
    return path


def pixel_url(token: str) -> str:
    return settings.SITE_URL + _path("tracking:open", 1).format(token)


def click_url(token: str, link_token: str) -> str:
    return settings.SITE_URL + _path("tracking:click", 2).format(token, link_token)


def unsubscribe_url(token: str) -> str:
    """The email's public unsubscribe page (also the RFC 8058 one-click POST target)."""
    return settings.SITE_URL + _path("unsubscribe:confirm", 1).format(token)


def is_trackable(url: str) -> bool:
    """Whether a click on `url` is counted: http(s) links, but not our unsubscribe link
    (scanners that follow every link would make every unsubscribe look like a click)."""
    if urlsplit(url).scheme not in ("http", "https"):
        return False
    return not url.startswith(settings.SITE_URL + _path("unsubscribe:confirm", 1).partition("{")[0])


# In sanitized HTML every attribute is double-quoted and `"` inside values is escaped.
LINK = re.compile(r'(<a\b[^>]*?\bhref=")([^"]*)(")')


def clean_collecting_links(html: str) -> tuple[str, list[str]]:
    """Sanitize rendered HTML; also return its distinct http(s) link targets, in order.

    The links are found the way tracked_html finds them to rewrite, so every recorded link
    is rewritten and every rewritten link is recorded.
    """
    clean = sanitize.clean(html, template=False)
    urls = (unescape(match.group(2)) for match in LINK.finditer(clean))
    return clean, list(dict.fromkeys(url for url in urls if is_trackable(url)))


def tracked_html(html: str, *, token: str, link_tokens: dict[str, str]) -> str:
    """Sanitized `html` with its recorded links sent through the click tracker, plus the pixel.

    A plain rewrite of the href attributes: `html` is the output of clean_collecting_links,
    so it needs no second sanitizing pass.
    """

    def rewrite(match: re.Match) -> str:
        link_token = link_tokens.get(unescape(match.group(2)))
        if link_token is None:
            return match.group(0)
        return match.group(1) + escape(click_url(token, link_token)) + match.group(3)

    pixel = (
        f'<img src="{escape(pixel_url(token))}" width="1" height="1" alt="" '
        'style="display:block;width:1px;height:1px;border:0">'
    )
    return LINK.sub(rewrite, html) + pixel


def valid_ip(ip: str | None) -> str | None:
    """`ip` if it is an IP address (what the web server says the client is), else None."""
    try:
        return str(ipaddress.ip_address(ip or ""))
    except ValueError:
        return None


def _from_apple(ip: str | None) -> bool:
    address = valid_ip(ip)
    return address is not None and ipaddress.ip_address(address) in APPLE_NETWORK


def is_machine(*, user_agent: str, ip: str | None, sent_at: datetime | None, now: datetime) -> bool:
    """Whether an open or click most likely came from a proxy, prefetcher or scanner."""
    agent = user_agent.strip()
    if not agent or PROXY_AGENTS.search(agent):
        return True
    if agent == APPLE_PROXY_AGENT or _from_apple(ip):
        return True
    return sent_at is None or now - sent_at < PREFETCH_WINDOW
