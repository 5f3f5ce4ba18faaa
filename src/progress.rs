//! The progress bar every long command draws on stderr (bytes done of the
//! total, rate, ETA), redrawn by a thread of its own.
//!
//! The work reports progress only by adding to a shared byte counter; it
//! never calls into the bar. A bar that redraws when the work calls it
//! freezes whenever the work's calls stop coming: the pipeline used to tick
//! only when its merger had waited 100 ms for a result, which on a busy scan
//! is never. Here a ticker thread reads the counter and redraws every
//! [`TICK`] whatever the work does; it sleeps in between, so it costs nothing
//! measurable and a busy pool cannot hold it off for long (the scheduler
//! favours a thread that has slept).

use std::ffi::OsStr;
use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use indicatif::{HumanBytes, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Time between redraws: often enough for the spinner, rate and elapsed time
/// to look alive, under the 20 Hz the stderr draw target allows.
const TICK: Duration = Duration::from_millis(100);

const TEMPLATE: &str = "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} \
                        {binary_bytes_per_sec} ETA {eta}";

/// A running progress display, or nothing when none is wanted (see
/// [`Progress::start`]). Call [`Progress::finish`] when the work is done;
/// dropping it instead (an error path) clears the bar without a summary, so
/// that the error is printed on a clean line.
pub struct Progress {
    ticker: Option<Ticker>,
}

struct Ticker {
    bar: ProgressBar,
    counter: Arc<AtomicU64>,
    /// Dropping it wakes the thread at once, instead of after its sleep.
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Progress {
    /// Starts drawing the bytes in `counter` against `total_bytes` on
    /// stderr, unless `quiet`, `CI` is set (and not `0`/`false`), or stderr
    /// is not a terminal: then nothing is drawn and nothing runs.
    pub fn start(quiet: bool, total_bytes: u64, counter: Arc<AtomicU64>) -> Progress {
        let ci = std::env::var_os("CI");
        if !wanted(quiet, ci.as_deref(), std::io::stderr().is_terminal()) {
            return Progress { ticker: None };
        }
        let bar = ProgressBar::with_draw_target(Some(total_bytes), ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template(TEMPLATE) {
            bar.set_style(style);
        }
        match Ticker::spawn(bar.clone(), counter, TICK) {
            Ok(t) => Progress { ticker: Some(t) },
            // Without a thread the bar could not move: better no bar than a
            // frozen one.
            Err(_) => {
                bar.finish_and_clear();
                Progress { ticker: None }
            }
        }
    }

    /// Stops the ticker and replaces the bar with one line saying how many
    /// bytes were read, in how long and at what mean rate (the bar's own
    /// rate is a recent one).
    pub fn finish(mut self) {
        let Some(mut t) = self.ticker.take() else {
            return;
        };
        t.stop_thread();
        let done = t.counter.load(Ordering::Relaxed);
        let secs = t.bar.elapsed().as_secs_f64();
        t.bar.finish_and_clear();
        eprintln!("{}", summary(done, secs));
    }
}

impl Ticker {
    /// Redraws `bar` at the value of `counter` every `tick` until stopped.
    fn spawn(bar: ProgressBar, counter: Arc<AtomicU64>, tick: Duration) -> std::io::Result<Ticker> {
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = {
            let bar = bar.clone();
            let counter = counter.clone();
            std::thread::Builder::new()
                .name("scour-progress".into())
                .spawn(move || loop {
                    bar.set_position(counter.load(Ordering::Relaxed));
                    if let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(tick) {
                        continue;
                    }
                    break;
                })?
        };
        Ok(Ticker {
            bar,
            counter,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    fn stop_thread(&mut self) {
        drop(self.stop.take());
        if let Some(h) = self.thread.take() {
            // A panic in the ticker has already been reported; the work's
            // result does not depend on it.
            let _ = h.join();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(mut t) = self.ticker.take() {
            t.stop_thread();
            t.bar.finish_and_clear();
        }
    }
}

/// Whether to draw: not when asked to be quiet, not under CI (a log file
/// would fill with redraws), not when stderr is a pipe or a file.
fn wanted(quiet: bool, ci: Option<&OsStr>, stderr_is_terminal: bool) -> bool {
    let ci = ci.is_some_and(|v| !v.is_empty() && v != "false" && v != "0");
    !quiet && !ci && stderr_is_terminal
}

/// The line left on stderr once the work is done.
fn summary(bytes: u64, secs: f64) -> String {
    let rate = if secs > 0.0 {
        format!(" ({}/s)", HumanBytes((bytes as f64 / secs) as u64))
    } else {
        String::new()
    };
    format!("scour: read {} in {secs:.1} s{rate}", HumanBytes(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    #[test]
    fn drawn_only_on_a_terminal_without_quiet_or_ci() {
        assert!(wanted(false, None, true));
        assert!(!wanted(true, None, true));
        assert!(!wanted(false, None, false));
        for ci in ["true", "1", "yes"] {
            assert!(!wanted(false, Some(OsStr::new(ci)), true), "CI={ci}");
        }
        for ci in ["", "0", "false"] {
            assert!(wanted(false, Some(OsStr::new(ci)), true), "CI={ci:?}");
        }
    }

    #[test]
    fn summary_gives_bytes_time_and_mean_rate() {
        assert_eq!(
            summary(1 << 30, 8.0),
            "scour: read 1.00 GiB in 8.0 s (128.00 MiB/s)"
        );
        assert_eq!(summary(0, 0.0), "scour: read 0 B in 0.0 s");
    }

    /// The bar follows the counter with no call from the work.
    #[test]
    fn the_ticker_redraws_from_the_counter_alone() {
        let counter = Arc::new(AtomicU64::new(0));
        let bar = ProgressBar::with_draw_target(Some(1000), ProgressDrawTarget::hidden());
        let mut t = Ticker::spawn(bar.clone(), counter.clone(), Duration::from_millis(5))
            .expect("spawn the ticker");
        for want in [300, 700] {
            counter.store(want, Ordering::Relaxed);
            let deadline = Instant::now() + Duration::from_secs(30);
            while bar.position() != want {
                assert!(Instant::now() < deadline, "bar stuck at {}", bar.position());
                std::thread::sleep(Duration::from_millis(5));
            }
        }
        t.stop_thread();
    }

    /// Stopping wakes the ticker instead of waiting out its sleep.
    #[test]
    fn stopping_does_not_wait_for_the_next_tick() {
        let bar = ProgressBar::with_draw_target(Some(1), ProgressDrawTarget::hidden());
        let mut t = Ticker::spawn(bar, Arc::new(AtomicU64::new(0)), Duration::from_secs(60))
            .expect("spawn the ticker");
        let started = Instant::now();
        t.stop_thread();
        assert!(t.thread.is_none());
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{:?}",
            started.elapsed()
        );
    }
}
