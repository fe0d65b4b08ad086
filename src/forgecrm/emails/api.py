"""The emails and email-templates API: thin views over emails.forms, services and queries."""

import contextlib
from collections.abc import Iterator
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Status

from forgecrm.clients.models import Client, ContactPerson, Project
from forgecrm.core.api import FieldErrors, ObjectId, Page, paginate, requires
from forgecrm.emails import queries, services, views
from forgecrm.emails.forms import EmailTemplateForm
from forgecrm.emails.models import Email, EmailAttachment, EmailTemplate, Suppression
from forgecrm.emails.rendering import VARIABLES, tag
from forgecrm.emails.schemas import (
    AnalyticsOut,
    AnalyticsQuery,
    EmailListItem,
    EmailOut,
    EmailQuery,
    PreviewQuery,
    RenderedOut,
    ScheduleIn,
    SendIn,
    SuppressionIn,
    SuppressionOut,
    SuppressionQuery,
    TemplateIn,
    TemplateOut,
    TemplateQuery,
    VariableOut,
)
from forgecrm.sales.models import Deal

emails_router = Router(tags=["emails"])
templates_router = Router(tags=["email templates"])

M = TypeVar("M", bound=Model)


@contextlib.contextmanager
def answered_with_422() -> Iterator[None]:
    """Services refuse input with a ValidationError {field: [messages]}; the API says 422."""
    try:
        yield
    except ValidationError as exc:
        raise FieldErrors(exc.message_dict) from None


def _form_errors(form: EmailTemplateForm) -> FieldErrors:
    return FieldErrors({name: list(messages) for name, messages in form.errors.items()})


# ---- Templates -----------------------------------------------------------------------------


@templates_router.get("", response=Page[TemplateOut], auth=requires("emails.view_emailtemplate"))
def list_templates(request: HttpRequest, filters: Query[TemplateQuery]) -> dict:
    queryset = queries.template_list(filters.to_filters())
    return paginate(queryset, page=filters.page, per_page=filters.per_page)


@templates_router.get(
    "/variables", response=list[VariableOut], auth=requires("emails.view_emailtemplate")
)
def list_variables(request: HttpRequest) -> list[dict[str, str]]:
    """The {{variables}} templates may use."""
    return [{"name": n, "tag": tag(n), "description": d} for n, d in VARIABLES.items()]


@templates_router.post("", response={201: TemplateOut}, auth=requires("emails.add_emailtemplate"))
def create_template(request: HttpRequest, payload: TemplateIn) -> Status[EmailTemplate]:
    """Create a template; unknown variables and template errors are refused with 422."""
    form = EmailTemplateForm(data=payload.dict())
    if not form.is_valid():
        raise _form_errors(form)
    return Status(201, services.template_create(fields=form.cleaned_data, actor=request.auth))


@templates_router.get(
    "/{template_id}", response=TemplateOut, auth=requires("emails.view_emailtemplate")
)
def get_template(request: HttpRequest, template_id: int) -> EmailTemplate:
    return get_object_or_404(EmailTemplate, pk=template_id)


@templates_router.put(
    "/{template_id}", response=TemplateOut, auth=requires("emails.change_emailtemplate")
)
def update_template(request: HttpRequest, template_id: int, payload: TemplateIn) -> EmailTemplate:
    template = get_object_or_404(EmailTemplate, pk=template_id)
    form = EmailTemplateForm(data=payload.dict(), instance=template)
    if not form.is_valid():
        raise _form_errors(form)
    services.template_update(template=template, fields=form.cleaned_data, actor=request.auth)
    return template


@templates_router.delete(
    "/{template_id}", response={204: None}, auth=requires("emails.delete_emailtemplate")
)
def delete_template(request: HttpRequest, template_id: int) -> Status[None]:
    template = get_object_or_404(EmailTemplate, pk=template_id)
    services.template_delete(template=template, actor=request.auth)
    return Status(204, None)


@templates_router.get(
    "/{template_id}/preview", response=RenderedOut, auth=requires("emails.view_emailtemplate")
)
def preview_template(
    request: HttpRequest, template_id: int, params: Query[PreviewQuery]
) -> services.Rendered:
    """The template as the contact would get it now; 422 names a variable without a value."""
    template = get_object_or_404(EmailTemplate, pk=template_id)
    contact = _ref(ContactPerson.objects.select_related("client"), params.contact, "contact")
    with answered_with_422():
        return services.preview(template=template, contact=contact, actor=request.auth)


# ---- Emails --------------------------------------------------------------------------------


def _ref(queryset: QuerySet[M], pk: int, field: str) -> M:
    found = queryset.filter(pk=pk).first()
    if found is None:
        raise FieldErrors({field: [f"There is no {field} with id {pk}."]})
    return found


def _optional(queryset: QuerySet[M], pk: int | None, field: str) -> M | None:
    return None if pk is None else _ref(queryset, pk, field)


def _draft(payload: SendIn) -> services.Draft:
    return services.Draft(
        to=payload.to,
        cc=payload.cc,
        bcc=payload.bcc,
        template=_optional(EmailTemplate.objects.all(), payload.template, "template"),
        subject=payload.subject,
        body_html=payload.body_html,
        email_type=payload.email_type or "",
        client=_optional(Client.objects.all(), payload.client, "client"),
        contact=_optional(
            ContactPerson.objects.select_related("client"), payload.contact, "contact"
        ),
        deal=_optional(Deal.objects.all(), payload.deal, "deal"),
        project=_optional(Project.objects.all(), payload.project, "project"),
        read_receipt=payload.read_receipt,
        follow_up_days=payload.follow_up_in_days,
        attachments=[
            services.Attachment(a.filename, a.content_type, a.content_base64)
            for a in payload.attachments
        ],
    )


def _detail(email_id: int) -> Email:
    try:
        return queries.email_detail(email_id)
    except Email.DoesNotExist:
        raise Http404 from None


@emails_router.post("/send", response={202: EmailOut}, auth=requires("emails.add_email"))
def send_email(request: HttpRequest, payload: SendIn) -> Status[Email]:
    """Store the email and queue it; 202 because the worker sends it (see `status`)."""
    with answered_with_422():
        email = services.email_send(draft=_draft(payload), actor=request.auth)
    return Status(202, _detail(email.pk))


@emails_router.post("/schedule", response={201: EmailOut}, auth=requires("emails.add_email"))
def schedule_email(request: HttpRequest, payload: ScheduleIn) -> Status[Email]:
    """Store the email to be sent at `send_at` (see `timezone`)."""
    with answered_with_422():
        email = services.email_schedule(
            draft=_draft(payload),
            actor=request.auth,
            send_at=payload.send_at,
            zone=payload.timezone,
        )
    return Status(201, _detail(email.pk))


@emails_router.get("", response=Page[EmailListItem], auth=requires("emails.view_email"))
def list_emails(request: HttpRequest, filters: Query[EmailQuery]) -> dict:
    """Emails, newest first, filtered and paginated."""
    queryset = queries.email_list(filters.to_filters(), zone=queries.user_zone(request.auth))
    return paginate(queryset, page=filters.page, per_page=filters.per_page)


@emails_router.get("/analytics", response=AnalyticsOut, auth=requires("emails.view_email"))
def email_analytics(request: HttpRequest, params: Query[AnalyticsQuery]) -> dict[str, Any]:
    """Sent, open, click, reply and bounce rates by type, client and period; best times."""
    return queries.email_analytics(
        zone=queries.user_zone(request.auth),
        date_from=params.date_from,
        date_to=params.date_to,
        period=params.period,
        min_sent=params.min_sent,
    )


@emails_router.get(
    "/suppressions", response=Page[SuppressionOut], auth=requires("emails.view_suppression")
)
def list_suppressions(request: HttpRequest, filters: Query[SuppressionQuery]) -> dict:
    """Addresses no email is sent to (bounced, unsubscribed …), latest first."""
    return paginate(
        queries.suppression_list(filters.to_filters()), page=filters.page, per_page=filters.per_page
    )


@emails_router.post(
    "/suppressions", response={201: SuppressionOut}, auth=requires("emails.add_suppression")
)
def block_address(request: HttpRequest, payload: SuppressionIn) -> Status[Suppression]:
    """Block an address by hand: no email is sent to it until someone clears it. An
    address already suppressed is refused (422), saying why it is."""
    with answered_with_422():
        row = services.suppression_block(
            address=payload.address, note=payload.note, actor=request.auth
        )
    return Status(201, row)


@emails_router.delete(
    "/suppressions/{suppression_id}",
    response={204: None},
    auth=requires("emails.delete_suppression"),
)
def clear_suppression(request: HttpRequest, suppression_id: ObjectId) -> Status[None]:
    """Clear it: emails are sent to the address again (the row is kept as history)."""
    suppression = get_object_or_404(Suppression, pk=suppression_id)
    services.suppression_clear(suppression=suppression, actor=request.auth)
    return Status(204, None)


@emails_router.get("/track/{token}", auth=None)
def track_open(request: HttpRequest, token: str) -> HttpResponse:
    """The open-tracking pixel. Public (mail clients fetch it); the token is unguessable."""
    return views.pixel_response(request, token)


@emails_router.get("/{email_id}", response=EmailOut, auth=requires("emails.view_email"))
def get_email(request: HttpRequest, email_id: int) -> Email:
    return _detail(email_id)


@emails_router.get("/{email_id}/attachments/{attachment_id}", auth=requires("emails.view_email"))
def download_attachment(request: HttpRequest, email_id: int, attachment_id: int) -> FileResponse:
    """The file, always as a download (never shown inline)."""
    attachment = get_object_or_404(EmailAttachment, pk=attachment_id, email_id=email_id)
    return views.attachment_response(attachment)
