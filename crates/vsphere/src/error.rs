//! The crate's one error type. Messages name the vCenter (`host[:port]`) and the call as
//! `METHOD /path`; never a URL with a query, a header, the password or a session id.

use latchkey_http::TransportError;

use crate::Fingerprint;

/// Why a vCenter call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VsphereError {
    /// The vCenter address cannot be used.
    #[error("invalid vCenter address: {0}")]
    InvalidHost(String),
    /// An argument (an id, a filter, a page) cannot be used; the message says why.
    #[error("{0}")]
    InvalidArgument(String),
    /// The client's options are inconsistent.
    #[error("invalid vCenter client options: {0}")]
    InvalidOptions(String),
    /// vCenter refused the credentials or the session.
    #[error("vCenter at {server} refused {endpoint} (HTTP {status}): {tried}")]
    Auth {
        /// `host[:port]`.
        server: String,
        /// `METHOD /path`.
        endpoint: String,
        /// 401 or 403.
        status: u16,
        /// What the client did before giving up, in plain words.
        tried: String,
    },
    /// The thing asked for does not exist (or this account cannot see it).
    #[error("not found on vCenter at {server}: {what}")]
    NotFound {
        /// `host[:port]`.
        server: String,
        /// The endpoint, or the VM name or id asked for.
        what: String,
    },
    /// A name matched more than one thing; the ids say which.
    #[error("{what} matches {} objects ({}); give an id", ids.len(), ids.join(", "))]
    Ambiguous {
        /// What was looked up.
        what: String,
        /// The ids that matched.
        ids: Vec<String>,
    },
    /// vCenter answered with an error of its own (`error_type` and message when it gave one).
    #[error("vCenter at {server} answered HTTP {status} for {endpoint}: {detail}")]
    Http {
        /// `host[:port]`.
        server: String,
        /// `METHOD /path`.
        endpoint: String,
        /// The status code.
        status: u16,
        /// vCenter's error type and first message, cut short and cleaned of anything secret.
        detail: String,
    },
    /// More objects match than vCenter lists in one call, even split by host.
    #[error(
        "vCenter at {server} lists at most {cap} {what} per call and more match, even one host \
         at a time; narrow the filter"
    )]
    TooMany {
        /// `host[:port]`.
        server: String,
        /// "VMs", "hosts", ….
        what: String,
        /// vCenter's cap for that list.
        cap: usize,
    },
    /// The request did not get a usable answer (network, timeout, retries spent, redirect to
    /// another origin, an answer over the cap).
    #[error("vCenter at {server}: {source}")]
    Transport {
        /// `host[:port]`.
        server: String,
        /// What the HTTP core saw.
        #[source]
        source: TransportError,
    },
    /// The vCenter's certificate is not the one pinned for it: nothing was sent.
    #[error(
        "the certificate of vCenter at {server} has changed: pinned SHA-256 {pinned}, presented \
         {presented}; nothing was sent. If the vCenter's certificate was replaced, confirm the \
         new fingerprint with its administrator and pin it again"
    )]
    CertificateChanged {
        /// `host[:port]`.
        server: String,
        /// The fingerprint the person confirmed.
        pinned: Fingerprint,
        /// The fingerprint the server presented.
        presented: Fingerprint,
    },
    /// The answer did not have the expected shape.
    #[error("unexpected answer from vCenter at {server} for {endpoint}: {detail}")]
    Parse {
        /// `host[:port]`.
        server: String,
        /// `METHOD /path`.
        endpoint: String,
        /// What could not be read.
        detail: String,
    },
}
