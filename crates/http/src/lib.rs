//! What every admin API client of Latchkey needs, in one place: a rustls HTTP client per server
//! with timeouts, bounded retries with backoff, jitter and `Retry-After` on idempotent calls
//! only, an in-flight limit per server, a cap on how much of an answer is read, redirects
//! followed only within the origin (every request carries a credential), errors that name the
//! call as `METHOD /path` and never a secret, [`Secret`]s that are zeroized and never printed,
//! and [`lenient`] field readers for JSON that does not always match its schema.
//!
//! Modules: `origin` (the base URL and the redirect policy), `transport` (permits, retries,
//! the body cap), `error`, `options`, `secret`, `lenient`.

mod error;
pub mod lenient;
mod options;
mod origin;
mod secret;
mod transport;

pub use error::{TransportError, attempts_note, oversized_note};
pub use options::{DEFAULT_RETRY_STATUSES, TransportOptions};
pub use origin::{is_loopback, parse_base, server_of};
pub use secret::{Secret, SecretValue};
pub use transport::{Repeat, Reply, Transport, endpoint};
