/// The system allocator, counted: the runtime reports allocations made by its event loop.
#[global_allocator]
static HEAP: keepalived_rs::runtime::heap::Counting = keepalived_rs::runtime::heap::Counting;

fn main() {
    std::process::exit(keepalived_rs::cli::main(std::env::args().collect()));
}
