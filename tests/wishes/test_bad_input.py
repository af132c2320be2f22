"""Bad input on the online wish form: a 400 with a translated message, everything typed kept,
nothing saved; and a story with markup, once public, is shown escaped.

(Bad file uploads are tested with the attachment pages.)
"""

import pytest
from django.urls import reverse
from django.utils import translation

from tests.wishes.factories import make_wish
from tests.wishes.test_public import wish_form_data
from wishes.models import Household, Status, Wish, WishNeed

SCRIPT = "<script>alert(1)</script>"

# (case, fields changed, a message the page must show, in English)
CASES = [
    ("empty title", {"title": ""}, "This field is required."),
    ("whitespace title", {"title": "   \t  "}, "This field is required."),
    ("zero amount", {"needs-0-amount": "0"}, "Ensure this value is greater than or equal to 0.01."),
    ("negative amount", {"needs-0-amount": "-50"}, "greater than or equal to 0.01"),
    ("absurd amount", {"needs-0-amount": "1e12"}, "Ensure that there are no more than"),
    (
        "absurd amount, written out",
        {"needs-0-amount": "999999999.99"},
        "Ensure this value is less than or equal to 200000",
    ),
    ("not a number", {"needs-0-amount": "一千"}, "Enter a number."),
    ("quantity 0", {"needs-1-quantity": "0"}, "greater than or equal to 1"),
    ("goods without item", {"needs-1-item": ""}, "Needed for this kind of line."),
    (
        "no need lines",
        {"needs-0-kind": "", "needs-1-kind": ""},
        "Add at least one thing that is needed.",
    ),
    ("invalid ID number", {"id_number": "12345"}, "A resident ID number has 18 characters"),
    ("missing consent", {"consent": None}, "Without the person&#x27;s consent"),
    ("script in the story", {"story": f"{SCRIPT}需要一台轮椅，方便出门就医。"}, "plain text"),
    ("script in the title", {"title": "<b>轮椅</b>"}, "plain text"),
    ("unknown community", {"community": "999999"}, "Select a valid choice."),
    ("unknown category", {"category": "weapons"}, "Select a valid choice."),
    ("story too short", {"story": "要钱"}, "Please say in a sentence or two"),
]


@pytest.fixture(autouse=True)
def _no_language_leak():
    """A request to /en/ leaves English active in this thread; later tests expect the default."""
    yield
    translation.deactivate()


@pytest.fixture
def site(db):
    from cms.demo import seed_site

    return seed_site()


@pytest.mark.django_db
@pytest.mark.parametrize(("case", "changes", "message"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_400_keeps_input_saves_nothing(
    client, city, site, people, english, case, changes, message
):
    client.force_login(people.resident)
    data = wish_form_data(city.north_a, **changes)
    response = client.post(reverse("wishes:new"), data)
    assert response.status_code == 400, case
    text = response.content.decode()
    assert message in text, case
    assert "Please correct the marked fields." in text
    # Everything typed comes back (escaped), the changed field included.
    for name in ("head_name", "address", "needs-1-specification"):
        assert f'value="{data[name]}"' in text, (case, name)
    assert data["story"].replace("<", "&lt;").replace(">", "&gt;") in text, case
    for name, value in changes.items():
        if value and name not in ("category", "community"):
            escaped = value.replace("<", "&lt;").replace(">", "&gt;")
            assert escaped in text, (case, name)
    assert SCRIPT not in text  # never echoed as markup
    assert not Wish.objects.exists() and not Household.objects.exists()
    assert not WishNeed.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "message"), [("zh-hans", "必需字段"), ("en", "This field is required.")]
)
def test_bad_input_message_is_translated(client, city, site, people, language, message):
    client.force_login(people.resident)
    with translation.override(language):
        url = reverse("wishes:new")
    response = client.post(url, wish_form_data(city.north_a, title=""))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert 'value="李秀英"' in response.content.decode()


@pytest.mark.django_db
def test_missing_needs_management_form_is_400_not_500(client, city, site, people):
    client.force_login(people.resident)
    data = {k: v for k, v in wish_form_data(city.north_a).items() if not k.startswith("needs-")}
    response = client.post(reverse("wishes:new"), data)
    assert response.status_code == 400
    assert not Wish.objects.exists()


@pytest.mark.django_db
def test_too_many_need_lines_are_refused(client, city, site, people):
    client.force_login(people.resident)
    data = wish_form_data(city.north_a, **{"needs-TOTAL_FORMS": "500"})
    for i in range(3, 500):
        data[f"needs-{i}-kind"] = "money"
        data[f"needs-{i}-amount"] = "10"
    response = client.post(reverse("wishes:new"), data)
    assert response.status_code == 400
    assert not WishNeed.objects.exists()


@pytest.mark.django_db
def test_a_story_with_script_renders_escaped_once_public(client, city, site, people):
    """Staff intake takes the words as told; the public page must still never run them."""
    wish = make_wish(
        people.north_staff,
        city.north_a,
        status=Status.NOTICE,
        reviewer=people.north_reviewer,
        title=f"轮椅{SCRIPT}",
        story=f"{SCRIPT}\n<img src=x onerror=alert(2)>老人需要一台轮椅。",
    )
    for url in (
        reverse("wishes:public", args=[wish.reference]),
        reverse("wishes:notice"),
    ):
        text = client.get(url).content.decode()
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text, url
        assert SCRIPT not in text and "<img src=x" not in text, url
    text = client.get(reverse("wishes:public", args=[wish.reference])).content.decode()
    assert "&lt;img src=x onerror=alert(2)&gt;" in text
