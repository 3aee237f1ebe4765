"""One distribution for the trace scale: edge firmware, simulators and central receiver."""

from setuptools import find_packages, setup

setup(
    name="trace-scale",
    version="0.1.0",
    description="Dual-screen trace scale (双屏溯源秤): edge agent, simulators and central receiver",
    python_requires=">=3.11",
    packages=find_packages(include=["edge", "edge.*", "simulator", "simulator.*", "central", "central.*"]),
    include_package_data=True,
    package_data={"central.console": ["templates/*.html", "static/*"]},  # the console's pages, CSS and script
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
        "central": [
            "psycopg[binary]>=3.1",
            "pynacl>=1.5",
            "orjson>=3.9",
            "fastapi>=0.110",  # central's HTTP side (central/web), OpenAPI generated from the routes
            "uvicorn>=0.30",  # serves it (h11 protocol)
            "jinja2>=3.1",  # the console's templates
            "python-multipart>=0.0.9",  # the console's forms
            "openpyxl>=3.1",  # the console's Excel export
            "mqtt5>=0.8,<0.9",  # MQTT v5 codec in Rust for the receivers and the fleet (central/mqtt_packets.py)
            "httpx>=0.27",  # the city-platform forwarder's client
        ],
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
