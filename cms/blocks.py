"""StreamField blocks for editorial pages."""

from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.images.blocks import ImageBlock


class CallToActionBlock(blocks.StructBlock):
    heading = blocks.CharBlock(label=_("heading"), max_length=80)
    text = blocks.TextBlock(label=_("text"), required=False)
    link_page = blocks.PageChooserBlock(label=_("link to page"), required=False)
    link_url = blocks.CharBlock(label=_("or link to address"), required=False, max_length=200)
    button_label = blocks.CharBlock(label=_("button label"), max_length=40)

    class Meta:
        icon = "pick"
        label = _("Call to action")
        template = "cms/blocks/call_to_action.html"


class StandardStreamBlock(blocks.StreamBlock):
    heading = blocks.CharBlock(
        label=_("Heading"), form_classname="title", template="cms/blocks/heading.html"
    )
    paragraph = blocks.RichTextBlock(label=_("Rich text"))
    image = ImageBlock(label=_("Image"))


class HomeStreamBlock(StandardStreamBlock):
    call_to_action = CallToActionBlock()
