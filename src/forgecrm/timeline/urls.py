"""Mounted at /admin/crm/: the timeline's pages and the global search."""

from django.urls import path

from forgecrm.timeline import views

app_name = "timeline"
urlpatterns = [
    path("search/", views.search_page, name="search"),
    path("timeline/clients/<int:client_id>/", views.client_timeline, name="client"),
    path("timeline/clients/<int:client_id>/log/", views.quick_log, name="log"),
    path("timeline/clients/<int:client_id>/export.csv", views.export_csv, name="export"),
    path("timeline/<int:pk>/", views.entry_detail, name="entry"),
    path("timeline/<int:pk>/delete/", views.entry_delete, name="delete"),
]
