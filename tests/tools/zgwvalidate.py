#!/usr/bin/python3
"""zgwvalidate SPEC SCHEMA FILE...: validate each JSON FILE against the
schema component SCHEMA of the OpenAPI document SPEC (YAML), with
python3-jsonschema; one TAP line per file.  $refs inside the document are
resolved; the formats uri and date-time are checked (without either
checker it bails out rather than pass unchecked)."""
import datetime
import json
import re
import sys

import jsonschema
import yaml


def main():
    spec_path, name, files = sys.argv[1], sys.argv[2], sys.argv[3:]
    with open(spec_path) as f:
        spec = yaml.safe_load(f)
    schema = dict(spec["components"]["schemas"][name])
    schema["components"] = spec["components"]      # for #/components refs
    checker = jsonschema.FormatChecker(
        jsonschema.draft7_format_checker.checkers.keys())

    # date-time as RFC 3339 says (jsonschema checks it only with a module
    # Debian 12 does not package)
    @checker.checks("date-time", raises=ValueError)
    def date_time(value):
        if not isinstance(value, str):
            return True
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}"
                            r"(\.\d+)?([Zz]|[+-]\d{2}:\d{2})", value):
            raise ValueError(f"{value!r} is not an RFC 3339 date-time")
        datetime.datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
        return True

    for needed in ("uri", "date-time"):
        if needed not in checker.checkers:
            print(f"Bail out! jsonschema cannot check format {needed}")
            return 1
    validator = jsonschema.Draft7Validator(schema, format_checker=checker)
    print(f"1..{len(files)}")
    bad = 0
    for i, path in enumerate(files, 1):
        with open(path) as f:
            doc = json.load(f)
        errors = sorted(validator.iter_errors(doc), key=lambda e: e.path)
        if errors:
            bad += 1
            print(f"not ok {i} - {path}: {name}")
            for e in errors:
                print(f"#   {list(e.path)}: {e.message}")
        else:
            print(f"ok {i} - {path} is a valid {name}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
