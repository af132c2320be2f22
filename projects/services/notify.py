"""Mail about projects to the people who hold a role over them: best effort, after the
commit, each in the recipient's language."""

import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation

from accounts.models import Region, RoleAssignment, User
from projects.models import Project

logger = logging.getLogger(__name__)


def _ancestor_paths(region: Region) -> list[str]:
    parts = [p for p in region.path.split("/") if p]
    return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


def holders(role: str, region: Region) -> list[User]:
    """Active users holding *role* on *region* or above it."""
    user_ids = (
        RoleAssignment.objects.active()
        .filter(role=role, region__path__in=_ancestor_paths(region))
        .values("user_id")
    )
    return list(User.objects.filter(pk__in=user_ids, is_active=True).order_by("pk"))


def mail_on_commit(users: Iterable[User], template: str, project: Project) -> None:
    recipients = [(u.email, u.preferred_language) for u in users if u.email]
    project_id = project.pk

    def send() -> None:
        fresh = Project.objects.select_related("community").filter(pk=project_id).first()
        if fresh is None:
            return
        for address, language in recipients:
            try:
                with translation.override(language or settings.LANGUAGE_CODE):
                    context = {"project": fresh, "site_url": settings.SITE_URL}
                    subject = render_to_string(
                        f"projects/delivery/messages/{template}_subject.txt", context
                    ).strip()
                    body = render_to_string(
                        f"projects/delivery/messages/{template}.txt", context
                    ).strip()
                    send_mail(subject, body, None, [address])
            except Exception:  # one failing address must not stop the others
                logger.exception("project %s: %s mail could not be sent", project_id, template)

    if recipients:
        transaction.on_commit(send)
