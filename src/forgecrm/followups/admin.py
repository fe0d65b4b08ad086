from django.contrib import admin

from forgecrm.followups.models import FollowUpRule, FollowUpTask


@admin.register(FollowUpRule)
class FollowUpRuleAdmin(admin.ModelAdmin):
    list_display = ("email_type", "days", "priority", "is_active")
    list_editable = ("days", "priority", "is_active")


@admin.register(FollowUpTask)
class FollowUpTaskAdmin(admin.ModelAdmin):
    list_display = ("title", "client", "task_type", "priority", "due_at", "status", "assignee")
    list_filter = ("status", "task_type", "priority", "source")
    search_fields = ("title", "client__name")
    raw_id_fields = ("client", "contact", "email", "assignee")
