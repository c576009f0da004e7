//! The thread reading the kernel ring buffer and handing decoded events to the consumer.
//!
//! Records are decoded strictly in ring order (the process and descriptor tables see every
//! record in order). An event of a container being looked up for the first time is held back by
//! the decoder (see `decode::containers`) while the others go on, so a slow container runtime
//! never stops the ring buffer from being read; the held events are sent, in order, when the
//! answer arrives or the wait is over.

use super::decode::{self, Decoded};
use super::raw;
use crate::fields::syscall::SyscallEvent;
use aya::maps::{MapData, RingBuf};
use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError};
use std::time::Duration;

/// Counters of a running source.
#[derive(Debug, Default)]
pub(super) struct Counters {
    pub(super) read: AtomicU64,
    pub(super) sent: AtomicU64,
    pub(super) channel_drops: AtomicU64,
    pub(super) undecodable: AtomicU64,
    /// Events held back while their container was looked up for the first time.
    pub(super) held: AtomicU64,
    /// The longest time an event was held back, in microseconds.
    pub(super) longest_hold_us: AtomicU64,
}

impl Counters {
    /// Events held back so far and the longest hold (for the source's stats).
    pub(super) fn holds(&self) -> (u64, Duration) {
        (
            self.held.load(Ordering::Relaxed),
            Duration::from_micros(self.longest_hold_us.load(Ordering::Relaxed)),
        )
    }

    fn set_holds(&self, stats: decode::HoldStats) {
        self.held.store(stats.held, Ordering::Relaxed);
        let us = u64::try_from(stats.longest.as_micros()).unwrap_or(u64::MAX);
        self.longest_hold_us.store(us, Ordering::Relaxed);
    }
}

/// What the reader thread is started with besides its channels.
#[derive(Debug, Clone, Default)]
pub(super) struct Config {
    /// Ignore the records of this process (0: none).
    pub(super) me: u32,
    /// The CRI socket asked for container metadata (default: the usual ones).
    pub(super) cri_socket: Option<std::path::PathBuf>,
    /// Rules use `proc.env`: processes found in /proc get theirs from `/proc/PID/environ`.
    pub(super) read_env: bool,
}

/// Hands `ev` on without blocking: a full channel counts a drop and keeps the event as the
/// spare. False when the consumer is gone.
fn send(
    tx: &SyncSender<Box<SyscallEvent>>,
    ev: Box<SyscallEvent>,
    counters: &Counters,
    spare: &mut Option<Box<SyscallEvent>>,
) -> bool {
    match tx.try_send(ev) {
        Ok(()) => {
            counters.sent.fetch_add(1, Ordering::Relaxed);
            true
        }
        Err(TrySendError::Full(ev)) => {
            counters.channel_drops.fetch_add(1, Ordering::Relaxed);
            *spare = Some(ev);
            true
        }
        Err(TrySendError::Disconnected(_)) => false,
    }
}

/// Sends the held events the decoder released into `released`, in order.
fn send_released(
    tx: &SyncSender<Box<SyscallEvent>>,
    released: &mut VecDeque<Box<SyscallEvent>>,
    counters: &Counters,
    spare: &mut Option<Box<SyscallEvent>>,
) -> bool {
    for ev in released.drain(..) {
        if !send(tx, ev, counters, spare) {
            return false;
        }
    }
    true
}

/// Sends the held events the decoder lets go now (cheap when nothing is held); false when the
/// consumer is gone.
fn release(
    decoder: &mut decode::Decoder,
    tx: &SyncSender<Box<SyscallEvent>>,
    released: &mut VecDeque<Box<SyscallEvent>>,
    counters: &Counters,
    spare: &mut Option<Box<SyscallEvent>>,
) -> bool {
    decoder.release_held(released);
    if released.is_empty() {
        return true;
    }
    counters.set_holds(decoder.hold_stats());
    send_released(tx, released, counters, spare)
}

/// The reader thread: drains the ring buffer, decodes each record into a recycled event and
/// hands it on without blocking (a full channel counts a drop), or leaves it held by the decoder
/// while its container is looked up; sends the held events the decoder releases, also while the
/// ring is empty (it sleeps 2 ms then).
pub(super) fn run(
    mut ring: RingBuf<MapData>,
    tx: SyncSender<Box<SyscallEvent>>,
    pool: Receiver<Box<SyscallEvent>>,
    counters: Arc<Counters>,
    stop: Arc<AtomicBool>,
    config: Config,
) {
    let Config {
        me,
        cri_socket,
        read_env,
    } = config;
    let mut decoder = decode::Decoder::with_options(cri_socket, read_env);
    // an event not sent (ignored, or the channel was full) is refilled by the next record
    let mut spare: Option<Box<SyscallEvent>> = None;
    // held events the decoder released, about to be sent
    let mut released: VecDeque<Box<SyscallEvent>> = VecDeque::new();
    let mut records = 0u32;
    while !stop.load(Ordering::Relaxed) {
        let mut any = false;
        while let Some(item) = ring.next() {
            any = true;
            // a ring that never empties must not keep the reader from stopping
            records = records.wrapping_add(1);
            if records.is_multiple_of(1024) && stop.load(Ordering::Relaxed) {
                break;
            }
            counters.read.fetch_add(1, Ordering::Relaxed);
            let Some(rawev) = raw::parse(&item) else {
                counters.undecodable.fetch_add(1, Ordering::Relaxed);
                continue;
            };
            if me != 0 && rawev.tgid == me {
                continue;
            }
            let ev = spare
                .take()
                .or_else(|| pool.try_recv().ok())
                .unwrap_or_default();
            let ready = match decoder.decode_held(&rawev, ev) {
                Decoded::Skipped(ev) => {
                    spare = Some(ev);
                    continue;
                }
                Decoded::Held => None,
                Decoded::Ready(ev) => Some(ev),
            };
            drop(item);
            if let Some(ev) = ready
                && !send(&tx, ev, &counters, &mut spare)
            {
                return;
            }
            if !release(&mut decoder, &tx, &mut released, &counters, &mut spare) {
                return;
            }
        }
        // answers and expired waits, also while no record arrives
        if !release(&mut decoder, &tx, &mut released, &counters, &mut spare) {
            return;
        }
        if !any {
            std::thread::sleep(Duration::from_millis(2));
        }
    }
    // stopping: what is still held goes with what is known
    decoder.release_all_held(&mut released);
    counters.set_holds(decoder.hold_stats());
    send_released(&tx, &mut released, &counters, &mut spare);
}
