//! The UI's IPC types in TypeScript, generated from the Rust types the commands take, return
//! and emit (ts-rs): one file per type in `ui/src/lib/backend/generated/`, and an `index.ts`
//! that re-exports them all. The UI imports them through `ui/src/lib/backend/index.ts`, so a
//! field added, renamed or made optional in Rust reaches the UI's type check.
//!
//! `make ts-types` writes the files; this test fails while the committed ones are stale.

use std::any::TypeId;
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use latchkey_audit::{ExportFormat, Facets, Filter, SearchPage};
use latchkey_broker::control::{ControlError, VcenterRead};
use latchkey_broker::tools::jamf_changes::PlanOsUpdateResult;
use latchkey_broker::tools::vsphere::{VcenterList, VcenterVm, VcenterVms};
use latchkey_broker::{
    ApprovalRequest, ConfigSnippet, CredentialsOverview, Grant, HttpStatus, HttpToken,
    NewHttpToken, Settings, SettingsView, SofaOverview, Verdict, VersionReport, VmPowerRequest,
    VmPowerResult,
};
use latchkey_jamf::{ConnectionCheck, FleetSecurityReport, PlanPreview};
use latchkey_vault::Account;
use latchkey_vsphere::{
    CertificateProbe, ClusterSummary, ConnectionCheck as VcenterCheck, DatastoreSummary,
    HostSummary, PowerAction,
};
use ts_rs::{Config, TS, TypeVisitor};

use crate::commands::{AppStatus, AssistantView, ChainStatus, FleetProgressEvent, PlanAsked};
use crate::presence::PromptEvent;

/// Where the files go, from src-tauri/.
const GENERATED: &str = "../ui/src/lib/backend/generated";
/// Set to write the files instead of comparing them (`make ts-types`).
const UPDATE: &str = "UPDATE_TS_TYPES";

/// Collects each type's file, following the types it refers to.
struct Files {
    config: Config,
    seen: HashSet<TypeId>,
    /// Path (relative to GENERATED) → contents, and the Rust type that wrote it.
    files: BTreeMap<PathBuf, (String, &'static str)>,
    /// Two Rust types that would write the same file.
    clashes: Vec<String>,
}

impl Files {
    fn new() -> Self {
        Self {
            // u64 and i64 are JSON numbers on the wire, and every value Latchkey sends fits.
            config: Config::new().with_large_int("number"),
            seen: HashSet::new(),
            files: BTreeMap::new(),
            clashes: Vec::new(),
        }
    }
}

impl TypeVisitor for Files {
    fn visit<T: TS + 'static + ?Sized>(&mut self) {
        let Some(path) = T::output_path() else {
            return; // a built-in type (string, number, arrays…): nothing to write
        };
        if !self.seen.insert(TypeId::of::<T>()) {
            return;
        }
        let text = T::export_to_string(&self.config)
            .unwrap_or_else(|e| panic!("{}: {e}", std::any::type_name::<T>()));
        let rust = std::any::type_name::<T>();
        match self.files.get(&path) {
            // A generic type's instances (VcenterList<HostSummary>, …) share one declaration.
            Some((same, _)) if *same == text => {}
            Some((_, other)) => self.clashes.push(format!(
                "{rust} and {other} both become {}: give one a #[ts(rename = \"…\")]",
                path.display()
            )),
            None => {
                self.files.insert(path, (text, rust));
            }
        }
        T::visit_dependencies(self);
    }
}

/// Every generated file by its path under GENERATED, the index included.
fn generate() -> BTreeMap<PathBuf, String> {
    let mut files = Files::new();
    // What the commands take and return, and what events carry (see index.ts's `backend`).
    files.visit::<AppStatus>();
    files.visit::<SofaOverview>();
    files.visit::<VersionReport>();
    files.visit::<CredentialsOverview>();
    files.visit::<Account>();
    files.visit::<ControlError>();
    files.visit::<Settings>();
    files.visit::<SettingsView>();
    files.visit::<HttpStatus>();
    files.visit::<HttpToken>();
    files.visit::<NewHttpToken>();
    files.visit::<PromptEvent>();
    files.visit::<Filter>();
    files.visit::<SearchPage>();
    files.visit::<ChainStatus>();
    files.visit::<ExportFormat>();
    files.visit::<Facets>();
    files.visit::<AssistantView>();
    files.visit::<Verdict>();
    files.visit::<ConfigSnippet>();
    files.visit::<FleetSecurityReport>();
    files.visit::<FleetProgressEvent>();
    files.visit::<ConnectionCheck>();
    files.visit::<VcenterCheck>();
    files.visit::<CertificateProbe>();
    files.visit::<VcenterRead>();
    files.visit::<VcenterVms>();
    files.visit::<VcenterVm>();
    files.visit::<VcenterList<HostSummary>>();
    files.visit::<VcenterList<ClusterSummary>>();
    files.visit::<VcenterList<DatastoreSummary>>();
    files.visit::<PowerAction>();
    files.visit::<VmPowerRequest>();
    files.visit::<VmPowerResult>();
    files.visit::<ApprovalRequest>();
    files.visit::<Grant>();
    files.visit::<PlanAsked>();
    files.visit::<PlanPreview>();
    files.visit::<PlanOsUpdateResult>();
    assert!(files.clashes.is_empty(), "{}", files.clashes.join("\n"));

    let mut out: BTreeMap<PathBuf, String> = files
        .files
        .into_iter()
        .map(|(path, (text, _))| (path, text))
        .collect();
    let mut index = String::from(
        "// Generated by src-tauri/src/ts_types.rs (`make ts-types`). Do not edit this file manually.\n",
    );
    for path in out.keys() {
        let module = path.with_extension("");
        index.push_str(&format!("export type * from './{}';\n", module.display()));
    }
    out.insert(PathBuf::from("index.ts"), index);
    out
}

/// Every file under `dir`, by its path relative to `dir`.
fn read_dir(dir: &Path) -> BTreeMap<PathBuf, String> {
    let mut found = BTreeMap::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(at) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&at) else {
            continue;
        };
        for entry in entries {
            let path = entry.expect("a readable directory entry").path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let text = std::fs::read_to_string(&path)
                    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                let relative = path.strip_prefix(dir).expect("under dir").to_owned();
                found.insert(relative, text);
            }
        }
    }
    found
}

#[test]
fn generated_typescript_is_current() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(GENERATED);
    let wanted = generate();
    if std::env::var_os(UPDATE).is_some() {
        if dir.exists() {
            std::fs::remove_dir_all(&dir).expect("remove the old generated files");
        }
        for (path, text) in &wanted {
            let path = dir.join(path);
            std::fs::create_dir_all(path.parent().expect("a parent")).expect("create dir");
            std::fs::write(&path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        }
        return;
    }
    let committed = read_dir(&dir);
    let mut stale: Vec<String> = Vec::new();
    for (path, text) in &wanted {
        match committed.get(path) {
            None => stale.push(format!("missing: {}", path.display())),
            Some(old) if old != text => stale.push(format!("out of date: {}", path.display())),
            Some(_) => {}
        }
    }
    for path in committed.keys().filter(|p| !wanted.contains_key(*p)) {
        stale.push(format!("no longer generated: {}", path.display()));
    }
    assert!(
        stale.is_empty(),
        "ui/src/lib/backend/generated/ does not match the Rust types; run `make ts-types` \
         (UPDATE_TS_TYPES=1 cargo test -p latchkey-app --lib ts_types) and commit the result:\n{}",
        stale.join("\n")
    );
}

#[test]
fn two_types_of_one_name_are_caught() {
    // Only their TypeScript is wanted: the fields are never read.
    #[allow(dead_code)]
    mod jamf {
        #[derive(ts_rs::TS)]
        pub struct Check {
            pub server: String,
        }
    }
    #[allow(dead_code)]
    mod vcenter {
        #[derive(ts_rs::TS)]
        pub struct Check {
            pub host: String,
        }
    }
    let mut files = Files::new();
    files.visit::<jamf::Check>();
    files.visit::<vcenter::Check>();
    assert_eq!(files.clashes.len(), 1, "{:?}", files.clashes);
    assert!(
        files.clashes[0].contains("Check.ts"),
        "{}",
        files.clashes[0]
    );
}
