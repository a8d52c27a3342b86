"""The README documents every metric of the registry."""

from cxdata.model.registry import METRICS
from tests.conftest import ROOT


def test_readme_defines_every_metric():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [name for name in METRICS if f"| `{name}` |" not in readme]
    assert not missing, f"README metric table lacks: {missing}"


