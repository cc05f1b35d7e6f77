//! The heap counter behind the promise that the event loop allocates nothing after
//! start-up: the binary's global allocator is [`Counting`], and the runtime logs (with
//! `-D`) how many allocations the loop made between start-up (or the last reload) and
//! SIGTERM. Tests assert that number is 0; test binaries install the same allocator and
//! count one thread's allocations with [`start_counting`] and [`stop_counting`].
//!
//! A one-shot run (`-t`, `-d`) can switch to [`one_shot_arena`]: allocations are cut from
//! one mapping with transparent huge pages and never freed, as the process ends after one
//! configuration read. That saves the page faults and the allocator's bookkeeping of tens
//! of thousands of small allocations (a third of `-t`'s time on a large configuration).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

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

/// The one-shot arena: [start, end) and the next free byte; all zero when not in use.
static ARENA_START: AtomicUsize = AtomicUsize::new(0);
static ARENA_END: AtomicUsize = AtomicUsize::new(0);
static ARENA_NEXT: AtomicUsize = AtomicUsize::new(0);

/// Bytes of address space the one-shot arena reserves (only what is touched is memory).
const ARENA_RESERVE: usize = 1 << 30;

/// From now on allocations come from a never-freeing arena (see the module documentation);
/// when it runs out, from the system allocator again. For processes that end after one job.
pub fn one_shot_arena() {
    // SAFETY: an anonymous private mapping with no fixed address; checked below.
    let p = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            ARENA_RESERVE,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
            -1,
            0,
        )
    };
    if p == libc::MAP_FAILED {
        return;
    }
    // SAFETY: advice on the mapping just made; failure only means small pages.
    unsafe { libc::madvise(p, ARENA_RESERVE, libc::MADV_HUGEPAGE) };
    let start = p as usize;
    ARENA_NEXT.store(start, Ordering::Relaxed);
    ARENA_END.store(start + ARENA_RESERVE, Ordering::Relaxed);
    ARENA_START.store(start, Ordering::Release);
}

/// `layout` cut from the arena, or None (no arena, or it is full).
fn arena_alloc(layout: Layout) -> Option<*mut u8> {
    if ARENA_START.load(Ordering::Acquire) == 0 {
        return None;
    }
    let end = ARENA_END.load(Ordering::Relaxed);
    let mut next = ARENA_NEXT.load(Ordering::Relaxed);
    loop {
        let at = next.checked_add(layout.align() - 1)? & !(layout.align() - 1);
        let after = at.checked_add(layout.size())?;
        if after > end {
            return None;
        }
        match ARENA_NEXT.compare_exchange_weak(next, after, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => return Some(at as *mut u8),
            Err(now) => next = now,
        }
    }
}

fn in_arena(ptr: *mut u8) -> bool {
    let start = ARENA_START.load(Ordering::Acquire);
    start != 0 && (start..ARENA_END.load(Ordering::Relaxed)).contains(&(ptr as usize))
}

/// The system allocator, counting allocations and reallocations (and, after
/// [`one_shot_arena`], serving them from the arena).
pub struct Counting;

// SAFETY: the system allocator's calls are forwarded unchanged; arena blocks are disjoint
// ranges of a private mapping (fresh pages are zero), never handed out twice and never
// given to the system allocator.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        counted();
        if let Some(p) = arena_alloc(layout) {
            return p;
        }
        // SAFETY: the caller's contract, passed on.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        counted();
        if let Some(p) = arena_alloc(layout) {
            // The arena's pages are fresh from the kernel: zero already.
            return p;
        }
        // SAFETY: the caller's contract, passed on.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        counted();
        let from_arena = in_arena(ptr);
        if from_arena || ARENA_START.load(Ordering::Acquire) != 0 {
            if let Ok(new) = Layout::from_size_align(new_size, layout.align()) {
                if let Some(p) = arena_alloc(new) {
                    // SAFETY: both blocks are live and disjoint; the smaller size is copied.
                    unsafe { std::ptr::copy_nonoverlapping(ptr, p, layout.size().min(new_size)) };
                    if !from_arena {
                        // SAFETY: `ptr` came from the system allocator with `layout`.
                        unsafe { System.dealloc(ptr, layout) };
                    }
                    return p;
                }
            }
            if from_arena {
                // The arena is full: the system allocator takes over this block.
                // SAFETY: the new layout is valid (checked by the caller's contract).
                let p = unsafe {
                    System.alloc(Layout::from_size_align_unchecked(new_size, layout.align()))
                };
                if !p.is_null() {
                    // SAFETY: as above.
                    unsafe { std::ptr::copy_nonoverlapping(ptr, p, layout.size().min(new_size)) };
                }
                return p;
            }
        }
        // SAFETY: the caller's contract, passed on.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if in_arena(ptr) {
            return;
        }
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
