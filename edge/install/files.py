"""What ``python -m edge install`` writes: systemd units, kiosk environment, udev rules,
logrotate, the boot-check wrapper. Pure text from :class:`InstallOptions` (no I/O), so the
dry run and the tests see exactly the bytes a real run writes."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath

APP_UNIT = "trace-scale.service"
CUSTOMER_UNIT = "trace-scale-customer.service"
UNITS = (APP_UNIT, CUSTOMER_UNIT)
STATE_DIR = PurePosixPath("/var/lib/trace-scale")
MANIFEST = STATE_DIR / "install-manifest.json"
GROUPS = ("dialout", "lp")  # serial ports (weighing module, pole display) and printers

_HEX4 = re.compile(r"^[0-9a-fA-F]{4}$")


@dataclass(frozen=True, slots=True)
class UsbId:
    vendor: str
    product: str

    @classmethod
    def parse(cls, text: str) -> UsbId:
        vendor, _, product = text.partition(":")
        if not (_HEX4.match(vendor) and _HEX4.match(product)):
            raise ValueError(
                f"USB 设备号格式错误 / {text!r} is not a USB id VENDOR:PRODUCT of 4 hex digits each "
                "(lsusb shows it, e.g. 0403:6001)"
            )
        return cls(vendor.lower(), product.lower())

    def __str__(self) -> str:
        return f"{self.vendor}:{self.product}"


@dataclass(frozen=True, slots=True)
class Device:
    """A device that gets a stable name: ``/dev/{link}``."""

    role: str  # scale | printer | pole
    link: str
    label: str  # for messages
    subsystems: tuple[str, ...]
    group: str


DEVICES = (
    Device("scale", "trace-scale", "weighing module 称重模块", ("tty",), "dialout"),
    Device("printer", "trace-printer", "ticket printer 小票打印机", ("tty", "usbmisc"), "lp"),
    Device("pole", "trace-pole", "pole display 客显", ("tty",), "dialout"),
)


DEFAULT_CONFIG = PurePosixPath("/etc/trace-scale/edge.toml")
DEFAULT_ROOT = PurePosixPath("/opt/trace-scale")  # slots/a, slots/b, current (edge.update)
LOG_DIR = PurePosixPath("/var/log/trace-scale")


@dataclass(frozen=True, slots=True)
class InstallOptions:
    user: str = "trace"
    config: PurePosixPath = DEFAULT_CONFIG
    root: PurePosixPath = DEFAULT_ROOT
    display: str = ":0"
    watchdog_s: int = 30
    log_dir: PurePosixPath = LOG_DIR
    usb: dict[str, UsbId] = field(default_factory=dict)  # role -> id


@dataclass(frozen=True, slots=True)
class FileSpec:
    path: PurePosixPath  # where it goes on the scale (under --prefix for a staged run)
    content: str
    mode: int = 0o644


def _python(o: InstallOptions) -> str:
    return f"{o.root}/current/bin/python"


def app_unit(o: InstallOptions) -> str:
    return f"""# written by `python -m edge install`; removed by `python -m edge uninstall`
[Unit]
Description=Trace scale (溯源秤) merchant app
Wants=network-online.target
After=network-online.target graphical.target
# never give up restarting a scale
StartLimitIntervalSec=0

[Service]
Type=notify
NotifyAccess=main
User={o.user}
SupplementaryGroups={" ".join(GROUPS)}
EnvironmentFile={KIOSK_ENV}
Environment=TRACE_SCALE_ROOT={o.root}
# the customer display runs as its own unit ({CUSTOMER_UNIT})
Environment=TRACE_NO_CUSTOMER_DISPLAY=1
WorkingDirectory={STATE_DIR}
# roll back a new firmware version that did not start or report (edge.update)
ExecStartPre={BOOT_CHECK} --config {o.config}
ExecStart={_python(o)} -m edge run --config {o.config}
Restart=on-failure
RestartSec=2
WatchdogSec={o.watchdog_s}
TimeoutStartSec=120
StandardOutput=append:{o.log_dir}/app.log
StandardError=append:{o.log_dir}/app.log

[Install]
WantedBy=graphical.target
"""


def customer_unit(o: InstallOptions) -> str:
    return f"""# written by `python -m edge install`; removed by `python -m edge uninstall`
[Unit]
Description=Trace scale (溯源秤) customer display
After={APP_UNIT}
PartOf={APP_UNIT}
StartLimitIntervalSec=0

[Service]
Type=simple
User={o.user}
EnvironmentFile={KIOSK_ENV}
WorkingDirectory={STATE_DIR}
ExecStart={_python(o)} -m edge customer-display --config {o.config}
Restart=on-failure
RestartSec=2
StandardOutput=append:{o.log_dir}/customer.log
StandardError=append:{o.log_dir}/customer.log

[Install]
WantedBy={APP_UNIT}
"""


KIOSK_ENV = PurePosixPath("/etc/trace-scale/kiosk.env")
BOOT_CHECK = PurePosixPath("/usr/local/lib/trace-scale/check-boot")


def kiosk_env(o: InstallOptions) -> str:
    return f"""# the scale's X session (kiosk): both windows open on this display
DISPLAY={o.display}
XAUTHORITY=/home/{o.user}/.Xauthority
KIVY_NO_ARGS=1
KIVY_HOME={STATE_DIR}/kivy
LANG=zh_CN.UTF-8
TZ=Asia/Shanghai
PYTHONUNBUFFERED=1
"""


def boot_check(o: InstallOptions) -> str:
    # The current slot may be the broken one: try every slot's Python until one can run the check.
    return f"""#!/bin/sh
# written by `python -m edge install`: ExecStartPre of {APP_UNIT}
for py in {o.root}/current/bin/python {o.root}/slots/a/bin/python {o.root}/slots/b/bin/python; do
    [ -x "$py" ] && "$py" -I -m edge update --root {o.root} --check-boot "$@" && exit 0
done
echo "check-boot: no slot could run the boot check; starting whatever is current" >&2
exit 0
"""


def udev_rules(o: InstallOptions) -> str:
    lines = ["# written by `python -m edge install`: stable names for the scale's USB devices"]
    for device in DEVICES:
        usb = o.usb.get(device.role)
        if usb is None:
            lines.append(f"# {device.label}: no USB id given, no /dev/{device.link}")
            continue
        for subsystem in device.subsystems:
            lines.append(
                f'SUBSYSTEM=="{subsystem}", ATTRS{{idVendor}}=="{usb.vendor}", ATTRS{{idProduct}}=="{usb.product}", '
                f'SYMLINK+="{device.link}", GROUP="{device.group}", MODE="0660"'
            )
    return "\n".join(lines) + "\n"


def logrotate(o: InstallOptions) -> str:
    return f"""# written by `python -m edge install`
{o.log_dir}/*.log {{
    daily
    rotate 14
    maxsize 20M
    compress
    delaycompress
    missingok
    notifempty
    copytruncate
    su {o.user} {o.user}
}}
"""


def install_files(o: InstallOptions) -> list[FileSpec]:
    systemd = PurePosixPath("/etc/systemd/system")
    return [
        FileSpec(systemd / APP_UNIT, app_unit(o)),
        FileSpec(systemd / CUSTOMER_UNIT, customer_unit(o)),
        FileSpec(KIOSK_ENV, kiosk_env(o)),
        FileSpec(BOOT_CHECK, boot_check(o), 0o755),
        FileSpec(PurePosixPath("/etc/udev/rules.d/70-trace-scale.rules"), udev_rules(o)),
        FileSpec(PurePosixPath("/etc/logrotate.d/trace-scale"), logrotate(o)),
    ]


def install_commands(o: InstallOptions) -> list[list[str]]:
    return [
        ["usermod", "--append", "--groups", ",".join(GROUPS), o.user],
        ["install", "-d", "-o", o.user, "-g", o.user, str(o.log_dir), str(STATE_DIR)],
        ["udevadm", "control", "--reload-rules"],
        ["udevadm", "trigger", "--subsystem-match=tty", "--subsystem-match=usbmisc"],
        ["systemctl", "daemon-reload"],
        ["systemctl", "enable", *UNITS],
    ]


def uninstall_commands() -> tuple[list[list[str]], list[list[str]]]:
    """(before removing the files, after removing them)."""
    before = [["systemctl", "disable", "--now", *UNITS]]
    after = [["systemctl", "daemon-reload"], ["udevadm", "control", "--reload-rules"]]
    return before, after
