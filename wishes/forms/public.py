"""Forms of the public and requester pages: a wish raised online, an objection, a withdrawal."""

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from wishes.forms.common import HouseholdForm, WishFieldsForm

# Something that looks like an HTML tag: "<script>", "</b>", "<img src=x onerror=…>".
MARKUP = re.compile(r"<\s*/?\s*[a-zA-Z!][^>]*>")


class OnlineWishForm(WishFieldsForm):
    """The public part of a wish, typed by the requester. Title and story are plain text:
    pages escape them anyway, but markup in a story a reviewer reads is a sign of abuse, and
    the person is told at once rather than surprised later."""

    def _plain(self, value: str) -> str:
        if MARKUP.search(value):
            raise forms.ValidationError(
                _("Please write plain text, without HTML tags or code."), code="markup"
            )
        return value

    def clean_title(self) -> str:
        return self._plain(super().clean_title())

    def clean_story(self) -> str:
        return self._plain(super().clean_story())


class OnlineHouseholdForm(HouseholdForm):
    """The person's own details, entered by them (or a relative) online.

    How consent was given is known (ticking the box online), so it is not asked.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["consent_note"]
        self.fields["consent"].label = _(
            "I agree (or the person I am asking for agrees) that Linli stores and processes "
            "this information to handle the request. It is never shown publicly."
        )


class ObjectionForm(forms.Form):
    text = forms.CharField(
        label=_("Your objection"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "Say what is wrong, e.g. the need is already met or the facts are not right. "
            "A reviewer must answer it; your name is not shown publicly."
        ),
    )


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("Why do you withdraw this wish?"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The station is told, and the wish is closed."),
    )
