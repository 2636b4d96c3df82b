#!/usr/bin/env python3
"""The dependency report: docs/DEPENDENCIES.md (for people) and docs/dependency-report.json
(every crate and npm package: name, version, licence, source, direct or transitive, and which
of our crates or which part of the UI and tests pulls it in), from `cargo metadata` and the
npm lockfiles; and docs/advisory-scan.json, the RustSec snapshot `make supply-chain` scans
against (from ../shared/advisory-db/SNAPSHOT.md), which `latchkey doctor --security` reports.

    scripts/deps.py              write the three files
    scripts/deps.py --check      fail when the committed files differ from what would be written
    scripts/deps.py --sbom FILE  write a CycloneDX 1.5 SBOM of the Rust workspace to FILE

The SBOM is built here from `cargo metadata` rather than by cargo-cyclonedx, which links all
of cargo and would add minutes of build to every fresh machine for the same JSON.
"""

import json
import subprocess
import sys
import uuid
from datetime import datetime, timezone
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MARKDOWN = ROOT / "docs" / "DEPENDENCIES.md"
REPORT = ROOT / "docs" / "dependency-report.json"
SCAN = ROOT / "docs" / "advisory-scan.json"
ADVISORY_SNAPSHOT = ROOT.parent / "shared" / "advisory-db" / "SNAPSHOT.md"
# What ships: the Linux build we test and the macOS build we sell.
PLATFORMS = ["x86_64-unknown-linux-gnu", "aarch64-apple-darwin"]
NPM_LOCKS = {
    "package-lock.json": "ui",
    "tests/interop/package-lock.json": "tests/interop",
    "tests/contract/package-lock.json": "tests/contract",
    "tests/conformance/package-lock.json": "tests/conformance",
}

# Why each direct dependency is there, in a line. A crate missing here is listed with its
# own description, marked so, until someone writes why.
WHY = {
    "anyhow": "error context in binaries and tests",
    "aws-sdk-secretsmanager": "AWS Secrets Manager's GetSecretValue for aws-sm:// references (the official SDK, default features off, rustls)",
    "aws-sdk-sts": "AssumeRole for an AWS credential with --role-arn (the official SDK, default features off, rustls)",
    "azure_core": "Azure SDK core for the Key Vault client: Latchkey's reqwest client as its transport, retries off (default features off)",
    "azure_identity": "the service principal's sign-in (ClientSecretCredential) for azure-kv:// references (default features off)",
    "azure_security_keyvault_secrets": "Azure Key Vault's Get Secret for azure-kv:// references, with the vault's challenge-based sign-in (the official SDK, default features off)",
    "axum": "MCP over loopback HTTP (the broker), the mock Jamf Pro server and other loopback test servers",
    "block2": "Objective-C blocks for the Keychain, LocalAuthentication and sleep notifications (macOS)",
    "chrono": "timestamps in the audit, SOFA dates, check-in ages",
    "clap": "the `latchkey` command line",
    "core-foundation": "Core Foundation types for the Keychain (macOS)",
    "csv": "fleet input and output for `latchkey sofa fleet`",
    "flate2": "tests only: gzip bombs for the body caps",
    "getrandom": "approval ids and secrets' salts from the OS's random source",
    "hex": "the settings seal's MAC as text",
    "hmac": "sealing assistants.json and settings.json (HMAC-SHA256)",
    "humantime": "durations people type (`--for 4h`)",
    "libc": "caller identity on macOS (LOCAL_PEERPID, proc_pidinfo), low-level process calls, and a child's peak RSS (wait4) in the sofa fleet bench",
    "objc2": "Objective-C runtime bindings (macOS)",
    "objc2-app-kit": "NSWorkspace sleep and wake notifications (macOS)",
    "objc2-foundation": "Foundation types and distributed notifications (macOS screen lock)",
    "objc2-local-authentication": "Touch ID presence checks (macOS)",
    "oo7": "the Secret Service (gnome-keyring) on Linux",
    "plist": "reading an app bundle's Info.plist to name the calling app (macOS)",
    "reqwest": "HTTPS to Jamf Pro, vCenter, Vault, the SOFA feed and (as the Azure SDK's transport) Azure, rustls only; the HTTP listener's tests",
    "rmcp": "the MCP server and client (the official Rust SDK), over the socket and Streamable HTTP",
    "rpassword": "reading a secret from the terminal without echo",
    "rusqlite": "the audit log (SQLite with FTS5, bundled)",
    "rustls": "vCenter certificate pinning: a verifier of our own over reqwest's TLS; tests: the TLS of the fake vCenter and the Azure stand-in",
    "rustix": "locked secret pages, CLOCK_BOOTTIME, process hardening",
    "schemars": "JSON Schemas of the MCP tools' inputs and outputs",
    "security-framework": "the macOS Keychain",
    "security-framework-sys": "Keychain constants security-framework does not wrap (macOS)",
    "serde": "serialisation everywhere",
    "serde_json": "JSON: MCP, Jamf Pro, SOFA, the audit",
    "subtle": "MCP over HTTP: bearer tokens compared in constant time",
    "sha2": "the audit hash chain and facet tokens (0.11); HMAC-SHA256 for the settings seal (0.10)",
    "tauri": "the menu-bar app and its webview",
    "tauri-build": "the app's build script",
    "tauri-plugin-autostart": "launch at login (a LaunchAgent on macOS, an XDG autostart entry on Linux), switched from Settings",
    "tauri-plugin-notification": "desktop notifications of the broker's notices (an exploited fix missing, Macs overdue); its notify-rust is held at 4.18 in the lockfile, the last on the zbus 5 the Secret Service client already uses",
    "tauri-plugin-opener": "opening links and files from the app",
    "tauri-plugin-single-instance": "one app per user",
    "tempfile": "atomic file writes and test directories",
    "thiserror": "error types that name what failed",
    "tokio": "the async runtime",
    "tokio-rustls": "tests only: the fake vCenter and the Azure stand-in over TLS",
    "tracing": "logs",
    "tracing-subscriber": "log output and filtering",
    "ts-rs": "the UI's IPC types in TypeScript, generated from the Rust types (each crate's optional `ts` feature, turned on only by src-tauri's generator test: nothing shipped carries it)",
    "zbus": "D-Bus: polkit, logind sleep signals, the screen saver",
    "zeroize": "wiping secrets from memory",
}


def cargo_metadata():
    args = ["cargo", "metadata", "--format-version", "1", "--locked", "--offline"]
    for platform in PLATFORMS:
        args += ["--filter-platform", platform]
    return json.loads(subprocess.run(args, cwd=ROOT, check=True, capture_output=True).stdout)


def rust_packages(meta):
    packages = {p["id"]: p for p in meta["packages"]}
    ours = set(meta["workspace_members"])
    graph = {n["id"]: n["deps"] for n in meta["resolve"]["nodes"]}
    direct = {}  # package id -> kinds it is used as by one of ours
    direct_users = defaultdict(set)  # package id -> our crates that name it in Cargo.toml
    pulled_by = defaultdict(set)  # package id -> our crates that reach it
    for member in ours:
        name = packages[member]["name"]
        for dep in graph.get(member, []):
            if dep["pkg"] in ours:
                continue
            kinds = {k["kind"] or "normal" for k in dep["dep_kinds"]}
            direct.setdefault(dep["pkg"], set()).update(kinds)
            direct_users[dep["pkg"]].add(name)
        # Everything reachable from this crate (dev-dependencies of our own crates only).
        stack, seen = [d["pkg"] for d in graph.get(member, []) if d["pkg"] not in ours], set()
        while stack:
            pkg = stack.pop()
            if pkg in seen:
                continue
            seen.add(pkg)
            pulled_by[pkg].add(name)
            stack.extend(
                d["pkg"]
                for d in graph.get(pkg, [])
                if any(k["kind"] != "dev" for k in d["dep_kinds"]) and d["pkg"] not in ours
            )
    rows = []
    for pkg_id, package in packages.items():
        if pkg_id in ours:
            continue
        kinds = direct.get(pkg_id)
        rows.append(
            {
                "name": package["name"],
                "version": package["version"],
                "license": package.get("license") or "unknown",
                "source": "crates.io" if "crates.io-index" in (package.get("source") or "") else package.get("source") or "local",
                "direct": kinds is not None,
                "dev_only": kinds is not None and kinds == {"dev"},
                "used_directly_by": sorted(direct_users.get(pkg_id, [])),
                "pulled_in_by": sorted(pulled_by.get(pkg_id, [])),
                "description": (package.get("description") or "").strip().split("\n")[0],
            }
        )
    return sorted(rows, key=lambda r: (r["name"], r["version"]))


def npm_packages():
    rows = []
    for lock_path, part in NPM_LOCKS.items():
        lock = json.loads((ROOT / lock_path).read_text())
        root = lock["packages"][""]
        declared = set(root.get("dependencies", {})) | set(root.get("devDependencies", {}))
        for path, entry in lock["packages"].items():
            if not path:
                continue
            name = entry.get("name") or path.rsplit("node_modules/", 1)[-1]
            rows.append(
                {
                    "name": name,
                    "version": entry.get("version", ""),
                    "license": entry.get("license") or "unknown",
                    "source": entry.get("resolved") or "registry.npmjs.org",
                    "direct": path == f"node_modules/{name}" and name in declared,
                    "dev_only": bool(entry.get("dev")),
                    "pulled_in_by": [part],
                }
            )
    return sorted(rows, key=lambda r: (r["name"], r["version"], r["pulled_in_by"]))


def markdown(rust, npm):
    out = [
        "# Dependencies",
        "",
        "Generated by `make deps` (scripts/deps.py) from `cargo metadata` and the npm lockfiles;",
        "`make test` fails when this file or `dependency-report.json` is stale. Every crate and",
        "package, with its licence, source and what pulls it in, is in `dependency-report.json`.",
        "Licences and sources are enforced by `deny.toml` (cargo-deny) and",
        "`scripts/check-npm-lock.mjs`; see SECURITY.md for what happens when one has an advisory.",
        "",
        f"Rust ({', '.join(PLATFORMS)}): {sum(r['direct'] for r in rust)} direct, "
        f"{sum(not r['direct'] for r in rust)} transitive, {len(rust)} in all.",
        "",
        "| Crate | Version | Licence | Used by | Why |",
        "|---|---|---|---|---|",
    ]
    for r in (r for r in rust if r["direct"]):
        why = WHY.get(r["name"]) or f"(its own words) {r['description']}"
        if r["dev_only"]:
            why = f"tests and benchmarks: {why}"
        out.append(f"| {r['name']} | {r['version']} | {r['license']} | {', '.join(r['used_directly_by'])} | {why} |")
    by_part = defaultdict(lambda: [0, 0])
    for r in npm:
        by_part[r["pulled_in_by"][0]][0 if r["direct"] else 1] += 1
    out += ["", "npm:", ""]
    for part, (direct, transitive) in sorted(by_part.items()):
        out.append(f"- {part}: {direct} direct, {transitive} transitive")
    out += ["", "| npm package (direct) | Version | Licence | Part |", "|---|---|---|---|"]
    for r in (r for r in npm if r["direct"]):
        out.append(f"| {r['name']} | {r['version']} | {r['license']} | {r['pulled_in_by'][0]} |")
    licences = defaultdict(int)
    for r in rust + npm:
        licences[r["license"]] += 1
    out += ["", "Licences, all packages:", ""]
    for licence, count in sorted(licences.items(), key=lambda kv: (-kv[1], kv[0])):
        out.append(f"- {licence}: {count}")
    return "\n".join(out) + "\n"


def purl(package):
    return f"pkg:cargo/{package['name']}@{package['version']}"


def sbom(meta):
    """CycloneDX 1.5: every resolved crate, its licence and hash-free purl, and the graph."""
    packages = {p["id"]: p for p in meta["packages"]}
    ours = set(meta["workspace_members"])

    def component(package):
        out = {
            "type": "application" if package["id"] in ours else "library",
            "bom-ref": purl(package),
            "name": package["name"],
            "version": package["version"],
            "purl": purl(package),
        }
        if package.get("license"):
            out["licenses"] = [{"expression": package["license"]}]
        if package["id"] not in ours:
            out["scope"] = "required"
        return out

    return {
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "serialNumber": f"urn:uuid:{uuid.uuid4()}",
        "version": 1,
        "metadata": {
            "timestamp": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "tools": {"components": [{"type": "application", "name": "latchkey scripts/deps.py"}]},
            "component": {"type": "application", "bom-ref": "latchkey", "name": "latchkey"},
            "properties": [{"name": "latchkey:platforms", "value": " ".join(PLATFORMS)}],
        },
        "components": [component(p) for p in sorted(packages.values(), key=purl)],
        "dependencies": [
            {"ref": purl(packages[n["id"]]), "dependsOn": sorted(purl(packages[d["pkg"]]) for d in n["deps"])}
            for n in sorted(meta["resolve"]["nodes"], key=lambda n: purl(packages[n["id"]]))
        ],
    }


def advisory_scan(rust, npm):
    """The RustSec snapshot the gate uses: its upstream commit and date, as SNAPSHOT.md says."""
    import re

    if not ADVISORY_SNAPSHOT.exists():
        sys.exit(f"deps: no advisory snapshot at {ADVISORY_SNAPSHOT}")
    said = re.search(r"at commit ([0-9a-f]{40})\s*\((\d{4}-\d{2}-\d{2})\)", ADVISORY_SNAPSHOT.read_text())
    if not said:
        sys.exit(f"deps: {ADVISORY_SNAPSHOT} names no commit and date")
    scan = {
        "advisory_db": {"commit": said.group(1), "date": said.group(2)},
        "scanner": "cargo-deny (make supply-chain)",
        "rust_crates": len(rust),
        "npm_packages": len(npm),
    }
    return json.dumps(scan, indent=1) + "\n"


def main():
    if sys.argv[1:2] == ["--sbom"] and len(sys.argv) == 3:
        Path(sys.argv[2]).write_text(json.dumps(sbom(cargo_metadata()), indent=1) + "\n")
        print(f"sbom: wrote {sys.argv[2]}")
        return
    rust, npm = rust_packages(cargo_metadata()), npm_packages()
    report = json.dumps({"platforms": PLATFORMS, "rust": rust, "npm": npm}, indent=1) + "\n"
    text = markdown(rust, npm)
    scan = advisory_scan(rust, npm)
    files = ((MARKDOWN, text), (REPORT, report), (SCAN, scan))
    if sys.argv[1:] == ["--check"]:
        stale = [p for p, want in files if not p.exists() or p.read_text() != want]
        if stale:
            names = ", ".join(str(p.relative_to(ROOT)) for p in stale)
            sys.exit(f"deps: {names} out of date with the lockfiles: run `make deps` and commit")
        print("deps: docs/DEPENDENCIES.md, dependency-report.json and advisory-scan.json are current")
        return
    for path, want in files:
        path.write_text(want)
    print("deps: wrote docs/DEPENDENCIES.md, dependency-report.json and advisory-scan.json")


if __name__ == "__main__":
    main()
