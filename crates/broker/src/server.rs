//! The MCP server one connection talks to: tool groups combined into one router.

use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::model::{Implementation, ServerCapabilities, ServerConfig};
use rmcp::{ServerHandler, tool_handler};

/// Instructions sent to assistants at initialize; fixed text, never built from data.
const INSTRUCTIONS: &str = "Latchkey brokers a Mac admin's credentials for Jamf, vCenter and \
Apple's security-release data. Secrets never leave Latchkey. Call latchkey_status to see \
which credential domains exist and which are unlocked.";

/// One MCP session's server. Cheap to create: one per connection.
#[derive(Debug, Clone)]
pub struct LatchkeyServer {
    tool_router: ToolRouter<Self>,
}

impl LatchkeyServer {
    pub fn new() -> Self {
        Self {
            tool_router: Self::status_router(),
        }
    }

    /// Names of every tool this server offers, in the order `tools/list` gives them.
    pub fn tool_names(&self) -> Vec<String> {
        self.tool_router
            .list_all()
            .into_iter()
            .map(|t| t.name.into_owned())
            .collect()
    }
}

impl Default for LatchkeyServer {
    fn default() -> Self {
        Self::new()
    }
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for LatchkeyServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(
                Implementation::new("latchkey", crate::VERSION).with_title("Latchkey"),
            )
            .with_instructions(INSTRUCTIONS)
    }
}
