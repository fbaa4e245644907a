"""smartlead-tui: a keyboard-driven terminal inbox console for SmartLead."""

__version__ = "0.1.0"
