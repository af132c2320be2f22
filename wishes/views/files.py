"""Wish pages: private attachments (photos and PDFs), for staff of the wish's area only.

Uploading needs the right to verify wishes in the area; reading a file needs the right to
see private data there, and every read is audited (``selectors.access_attachment``).
Files are streamed by Django, never by a public URL, with headers that keep a browser from
sniffing, caching or running anything in them.
"""

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.csp import CSP
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from accounts.models import User
from accounts.permissions import has_perm
from accounts.roles import Perm
from wishes import attachments, selectors
from wishes.exceptions import InvalidAttachment
from wishes.models import Attachment, AttachmentKind, Wish

# What a file response may do once a browser opens it: nothing but show itself. Chrome's PDF
# viewer is an embedded plugin, so PDFs also need ``object-src 'self'``; photos need nothing
# more than the image itself and are sandboxed as well.
PHOTO_CSP = {
    "default-src": [CSP.NONE],
    "img-src": [CSP.SELF],
    "frame-ancestors": [CSP.SELF],
    "sandbox": True,
}
PDF_CSP = {
    "default-src": [CSP.NONE],
    "object-src": [CSP.SELF],
    "frame-ancestors": [CSP.SELF],
}


class AttachmentForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"), choices=AttachmentKind.choices, initial=AttachmentKind.PHOTO
    )
    description = forms.CharField(
        label=_("Description"),
        max_length=120,
        required=False,
        help_text=_("What it shows, e.g. 'the leaking roof' or 'the hospital bill'."),
    )
    file = forms.FileField(
        label=_("File"),
        widget=forms.ClearableFileInput(
            attrs={"accept": "image/jpeg,image/png,image/webp,image/gif,application/pdf"}
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _(
            "A photo (JPEG, PNG, WebP or GIF) or a PDF, at most %(megabytes)d MB."
        ) % {"megabytes": settings.WISH_ATTACHMENT_MAX_BYTES // (1024 * 1024)}


def attachments_context(user: User, wish: Wish) -> dict[str, Any]:
    """What ``wishes/files/attachments.html`` needs, for a staff page showing *wish*.

    One query (the list), and none at all for a user who may not see private files.
    """
    region = wish.station.community
    may_view = has_perm(user, Perm.PRIVATE_VIEW, region)
    may_upload = has_perm(user, Perm.WISH_VERIFY, region)
    return {
        "attachments": (
            list(wish.attachments.select_related("uploaded_by").order_by("uploaded_at", "pk"))
            if may_view
            else []
        ),
        "can_view_attachments": may_view,
        "attachment_form": AttachmentForm() if may_upload else None,
    }


def _next_url(request: HttpRequest, wish: Wish) -> str:
    """Where to go after an upload: the page it came from, if on this site; else the wish."""
    candidate = request.POST.get("next", "")
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("wishes:staff_detail", args=[wish.pk])


@require_POST
@login_required
def attachment_upload(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a photo or PDF to a wish. Refused files answer 400 with the reason."""
    wish = selectors.access_wish(request.user, pk, perm=Perm.WISH_VERIFY)
    form = AttachmentForm(request.POST, request.FILES)
    error: Any = None
    if form.is_valid():
        try:
            attachments.attachment_add(
                actor=request.user,
                wish=wish,
                upload=form.cleaned_data["file"],
                kind=form.cleaned_data["kind"],
                description=form.cleaned_data["description"],
            )
        except InvalidAttachment as exc:
            error = exc
        else:
            messages.success(request, _("The file was added to the wish."))
            return redirect(_next_url(request, wish))
    return render(
        request,
        "wishes/files/upload_error.html",
        {"wish": wish, "form": form, "error": error, "back": _next_url(request, wish)},
        status=400,
    )


@require_GET
@login_required
def attachment(request: HttpRequest, token: str) -> FileResponse:
    """Stream one private file to a user allowed to see it (audited); 404 for anyone else."""
    item: Attachment = selectors.access_attachment(request.user, token)
    return private_file_response(item, csp=PDF_CSP if item.extension == "pdf" else PHOTO_CSP)


def private_file_response(item, *, csp: dict = PHOTO_CSP) -> FileResponse:
    """Stream a private file (a model with ``file``, ``token``, ``extension`` and
    ``content_type``) inline, never cached or sniffed, under its own CSP. Raises Http404
    when the row outlived its file (a restore, a lost disk). The caller has checked who
    may see it."""
    try:
        stream = item.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(
        stream,
        content_type=item.content_type,
        as_attachment=False,
        filename=f"{item.token}.{item.extension}",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    response["Referrer-Policy"] = "no-referrer"
    response._csp_config = csp
    return response


urlpatterns = [
    path(
        "staff/wishes/<int:pk>/attachments/",
        attachment_upload,
        name="attachment_upload",
    ),
    path("staff/attachments/<str:token>/", attachment, name="attachment"),
]
