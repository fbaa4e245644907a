"""Local SmartLead look-alike server used by tests, demos and `smartlead-tui sandbox`."""

from smartlead_tui.sandbox.seed import CATEGORIES, ReplyRef, SeedData
from smartlead_tui.sandbox.server import FAULT_KINDS, RecordedRequest, SandboxServer

__all__ = ["CATEGORIES", "FAULT_KINDS", "RecordedRequest", "ReplyRef", "SandboxServer", "SeedData"]
