"""`python -m simulator payment`: the payment gateway simulator as a long-running server.

The first line of stdout is the URL, the second the accounts.json path (for
`python -m central payment-account import`). It serves until SIGINT/SIGTERM.
"""

from __future__ import annotations

import argparse
import signal
import sys

from edge.core.stopflag import StopFlag

EPILOG = """controls (JSON over HTTP on the same port):
  POST /sim/scan {"qr_content": "...", "action": "pay|cancel|pay_twice"}   the customer scans a QR
  POST /sim/orders/ORDER_ID/pay|cancel|pay_twice|replay                    the same, by order id
  POST /sim/behaviour {"micropay": "pay|userpaying_then_pay|userpaying|fail", "notify": true}
  GET  /sim/orders                                                         every order and its state"""


def add_subcommand(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "payment",
        help="a local WeChat Pay / Alipay / UnionPay gateway for central",
        description="Serve the payment providers' APIs (real signing and notifications) on one port. Prints the "
        "URL and the accounts.json path, then serves until Ctrl-C/SIGTERM.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--listen", default="127.0.0.1:8090", help="HOST:PORT (PORT 0 picks a free port)")
    parser.add_argument("--state", required=True, help="directory for the keys and accounts.json (kept across runs)")
    parser.set_defaults(run=run)
    return parser


def parse_listen(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or int(port) > 65535:
        raise ValueError(f"--listen 须为 HOST:PORT / --listen must be HOST:PORT (e.g. 127.0.0.1:8090), not {text!r}")
    return host, int(port)


def run(args: argparse.Namespace) -> int:
    from simulator.payment.server import PaymentGateway

    try:
        host, port = parse_listen(args.listen)
    except ValueError as exc:
        print(f"payment: {exc}", file=sys.stderr)
        return 2

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    gateway = PaymentGateway(args.state, host, port, log_fn=log)
    try:
        gateway.start()
    except OSError as exc:
        print(f"payment: 无法监听 {args.listen}，请换一个端口 / cannot listen on {args.listen}: {exc}", file=sys.stderr)
        return 1
    done = StopFlag()
    previous = {sig: signal.signal(sig, done) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        print(gateway.url, flush=True)
        print(gateway.accounts_path, flush=True)
        log(f"payment: serving WeChat Pay, Alipay and UnionPay at {gateway.url}; accounts in {gateway.accounts_path}")
        while not done.wait(0.5):
            pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        gateway.stop()
        log("payment: stopped")
    return 0
