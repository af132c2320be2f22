"""Forms of the public and requester pages: a wish raised online, an objection, a withdrawal."""

from django import forms
from django.utils.translation import gettext_lazy as _

from wishes.forms.common import HouseholdForm


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
