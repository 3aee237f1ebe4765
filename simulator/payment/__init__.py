"""A payment gateway simulator: WeChat Pay, Alipay and a UnionPay acquirer on one port.

`python -m simulator payment --listen 127.0.0.1:8090 --state DIR`, or in tests::

    gw = PaymentGateway(state_dir, host="127.0.0.1", port=0).start()
    provider_config = gw.accounts["wechat"]       # config_json for central
    gw.scan(qr_content, action="pay")             # the customer pays
    gw.stop()
"""

from simulator.payment.orders import SimError
from simulator.payment.server import PaymentGateway

__all__ = ["PaymentGateway", "SimError"]
