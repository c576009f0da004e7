//! The thread reading the kernel ring buffer and handing decoded events to the consumer.

use super::{decode, raw};
use crate::fields::syscall::SyscallEvent;
use aya::maps::{MapData, RingBuf};
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
}

/// The reader thread: drains the ring buffer, decodes each record into a recycled event and
/// hands it on without blocking (a full channel counts a drop); sleeps 2 ms when the ring is empty.
pub(super) fn run(
    mut ring: RingBuf<MapData>,
    tx: SyncSender<Box<SyscallEvent>>,
    pool: Receiver<Box<SyscallEvent>>,
    counters: Arc<Counters>,
    stop: Arc<AtomicBool>,
    me: u32,
    cri_socket: Option<std::path::PathBuf>,
) {
    let mut decoder = decode::Decoder::with_cri_socket(cri_socket);
    // an event not sent (ignored, or the channel was full) is refilled by the next record
    let mut spare: Option<Box<SyscallEvent>> = None;
    while !stop.load(Ordering::Relaxed) {
        let mut any = false;
        while let Some(item) = ring.next() {
            any = true;
            counters.read.fetch_add(1, Ordering::Relaxed);
            let Some(rawev) = raw::parse(&item) else {
                counters.undecodable.fetch_add(1, Ordering::Relaxed);
                continue;
            };
            if me != 0 && rawev.tgid == me {
                continue;
            }
            let mut ev = spare
                .take()
                .or_else(|| pool.try_recv().ok())
                .unwrap_or_default();
            if !decoder.decode_into(&rawev, &mut ev) {
                spare = Some(ev);
                continue;
            }
            drop(item);
            match tx.try_send(ev) {
                Ok(()) => {
                    counters.sent.fetch_add(1, Ordering::Relaxed);
                }
                Err(TrySendError::Full(ev)) => {
                    counters.channel_drops.fetch_add(1, Ordering::Relaxed);
                    spare = Some(ev);
                }
                Err(TrySendError::Disconnected(_)) => return,
            }
        }
        if !any {
            std::thread::sleep(Duration::from_millis(2));
        }
    }
}
