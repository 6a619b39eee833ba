//! Deploy integrations from amp.yaml: local validation, then inline or through a signed upload
//! (what `amp deploy` does).
//!
//! ```sh
//! cargo run --example deploy                  # embedded mock, built-in amp.yaml
//! AMP_API_KEY=... AMP_PROJECT=my-project cargo run --example deploy -- path/to/amp.yaml
//! ```

mod example_env;

use ampersand::workflows::DeployError;
use example_env::{AMP_YAML, Result};

#[tokio::main]
async fn main() -> Result<()> {
    let env = example_env::start().await?;
    let (client, p) = (&env.client, env.project.as_str());
    let yaml = match std::env::args().nth(1) {
        Some(path) => std::fs::read_to_string(path)?,
        None => AMP_YAML.to_owned(),
    };

    // Problems are found locally, all at once, each with its YAML path; nothing is sent.
    let broken = "specVersion: 1.0.0\nintegrations:\n  - name: x\n    provider: apollo\n    read:\n      objects:\n        - objectName: people\n";
    if let Err(DeployError::Invalid(problems)) = client.deploy(p, broken).await {
        for problem in problems.errors() {
            println!("invalid: {problem}");
        }
    }

    // Inline: the YAML text goes in the request (`sourceYaml`).
    let integrations = client.deploy(p, yaml.as_str()).inline().await?;
    println!("inline: deployed {} integration(s)", integrations.len());

    // Upload (the default): zip, signed URL, PUT with Content-MD5, then `gs://` source.
    // `destructive(true)` would pause reads of objects the new revision removes.
    let integrations = client.deploy(p, yaml).destructive(false).await?;
    for integration in integrations {
        println!(
            "uploaded: {} ({}) revision {}",
            integration.name, integration.id, integration.latest_revision.id
        );
    }
    Ok(())
}
