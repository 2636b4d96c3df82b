//! Behaviour of the Jamf client against the in-process mock server (`latchkey-jamf-mock`)
//! and the shared fixtures.

/// Tokens: expiry, 401 refresh-once, single flight, OAuth path fallback, user accounts,
/// invalidation.
mod auth;
/// Changes: plans (computers, group), blank push, framework redeploy, exactly as the mock
/// records them; sent once (a 5xx or timeout is "may or may not"), 401 refreshed, refusals
/// and hostile answers explained.
mod changes;
/// Fixture bodies from shared/fixtures/jamf/examples parse through the real client.
mod fixtures;
/// Fleet report against the real SOFA fixture, checked by brute force; one Mac's posture.
mod fleet;
/// Inventory: v4 → v3 → v1 fallback, search, RSQL round trip, records, history, lists.
mod inventory;
/// Pages of 2,000 in parallel, never more than five requests in flight.
mod paging;
/// Plan previews against the real SOFA fixture: targets, 7- and 30-day deadlines from the
/// earliest missed release date, skipped Macs, named versions; then the previewed plan sent.
mod preview;
/// Retries, backoff, Retry-After, timeouts, giving up, no retry when not idempotent.
mod retries;
/// A canary secret never shows in errors, Debug output or logs.
mod secrets;
/// Serial numbers and ids resolved in batches, unknown ones named; group members.
mod targets;
/// Input validation: serial numbers, ids, sections.
mod validation;
