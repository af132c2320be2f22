"""Publish wishes whose public notice has ended without an open objection.

Celery beat runs the same every ten minutes (``wishes.tasks.wishes_publish_due``); this
command is for a deployment without beat, or to catch up at once.
"""

from django.core.management.base import BaseCommand

from wishes import services


class Command(BaseCommand):
    help = "Publish wishes whose public notice ended without an open objection."

    def handle(self, *args, **options):
        count = services.wishes_publish_due()
        self.stdout.write(f"{count} wish(es) published.")
