"""The merchant touchscreen: renders `MerchantView` snapshots and calls `MerchantModel` actions.

Layout (landscape; every size is a share of the window, so 800×480, 1024×600 and
1920×1080 get the same screen, scaled)::

    status bar: market · stall | scale link | printer | sync | 中/EN | 设置
    ┌ weight panel (flags, big weight, kg/tare) ──────┐┌ 3 件  ¥ 74.68   ▲ ▼  取消 ──────┐
    │ item name | unit price (per 500 g) | amount      ││ lines (name, detail, amount, 删) │
    ├ batch: origin · batch …  [换批次] [− 3 件 +] ────┤│ (while paying: the sale paid)    │
    │ ◀ 1/2 ▶ | categories … | 搜索                    │├ 微信  支付宝  云闪付  付款码 ─────┤
    │ hotkey grid (or: query, results, keyboard)       ││ 置零   去皮   累计              │
    │                                                  ││ 重打   日结   现金              │
    └──────────────────────────────────────────────────┘└─────────────────────────────────┘
    message bar (refusals in red, information in blue)

Widgets hold no selling rules: every key calls one model action (through `ActionRunner`,
off the Kivy thread) and the screen changes only when the next snapshot arrives.

One module per task, each holding that task's panel (and popups):

| module | panel |
| --- | --- |
| `bars` | status bar, message bar |
| `weighing` | weight panel (`WeightBox`) |
| `batches` | batch row, batch chooser |
| `catalog` | hotkeys, categories, search keyboard |
| `cart` | cart lines and total |
| `keys` | function keys (置零 去皮 累计 / 重打 日结 现金) |
| `quantity` | − / count / + of a piece item, the number pad |
| `payment` | QR methods row, keys while paying, 付款码 entry |
| `report` | 日结 popup |
| `screen` | `MerchantScreen`: layout, render, key -> model action |

A new task (goods-in 进货登记, sign-in 实名登录, ...) is a module here with its panel
or popup; `MerchantScreen` mounts it (a popup through ``MerchantScreen._popup``, a
panel in its layout) and gets one method per key that calls the model's action.
"""

from edge.ui.kivy.merchant.screen import MerchantScreen

__all__ = ["MerchantScreen"]
