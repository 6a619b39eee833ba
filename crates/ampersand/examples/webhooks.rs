//! Receive webhooks: fetch the destination's signing secret (`getDestination` with
//! `includeSecrets`), verify a delivery's Svix signature, decode it, and rotate the secret.
//!
//! ```sh
//! cargo run --example webhooks        # embedded mock; or set AMP_API_KEY, AMP_PROJECT and
//!                                     # AMP_DESTINATION (a webhook destination's name or ID)
//! ```

mod example_env;

use std::time::{SystemTime, UNIX_EPOCH};

use ampersand::resources::destinations::{
    CreateDestination, CreateDestinationMetadata, CreateDestinationType, GetDestination,
};
use ampersand::webhooks::{Delivery, Webhook};
use example_env::Result;
use http::HeaderMap;

#[tokio::main]
async fn main() -> Result<()> {
    let env = example_env::start().await?;
    let (client, p) = (&env.client, env.project.as_str());
    let destination = match std::env::var("AMP_DESTINATION") {
        Ok(name) => name,
        Err(_) => {
            let metadata = CreateDestinationMetadata {
                url: Some("https://example.com/ampersand/webhook".into()),
                ..Default::default()
            };
            let created = CreateDestination::new(
                p,
                "peopleWebhook",
                CreateDestinationType::Webhook,
                metadata,
            );
            client.send(created).await?.name
        }
    };

    // The signing secret, as your receiver would load it at start.
    let with_secrets = client
        .send(GetDestination::new(p, &destination).include_secrets(true))
        .await?;
    let secret = with_secrets
        .secrets
        .and_then(|s| s.webhook_signing_key)
        .ok_or("not a webhook destination")?;
    let webhook = Webhook::new(&secret)?;

    // A delivery as Ampersand (through Svix) sends it. Here we sign it ourselves.
    let body = br#"{"notificationType":"read.backfill.done","data":{"projectId":"p1","provider":"apollo",
        "integrationId":"i1","integrationName":"apollo-enrich","installationId":"in1","connectionId":"c1",
        "groupRef":"customer-1","groupName":"Customer 1","consumerRef":"user-1","consumerName":"User 1",
        "objectName":"people"}}"#;
    let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs() as i64;
    let mut headers = HeaderMap::new();
    headers.insert("svix-id", "msg_example".parse()?);
    headers.insert("svix-timestamp", now.to_string().parse()?);
    headers.insert(
        "svix-signature",
        webhook.sign("msg_example", now, body).parse()?,
    );

    // In your HTTP handler: verify against the raw bytes, then decode.
    match webhook.verify_and_parse(&headers, body)? {
        Delivery::Notification(notification) => {
            println!("verified notification {}", notification.notification_type())
        }
        Delivery::Message(message) => println!("verified records for {}", message.object_name),
        other => println!("verified {other:?}"),
    }

    // Rotate the secret: deliveries signed with the old one no longer verify.
    let rotated = client
        .send(GetDestination::new(p, &destination).rotate(true))
        .await?;
    let new_secret = rotated
        .secrets
        .and_then(|s| s.webhook_signing_key)
        .ok_or("no rotated secret")?;
    let rejected = Webhook::new(&new_secret)?.verify(&headers, body);
    println!(
        "old signature under the new secret: {}",
        if rejected.is_err() {
            "rejected"
        } else {
            "accepted"
        }
    );
    Ok(())
}
