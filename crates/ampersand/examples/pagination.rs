//! Every operation of an installation, page by page and item by item (`listOperations`).
//!
//! ```sh
//! cargo run --example pagination      # embedded mock; or set AMP_API_KEY, AMP_PROJECT,
//!                                     # AMP_INTEGRATION_ID and AMP_INSTALLATION_ID
//! ```

mod example_env;

use ampersand::resources::operations::ListOperations;
use ampersand::resources::read::{ReadMode, TriggerRead};
use example_env::{CUSTOMER, Result};
use futures_util::TryStreamExt;

#[tokio::main]
async fn main() -> Result<()> {
    let env = example_env::start().await?;
    let (client, p) = (&env.client, env.project.as_str());
    let (integration, installation) = example_env::installation(&env).await?;
    if env.mock.is_some() {
        // Give the mock some history to list.
        for _ in 0..5 {
            client
                .send(TriggerRead::new(
                    p,
                    &integration,
                    "people",
                    CUSTOMER,
                    ReadMode::Async,
                ))
                .await?;
        }
    }

    let list = ListOperations::new(p, &integration, &installation).page_size(2);

    // Page by page: each page keeps its pagination info.
    let mut pages = client.paginate(list.clone()).pages();
    while let Some(page) = pages.try_next().await? {
        println!(
            "page of {} (last: {})",
            page.results.len(),
            page.pagination.done
        );
    }

    // Item by item, fetching pages as needed.
    let mut operations = client.paginate(list.clone()).items();
    while let Some(operation) = operations.try_next().await? {
        println!(
            "{} {} {}",
            operation.id, operation.action_type, operation.status
        );
    }

    // Or all at once.
    let all = client.paginate(list).collect().await?;
    println!("{} operations in total", all.len());
    Ok(())
}
