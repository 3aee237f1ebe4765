"""Virtual weighing modules for every protocol of docs/protocols.md, over a pty or TCP.

Example::

    sim = VirtualScale(protocol="mt-sics", seed=1)
    with PtyLink(sim, directory=tmp_path) as link:  # or TcpLink(sim, "127.0.0.1", 0)
        port = serial.Serial(link.path)  # TcpLink: serial.serial_for_url(link.url)
        sim.put(1235)
"""

from simulator.scale.faults import FaultKind
from simulator.scale.frames import PROTOCOLS, Sample, WeightFormat
from simulator.scale.links import Link, PtyLink, TcpLink
from simulator.scale.module import KeyResult, ModuleConfig, Outcome, WeighingModule
from simulator.scale.scenario import Scenario, ScenarioPlayer, Step, parse_scenario
from simulator.scale.virtual import ScaleSession, VirtualScale

__all__ = [
    "PROTOCOLS",
    "FaultKind",
    "KeyResult",
    "Link",
    "ModuleConfig",
    "Outcome",
    "PtyLink",
    "Sample",
    "ScaleSession",
    "Scenario",
    "ScenarioPlayer",
    "Step",
    "TcpLink",
    "VirtualScale",
    "WeighingModule",
    "WeightFormat",
    "parse_scenario",
]
