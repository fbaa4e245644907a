"""Allow `python -m smartlead_tui`."""

from smartlead_tui.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
