"""`python -m edge install` / `uninstall`: what a dry run shows, what a staged run writes and removes."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from edge.cli import main
from edge.install.cli import usb_id_of
from edge.install.files import UsbId

IDS = ["--scale-usb", "0403:6001", "--printer-usb", "0416:5011", "--pole-usb", "067B:2303"]


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _dirs(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_dir())


def _files_in(output: str) -> dict[str, str]:
    """``--- file PATH (mode M)`` blocks of a dry run -> {PATH: content}."""
    files: dict[str, str] = {}
    current = None
    for line in output.splitlines():
        if line.startswith("--- file "):
            current = line.removeprefix("--- file ").split(" (mode")[0]
            files[current] = ""
        elif line.startswith("--- "):
            current = None
        elif current is not None:
            files[current] += line + "\n"
    return files


def test_dry_run_shows_units_rules_and_commands_and_writes_nothing(tmp_path: Path, capsys) -> None:
    prefix = tmp_path / "root"
    prefix.mkdir()
    config = tmp_path / "etc" / "edge.toml"
    code = main(["install", "--dry-run", "--prefix", str(prefix), "--user", "vendor", "--config", str(config), *IDS])
    out = capsys.readouterr().out
    assert code == 0
    assert list(prefix.iterdir()) == []  # nothing written
    files = _files_in(out)
    app = files["/etc/systemd/system/trace-scale.service"]
    assert f"ExecStart=/opt/trace-scale/current/bin/python -m edge run --config {config}\n" in app
    assert "Type=notify\n" in app and "Restart=on-failure\n" in app and "WatchdogSec=30\n" in app
    assert "User=vendor\n" in app and "SupplementaryGroups=dialout lp\n" in app
    assert "ExecStartPre=/usr/local/lib/trace-scale/check-boot --config" in app
    assert "TRACE_NO_CUSTOMER_DISPLAY=1" in app  # the display has its own unit, not a second copy
    customer = files["/etc/systemd/system/trace-scale-customer.service"]
    assert f"ExecStart=/opt/trace-scale/current/bin/python -m edge customer-display --config {config}\n" in customer
    assert "Restart=on-failure\n" in customer and "PartOf=trace-scale.service\n" in customer
    assert "DISPLAY=:0\n" in files["/etc/trace-scale/kiosk.env"]
    rules = files["/etc/udev/rules.d/70-trace-scale.rules"]
    assert (
        'SUBSYSTEM=="tty", ATTRS{idVendor}=="0403", ATTRS{idProduct}=="6001", SYMLINK+="trace-scale", '
        'GROUP="dialout", MODE="0660"'
    ) in rules
    assert 'SUBSYSTEM=="usbmisc", ATTRS{idVendor}=="0416", ATTRS{idProduct}=="5011", SYMLINK+="trace-printer"' in rules
    assert 'ATTRS{idVendor}=="067b", ATTRS{idProduct}=="2303", SYMLINK+="trace-pole"' in rules
    assert "/var/log/trace-scale/*.log {" in files["/etc/logrotate.d/trace-scale"]
    for command in (
        "--- run: usermod --append --groups dialout,lp vendor",
        "--- run: udevadm control --reload-rules",
        "--- run: systemctl daemon-reload",
        "--- run: systemctl enable trace-scale.service trace-scale-customer.service",
    ):
        assert command in out


def test_missing_usb_ids_are_named_with_the_flag_to_give(tmp_path: Path, capsys) -> None:
    code = main(["install", "--dry-run", "--prefix", str(tmp_path), "--config", str(tmp_path / "none.toml"),
                 "--scale-usb", "0403:6001"])  # fmt: skip
    captured = capsys.readouterr()
    assert code == 0
    assert "--printer-usb VID:PID" in captured.err and "--pole-usb VID:PID" in captured.err
    assert "--scale-usb" not in captured.err
    rules = _files_in(captured.out)["/etc/udev/rules.d/70-trace-scale.rules"]
    assert "trace-printer" not in rules.replace("no /dev/trace-printer", "")
    assert 'SYMLINK+="trace-scale"' in rules


def test_a_malformed_usb_id_is_refused(tmp_path: Path, capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["install", "--dry-run", "--prefix", str(tmp_path), "--scale-usb", "0403-6001"])
    assert exc.value.code == 2
    assert "VENDOR:PRODUCT" in capsys.readouterr().err


def test_staged_install_writes_what_the_dry_run_shows_and_uninstall_removes_exactly_that(
    tmp_path: Path, capsys
) -> None:
    prefix = tmp_path / "root"
    foreign = prefix / "etc" / "udev" / "rules.d" / "99-other.rules"
    foreign.parent.mkdir(parents=True)
    foreign.write_text("# someone else's rule\n")
    before_files, before_dirs = _tree(prefix), _dirs(prefix)
    args = ["--prefix", str(prefix), "--config", "/etc/trace-scale/edge.toml", *IDS]

    assert main(["install", "--dry-run", *args]) == 0
    shown = _files_in(capsys.readouterr().out)
    assert main(["install", *args]) == 0
    out = capsys.readouterr().out
    assert "skipped (not the real system, --prefix): systemctl daemon-reload" in out
    for path, content in shown.items():
        written = prefix / path.lstrip("/")
        assert written.read_text() == content
    assert os.access(prefix / "usr/local/lib/trace-scale/check-boot", os.X_OK)
    manifest = json.loads((prefix / "var/lib/trace-scale/install-manifest.json").read_text())
    assert sorted(e["path"] for e in manifest["files"]) == sorted(shown)

    assert main(["install", *args]) == 0  # again: it may overwrite what it wrote itself
    capsys.readouterr()

    assert main(["uninstall", "--prefix", str(prefix)]) == 0
    assert _tree(prefix) == before_files  # the foreign rule is still there, ours are gone
    assert _dirs(prefix) == before_dirs  # and so are the folders install created
    assert main(["uninstall", "--prefix", str(prefix)]) == 2
    assert "nothing to uninstall" in capsys.readouterr().err


def test_install_never_overwrites_a_file_it_did_not_write(tmp_path: Path, capsys) -> None:
    prefix = tmp_path / "root"
    theirs = prefix / "etc" / "logrotate.d" / "trace-scale"
    theirs.parent.mkdir(parents=True)
    theirs.write_text("# hand-made\n")
    assert main(["install", "--prefix", str(prefix), *IDS]) == 2
    assert "/etc/logrotate.d/trace-scale already exists" in capsys.readouterr().err
    assert theirs.read_text() == "# hand-made\n"
    assert not (prefix / "etc" / "systemd").exists()


def test_usb_id_of_a_serial_port_is_read_from_sysfs(tmp_path: Path) -> None:
    # sysfs as the kernel lays it out: class/tty/ttyUSB0/device -> the interface, ids on the USB device above it
    usb_device = tmp_path / "devices" / "pci0000:00" / "usb1" / "1-1"
    interface = usb_device / "1-1:1.0" / "ttyUSB0"
    interface.mkdir(parents=True)
    (usb_device / "idVendor").write_text("1a86\n")
    (usb_device / "idProduct").write_text("7523\n")
    link = tmp_path / "class" / "tty" / "ttyUSB0"
    link.mkdir(parents=True)
    (link / "device").symlink_to(interface)
    assert usb_id_of("/dev/ttyUSB0", tmp_path) == UsbId("1a86", "7523")
    assert usb_id_of("/dev/ttyS0", tmp_path) is None
    assert usb_id_of("socket://10.0.0.5:4001", tmp_path) is None
