//! The one guarded path every request takes, whatever surface it came from: caller identity →
//! allow-list ([`admission`]) → domain lock → approval → audit intent ([`audit`]) → run →
//! audit outcome.

pub mod admission;
pub mod audit;
