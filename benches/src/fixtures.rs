//! The response bodies the benches serve and decode.
//!
//! They are built here, with realistic values shaped like the spec's examples, rather than
//! copied from the spec; a unit test checks that each decodes into the generated type.

use bytes::Bytes;

/// The path the loopback benches request (getProject of project `mailmonkey-staging`).
pub const PROJECT_PATH: &str = "/v1/projects/mailmonkey-staging";

/// The project the benches ask for.
pub const PROJECT_NAME: &str = "mailmonkey-staging";

/// The API key every client sends.
pub const API_KEY: &str = "amp_bench_0123456789abcdef0123456789abcdef";

/// The version the SDK reports in its identity headers (all workspace crates share it).
const SDK_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The headers the SDK's default client puts on a getProject request, in its order (hyper adds
/// `Host`). The hand-written raw hyper client sends exactly these, so that both put the same
/// bytes on the wire and the server does the same work for each; a test below holds them equal
/// to what the SDK sends.
pub fn sdk_request_headers() -> [(&'static str, String); 5] {
    [
        (
            "accept",
            "application/json, application/problem+json".to_owned(),
        ),
        ("x-api-key", API_KEY.to_owned()),
        ("user-agent", format!("ampersand-rust/{SDK_VERSION}")),
        ("x-amp-client", "ampersand-rust".to_owned()),
        ("x-amp-client-version", SDK_VERSION.to_owned()),
    ]
}

/// A getProject response body (an `ampersand_resources::projects::Project`, 259 bytes).
pub fn project_json() -> Bytes {
    Bytes::from_static(
        br#"{"appName":"MailMonkey","createTime":"2024-01-15T10:30:00.000000Z","id":"proj_9f7c3e2a-61b8-4f5c-8d1a-eb24f3b05d79","name":"mailmonkey-staging","orgId":"9f7c3e2a-61b8-4f5c-8d1a-eb24f3b05d79","updateTime":"2024-03-02T08:12:45.123456Z"}"#,
    )
}

/// A listInstallations response body: `count` installations (`Vec<Installation>`), each with
/// its own ids, a group, a connection with its consumer, and a read config of two objects.
pub fn installations_json(count: usize) -> Bytes {
    let mut out = String::with_capacity(count * 1_700 + 2);
    out.push('[');
    for i in 0..count {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&installation(i));
    }
    out.push(']');
    Bytes::from(out)
}

fn installation(i: usize) -> String {
    let project = "a1b2c3d4-e5f6-7890-abcd-ef1234567890";
    let group = format!(
        r#"{{"groupRef":"org_{i:06}","groupName":"Customer {i}","projectId":"{project}","createTime":"2024-01-15T10:30:00.000000Z"}}"#
    );
    format!(
        concat!(
            r#"{{"id":"3f8b2a1e-7c4d-4e9a-b5f6-{i:012x}","projectId":"{project}","#,
            r#""integrationId":"550e8400-e29b-41d4-a716-446655440000","group":{group},"#,
            r#""healthStatus":"{health}","lastOperationStatus":"success","#,
            r#""connection":{{"id":"9d8c7b6a-5e4f-3a2b-1c0d-{i:012x}","projectId":"{project}","#,
            r#""provider":"salesforce","group":{group},"#,
            r#""consumer":{{"consumerRef":"user_{i:06}","consumerName":"User {i}","projectId":"{project}","createTime":"2024-01-15T10:30:00.000000Z"}},"#,
            r#""createTime":"2024-01-15T10:30:00.000000Z","authScheme":"oauth2/authorizationCode","status":"working"}},"#,
            r#""createTime":"2024-01-15T10:30:00.000000Z","createdBy":"consumer:user_{i:06}","#,
            r#""updateTime":"2024-02-20T16:45:10.250000Z","#,
            r#""config":{{"id":"e4d3c2b1-a098-7654-3210-{i:012x}","revisionId":"f0e1d2c3-b4a5-6789-0abc-def123456789","#,
            r#""createTime":"2024-01-15T10:30:00.000000Z","createdBy":"consumer:user_{i:06}","#,
            r#""content":{{"provider":"salesforce","read":{{"objects":{{"#,
            r#""account":{{"objectName":"account","schedule":"*/15 * * * *","destination":"accountWebhook","#,
            r#""selectedFields":{{"name":true,"industry":true,"annualrevenue":true}},"selectedFieldMappings":{{"companyName":"name"}}}},"#,
            r#""contact":{{"objectName":"contact","schedule":"*/30 * * * *","destination":"contactWebhook","#,
            r#""selectedFields":{{"email":true,"firstname":true,"lastname":true}},"selectedFieldMappings":{{}}}}"#,
            r#"}}}}}}}}}}"#
        ),
        i = i,
        project = project,
        group = group,
        health = if i.is_multiple_of(17) {
            "unhealthy"
        } else {
            "healthy"
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use ampersand_resources::installations::Installation;
    use ampersand_resources::models::Project;

    #[test]
    fn fixtures_decode_into_the_generated_types() {
        let project: Project = serde_json::from_slice(&project_json()).unwrap();
        assert_eq!(project.name, PROJECT_NAME);
        let list: Vec<Installation> = serde_json::from_slice(&installations_json(20)).unwrap();
        assert_eq!(list.len(), 20);
        assert_ne!(list[1].id, list[2].id);
        assert!(PROJECT_PATH.ends_with(PROJECT_NAME));
    }

    #[tokio::test]
    async fn the_raw_clients_send_the_headers_the_sdk_sends() {
        let (sent_tx, sent_rx) = std::sync::mpsc::channel();
        let transport = tower::service_fn(move |request: http::Request<Bytes>| {
            let headers: Vec<(String, String)> = request
                .headers()
                .iter()
                .map(|(name, value)| (name.to_string(), value.to_str().unwrap().to_owned()))
                .collect();
            sent_tx.send(headers).unwrap();
            let response = http::Response::builder()
                .header(http::header::CONTENT_TYPE, "application/json")
                .body(project_json())
                .unwrap();
            std::future::ready(Ok::<_, std::convert::Infallible>(response))
        });
        let client = ampersand::Client::builder()
            .api_key(API_KEY)
            .transport(transport)
            .build()
            .unwrap();
        client
            .send(ampersand_resources::projects::GetProject::new(PROJECT_NAME))
            .await
            .unwrap();
        let expected: Vec<(String, String)> = sdk_request_headers()
            .into_iter()
            .map(|(name, value)| (name.to_owned(), value))
            .collect();
        // `Host` comes from the URI, added by hyper (and by reqwest) below the stack.
        assert_eq!(sent_rx.recv().unwrap(), expected);
    }
}
