"""IPPanel Edge API: one async client, one error tree, typed results.

from bot.ippanel import IPPanelClient, IPPanelError

async with IPPanelClient("https://edge.ippanel.com/v1") as ippanel:
    books = await ippanel.phonebooks(api_key, per_page=20)
"""

from .client import IPPanelClient, build_send_body
from .errors import (
    AuthError,
    InsufficientCreditError,
    IPPanelError,
    NotCancellableError,
    NotFoundError,
    ProviderError,
    TransportError,
    ValidationError,
)
from .models import (
    Account,
    BulkReport,
    BulkStats,
    Contact,
    Credit,
    OperatorStats,
    Page,
    Phonebook,
    Price,
    SenderLine,
    SendRecord,
    SendResult,
)

__all__ = [
    "Account",
    "AuthError",
    "BulkReport",
    "BulkStats",
    "Contact",
    "Credit",
    "IPPanelClient",
    "IPPanelError",
    "InsufficientCreditError",
    "NotCancellableError",
    "NotFoundError",
    "OperatorStats",
    "Page",
    "Phonebook",
    "Price",
    "ProviderError",
    "SendRecord",
    "SendResult",
    "SenderLine",
    "TransportError",
    "ValidationError",
    "build_send_body",
]
