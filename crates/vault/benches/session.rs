//! `cargo bench -p latchkey-vault --bench session`: reading a secret from an unlocked session
//! (target ≤ 1 µs), alone and with two threads reading at once, among 50 unlocked domains.

use std::hint::black_box;
use std::time::{Duration, Instant};

use latchkey_vault::{CredentialId, Domain, SecretString, Sessions, UnlockPolicy};

const DOMAINS: usize = 50;
const READS: u32 = 1_000_000;
const ROUNDS: usize = 11;

/// Median nanoseconds per read over `ROUNDS` rounds of `READS` reads.
fn per_read(sessions: &Sessions, domain: &Domain, id: &CredentialId) -> f64 {
    let mut rounds: Vec<Duration> = (0..ROUNDS)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..READS {
                let secret = sessions.secret(black_box(domain), black_box(id)).unwrap();
                black_box(secret.expose().len());
            }
            start.elapsed()
        })
        .collect();
    rounds.sort();
    rounds[ROUNDS / 2].as_nanos() as f64 / f64::from(READS)
}

fn main() {
    let sessions = Sessions::new();
    let policy = UnlockPolicy::default();
    for n in 0..DOMAINS {
        let domain = Domain::from(format!("jamf:host{n}.example.com").as_str());
        let secrets = (0..3)
            .map(|c| {
                (
                    CredentialId::from(format!("{n:08x}{c:08x}").as_str()),
                    SecretString::from("a-client-secret-of-usual-length-0123456789"),
                )
            })
            .collect();
        sessions.unlock(domain, secrets, policy);
    }
    let domain = Domain::from("jamf:host25.example.com");
    let id = CredentialId::from(format!("{:08x}{:08x}", 25, 1).as_str());

    let alone = per_read(&sessions, &domain, &id);
    let contended = std::thread::scope(|scope| {
        let other = scope.spawn(|| per_read(&sessions, &domain, &id));
        let mine = per_read(&sessions, &domain, &id);
        mine.max(other.join().unwrap())
    });
    for (what, ns) in [("one reader", alone), ("two readers at once", contended)] {
        let verdict = if ns <= 1000.0 { "ok" } else { "MISSED" };
        println!(
            "secret read from an unlocked session, {what}: {ns:.0} ns (target ≤ 1 µs): {verdict}"
        );
    }
}
