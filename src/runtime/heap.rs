//! The heap counter behind the promise that the event loop allocates nothing after
//! start-up: the binary's global allocator is [`Counting`], and the runtime logs (with
//! `-D`) how many allocations the loop made between start-up (or the last reload) and
//! SIGTERM. Tests assert that number is 0; test binaries install the same allocator and
//! count one thread's allocations with [`start_counting`] and [`stop_counting`].

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

thread_local! {
    /// This thread's count while it is counting (const-initialised, no destructor: usable
    /// from inside the allocator at any time).
    static THREAD: Cell<Option<u64>> = const { Cell::new(None) };
}

fn counted() {
    ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
    THREAD.with(|c| {
        if let Some(n) = c.get() {
            c.set(Some(n + 1));
        }
    });
}

/// The system allocator, counting allocations and reallocations.
pub struct Counting;

// SAFETY: every call is forwarded unchanged to the system allocator; the counter has no
// effect on memory.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        counted();
        // SAFETY: the caller's contract, passed on.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        counted();
        // SAFETY: the caller's contract, passed on.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        counted();
        // SAFETY: the caller's contract, passed on.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract, passed on.
        unsafe { System.dealloc(ptr, layout) }
    }
}

/// Allocations so far (0 forever when [`Counting`] is not the global allocator).
pub fn allocations() -> u64 {
    ALLOCATIONS.load(Ordering::Relaxed)
}

/// Starts counting the calling thread's allocations (from zero).
pub fn start_counting() {
    THREAD.with(|c| c.set(Some(0)));
}

/// Stops counting the calling thread's allocations; how many there were.
pub fn stop_counting() -> u64 {
    THREAD.with(|c| c.take()).unwrap_or(0)
}
