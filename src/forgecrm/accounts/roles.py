"""Roles are Django groups; this module is the one place that says what each may do.

Pages and the API both ask `user.has_perm("app.action_model")`, so a role's rights are
decided here and nowhere else.
"""

from django.apps import apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission

ADMIN = "admin"
MANAGER = "manager"
MEMBER = "member"
VIEWER = "viewer"
ROLES = (ADMIN, MANAGER, MEMBER, VIEWER)

CRM_APPS = (
    "clients",
    "sales",
    "emails",
    "campaigns",
    "followups",
    "events",
    "timeline",
    "notifications",
)

ROLE_ACTIONS: dict[str, tuple[str, ...]] = {
    ADMIN: ("view", "add", "change", "delete"),
    MANAGER: ("view", "add", "change", "delete"),
    MEMBER: ("view", "add", "change"),
    VIEWER: ("view",),
}
# Admins also manage people, see the audit log, set how often clients must be contacted
# and edit the automatic follow-up rules.
ADMIN_EXTRA = (
    ("auth", "view_user"),
    ("auth", "add_user"),
    ("auth", "change_user"),
    ("auth", "delete_user"),
    ("auditlog", "view_logentry"),
    ("notifications", "edit_cadence"),
    ("followups", "edit_rules"),
)
# Admins and managers watch the mailbox reader, ask it to read and sort what it could not file.
MAILBOX_ROLES = (ADMIN, MANAGER)
MAILBOX_PERMISSIONS = (
    "view_mailboxfolder",
    "view_mailboxrun",
    "add_mailboxrun",
    "view_mailboxmessage",
    "change_mailboxmessage",
)


def crm_permissions(actions: tuple[str, ...]) -> list[Permission]:
    models = [m for label in CRM_APPS for m in apps.get_app_config(label).get_models()]
    codenames = {f"{action}_{m._meta.model_name}" for m in models for action in actions}
    return list(
        Permission.objects.filter(content_type__app_label__in=CRM_APPS, codename__in=codenames)
    )


def sync_roles(**_kwargs) -> None:
    """Create the role groups and give each exactly its permissions (runs after migrate).

    post_migrate reaches apps in INSTALLED_APPS order, so the permissions of apps listed
    after this one are created here first.
    """
    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0)
    for role, actions in ROLE_ACTIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        permissions = crm_permissions(actions)
        if role == ADMIN:
            for app_label, codename in ADMIN_EXTRA:
                permissions += list(
                    Permission.objects.filter(content_type__app_label=app_label, codename=codename)
                )
        if role in MAILBOX_ROLES:
            permissions += list(
                Permission.objects.filter(
                    content_type__app_label="mailbox", codename__in=MAILBOX_PERMISSIONS
                )
            )
        group.permissions.set(permissions)
