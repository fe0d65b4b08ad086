"""Short public URLs for recipients: tracking mounted at /t/, unsubscribe at /u/ (see
emails.views). Their tokens are random per email; a forged one finds nothing (404)."""

from django.urls import re_path

from forgecrm.emails import views

app_name = "tracking"
TOKEN = r"[A-Za-z0-9_-]{16,64}"
urlpatterns = [
    re_path(rf"^(?P<token>{TOKEN})\.gif$", views.tracking_open, name="open"),
    re_path(rf"^(?P<token>{TOKEN})/c/(?P<link_token>{TOKEN})$", views.tracking_click, name="click"),
]

unsubscribe_patterns = (
    [re_path(rf"^(?P<token>{TOKEN})/$", views.unsubscribe, name="confirm")],
    "unsubscribe",
)
