//! A frame's work natively, piece by piece, at 5 nodes with steady
//! requests and at 51 nodes with 100 busy clients (what
//! `web/e2e/perf.test.mjs` does in the browser): the model's frame (the
//! simulation and the timeline), the scene the canvas draws, the panels'
//! data, the time-travel panel (with the space-time diagram when it is
//! open), the history view's sync, check and picture, and the permalink.
//! Prints percentiles; asserts nothing (the numbers depend on the machine).
//!
//! With `--long`, instead: the default cluster at 1000x with steady
//! requests, a frame's parts at 30 thousand and at 30 million events side
//! by side (with the page's memory budget, measured by a counting
//! allocator), to show that a frame costs the same however long the run.
//!
//! `cargo run --release -p splitbrain-app --example frame_work [frames] [--no-diagram] [--long]`

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use splitbrain_app::history::HistoryView;
use splitbrain_app::model::{Model, Msg};
use splitbrain_app::panel::Panel;
use splitbrain_app::scene::Scene;
use splitbrain_app::settings::Settings;
use splitbrain_app::spacetime::{self, Colors, DiagramSpec};

/// Counts the heap, for the model's memory budget as the page has it.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call goes straight to the system allocator; the counting
// is an atomic add on the side.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        System.dealloc(ptr, layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new: usize) -> *mut u8 {
        LIVE.fetch_add(new, Ordering::Relaxed);
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        System.realloc(ptr, layout, new)
    }
}

#[global_allocator]
static COUNTING: Counting = Counting;

fn heap() -> usize {
    LIVE.load(Ordering::Relaxed)
}

#[derive(Default)]
struct Series {
    name: &'static str,
    ms: Vec<f64>,
}

impl Series {
    fn new(name: &'static str) -> Series {
        Series {
            name,
            ms: Vec::new(),
        }
    }

    fn time<T>(&mut self, f: impl FnOnce() -> T) -> T {
        let t = Instant::now();
        let out = f();
        self.ms.push(t.elapsed().as_secs_f64() * 1000.0);
        out
    }

    /// Mean and 95th percentile, in milliseconds.
    fn summary(&self) -> (f64, f64) {
        if self.ms.is_empty() {
            return (0.0, 0.0);
        }
        let mut s = self.ms.clone();
        s.sort_by(f64::total_cmp);
        let p95 = s[((0.95 * s.len() as f64).ceil() as usize).clamp(1, s.len()) - 1];
        (s.iter().sum::<f64>() / s.len() as f64, p95)
    }

    fn print(&self) {
        if self.ms.is_empty() {
            return;
        }
        let mut s = self.ms.clone();
        s.sort_by(f64::total_cmp);
        let rank = |p: f64| s[((p * s.len() as f64).ceil() as usize).clamp(1, s.len()) - 1];
        let mean = s.iter().sum::<f64>() / s.len() as f64;
        println!(
            "  {:<22} n {:>4}  mean {:>7.3}  p50 {:>7.3}  p95 {:>7.3}  max {:>8.3} ms",
            self.name,
            s.len(),
            mean,
            rank(0.5),
            rank(0.95),
            s[s.len() - 1]
        );
    }
}

/// The page's clock, natively: milliseconds since the first reading.
fn clock() -> f64 {
    static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_secs_f64() * 1000.0
}

fn in_flight(m: &Model) -> usize {
    let mut n = 0;
    m.sim().for_each_in_flight(&mut |_| n += 1);
    n
}

fn measure(label: &str, m: &mut Model, frames: usize, diagram_open: bool) -> Vec<Series> {
    let mut frame = Series::new("model frame");
    let mut scene_s = Series::new("scene rebuild");
    let mut panel_s = Series::new("panel data (1/12)");
    let mut travel_s = Series::new("travel view (1/12)");
    let mut diagram_s = Series::new("diagram svg (1/12)");
    let mut sync_s = Series::new("history sync");
    let mut check_s = Series::new("history check");
    let mut picture_s = Series::new("history picture");
    let mut link_s = Series::new("permalink (1/60)");
    let mut scene = Scene::default();
    let mut history = HistoryView::new();
    let mut clock = 0.0;
    let start_events = m.sim().trace().len();
    let start_time = m.sim().now();
    let started = Instant::now();
    for i in 0..frames {
        clock += 16.7;
        frame.time(|| m.frame(16.7));
        scene_s.time(|| scene.rebuild(m));
        history_step(m, &mut history, clock, &mut sync_s, &mut check_s);
        picture_s.time(|| history.picture(600.0, 120.0, Some(m.sim().now().0)));
        if i % 12 == 0 {
            panel_s.time(|| Panel::of(m));
            travel_s.time(|| m.travel_view());
            if diagram_open {
                diagram_s.time(|| {
                    let view = m.travel_view();
                    let pending = m.pending_flights();
                    let spec = DiagramSpec {
                        nodes: m.node_count(),
                        window: m.travel().window_at(view.now),
                        cursor: view.now,
                        selected: view.selected_event,
                        msg_kinds: m.sim().msg_kinds(),
                        width: 960.0,
                        colors: Colors::Css,
                        marks: &view.markers,
                        pending: &pending,
                    };
                    let fetched = m.diagram_events(spec.window);
                    let stretch = fetched.stretch(m.travel().timeline.node_events());
                    spacetime::svg(&stretch, &spec).0.len()
                });
            }
        }
        // As the page does: past the most actions a link carries, none.
        if i % 60 == 0 && m.travel().timeline.actions().len() <= splitbrain_app::link::MAX_ACTIONS {
            link_s.time(|| m.link_text().len());
        }
    }
    let wall = started.elapsed().as_secs_f64();
    let p = m.pacing();
    println!(
        "  paced snapshots: {} taken by the model, {} in the timeline, last {:.2} ms, max {:.2} ms",
        p.taken,
        m.travel().timeline.stats().snapshots,
        p.last_ms,
        p.max_ms
    );
    println!(
        "{label}: {frames} frames, {} events, {} simulated µs, {:.1} s wall, {} in flight, {} trace events in the timeline",
        m.sim().trace().len() - start_events,
        (m.sim().now() - start_time).0,
        wall,
        in_flight(m),
        m.travel().timeline.head_len()
    );
    let all = vec![
        frame, scene_s, panel_s, travel_s, diagram_s, sync_s, check_s, picture_s, link_s,
    ];
    for s in &all {
        s.print();
    }
    all
}

/// The default cluster at 1000x with steady requests: a frame's parts at
/// 30 thousand and at 30 million events, side by side.
fn long_run(frames: usize) {
    let mut m = Model::new(1);
    m.clock = Some(clock);
    m.heap = Some(heap);
    m.update(Msg::ToggleSteadyLoad);
    m.update(Msg::SetSpeed(1000.0));
    // Natively every pointer is twice the size it is in wasm, and so is
    // the simulation's own state: twice the page's default budget.
    m.update(Msg::SetMemoryBudget(
        2 * splitbrain_app::model::DEFAULT_BUDGET_MB,
    ));
    let mut at = Vec::new();
    for target in [30_000u64, 30_000_000] {
        let t = Instant::now();
        while m.sim().trace().len() < target {
            m.frame(16.7);
            assert!(!m.budget().exhausted, "{:?}", m.budget());
        }
        println!(
            "reached {} events in {:.1} s; heap {:.0} MB",
            m.sim().trace().len(),
            t.elapsed().as_secs_f64(),
            heap() as f64 / 1e6
        );
        let label = format!("default run at {target} events, 1000x");
        at.push(measure(&label, &mut m, frames, true));
    }
    println!("frame work, mean / p95 ms: at 30 thousand events | at 30 million events");
    for (a, b) in at[0].iter().zip(&at[1]) {
        let ((am, ap), (bm, bp)) = (a.summary(), b.summary());
        println!(
            "  {:<22} {am:>7.3} / {ap:>7.3}  |  {bm:>7.3} / {bp:>7.3}",
            a.name
        );
    }
    let b = m.budget();
    println!(
        "memory at the end: heap {:.0} MB (peak {:.0} MB) of a {} MB budget; {} chunks and {} snapshots let go",
        b.heap_bytes as f64 / 1e6,
        b.peak_heap_bytes as f64 / 1e6,
        b.budget_mb,
        b.shed_chunks,
        b.shed_snapshots
    );
}

fn history_step(
    m: &Model,
    history: &mut HistoryView,
    clock: f64,
    sync_s: &mut Series,
    check_s: &mut Series,
) {
    sync_s.time(|| history.sync_live(m.run, m.sim().history()));
    if history.check_due(clock) {
        let t = Instant::now();
        check_s.time(|| history.check_live(m.sim().history(), clock));
        history.record_check(t.elapsed().as_secs_f64() * 1000.0);
    }
}

/// The live check's parts on the run's history as it stands.
fn check_parts(m: &Model) {
    use splitbrain_core::check::{self, CheckOptions, History};
    let ops = m.sim().history();
    let mut convert = Series::new("history from ops");
    let history = convert.time(|| History::from_client_ops(&ops.to_vec()));
    let options = CheckOptions {
        max_steps: 10_000,
        ..CheckOptions::default()
    };
    let mut lin = Series::new("linearizable");
    let l = lin.time(|| check::linearizability(&history, &options));
    let mut all = Series::new("check (all)");
    let report = all.time(|| check::check(&history, &options));
    let mut marks = Series::new("marks");
    marks.time(|| report.marks(&history));
    println!(
        "live check parts, {} operations, linearizable {:?}:",
        ops.len(),
        l.verdict
    );
    for s in [&convert, &lin, &all, &marks] {
        s.print();
    }
}

fn main() {
    let frames: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(180);
    if std::env::args().any(|a| a == "--long") {
        long_run(frames);
        return;
    }

    let mut m = Model::new(1);
    m.clock = Some(clock);
    m.update(Msg::ToggleSteadyLoad);
    for _ in 0..120 {
        m.frame(16.7);
    }
    measure("5 nodes, steady requests, 0.1x", &mut m, frames, false);

    let mut m = Model::new(1);
    m.clock = Some(clock);
    let settings = Settings {
        nodes: 51,
        clients: 100,
        ..Settings::default()
    };
    m.update(Msg::ApplySettings(Box::new(settings.form())));
    m.update(Msg::SetSpeed(100.0));
    let t = Instant::now();
    while in_flight(&m) < 1900 {
        m.frame(16.7);
    }
    println!(
        "51 nodes: built up {} in flight in {:.1} s wall",
        in_flight(&m),
        t.elapsed().as_secs_f64()
    );
    for speed in [0.1, 1.0] {
        m.update(Msg::SetSpeed(speed));
        measure(
            &format!("51 nodes, 100 clients, {speed}x"),
            &mut m,
            frames,
            false,
        );
    }
    check_parts(&m);
    let mut snap = Series::new("snapshot (a Sim clone)");
    for _ in 0..5 {
        snap.time(|| m.sim().snapshot());
    }
    snap.print();
    if !std::env::args().any(|a| a == "--no-diagram") {
        measure(
            "51 nodes, 100 clients, 1x, diagram open",
            &mut m,
            frames / 2,
            true,
        );
    }
}
