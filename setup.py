"""One distribution for the trace scale: edge firmware, simulators and central receiver."""

from setuptools import find_packages, setup

setup(
    name="trace-scale",
    version="0.1.0",
    description="Dual-screen trace scale (双屏溯源秤): edge agent, simulators and central receiver",
    python_requires=">=3.11",
    packages=find_packages(include=["edge", "edge.*", "simulator", "simulator.*", "central", "central.*"]),
    include_package_data=True,
    install_requires=[
        "pyserial>=3.5",
        "sqlite-utils>=3.36",
        "pypinyin>=0.51",
        "python-escpos>=3.1",
        "pillow>=10",
        "qrcode>=7.4",
        "cryptography>=42",
        "paho-mqtt>=2.0",
    ],
    extras_require={
        "ui": ["kivy[base]>=2.3"],
        "central": ["psycopg[binary]>=3.1", "pynacl>=1.5", "orjson>=3.9", "httpx>=0.27"],  # httpx: the city forwarder
        "dev": [
            "pytest>=8",
            "pytest-timeout>=2.3",
            "hypothesis>=6.100",
            "ruff>=0.5",
            "zxing-cpp>=2.2",
            "playwright>=1.40",  # drives Debian's chromium (never its own browser download)
        ],
    },
    entry_points={"console_scripts": ["trace-edge=edge.cli:main"]},
)
