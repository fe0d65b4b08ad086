"""Bad input across the apps is refused, never a server error."""

import pytest

TOO_BIG = "99999999999999999999"  # more than a 64-bit integer holds


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        f"/api/admin/crm/contacts?client={TOO_BIG}",
        f"/api/admin/crm/emails?client={TOO_BIG}",
        f"/api/admin/crm/emails?contact={TOO_BIG}",
        f"/api/admin/crm/events?client={TOO_BIG}",
        f"/api/admin/crm/communications?client={TOO_BIG}",
        f"/api/admin/crm/communications?contact={TOO_BIG}",
    ],
)
def test_an_id_filter_too_big_for_the_database_is_a_422(admin_client_, url):
    response = admin_client_.get(url)
    assert response.status_code == 422, response.content


@pytest.mark.django_db
def test_the_recipient_picker_ignores_a_client_id_too_big_for_the_database(admin_client_):
    response = admin_client_.get(f"/admin/crm/emails/contacts.json?q=a&client={TOO_BIG}")
    assert response.status_code == 200
    assert response.json() == {"results": []}


@pytest.mark.django_db
@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
@pytest.mark.parametrize(
    "url",
    [
        "/admin/crm/emails/",
        "/admin/crm/emails/export.csv",
        "/api/admin/crm/emails",
        "/api/admin/crm/emails/analytics",
        "/api/admin/crm/communications",
    ],
)
def test_a_date_filter_at_the_ends_of_the_calendar_finds_nothing_instead_of_failing(
    admin_client_, url, day
):
    response = admin_client_.get(url, {"date_from": day, "date_to": day})
    assert response.status_code == 200
    if response.streaming:
        b"".join(response.streaming_content)


@pytest.mark.django_db
def test_a_recipient_id_too_big_for_the_database_is_a_422(admin_client_):
    body = {"to": [int(TOO_BIG)], "subject": "Hello", "body_html": "<p>Hi</p>"}
    response = admin_client_.post(
        "/api/admin/crm/emails/send", body, content_type="application/json"
    )
    assert response.status_code == 422, response.content


@pytest.mark.django_db
def test_pages_allow_scripts_from_this_site_only(admin_client_):
    policy = admin_client_.get("/admin/crm/clients/")["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["object-src"] == "'none'" and directives["frame-ancestors"] == "'none'"
    page = admin_client_.get("/admin/crm/clients/").content.decode()
    assert "<script>" not in page and "onsubmit=" not in page


@pytest.mark.django_db
def test_the_api_documentation_is_for_people_signed_in(client, admin_client_):
    for url in ("/api/docs", "/api/openapi.json"):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
        assert admin_client_.get(url).status_code == 200


@pytest.mark.django_db
def test_pages_that_show_a_secret_once_are_never_cached(admin_client_):
    for url in ("/accounts/settings/", "/calendar/feed/"):
        assert "no-store" in admin_client_.get(url)["Cache-Control"]
