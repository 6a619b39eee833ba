//! Sends getProject through one in-memory client many times, to find where its allocations
//! come from with a heap profiler:
//!
//! ```text
//! cargo build --profile bench -p ampersand-benches --example alloc_sites
//! valgrind --tool=dhat --dhat-out-file=dhat.json target/release/examples/alloc_sites default 1000
//! ```
//!
//! then open `dhat.json` in valgrind's viewer (`dh_view.html`): the sites called 1000 times
//! (or a multiple) are the per-call allocations.
//!
//! The first argument picks the client (`default`, `bare`, `no-retry` for the default client
//! without the retry layer, `one-attempt` for it with the retry layer allowed one attempt), the
//! second the number of calls.

use ampersand::resources::projects::GetProject;
use ampersand_benches::fixtures::PROJECT_NAME;
use ampersand_benches::in_memory::{bare_client, default_builder, default_client};

fn main() {
    let mut args = std::env::args().skip(1);
    let client = match args.next().as_deref() {
        Some("bare") => bare_client(),
        Some("no-retry") => default_builder()
            .no_retry()
            .build()
            .expect("the client builds"),
        Some("one-attempt") => default_builder()
            .retry(ampersand::layers::retry::RetryConfig::default().max_attempts(1))
            .build()
            .expect("the client builds"),
        _ => default_client(),
    };
    let calls: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(1_000);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("the runtime starts");
    for _ in 0..calls {
        let project = rt
            .block_on(client.send(GetProject::new(PROJECT_NAME)))
            .expect("the call succeeds");
        std::hint::black_box(project);
    }
}
