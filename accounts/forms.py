from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Region, User
from accounts.roles import Role


class SignupForm(forms.Form):
    """Extra fields on allauth's sign-up form. Sign-up never grants a role."""

    display_name = forms.CharField(
        label=_("Display name"),
        max_length=60,
        required=False,
        help_text=_("How you are shown to others. Leave empty to stay anonymous."),
    )

    def signup(self, request, user: User) -> None:
        user.display_name = self.cleaned_data.get("display_name", "").strip()
        user.save(update_fields=["display_name"])


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["display_name", "phone", "preferred_language"]
        widgets = {"phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"})}


class InvitationForm(forms.Form):
    email = forms.EmailField(
        label=_("Email address"), widget=forms.EmailInput(attrs={"autocomplete": "off"})
    )
    as_admin = forms.BooleanField(
        label=_("Make this person an administrator"),
        required=False,
        help_text=_("Administrators can invite and manage other members."),
    )


class StationFilterForm(forms.Form):
    town = forms.ModelChoiceField(
        label=_("Town or street"),
        queryset=Region.objects.towns().order_by("path"),
        required=False,
        empty_label=_("All towns"),
    )


class AuditFilterForm(forms.Form):
    verb = forms.CharField(label=_("Action starts with"), max_length=60, required=False)


class RoleAssignForm(forms.Form):
    """Give someone who has signed up a role in a region."""

    email = forms.EmailField(
        label=_("Email address"),
        help_text=_("The person must have signed up and confirmed this address."),
    )
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    reason = forms.CharField(
        label=_("Reason"),
        max_length=200,
        help_text=_("Recorded in the audit trail, e.g. a staff appointment."),
    )

    def clean_email(self) -> User:
        email = self.cleaned_data["email"].strip().lower()
        user = User.objects.filter(email__iexact=email, is_active=True).first()
        if user is None:
            raise forms.ValidationError(_("Nobody has signed up with this email address yet."))
        return user
