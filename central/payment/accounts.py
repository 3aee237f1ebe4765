"""Importing a merchant's provider accounts (``accounts.json`` as a provider onboarding hands
it out, or as ``python -m simulator payment`` writes it) into ``payment_accounts``.

Each configuration is checked by building its provider client before it is stored, so a
missing key is reported now rather than at the first customer. Secrets are never echoed:
the summary names only each account's public identifier.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from central.admin import AdminError
from central.db import Connection
from central.localtime import now_ms
from central.payment.orders import save_account
from central.payment.providers.base import ProviderError, make_provider
from edge.core.payment import QR_METHODS

PUBLIC_ID = {"wechat": "mchid", "alipay": "app_id", "unionpay": "merchant_account"}  # safe to print


def load_accounts_file(path: Path) -> dict[str, Any]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise AdminError(f"无法读取账户文件 {path} / cannot read {path} as JSON ({exc})") from None
    if not isinstance(doc, dict):
        raise AdminError(f'{path} 必须是 JSON 对象 / must be a JSON object {{"wechat": {{...}}, ...}}')
    return doc


def import_accounts(
    conn: Connection, merchant_id: str, doc: dict[str, Any], provider: str | None = None
) -> list[tuple[str, str]]:
    """Store the merchant's accounts (all in ``doc``, or only ``provider``); returns
    ``[(provider, public id), ...]``. Nothing is stored unless every one checks out."""
    if conn.scalar("SELECT 1 FROM merchants WHERE merchant_id = ?", (merchant_id,)) is None:
        raise AdminError(f"商户 {merchant_id} 未登记 / merchant {merchant_id!r} is not registered; add it first")
    names = [provider] if provider else [name for name in QR_METHODS if name in doc]
    unknown = sorted(set(doc) - set(QR_METHODS))
    if provider and provider not in doc:
        raise AdminError(f"文件中没有 {provider} 账户 / the file has no {provider!r} account (it has {sorted(doc)})")
    if not names:
        raise AdminError(
            f"文件中没有可用账户 / no account in the file: expected keys {list(QR_METHODS)}, got {unknown}"
        )
    for name in names:
        try:
            make_provider(name, doc[name])
        except ProviderError as exc:
            raise AdminError(f"{exc.message_zh} / {exc.message}") from None
        except (ValueError, TypeError) as exc:  # e.g. a PEM key that does not parse
            raise AdminError(f"{name} 账户配置无效 / {name} account config is invalid: {exc}") from None
    now = now_ms()
    with conn.transaction():
        for name in names:
            save_account(conn, merchant_id, name, doc[name], now)
    return [(name, str(doc[name].get(PUBLIC_ID[name], ""))) for name in names]
