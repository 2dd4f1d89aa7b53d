"""The README's test command is exactly what CI runs, and its demo command calls `dq demo`."""
from tests.conftest import ROOT


def _command_lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip().startswith("python3 -m venv")]


def test_ci_runs_the_readme_test_command() -> None:
    readme = _command_lines((ROOT / "README.md").read_text(encoding="utf-8"))
    ci = _command_lines((ROOT / ".ci" / "run").read_text(encoding="utf-8"))
    assert len(readme) == 2 and readme[0].endswith("dq demo")
    assert ci == [readme[1]]
