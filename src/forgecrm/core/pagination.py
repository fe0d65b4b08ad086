"""Pagination that stays fast on deep pages.

`OFFSET n` makes the database build (join, prefetch) every skipped row. Slicing the ids
first walks only an index; the page's rows are then loaded by primary key.
"""

from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest


def page_rows(queryset: QuerySet, start: int, stop: int) -> list[Any]:
    """Rows `start:stop` of `queryset`, in its order, with its select/prefetch applied."""
    ids = list(queryset.values_list("pk", flat=True)[start:stop])
    if not ids:
        return []
    rows = {row.pk: row for row in queryset.order_by().filter(pk__in=ids)}
    return [rows[pk] for pk in ids if pk in rows]


class IdFirstPaginator(Paginator):
    """Django's Paginator, loading each page with `page_rows`."""

    def page(self, number: Any) -> Page:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        return self._get_page(page_rows(self.object_list, bottom, top), number, self)


def page_of(
    request: HttpRequest,
    queryset: Any,
    *,
    per_page: int,
    paginator: type[Paginator] = IdFirstPaginator,
) -> Page:
    """The page `?page=` asks for (the last for a number too big, the first for junk),
    with `elided_range`, the page links core/_pagination.html draws."""
    page = paginator(queryset, per_page).get_page(request.GET.get("page"))
    page.elided_range = list(  # type: ignore[attr-defined]
        page.paginator.get_elided_page_range(page.number, on_each_side=1, on_ends=1)
    )
    return page
