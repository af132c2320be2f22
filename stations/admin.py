"""Read-mostly admin: deliveries, intakes and photos are written by the services (audited),
so the admin shows them and changes nothing. No personal data in the lists."""

from django.contrib import admin
from django.http import HttpRequest

from accounts.admin_base import ReadOnlyAdmin
from stations.models import Delivery, DeliveryPhoto, GoodsIntake


@admin.register(GoodsIntake)
class GoodsIntakeAdmin(ReadOnlyAdmin):
    list_display = ["pk", "pledge", "station", "item", "quantity", "condition", "received_at"]
    list_filter = ["condition", "station"]
    list_select_related = ["pledge", "station"]
    date_hierarchy = "received_at"


class DeliveryPhotoInline(admin.TabularInline):
    model = DeliveryPhoto
    fields = ["token", "content_type", "size", "shareable", "shared_by", "shared_at", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    # The household is private: not listed, not searchable; only its id on the detail page.
    list_display = ["pk", "listing", "line", "quantity", "station", "delivered_at", "attested"]
    list_filter = ["station"]
    list_select_related = ["listing", "line", "station"]
    date_hierarchy = "delivered_at"
    exclude = ["household"]
    inlines = [DeliveryPhotoInline]

    @admin.display(boolean=True, description=Delivery._meta.get_field("attested_by").verbose_name)
    def attested(self, obj: Delivery) -> bool:
        return obj.is_attested


@admin.register(DeliveryPhoto)
class DeliveryPhotoAdmin(ReadOnlyAdmin):
    list_display = ["pk", "delivery", "content_type", "size", "shareable", "created_at"]
    list_filter = ["shareable"]
    exclude = ["file"]
