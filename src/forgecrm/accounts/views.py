"""The user's own settings: time zone and personal API tokens."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from forgecrm.accounts.forms import ProfileForm, TokenForm
from forgecrm.accounts.models import ApiToken, UserProfile
from forgecrm.accounts.tokens import api_token_create, api_token_revoke
from forgecrm.notifications.services import set_morning_digest, wants_morning_digest


@never_cache  # it shows a new token once: never from a cache (Back, a shared proxy)
@login_required
def settings_page(request: HttpRequest) -> HttpResponse:
    profile, _ = UserProfile.objects.get_or_create(user=request.user)
    profile_form = ProfileForm(instance=profile)
    token_form = TokenForm()
    new_token = None
    if request.method == "POST" and request.POST.get("action") == "profile":
        profile_form = ProfileForm(request.POST, instance=profile)
        if profile_form.is_valid():
            profile_form.save()
            messages.success(request, "Your settings are saved.")
            return redirect("accounts:settings")
    elif request.method == "POST" and request.POST.get("action") == "digest":
        enabled = request.POST.get("morning_digest") == "on"
        set_morning_digest(user=request.user, enabled=enabled)
        messages.success(request, f"Morning digest turned {'on' if enabled else 'off'}.")
        return redirect("accounts:settings")
    elif request.method == "POST" and request.POST.get("action") == "token":
        token_form = TokenForm(request.POST)
        if token_form.is_valid():
            _, new_token = api_token_create(user=request.user, name=token_form.cleaned_data["name"])
            token_form = TokenForm()
    tokens = ApiToken.objects.filter(user=request.user)
    return render(
        request,
        "accounts/settings.html",
        {
            "profile_form": profile_form,
            "token_form": token_form,
            "tokens": tokens,
            "new_token": new_token,
            "morning_digest": wants_morning_digest(request.user),
        },
    )


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    api_token_revoke(token=token)
    messages.success(request, f"Token “{token.name}” revoked; it no longer works.")
    return redirect("accounts:settings")
