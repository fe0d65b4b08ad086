"""Open and click tracking: unguessable tokens, rewritten links, the pixel, proxy detection."""

import base64
import ipaddress
import re
import secrets
from datetime import datetime, timedelta
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


def pixel_url(token: str) -> str:
    return settings.SITE_URL + reverse("tracking:open", args=[token])


def click_url(token: str, link_token: str) -> str:
    return settings.SITE_URL + reverse("tracking:click", args=[token, link_token])


def is_trackable(url: str) -> bool:
    return urlsplit(url).scheme in ("http", "https")


def links_of(html: str) -> list[str]:
    """The distinct http(s) link targets of sanitized HTML, in order."""
    found: list[str] = []

    def collect(tag: str, attribute: str, value: str) -> str:
        if tag == "a" and attribute == "href" and is_trackable(value) and value not in found:
            found.append(value)
        return value

    sanitize.clean(html, template=False, attribute_filter=collect)
    return found


def tracked_html(html: str, *, token: str, link_tokens: dict[str, str]) -> str:
    """`html` with its recorded links sent through the click tracker and the pixel added."""

    def rewrite(tag: str, attribute: str, value: str) -> str:
        if tag == "a" and attribute == "href" and value in link_tokens:
            return click_url(token, link_tokens[value])
        return value

    body = sanitize.clean(html, template=False, attribute_filter=rewrite)
    pixel = (
        f'<img src="{pixel_url(token)}" width="1" height="1" alt="" '
        'style="display:block;width:1px;height:1px;border:0">'
    )
    return body + pixel


def _address(ip: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(ip or "")
    except ValueError:
        return None


def is_machine(*, user_agent: str, ip: str | None, sent_at: datetime | None, now: datetime) -> bool:
    """Whether an open or click most likely came from a proxy, prefetcher or scanner."""
    agent = user_agent.strip()
    if not agent or PROXY_AGENTS.search(agent):
        return True
    address = _address(ip)
    if agent == APPLE_PROXY_AGENT or (address is not None and address in APPLE_NETWORK):
        return True
    return sent_at is None or now - sent_at < PREFETCH_WINDOW
