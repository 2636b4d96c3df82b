# Two commands for a fresh machine (see README):
#   make run    install what is missing, build, launch the menu-bar app
#   make test   install what is missing, run every check CI runs
# Each concern also has its own target (fmt, lint, supply-chain, unit, ui-test, e2e, interop,
# conformance, macos-check, bench), and `make deps` / `make sbom` write the dependency report and SBOMs.

CARGO_FLAGS := --locked
# A clean clone gains nothing from incremental caches, and they double target/'s size.
ifeq ($(CI),true)
export CARGO_INCREMENTAL := 0
endif
export CARGO_TERM_COLOR ?= never

.PHONY: run test setup setup-test ui app fmt lint supply-chain deps sbom ts-types unit ui-test e2e interop conformance macos-check bench

run: setup ui
	cargo build $(CARGO_FLAGS) -p latchkey-app -p latchkey-cli
	./target/debug/latchkey-app --open

ifeq ($(shell uname -s),Darwin)
# No WebDriver for WKWebView, and a native build already covers what macos-check proves.
TEST_STEPS := fmt lint supply-chain unit interop conformance ui-test app
WITH_KEYRING :=
else
TEST_STEPS := fmt lint supply-chain unit interop conformance ui-test app e2e macos-check
# Unit tests meet a real Secret Service: gnome-keyring in a private D-Bus session.
WITH_KEYRING := scripts/with-keyring.sh
endif

test: setup-test ui
	$(MAKE) $(TEST_STEPS)
	@echo "make test: every check passed ($(TEST_STEPS))"

setup:
	scripts/setup.sh

setup-test:
	scripts/setup.sh --test

# The webview's assets; the app embeds dist/ at compile time, so this precedes every cargo build.
ui:
	npm run build

# What ships: built without dev-dependencies, so the test-only scripted presence check must be
# absent (unit tests and `make bench` build the same binaries with it, in debug and release;
# this build replaces them, and scripts/check-shipped.sh checks every one left in target/).
app:
	cargo build $(CARGO_FLAGS) --workspace
	@if [ -e target/release/latchkey ] || [ -e target/release/latchkey-app ]; then \
		cargo build $(CARGO_FLAGS) --release -p latchkey-cli -p latchkey-app; fi
	scripts/check-shipped.sh target

fmt:
	cargo fmt --all --check

lint:
	cargo clippy --workspace --all-targets $(CARGO_FLAGS) -- -D warnings

# Advisories (offline RustSec snapshot), licences, sources and duplicates; proof the gate
# bites; the npm lockfiles' sources and hashes; the committed dependency report is current.
supply-chain:
	scripts/deny.sh
	scripts/deny-bites.sh
	node scripts/check-npm-lock.mjs
	scripts/deps.py --check

deps:
	scripts/deps.py

sbom:
	mkdir -p target/sbom
	scripts/deps.py --sbom target/sbom/latchkey-rust.cdx.json
	npm sbom --package-lock-only --sbom-format cyclonedx --sbom-type application > target/sbom/latchkey-ui.cdx.json
	@echo "sbom: target/sbom/latchkey-rust.cdx.json, target/sbom/latchkey-ui.cdx.json"

# The UI's IPC types (ui/src/lib/backend/generated/), written from the Rust types by
# src-tauri/src/ts_types.rs; `unit` runs the same test, which fails while they are stale.
ts-types: ui
	UPDATE_TS_TYPES=1 cargo test $(CARGO_FLAGS) -p latchkey-app --lib ts_types

unit:
	$(WITH_KEYRING) cargo test --workspace $(CARGO_FLAGS)

ui-test:
	npm run check
	npm test

e2e: app
	tests/e2e/run.sh

# Real MCP clients against a test build of `latchkey` (its scripted presence check admits
# them; a shipped build asks the person), so this runs before `app` replaces the binaries.
# Built as `unit` builds it (--workspace: the same features, so after `unit` nothing is built
# again; `-p latchkey-cli` would resolve features for the CLI alone and rebuild half the tree).
interop:
	cargo test $(CARGO_FLAGS) --workspace --no-run
	tests/interop/run.sh

# The official MCP conformance suite against the loopback HTTP listener (a test build again:
# its scripted presence check turns HTTP on and makes the token; http.json is sealed with a
# key in the Secret Service, hence the keyring).
conformance:
	cargo test $(CARGO_FLAGS) --workspace --no-run
	$(WITH_KEYRING) tests/conformance/run.sh

macos-check:
	../shared/tools/check-macos --workspace --all-targets $(CARGO_FLAGS)

bench: setup-test ui
	cargo bench $(CARGO_FLAGS) -p latchkey-sofa --bench sofa
	cargo bench $(CARGO_FLAGS) -p latchkey-vault --bench session
	cargo bench $(CARGO_FLAGS) -p latchkey-audit --bench audit
	cargo bench $(CARGO_FLAGS) -p latchkey-jamf --bench fleet
	cargo bench $(CARGO_FLAGS) -p latchkey-broker --bench approvals
	cargo bench $(CARGO_FLAGS) -p latchkey-broker --bench vsphere
	cargo bench $(CARGO_FLAGS) -p latchkey-cli --bench sofa_fleet
	cargo build $(CARGO_FLAGS) --release -p latchkey-app
	# Inside an unlocked keyring of its own: a broker (and the app) that meets no keyring
	# would have gnome-keyring ask to create one, and wait forever for an answer.
	LATCHKEY_APP=$(CURDIR)/target/release/latchkey-app xvfb-run -a $(WITH_KEYRING) \
		cargo bench $(CARGO_FLAGS) -p latchkey-cli --bench mcp_roundtrip
