"""The merchant touchscreen: renders `MerchantView` snapshots and calls `MerchantModel` actions.

Layout (landscape; every size is a share of the window, so 800×480, 1024×600 and
1920×1080 get the same screen, scaled)::

    status bar: market · stall | scale link | printer | sync | 中/EN | 设置
    ┌ weight panel (flags, big weight, kg/tare) ──────┐┌ cart: lines with 删, 取消 ─────┐
    │ item name | unit price (per 500 g) | amount      ││                                 │
    ├ batch: origin · batch · supplier   [换批次] ─────┤├ 合计 ─────────────────────────┤
    │ ◀ 1/2 ▶ | categories … | 搜索                    ││ 置零   去皮   累计              │
    │ hotkey grid (or: query, results, keyboard)       ││ 重打   日结   结算              │
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
| `keys` | function keys (置零 去皮 累计 / 重打 日结 结算) |
| `payment` | QR methods row, keys while paying, 付款码 entry |
| `report` | 日结 popup |
| `screen` | `MerchantScreen`: layout, render, key -> model action |

A new task (goods-in 进货登记, sign-in 实名登录, ...) is a module here with its panel
or popup; `MerchantScreen` mounts it (a popup through ``MerchantScreen._popup``, a
panel in its layout) and gets one method per key that calls the model's action.
"""

from edge.ui.kivy.merchant.screen import MerchantScreen

__all__ = ["MerchantScreen"]
