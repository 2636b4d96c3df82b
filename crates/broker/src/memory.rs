//! What a burst of calls leaves behind: once the broker has been quiet for a moment, the audit
//! log's page caches and the memory the allocator holds free go back to the OS, so an idle
//! broker stays small (issue #16).

use std::sync::Arc;
use std::time::Duration;

use crate::pipeline::audit::Audit;

/// A broker that wrote no audit entry (every call writes some) for this long is quiet.
const QUIET: Duration = Duration::from_millis(500);

/// Until dropped: after each burst of calls, once quiet, hands back what it left. Looks at
/// the log's count of writes every [`QUIET`] rather than waking at each, so calls pay nothing.
pub(crate) async fn keep_trimmed(audit: Arc<Audit>) {
    let changes = audit.subscribe();
    let mut seen = *changes.borrow();
    let mut trimmed = true;
    loop {
        tokio::time::sleep(QUIET).await;
        let now = *changes.borrow();
        if now != seen {
            (seen, trimmed) = (now, false);
        } else if !trimmed {
            let audit = Arc::clone(&audit);
            let _ = tokio::task::spawn_blocking(move || {
                audit.release_memory();
                release_free_memory();
            })
            .await;
            trimmed = true;
        }
    }
}

/// glibc keeps freed memory in each thread's arena for reuse; `malloc_trim` returns the whole
/// free pages of every arena.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn release_free_memory() {
    // SAFETY: malloc_trim takes no pointers; it only walks the allocator's own free lists.
    #[allow(unsafe_code)]
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Other allocators (macOS's) give memory back under pressure by themselves.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn release_free_memory() {}
