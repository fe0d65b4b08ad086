from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from forgecrm.api import api
from forgecrm.emails.tracking_urls import unsubscribe_patterns
from forgecrm.emails.urls import template_patterns as email_templates

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="core:dashboard", permanent=False)),
    path("accounts/", include("forgecrm.accounts.urls")),
    path("admin/crm/", include("forgecrm.core.urls")),
    path("admin/crm/clients/", include("forgecrm.clients.urls")),
    path("admin/crm/", include("forgecrm.timeline.urls")),  # timeline/..., search/
    path("admin/crm/calendar/", include("forgecrm.events.urls")),
    path("admin/crm/emails/", include("forgecrm.emails.urls")),
    path("admin/crm/email-templates/", include(email_templates)),
    path("admin/crm/followups/", include("forgecrm.followups.urls")),
    path("admin/crm/notifications/", include("forgecrm.notifications.urls")),
    path("admin/crm/mailbox/", include("forgecrm.mailbox.urls")),
    path("calendar/", include("forgecrm.events.feed_urls")),
    path("api/", api.urls),
    path("t/", include("forgecrm.emails.tracking_urls")),
    path("u/", include(unsubscribe_patterns)),
    path("django-admin/", admin.site.urls),
]
