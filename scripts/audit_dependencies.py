"""Audit the installed Python packages for known vulnerabilities with pip-audit (PyPI's advisories).

Exit 0: every dependency was checked and none has a known vulnerability.
Exit 1: a vulnerability was found (each is listed with the version that fixes it).
Exit 2: some dependencies could not be checked (the advisory service unreachable, a package not on the
        index): the audit proved nothing, and says so. ``--allow-unaudited`` turns this case into a loud
        warning with exit 0, for a machine that cannot reach the advisory service; vulnerabilities that
        were found still fail.

Usage: python scripts/audit_dependencies.py [--allow-unaudited]
"""

import json
import subprocess  # nosec B404: runs pip-audit, a fixed command of our own
import sys
from pathlib import Path

OWN_PROJECT = "opsflow"  # installed in editable mode: not on the index, nothing to look up


def main(argv: list[str]) -> int:
    allow_unaudited = "--allow-unaudited" in argv
    pip_audit = Path(sys.executable).with_name("pip-audit")
    command = [str(pip_audit), "--format", "json", "--progress-spinner", "off", "--skip-editable"]
    result = subprocess.run(command, capture_output=True, text=True, check=False)  # nosec B603: fixed argv
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        print(result.stdout + result.stderr, file=sys.stderr)
        print(f"pip-audit failed (exit {result.returncode}) without a report: NOTHING WAS AUDITED.", file=sys.stderr)
        return 2
    vulnerable = [dep for dep in report["dependencies"] if dep.get("vulns")]
    unaudited = [dep for dep in report["dependencies"] if dep.get("skip_reason") and dep["name"] != OWN_PROJECT]
    audited = sum(1 for dep in report["dependencies"] if not dep.get("skip_reason"))
    for dep in vulnerable:
        for vuln in dep["vulns"]:
            fixed = ", ".join(vuln.get("fix_versions") or []) or "no fixed version yet"
            print(f"VULNERABLE {dep['name']} {dep['version']}: {vuln['id']} (fixed in {fixed})")
    print(f"pip-audit: {audited} packages checked, {len(vulnerable)} with known vulnerabilities.")
    if vulnerable:
        return 1
    if unaudited:
        banner = "!" * 100
        print(banner, file=sys.stderr)
        print(
            f"{len(unaudited)} PACKAGES WERE NOT AUDITED (first: {unaudited[0]['skip_reason']}).\n"
            "The advisory service could not be reached or does not know them: this audit proves nothing.",
            file=sys.stderr,
        )
        print(banner, file=sys.stderr)
        return 0 if allow_unaudited else 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
