fn main() {
    // Declaring the app's commands makes each one need a grant in capabilities/.
    let manifest = tauri_build::AppManifest::new().commands(&[
        "app_status",
        "sofa_overview",
        "sofa_refresh",
        "sofa_status",
        "credentials_overview",
        "credentials_check",
        "credentials_add",
        "credentials_edit",
        "credentials_rotate",
        "credentials_remove",
        "credentials_unlock",
        "credentials_lock",
        "credentials_set_policy",
        "jamf_test_connection",
        "jamf_fleet_report",
        "jamf_plan_preview",
        "jamf_plan_os_update",
        "presence_answer",
        "audit_search",
        "audit_verify",
        "audit_acknowledge",
        "audit_facets",
        "audit_export",
        "assistants_list",
        "assistants_set",
        "assistants_forget",
        "mcp_config_snippets",
        "approvals_pending",
        "approvals_approve",
        "approvals_deny",
        "approvals_grants",
        "approvals_revoke",
    ]);
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest))
        .expect("tauri-build failed");
}
