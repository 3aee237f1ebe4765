"""MQTT connection settings from a URL, and a paho v5 client built from them.

``mqtt://user:pass@host:port`` (plain) or ``mqtts://...`` (TLS; ``?ca=/path/ca.pem`` for a
private CA). The password may also come from ``CENTRAL_MQTT_PASSWORD`` so it stays out
of the process list.
"""

from __future__ import annotations

import os
import ssl
import threading
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

PREFIX = "trace/v1"


class MqttError(RuntimeError):
    """The broker URL is wrong, or the broker refused or cannot be reached ("中文 / English")."""


@dataclass(frozen=True, slots=True)
class MqttUrl:
    host: str
    port: int
    username: str
    password: str
    tls: bool = False
    ca_file: str | None = None

    @classmethod
    def parse(cls, url: str) -> MqttUrl:
        parts = urlsplit(url)
        if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
            raise MqttError(
                f"MQTT 服务器地址 {url!r} 格式不对，应为 mqtt://central:PASSWORD@127.0.0.1:1883（或 mqtts://） / "
                f"broker URL {url!r} must look like mqtt://central:PASSWORD@127.0.0.1:1883 (or mqtts://)"
            )
        tls = parts.scheme == "mqtts"
        password = unquote(parts.password or "") or os.environ.get("CENTRAL_MQTT_PASSWORD", "")
        ca = parse_qs(parts.query).get("ca", [None])[0]
        try:
            port = parts.port or (8883 if tls else 1883)
        except ValueError as exc:
            raise MqttError(
                f"MQTT 服务器地址 {url!r} 的端口无效（{exc}） / broker URL {url!r} has a bad port ({exc})"
            ) from None
        return cls(parts.hostname, port, unquote(parts.username or "central"), password, tls, ca)

    def tls_context(self) -> ssl.SSLContext | None:
        """The TLS context for ``mqtts://`` (the system's CAs, or ``?ca=``); None for plain TCP."""
        return ssl.create_default_context(cafile=self.ca_file) if self.tls else None

    def client(self, client_id: str) -> paho.Client:
        client = paho.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=paho.MQTTv5)
        client.username_pw_set(self.username, self.password)
        if self.tls:
            client.tls_set(ca_certs=self.ca_file, tls_version=ssl.PROTOCOL_TLS_CLIENT)
        client.max_queued_messages_set(0)
        return client


def connect_blocking(url: MqttUrl, client_id: str, timeout_s: float = 10.0) -> paho.Client:
    """A started client that is connected, or MqttError saying why not."""
    client = url.client(client_id)
    done = threading.Event()
    outcome: list[object] = []

    def on_connect(_c: paho.Client, _u: object, _f: object, reason: object, _p: object) -> None:
        outcome.append(reason)
        done.set()

    client.on_connect = on_connect
    try:
        client.connect(url.host, url.port, keepalive=30, clean_start=True)
    except OSError as exc:
        raise MqttError(
            f"连不上 MQTT 服务器 {url.host}:{url.port}（{exc}）：请检查 mosquitto 是否在运行 / "
            f"cannot reach the broker at {url.host}:{url.port} ({exc}); is mosquitto running?"
        ) from exc
    client.loop_start()
    if not done.wait(timeout_s) or getattr(outcome[0], "is_failure", True):
        client.loop_stop()
        client.disconnect()
        why = outcome[0] if outcome else "no answer"
        raise MqttError(
            f"MQTT 服务器 {url.host}:{url.port} 拒绝了用户 {url.username!r}（{why}）："
            "请检查 MQTT 地址中的用户名和密码，以及服务器是否已加载密码文件 / "
            f"the broker at {url.host}:{url.port} refused {url.username!r} ({why}); "
            "check the user name and password in the MQTT URL and that the password file is loaded"
        )
    return client
