"""JUnit XML, for CI systems that show test reports but not lint annotations.

One testsuite, one testcase per file with findings, one `<failure>` per finding: a file
reads as a failed test listing its faults.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from itertools import groupby

from orgscope_lint.findings import Finding
from orgscope_lint.reporters import Report, ordered

SUITE = "orgscope-lint"

# Characters XML 1.0 cannot carry even escaped; ElementTree would write them raw and
# produce a document no parser accepts.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def render(report: Report) -> str:
    root = document(report)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def document(report: Report) -> ET.Element:
    active = ordered(report.active)
    by_file = [(path, list(group)) for path, group in groupby(active, key=lambda f: f.path)]
    counts = {
        "tests": str(len(by_file)),
        # The number of <failure> elements, one per finding: the count a reader wants.
        "failures": str(len(active)),
        "errors": "0",
        "skipped": "0",
    }
    root = ET.Element("testsuites", {"name": SUITE, **counts})
    suite = ET.SubElement(root, "testsuite", {"name": SUITE, **counts})
    props = ET.SubElement(suite, "properties")
    for name, value in (
        ("files_checked", report.files_checked),
        ("suppressed", len(report.findings) - len(active)),
        ("version", report.version),
    ):
        ET.SubElement(props, "property", {"name": name, "value": str(value)})
    for path, findings in by_file:
        case = ET.SubElement(
            suite, "testcase", {"name": clean(path), "classname": SUITE, "file": clean(path)}
        )
        for finding in findings:
            failure = ET.SubElement(
                case, "failure", {"type": finding.code, "message": clean(finding.message)}
            )
            failure.text = clean(details(finding))
    return root


def details(finding: Finding) -> str:
    return (
        f"{finding.path}:{finding.line}:{finding.column}: {finding.code} "
        f"{finding.name} ({finding.severity.value}): {finding.message}"
    )


def clean(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)
