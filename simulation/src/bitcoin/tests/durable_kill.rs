//! SIGKILL: a child process (this test binary, running [`child_mines_until_killed`]) mines
//! blocks with transactions and reorgs of depth 6 on a fjall store as fast as it can, and
//! appends every tip it has seen returned to a progress file; the parent kills it with
//! SIGKILL at some moment, opens the store (the replay validates every block), checks that
//! no tip the child saw is lost, and starts the next child on the same directory.

use super::durable::Disk;
use super::helpers::START_MS;
use bitai_bitcoin::BitcoinPort;
use bitcoin::BlockHash;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::str::FromStr;
use std::time::Duration;

/// Where the child's directory comes from (set by the parent).
const DIR_VAR: &str = "BITAI_SIMSTORE_KILL_DIR";

const SEED: u64 = 21;

/// The progress file: one `height hash` line per change the child saw returned.
fn progress_path(dir: &Path) -> std::path::PathBuf {
    dir.join("progress")
}

/// One change: spends of two coins and a block, or every fifth time a reorg of depth 6.
fn change(disk: &Disk, sim: &crate::bitcoin::SimBitcoin, round: u64) {
    let height = sim.tip().expect("answers").height;
    disk.clock.advance(60_000);
    if round % 5 == 4 && height > 10 {
        sim.reorg(6, 7).expect("a valid reorg");
    } else {
        for coin in disk.confirmed(sim).iter().take(2) {
            sim.broadcast(&disk.split(coin, 2)).expect("accepted");
        }
        sim.mine_block();
    }
}

/// The child: mines on the directory named by [`DIR_VAR`] until killed. Run alone (no
/// variable) it makes 40 changes in a temporary directory and checks a reopen sees them.
#[test]
#[ignore = "the child process of a_sigkilled_network_loses_nothing_it_returned (which runs it); \
            alone it is a plain reopen check"]
fn child_mines_until_killed() {
    let from_parent = std::env::var_os(DIR_VAR);
    let temp = tempfile::tempdir().expect("a temporary directory");
    let dir = from_parent
        .as_ref()
        .map_or(temp.path(), |d| Path::new(d))
        .to_owned();
    let disk = Disk::at(SEED, &dir);
    let sim = disk.open();
    // Go on from the tip's time, as a restarted node reads a clock that moved on.
    let tip = sim.tip().expect("answers");
    let tip_block: bitcoin::Block =
        bitcoin::consensus::deserialize(&sim.block(&tip.hash).expect("stored")).expect("decodes");
    disk.clock
        .set((u64::from(tip_block.header.time) * 1000).max(START_MS));
    if sim.tip().expect("answers").height == 0 {
        sim.mine_blocks(3);
    }
    let mut progress = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(progress_path(&dir))
        .expect("the progress file opens");
    let rounds = if from_parent.is_some() { u64::MAX } else { 40 };
    for round in 0..rounds {
        change(&disk, &sim, round);
        let tip = sim.tip().expect("answers");
        // Unbuffered: each line is in the OS before the next change starts.
        writeln!(progress, "{} {}", tip.height, tip.hash).expect("progress is written");
    }
    let tip = sim.tip().expect("answers");
    drop(sim);
    assert_eq!(disk.open().tip().expect("answers"), tip);
}

/// The last `height hash` line of the progress file.
fn last_progress(dir: &Path) -> Option<(u64, BlockHash)> {
    // The kill may cut the last line: the last line that parses is the last change seen.
    let text = std::fs::read_to_string(progress_path(dir)).unwrap_or_default();
    text.lines().rev().find_map(|line| {
        let (height, hash) = line.split_once(' ')?;
        Some((height.parse().ok()?, BlockHash::from_str(hash).ok()?))
    })
}

#[test]
#[allow(clippy::disallowed_methods)] // A process test waits in wall time for its child.
fn a_sigkilled_network_loses_nothing_it_returned() {
    let temp = tempfile::tempdir().expect("a temporary directory");
    let dir = temp.path();
    let exe = std::env::current_exe().expect("the test binary");
    let mut last_height = 0;
    for (round, run_ms) in [150u64, 400, 250].into_iter().enumerate() {
        let mut child = Command::new(&exe)
            .args([
                "--exact",
                "bitcoin::tests::durable_kill::child_mines_until_killed",
                "--ignored",
                "--test-threads=1",
            ])
            .env(DIR_VAR, dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the child starts");
        // Wait for the child's first change after this start, then let it run.
        let mut waited_ms = 0;
        while last_progress(dir).is_none_or(|(h, _)| h <= last_height) {
            assert!(
                waited_ms < 60_000,
                "round {round}: the child made no progress"
            );
            assert!(
                child.try_wait().expect("the child is there").is_none(),
                "round {round}: the child exited"
            );
            std::thread::sleep(Duration::from_millis(10));
            waited_ms += 10;
        }
        std::thread::sleep(Duration::from_millis(run_ms));
        child.kill().expect("SIGKILL is sent");
        child.wait().expect("the child is reaped");

        let (seen_height, seen_hash) = last_progress(dir).expect("progress was made");
        let disk = Disk::at(SEED, dir);
        let sim = disk.open();
        let tip = sim.tip().expect("answers");
        // Every change makes the chain longer, and a tip the child saw is stored: it is the
        // tip, or the child got further (one more change, or several it did not report).
        assert!(
            tip.height >= seen_height,
            "round {round}: {tip:?} < {seen_height}"
        );
        assert!(
            sim.block(&seen_hash).is_ok(),
            "round {round}: a seen tip is lost"
        );
        if tip.height == seen_height {
            assert_eq!(tip.hash, seen_hash);
        }
        last_height = tip.height;
        // Leave a newline after a line the kill may have cut.
        let mut progress = std::fs::OpenOptions::new()
            .append(true)
            .open(progress_path(dir))
            .expect("the progress file opens");
        writeln!(progress).expect("progress is written");
    }
    assert!(last_height > 20, "the children mined {last_height} blocks");
}
