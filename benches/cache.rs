//! The token cache's costs: (a) a hit against a `HashMap` + `Arc` floor, (b) hit throughput
//! on 1 and 2 threads, (c) herds on a cold cache (one load each), (d) calls that straddle a
//! refresh (none waits for the loader). With `--features emulator`, (a)–(c) also go through
//! the public `get_token` of a credential against the local emulator.
//!
//! `cargo bench --features emulator --bench cache -- --warm-up-time 1 --measurement-time 3`

use std::collections::HashMap;
use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::sync::{Arc, Barrier};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use criterion::{criterion_group, BenchmarkId, Criterion, Throughput};
use entra_token::__bench::FakeCache;

const SCOPE: &str = "https://graph.microsoft.com/.default";
const HOUR: Duration = Duration::from_secs(3599);

/// Polls once: a cache hit must complete without waiting.
fn poll_once<F: Future>(fut: F) -> Option<F::Output> {
    match pin!(fut).poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(v) => Some(v),
        Poll::Pending => None,
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// Something that answers `get(SCOPE)` from a warm cache.
trait Hit: Sync {
    fn hit(&self) -> bool;
}

struct Floor(HashMap<String, Arc<String>>);

impl Hit for Floor {
    fn hit(&self) -> bool {
        black_box(self.0.get(black_box(SCOPE)).cloned()).is_some()
    }
}

impl Hit for FakeCache {
    fn hit(&self) -> bool {
        black_box(poll_once(self.get(black_box(SCOPE)))).is_some_and(|r| r.is_ok())
    }
}

fn floor() -> Floor {
    let mut map = HashMap::new();
    for i in 0..4 {
        map.insert(format!("https://api{i}.example/.default"), Arc::default());
    }
    map.insert(SCOPE.to_owned(), Arc::new("token".to_owned()));
    Floor(map)
}

fn warm_cache(rt: &tokio::runtime::Runtime) -> FakeCache {
    let cache = FakeCache::new(HOUR, Duration::from_millis(1));
    rt.block_on(cache.get(SCOPE)).unwrap();
    cache
}

fn hit_latency(c: &mut Criterion, subjects: &[(&str, &dyn Hit)]) {
    let mut g = c.benchmark_group("hit");
    for (name, subject) in subjects {
        assert!(subject.hit(), "{name}: not a hit");
        g.bench_function(*name, |b| b.iter(|| subject.hit()));
    }
    g.finish();
}

/// `threads` threads each make `iters` hits; the slowest thread's time is the sample.
fn parallel_hits(subject: &dyn Hit, threads: usize, iters: u64) -> Duration {
    let barrier = Barrier::new(threads);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    barrier.wait();
                    let start = Instant::now();
                    for _ in 0..iters {
                        assert!(subject.hit());
                    }
                    start.elapsed()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap())
            .max()
            .unwrap()
    })
}

fn hit_throughput(c: &mut Criterion, subjects: &[(&str, &dyn Hit)]) {
    let mut g = c.benchmark_group("throughput");
    for (name, subject) in subjects {
        for threads in [1, 2] {
            g.throughput(Throughput::Elements(threads as u64));
            g.bench_with_input(BenchmarkId::new(*name, threads), &threads, |b, &t| {
                b.iter_custom(|iters| parallel_hits(*subject, t, iters))
            });
        }
    }
    g.finish();
}

fn herd(c: &mut Criterion, rt: &tokio::runtime::Runtime) {
    let mut g = c.benchmark_group("herd");
    g.sample_size(20);
    for n in [200usize, 1000] {
        g.bench_function(BenchmarkId::new("cache", n), |b| {
            b.iter(|| {
                rt.block_on(async {
                    let cache = Arc::new(FakeCache::new(HOUR, Duration::from_millis(1)));
                    let tasks: Vec<_> = (0..n)
                        .map(|_| {
                            let cache = Arc::clone(&cache);
                            tokio::spawn(async move { cache.get(SCOPE).await.is_ok() })
                        })
                        .collect();
                    for t in tasks {
                        assert!(t.await.unwrap());
                    }
                    assert_eq!(cache.loads(), 1, "herd of {n}: one load");
                })
            })
        });
    }
    g.finish();
    println!("herd: every herd of 200 and of 1000 tasks made exactly 1 load");
}

/// How the straddle callers behave between calls.
#[derive(Clone, Copy)]
enum Load {
    /// 64 tasks, each pausing 1 ms between calls, as a daemon's workers between API calls:
    /// the CPU has headroom, so the figure is the cache's, not the OS scheduler's.
    Paced,
    /// 4 tasks calling back to back on 2 worker threads: the CPU is saturated, so the worst
    /// call includes OS preemption (the same with a fake loader and with HTTP).
    Saturated,
}

impl Load {
    fn name(self) -> &'static str {
        match self {
            Load::Paced => "paced (64 tasks, 1 ms between calls)",
            Load::Saturated => "saturated (4 tasks, back to back)",
        }
    }
}

/// (d): callers for 5 s, tokens living 2 s (refresh at ~1 s, unusable at 1.5 s), loads
/// taking 20 ms. Counts calls that had to wait and the slowest call.
fn straddle(rt: &tokio::runtime::Runtime) {
    for load in [Load::Paced, Load::Saturated] {
        let cache = Arc::new(FakeCache::new(
            Duration::from_secs(2),
            Duration::from_millis(20),
        ));
        rt.block_on(cache.get(SCOPE)).unwrap();
        let stats = rt.block_on(straddle_callers(
            |c: Arc<FakeCache>| async move { c.get(SCOPE).await },
            &cache,
            load,
        ));
        println!(
            "straddle/cache {}: {} calls over 5 s, {} loads, {} calls waited for the loader, {} calls over 1 ms, worst call {:?}",
            load.name(),
            stats.calls,
            cache.loads(),
            stats.waited,
            stats.slow,
            stats.worst
        );
    }
}

struct Stats {
    calls: u64,
    waited: u64,
    /// Calls that took more than 1 ms.
    slow: u64,
    worst: Duration,
}

async fn straddle_callers<T, G, Fut>(get: G, subject: &Arc<T>, load: Load) -> Stats
where
    T: Send + Sync + 'static,
    G: Fn(Arc<T>) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = entra_token::Result<entra_token::AccessToken>> + Send,
{
    let end = Instant::now() + Duration::from_secs(5);
    let tasks = match load {
        Load::Paced => 64,
        Load::Saturated => 4,
    };
    let tasks: Vec<_> = (0..tasks)
        .map(|_| {
            let (get, subject) = (get.clone(), Arc::clone(subject));
            tokio::spawn(async move {
                let mut s = Stats {
                    calls: 0,
                    waited: 0,
                    slow: 0,
                    worst: Duration::ZERO,
                };
                while Instant::now() < end {
                    let start = Instant::now();
                    let mut fut = pin!(get(Arc::clone(&subject)));
                    let result = match poll_once(fut.as_mut()) {
                        Some(r) => r,
                        None => {
                            s.waited += 1;
                            fut.await
                        }
                    };
                    result.expect("a token");
                    let took = start.elapsed();
                    s.worst = s.worst.max(took);
                    s.slow += u64::from(took > Duration::from_millis(1));
                    s.calls += 1;
                    // Callers do other work between calls.
                    match load {
                        Load::Paced => tokio::time::sleep(Duration::from_millis(1)).await,
                        Load::Saturated => tokio::task::yield_now().await,
                    }
                }
                s
            })
        })
        .collect();
    let mut all = Stats {
        calls: 0,
        waited: 0,
        slow: 0,
        worst: Duration::ZERO,
    };
    for t in tasks {
        let s = t.await.unwrap();
        all.calls += s.calls;
        all.waited += s.waited;
        all.slow += s.slow;
        all.worst = all.worst.max(s.worst);
    }
    all
}

fn cache_benches(c: &mut Criterion) {
    let rt = runtime();
    let _enter = rt.enter();
    let floor = floor();
    let cache = warm_cache(&rt);
    #[cfg(feature = "emulator")]
    let cred = credential::Warm::new(&rt);
    let subjects: Vec<(&str, &dyn Hit)> = vec![
        ("floor: HashMap get + Arc clone", &floor),
        ("cache (fake loader)", &cache),
        #[cfg(feature = "emulator")]
        ("credential get_token (emulator)", &cred),
    ];
    hit_latency(c, &subjects);
    hit_throughput(c, &subjects);
    herd(c, &rt);
    #[cfg(feature = "emulator")]
    credential::herd(c, &rt);
}

#[cfg(feature = "emulator")]
#[path = "cache/credential.rs"]
mod credential;

criterion_group!(benches, cache_benches);

fn main() {
    benches();
    // (d) is a report, not a timing: run it unless a filter excludes it.
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-') && a.parse::<f64>().is_err())
        .collect();
    let listing = std::env::args().any(|a| a == "--list" || a == "--test");
    if !listing && filters.iter().all(|f| "straddle".contains(f.as_str())) {
        let rt = runtime();
        straddle(&rt);
        #[cfg(feature = "emulator")]
        credential::straddle(&rt);
    }
    criterion::Criterion::default()
        .configure_from_args()
        .final_summary();
}
