"""Payment provider clients (docs/payment.md "Central side"): one class per provider.

Central builds them with ``make_provider(name, config_json)``; merchant keys stay here.
"""

from central.payment.providers.base import (
    Notification,
    NotificationRejected,
    OrderRequest,
    OrderState,
    Provider,
    ProviderError,
    ProviderOrder,
    make_provider,
)

__all__ = [
    "Notification",
    "NotificationRejected",
    "OrderRequest",
    "OrderState",
    "Provider",
    "ProviderError",
    "ProviderOrder",
    "make_provider",
]
