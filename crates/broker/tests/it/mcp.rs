//! The broker's MCP surface, driven by rmcp's own client: in-process over a duplex pipe for
//! what assistants see, and over a real socket for how the broker binds and serves.

use crate::common;

use std::time::Duration;

use latchkey_broker::tools::status::StatusReport;
use latchkey_broker::{Broker, Error, LatchkeyServer, StatePaths, VERSION};
use rmcp::model::CallToolRequestParams;
use rmcp::service::RunningService;
use rmcp::{RoleClient, ServiceExt};

async fn in_process_client() -> RunningService<RoleClient, ()> {
    common::client_for(LatchkeyServer::new(common::services(), None)).await
}

async fn call_status(client: &RunningService<RoleClient, ()>) -> StatusReport {
    let result = client
        .call_tool(CallToolRequestParams::new("latchkey_status"))
        .await
        .expect("latchkey_status call");
    assert_ne!(
        result.is_error,
        Some(true),
        "latchkey_status failed: {result:?}"
    );
    let structured = result.structured_content.expect("structured output");
    serde_json::from_value(structured).expect("output matches StatusReport")
}

/// What assistants see of our tools (names, descriptions, schemas, annotations) is a
/// contract: a change must be deliberate. Regenerate with `UPDATE_GOLDEN=1 cargo test`.
#[tokio::test]
async fn tools_list_matches_the_golden_file() {
    let client = in_process_client().await;
    let tools = client.list_all_tools().await.expect("tools/list");
    let actual = serde_json::to_string_pretty(&tools).unwrap() + "\n";
    let golden = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/tools_list.json");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(golden, &actual).unwrap();
    }
    let expected =
        std::fs::read_to_string(golden).expect("golden file (UPDATE_GOLDEN=1 creates it)");
    assert_eq!(
        actual, expected,
        "tools/list changed; if on purpose, rerun with UPDATE_GOLDEN=1"
    );
}

/// Issue #15: `latchkey jamf privileges` and the connection test's privilege check cover every
/// Jamf tool an assistant sees, and agree on which of them change things.
#[tokio::test]
async fn the_jamf_privilege_table_covers_every_jamf_tool() {
    let client = in_process_client().await;
    let tools = client.list_all_tools().await.unwrap();
    let mut offered: Vec<(String, bool)> = tools
        .iter()
        .filter(|t| t.name.starts_with("jamf_"))
        .map(|t| {
            let read_only = t.annotations.as_ref().and_then(|a| a.read_only_hint);
            (t.name.to_string(), read_only != Some(true))
        })
        .collect();
    let mut tabled: Vec<(String, bool)> = latchkey_jamf::TOOLS
        .iter()
        .map(|t| (t.tool.to_owned(), t.changes))
        .collect();
    offered.sort();
    tabled.sort();
    assert_eq!(tabled, offered);
}

#[tokio::test]
async fn only_the_remediation_tools_change_things_and_each_has_an_object_output_schema() {
    let client = in_process_client().await;
    let tools = client.list_all_tools().await.unwrap();
    assert_eq!(tools.len(), 28);
    let changing = [
        "jamf_blank_push",
        "jamf_plan_os_update",
        "jamf_redeploy_framework",
        "vsphere_vm_power",
    ];
    // Stopping or resetting a VM loses what it had not saved.
    let destructive = ["vsphere_vm_power"];
    for tool in &tools {
        let hints = tool.annotations.as_ref().expect("annotations");
        let reads = !changing.contains(&tool.name.as_ref());
        assert_eq!(hints.read_only_hint, Some(reads), "{}", tool.name);
        let destroys = destructive.contains(&tool.name.as_ref());
        assert_eq!(hints.destructive_hint, Some(destroys), "{}", tool.name);
        let schema = tool.output_schema.as_ref().expect("output schema");
        assert_eq!(schema["type"], "object", "{}", tool.name);
    }
    let status = tools.iter().find(|t| t.name == "latchkey_status").unwrap();
    let required = status.output_schema.as_ref().unwrap()["required"].clone();
    assert!(required.as_array().unwrap().iter().any(|f| f == "version"));
}

#[tokio::test]
async fn status_reports_version_domains_and_tools() {
    let client = in_process_client().await;
    let info = client.peer_info().expect("server info");
    assert_eq!(
        info.server_info.as_ref().map(|i| i.version.as_str()),
        Some(VERSION)
    );
    let report = call_status(&client).await;
    assert_eq!(report.version, VERSION);
    assert!(report.domains.is_empty());
    assert_eq!(
        report.capabilities.tools,
        [
            "credentials_status",
            "jamf_blank_push",
            "jamf_computer_history",
            "jamf_computer_inventory",
            "jamf_computer_security",
            "jamf_configuration_profiles",
            "jamf_fleet_security_report",
            "jamf_mobile_devices",
            "jamf_plan_os_update",
            "jamf_policies",
            "jamf_redeploy_framework",
            "jamf_search_computers",
            "jamf_smart_groups",
            "latchkey_status",
            "sofa_cves_fixed_after",
            "sofa_fleet_exposure",
            "sofa_latest_releases",
            "sofa_os_status",
            "vsphere_find_vlan",
            "vsphere_list_clusters",
            "vsphere_list_datacenters",
            "vsphere_list_datastores",
            "vsphere_list_folders",
            "vsphere_list_hosts",
            "vsphere_list_networks",
            "vsphere_list_vms",
            "vsphere_vm_details",
            "vsphere_vm_power"
        ]
    );
    assert!(report.capabilities.mutating_tools);
}

#[tokio::test]
async fn unknown_tool_is_an_error_not_a_crash() {
    let client = in_process_client().await;
    assert!(
        client
            .call_tool(CallToolRequestParams::new("no_such_tool"))
            .await
            .is_err()
    );
    call_status(&client).await;
}

#[tokio::test]
async fn broker_serves_on_a_private_socket_and_is_one_per_user() {
    use std::os::unix::fs::PermissionsExt;

    let home = tempfile::tempdir().unwrap();
    let paths = StatePaths::at(home.path().join("state"));
    let broker = Broker::bind(&paths, common::services()).expect("bind");
    let socket = broker.socket_path().to_path_buf();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(paths.dir()), 0o700);
    assert_eq!(mode(&socket), 0o600);

    match Broker::bind(&paths, common::services()) {
        Err(Error::AlreadyRunning { pid, .. }) => assert_eq!(pid, Some(std::process::id())),
        other => panic!("second broker must refuse to start, got {other:?}"),
    }

    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(broker.serve(async {
        let _ = stopped.await;
    }));
    let stream = tokio::net::UnixStream::connect(&socket).await.unwrap();
    let client = ().serve(stream.into_split()).await.expect("handshake over the socket");
    assert_eq!(call_status(&client).await.version, VERSION);
    drop(client);

    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(5), serving)
        .await
        .unwrap()
        .unwrap();
    assert!(!socket.exists(), "socket removed at shutdown");
    Broker::bind(&paths, common::services()).expect("lock released at shutdown");
}
