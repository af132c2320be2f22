from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeedbackConfig(AppConfig):
    """What recipients and beneficiaries say: one-time confirmation links, ratings,
    follow-up visits (回访) and complaint cases, and satisfaction figures."""

    name = "feedback"
    verbose_name = _("Feedback")
