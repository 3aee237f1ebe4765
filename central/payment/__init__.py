"""Central's side of 追溯+支付 (docs/payment.md): provider clients live in ``providers``."""
