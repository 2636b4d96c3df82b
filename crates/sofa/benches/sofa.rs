//! `cargo bench -p latchkey-sofa --bench sofa`: the engine's figures against its targets —
//! parse + index of the 2026 macOS feed (≤ 2 ms), one version's counts (≤ 1 µs), a fleet of
//! 100,000 devices (≤ 50 ms), and the heap a loaded feed holds (≤ 10 MB).

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed};
use std::time::{Duration, Instant};

use chrono::Utc;
use latchkey_sofa::{FleetDevice, IndexedFeed, UpdateSla, Version};

const FEED: &str = "v2-2026-09-10/macos_data_feed.json";
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/fixtures/sofa");
const FLEET_SIZE: usize = 100_000;

/// Live and peak heap bytes, counted by the allocator below while `COUNTING` is on (only
/// around the memory figure, so the atomics do not slow the timed runs). Frees of memory
/// allocated before counting started would make `LIVE` wrap; the measured window has none.
static COUNTING: AtomicBool = AtomicBool::new(false);
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(bytes: usize) {
    if COUNTING.load(Relaxed) {
        let live = LIVE.fetch_add(bytes, Relaxed).wrapping_add(bytes);
        PEAK.fetch_max(live, Relaxed);
    }
}

fn shrank(bytes: usize) {
    if COUNTING.load(Relaxed) {
        LIVE.fetch_sub(bytes, Relaxed);
    }
}

/// The system allocator, counting bytes so the bench can say what a loaded feed holds.
struct Counting;

// A global allocator can only be written with `unsafe`; this one defers to `System` and counts.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            grew(layout.size());
        }
        ptr
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            grew(layout.size());
        }
        ptr
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        shrank(layout.size());
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            shrank(layout.size());
            grew(new_size);
        }
        new
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn verdict(ok: bool) -> &'static str {
    if ok { "ok" } else { "MISSED" }
}

/// A deterministic fleet: mostly real versions and models, some unknown majors and junk.
fn fleet(feed: &IndexedFeed) -> Vec<FleetDevice> {
    let versions: Vec<String> = (feed.feed().os_versions.iter())
        .flat_map(|os| &os.releases)
        .map(|r| r.version.to_string())
        .collect();
    let models: Vec<&String> = feed.feed().models.keys().collect();
    let mut state: u64 = 42;
    let mut next = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) as usize
    };
    (0..FLEET_SIZE)
        .map(|i| {
            let os_version = match next() % 100 {
                0..=2 => ["10.15.7", "11.7.10", "27.0"][next() % 3].to_owned(),
                3..=4 => ["Sequoia", "", "15.x"][next() % 3].to_owned(),
                _ => versions[next() % versions.len()].clone(),
            };
            let model = (next() % 10 != 0).then(|| models[next() % models.len()].clone());
            FleetDevice {
                id: format!("C02-{i:06}"),
                os_version,
                model,
            }
        })
        .collect()
}

fn main() {
    let path = std::path::Path::new(FIXTURES).join(FEED);
    let Ok(bytes) = std::fs::read(&path) else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{} missing in CI",
            path.display()
        );
        eprintln!("skipping the sofa bench: {} not found", path.display());
        return;
    };
    println!("sofa engine: {FEED} ({} bytes)", bytes.len());

    // Parse + index.
    for _ in 0..5 {
        black_box(IndexedFeed::from_slice(&bytes).expect("feed"));
    }
    // Freeing a feed is not part of loading one: drop outside the timed region.
    let load: Vec<Duration> = (0..51)
        .map(|_| {
            let start = Instant::now();
            let feed = black_box(IndexedFeed::from_slice(black_box(&bytes)).expect("feed"));
            let elapsed = start.elapsed();
            drop(feed);
            elapsed
        })
        .collect();
    let load = median(load);
    println!(
        "parse + index          median {load:>10.2?}   target <= 2 ms    {}",
        verdict(load <= Duration::from_millis(2))
    );

    // Heap held by a loaded feed with its indexes, and the peak while loading.
    COUNTING.store(true, Relaxed);
    let feed = IndexedFeed::from_slice(&bytes).expect("feed");
    COUNTING.store(false, Relaxed);
    let (held, peak) = (LIVE.load(Relaxed), PEAK.load(Relaxed));
    let mb = |b: usize| b as f64 / 1_000_000.0;
    println!(
        "loaded feed heap       {:>10.2} MB   target <= 10 MB   {}   (peak while loading {:.2} MB)",
        mb(held),
        verdict(held <= 10_000_000),
        mb(peak)
    );

    // One version's counts: parsed Version, and from the string.
    let inputs = [
        "13.6.1",
        "14.4.1",
        "15.1",
        "26.0",
        "26.5.1",
        "12.7.6",
        "15.7.9",
        "13.4.1 (a)",
    ];
    let parsed: Vec<Version> = inputs.iter().map(|v| v.parse().expect("version")).collect();
    const BATCH: u32 = 20_000;
    let per_call = |f: &dyn Fn(usize)| {
        let samples = (0..31)
            .map(|_| {
                let start = Instant::now();
                for i in 0..BATCH as usize {
                    f(i % inputs.len());
                }
                start.elapsed() / BATCH
            })
            .collect();
        median(samples)
    };
    let counts = per_call(&|i| _ = black_box(feed.counts(black_box(&parsed[i]))));
    let from_str = per_call(&|i| {
        _ = black_box(
            black_box(inputs[i])
                .parse()
                .ok()
                .and_then(|v| feed.counts(&v)),
        )
    });
    println!(
        "version counts         median {counts:>10.2?}   target <= 1 µs    {}   (parse string + counts {from_str:.2?})",
        verdict(from_str <= Duration::from_micros(1))
    );

    // A fleet of 100,000 devices.
    let devices = fleet(&feed);
    black_box(feed.fleet(&devices, Utc::now(), &UpdateSla::default()));
    let runs: Vec<Duration> = (0..11)
        .map(|_| {
            let start = Instant::now();
            black_box(feed.fleet(black_box(&devices), Utc::now(), &UpdateSla::default()));
            start.elapsed()
        })
        .collect();
    let fleet_time = median(runs);
    let report = feed.fleet(&devices, Utc::now(), &UpdateSla::default());
    println!(
        "fleet of {FLEET_SIZE}         median {fleet_time:>10.2?}   target <= 50 ms   {}   ({} current, {} behind, {} end of life, {} unknown, {} unreadable)",
        verdict(fleet_time <= Duration::from_millis(50)),
        report.current,
        report.behind,
        report.end_of_life,
        report.unknown_version,
        report.unreadable
    );
}
