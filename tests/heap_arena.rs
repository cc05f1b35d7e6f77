//! The one-shot arena of the binary's allocator (`-t`, `-d`): blocks are aligned, disjoint
//! and keep their contents through reallocation, zeroed blocks are zero, and blocks made
//! before the arena was switched on move into it intact. This file is its own test binary
//! (one test: the arena is process-wide).

use keepalived_rs::runtime::heap::{self, Counting};

#[global_allocator]
static HEAP: Counting = Counting;

#[test]
fn the_arena_keeps_every_block_intact() {
    let before: Vec<u64> = (0..1000).collect();
    heap::one_shot_arena();
    let mut blocks: Vec<Vec<u8>> = Vec::new();
    for k in 0..2000usize {
        let mut v = vec![(k % 251) as u8; 1 + k % 97];
        v.push(7);
        blocks.push(v);
    }
    for (k, v) in blocks.iter().enumerate() {
        assert!(v[..v.len() - 1].iter().all(|&b| b == (k % 251) as u8));
        assert_eq!(v.last(), Some(&7));
    }
    // Alignment.
    let wide: Vec<u128> = vec![u128::MAX; 33];
    assert_eq!(wide.as_ptr() as usize % std::mem::align_of::<u128>(), 0);
    assert!(wide.iter().all(|&x| x == u128::MAX));
    // Zeroed allocations.
    let zeros = vec![0u64; 4096];
    assert!(zeros.iter().all(|&x| x == 0));
    // Growing a block made before the arena: it moves in with its contents.
    let mut grown = before;
    grown.extend(1000..5000);
    assert!(grown.iter().enumerate().all(|(k, &x)| x == k as u64));
    // Shrinking and growing arena blocks.
    let mut s = String::from("keepalived");
    for _ in 0..10 {
        s.push_str("-rs");
    }
    s.shrink_to_fit();
    assert_eq!(s.len(), 10 + 30);
    assert!(s.starts_with("keepalived-rs-rs"));
}
