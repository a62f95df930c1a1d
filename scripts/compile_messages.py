"""Compile every locale/*/LC_MESSAGES/django.po to .mo with polib (no GNU gettext needed)."""

import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    count = 0
    for po_path in ROOT.glob("locale/*/LC_MESSAGES/*.po"):
        po = polib.pofile(str(po_path))
        missing = [e.msgid for e in po if not e.obsolete and (not e.translated() or "fuzzy" in e.flags)]
        if missing:
            print(f"{po_path}: {len(missing)} untranslated, e.g. {missing[:3]}", file=sys.stderr)
        po.save_as_mofile(str(po_path.with_suffix(".mo")))
        count += 1
    print(f"compiled {count} catalogue(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
