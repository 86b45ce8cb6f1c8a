"""Give every notebook under nbs/ the kernelspec python3 (issue 25, point 6), editing only the notebook-level metadata.

nbdev 2's nbdev_clean keeps `kernelspec` (one of its always-allowed metadata keys) but sets its display_name to its name,
so the form that survives cleaning is {"display_name": "python3", "language": "python", "name": "python3"}; JupyterLab
finds the kernel by `name`. Written in nbdev_clean's formatting (sorted keys, indent 1, UTF-8, final newline);
idempotent. Run from the repository root: python3 scripts/set_kernelspec.py"""
import json
from pathlib import Path

KERNELSPEC = {"display_name": "python3", "language": "python", "name": "python3"}
changed = []
for f in sorted(Path("nbs").rglob("*.ipynb")):
    if any(part.startswith((".", "_")) for part in f.parts):  # checkpoints, _proc: as nbdev_clean skips them
        continue
    text = f.read_text(encoding="utf-8")
    nb = json.loads(text)
    if nb.get("metadata", {}).get("kernelspec") == KERNELSPEC:
        continue
    nb.setdefault("metadata", {})["kernelspec"] = dict(KERNELSPEC)
    f.write_text(json.dumps(nb, sort_keys=True, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    changed.append(str(f))
print(f"kernelspec set in {len(changed)} notebook(s)" + "".join(f"\n  {c}" for c in changed))
