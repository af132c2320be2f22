from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProjectsConfig(AppConfig):
    """Community micro-projects: proposals, consultations, votes, delivery, acceptance."""

    name = "projects"
    verbose_name = _("Community projects")
