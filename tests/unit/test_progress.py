import io
import time

from web.cli.progress import Progress, progress


def test_without_a_terminal_a_line_every_few_seconds_with_rate_and_eta() -> None:
    out = io.StringIO()
    with progress("rebuilding projects", 1000, stream=out, every=0.05) as advance:
        advance(500)
        deadline = time.monotonic() + 30
        while out.getvalue().count("\n") < 2 and time.monotonic() < deadline:  # no step counted meanwhile
            time.sleep(0.01)
    lines = out.getvalue().splitlines()
    assert len(lines) >= 3  # lines while nothing was counted (an index being built), one at the end
    assert all(line.startswith("rebuilding projects: 500/1,000 (50%)") for line in lines)
    assert "/s, ETA" in lines[0] and "\r" not in out.getvalue()


def test_on_a_terminal_a_bar_redrawn_in_place() -> None:
    out = io.StringIO()
    tracker = Progress("export", 10, out, every=5.0, tty=True)
    tracker(10)
    tracker.finish()
    assert out.getvalue().startswith("\r")
    assert "[############################] 10/10 (100%)" in out.getvalue()
    assert out.getvalue().endswith("\n")


def test_unknown_total_reports_count_and_rate() -> None:
    out = io.StringIO()
    tracker = Progress("import", None, out, every=5.0, tty=False)
    tracker(1234)
    tracker.finish()
    assert out.getvalue().startswith("import: 1,234 done, ")
