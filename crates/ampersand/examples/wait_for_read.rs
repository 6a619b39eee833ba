//! Trigger a read and wait for its operation, with progress and, on failure, the logs.
//!
//! ```sh
//! cargo run --example wait_for_read   # embedded mock; or set AMP_API_KEY, AMP_PROJECT,
//!                                     # AMP_INTEGRATION_ID and AMP_INSTALLATION_ID
//! ```

mod example_env;

use std::time::Duration;

use ampersand::resources::read::{ReadMode, TriggerRead};
use ampersand::workflows::{WaitError, WaitOptions};
use example_env::{CUSTOMER, Result};

#[tokio::main]
async fn main() -> Result<()> {
    let env = example_env::start().await?;
    let (client, p) = (&env.client, env.project.as_str());
    let (integration, _installation) = example_env::installation(&env).await?;

    let started = client
        .send(TriggerRead::new(
            p,
            &integration,
            "people",
            CUSTOMER,
            ReadMode::Async,
        ))
        .await?;
    println!("read started: operation {}", started.operation_id);

    let options = WaitOptions::default()
        .initial_delay(Duration::from_millis(200))
        .max_delay(Duration::from_secs(10))
        .timeout(Duration::from_secs(15 * 60))
        .on_progress(|progress| {
            let total = progress
                .records_estimated_total
                .map_or("?".into(), |t| t.to_string());
            println!(
                "  poll {}: {} ({} of {total} records)",
                progress.polls,
                progress.status,
                progress.records_processed.unwrap_or(0)
            );
        });
    match client
        .wait_for_operation(p, &started.operation_id, options)
        .await
    {
        Ok(operation) => println!("done: {}", operation.result.unwrap_or_default()),
        Err(WaitError::Failed(failed)) => {
            eprintln!("{failed}");
            for log in failed.logs() {
                eprintln!("  {} {} {}", log.timestamp, log.severity, log.message.msg);
            }
        }
        Err(WaitError::TimedOut { last, .. }) => {
            eprintln!("still {} after 15 minutes", last.status)
        }
        Err(other) => return Err(other.into()),
    }
    Ok(())
}
