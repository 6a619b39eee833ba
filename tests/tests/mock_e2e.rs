//! The SDK against the embedded mock: the builder lifecycle through the default client, and
//! the client's resilience against the mock's fault knobs.

use std::time::Duration;

use ampersand::resources::connections::GenerateConnection;
use ampersand::resources::integrations::{BatchUpsertIntegrations, ListIntegrations};
use ampersand::resources::operations::GetOperation;
use ampersand::resources::projects::{GetProject, ListProjects};
use ampersand::resources::providers::ListProviders;
use ampersand::resources::read::{ReadMode, TriggerRead};
use ampersand::{Client, ErrorKind, Host};
use ampersand_mock::{FaultRule, MockServer};

const AMP_YAML: &str = "\
specVersion: 1.0.0
integrations:
  - name: apollo-enrich
    provider: apollo
    read:
      objects:
        - objectName: people
          destination: contactWebhook
          schedule: \"0 * * * *\"
";

fn client(mock: &MockServer) -> Client {
    let urls = mock.urls();
    Client::builder()
        .api_key(mock.api_key())
        .bearer_token("builder-jwt")
        .base_url(Host::Api, &urls.api)
        .base_url(Host::Read, &urls.read)
        .base_url(Host::Write, &urls.write)
        .base_url(Host::Search, &urls.search)
        .build()
        .unwrap()
}

#[tokio::test]
async fn deploy_connect_trigger_and_poll() {
    let mock = MockServer::start().await.unwrap();
    let client = client(&mock);
    let p = "mock-project";
    assert_eq!(client.send(ListProjects::new()).await.unwrap().len(), 1);

    let deployed = client
        .send(BatchUpsertIntegrations::new(p).source_yaml(AMP_YAML))
        .await
        .unwrap();
    assert_eq!(deployed[0].name, "apollo-enrich");
    let listed = client.send(ListIntegrations::new(p)).await.unwrap();
    assert_eq!(listed.len(), 1);

    let connection = client
        .send(GenerateConnection::new(p, "g1", "u1", "apollo").api_key("k"))
        .await
        .unwrap();
    assert_eq!(connection.group.group_ref, "g1");

    let triggered = client
        .send(TriggerRead::new(
            p,
            &deployed[0].id,
            "people",
            "g1",
            ReadMode::Async,
        ))
        .await;
    // No installation yet: the mock answers with a typed problem, not a panic or a hang.
    let error = triggered.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Api);
    assert!(error.problem().is_some());

    let unknown = client
        .send(GetOperation::new(p, "no-such-operation"))
        .await
        .unwrap_err();
    assert!(unknown.is_not_found(), "{unknown}");
}

#[tokio::test]
async fn retries_through_a_503_burst() {
    let mock = MockServer::start().await.unwrap();
    mock.faults()
        .push(FaultRule::status(503).operation("getProject").times(2));
    let client = client(&mock);
    let project = client.send(GetProject::new("mock-project")).await.unwrap();
    assert_eq!(project.name, "mock-project");
}

#[tokio::test]
async fn honours_retry_after_from_a_429() {
    let mock = MockServer::start().await.unwrap();
    mock.faults().push(
        FaultRule::rate_limit(Duration::from_secs(1))
            .operation("listProviders")
            .times(1),
    );
    let client = client(&mock);
    let started = std::time::Instant::now();
    let providers = client.send(ListProviders::new()).await.unwrap();
    assert!(!providers.is_empty());
    // The second attempt waited for the server's Retry-After (a lower bound only: no upper
    // bound is asserted, since CI machines stall).
    assert!(started.elapsed() >= Duration::from_millis(900));
}

#[tokio::test]
async fn a_dropped_connection_on_a_post_is_not_resent() {
    let mock = MockServer::start().await.unwrap();
    mock.faults().push(
        FaultRule::drop_connection()
            .operation("batchUpsertIntegrations")
            .times(1),
    );
    let client = client(&mock);
    // PUT integrations:batch is idempotent, so a dropped connection is retried.
    let deployed = client
        .send(BatchUpsertIntegrations::new("mock-project").source_yaml(AMP_YAML))
        .await
        .unwrap();
    assert_eq!(deployed.len(), 1);

    mock.faults().push(
        FaultRule::drop_connection()
            .operation("generateConnection")
            .times(1),
    );
    // POST connections:generate may have reached the server: not resent.
    let error = client
        .send(GenerateConnection::new("mock-project", "g2", "u2", "apollo").api_key("k"))
        .await
        .unwrap_err();
    assert!(
        matches!(error.kind(), ErrorKind::Transport | ErrorKind::Connect),
        "{error:?}"
    );
    assert_eq!(error.attempts(), 1, "{error}");
}

#[tokio::test]
async fn api_origin_accepts_a_url_that_already_ends_in_v1() {
    let mock = MockServer::start().await.unwrap();
    // The mock's platform URL ends in /api/v1: used as the origin, /v1 is not added again.
    let client = Client::builder()
        .api_key(mock.api_key())
        .api_origin(&mock.urls().api)
        .build()
        .unwrap();
    assert_eq!(
        client.base_urls().get(Host::Api).to_string(),
        mock.urls().api
    );
    let project = client.send(GetProject::new("mock-project")).await.unwrap();
    assert_eq!(project.name, "mock-project");
}

#[tokio::test]
async fn http2_prior_knowledge_passes_the_first_bytes_deadline() {
    // The mock bounds how long a connection may take to send its first bytes; an HTTP/2
    // client sends the preface at once and is served, body and all.
    let mock = MockServer::start().await.unwrap();
    let mut transport = ampersand::transport::TransportConfig::default();
    transport.http2_only = true;
    let urls = mock.urls();
    let client = Client::builder()
        .api_key(mock.api_key())
        .base_url(Host::Api, &urls.api)
        .transport_config(transport)
        .build()
        .unwrap();
    let deployed = client
        .send(BatchUpsertIntegrations::new("mock-project").source_yaml(AMP_YAML))
        .await
        .unwrap();
    assert_eq!(deployed.len(), 1);
}

/// The mock's banner, the SDK's `from_env` and the quickstart agree: the binary is started,
/// its banner read, and the quickstart example run with exactly the `export` lines it printed.
mod banner {
    use std::io::{BufRead, BufReader};
    use std::path::PathBuf;
    use std::process::{Child, Command, Output, Stdio};

    /// `target/debug` (or the profile's directory) of this test binary.
    fn profile_dir() -> PathBuf {
        let exe = std::env::current_exe().unwrap();
        exe.parent().unwrap().parent().unwrap().to_owned()
    }

    /// Builds the mock binary and the quickstart example with this test's cargo and profile.
    fn build() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let release = profile_dir().ends_with("release");
        let mut command = Command::new(cargo);
        command.args([
            "build",
            "--quiet",
            "-p",
            "ampersand-mock",
            "--bin",
            "ampersand-mock",
            "-p",
            "ampersand",
            "--example",
            "quickstart",
        ]);
        if release {
            command.arg("--release");
        }
        let status = command.status().expect("cargo could not be run");
        assert!(
            status.success(),
            "building the mock and the quickstart failed"
        );
    }

    /// The mock binary, killed when dropped.
    struct Mock(Child);

    impl Drop for Mock {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }

    /// Starts the mock binary on a free port; returns it and the `NAME=VALUE` pairs of the
    /// banner's `export` lines, read verbatim.
    fn start_mock() -> (Mock, Vec<(String, String)>) {
        let mut child = Command::new(profile_dir().join("ampersand-mock"))
            .args(["--port", "0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the mock binary could not be started");
        let stdout = child.stdout.take().unwrap();
        let mock = Mock(child);
        let mut exports = Vec::new();
        for line in BufReader::new(stdout).lines() {
            let line = line.unwrap();
            if let Some(pair) = line.trim().strip_prefix("export ") {
                let (name, value) = pair.split_once('=').expect("export NAME=VALUE");
                exports.push((name.to_owned(), value.to_owned()));
            }
            if line.starts_with("Press Ctrl-C") {
                break;
            }
        }
        (mock, exports)
    }

    /// Runs the quickstart with only these `AMP_*` variables.
    fn quickstart(env: &[(String, String)]) -> Output {
        let mut command = Command::new(profile_dir().join("examples").join("quickstart"));
        for (name, _) in std::env::vars() {
            if name.starts_with("AMP_") {
                command.env_remove(name);
            }
        }
        command.envs(env.iter().cloned());
        command.output().expect("the quickstart could not be run")
    }

    #[test]
    fn the_quickstart_runs_with_the_banners_values() {
        build();
        let (_mock, exports) = start_mock();
        let names: Vec<&str> = exports.iter().map(|(n, _)| n.as_str()).collect();
        for name in ["AMP_API_URL", "AMP_API_KEY", "AMP_READ_URL", "AMP_PROJECT"] {
            assert!(
                names.contains(&name),
                "the banner lacks {name}: {exports:?}"
            );
        }

        let run = quickstart(&exports);
        let stdout = String::from_utf8_lossy(&run.stdout);
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert!(run.status.success(), "stdout:\n{stdout}\nstderr:\n{stderr}");
        let api_url = &exports.iter().find(|(n, _)| n == "AMP_API_URL").unwrap().1;
        assert!(
            stdout.contains(&format!("talking to the Ampersand API at {api_url}\n")),
            "{stdout}"
        );
        assert!(stdout.contains("the read finished: success"), "{stdout}");
        assert!(stdout.contains("cleaned up"), "{stdout}");
    }

    #[test]
    fn with_only_an_api_key_the_quickstart_names_the_variables_that_get_past_getmyinfo() {
        build();
        let (_mock, exports) = start_mock();
        let without_project: Vec<(String, String)> = exports
            .into_iter()
            .filter(|(name, _)| name != "AMP_PROJECT")
            .collect();
        let run = quickstart(&without_project);
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert!(!run.status.success(), "{stderr}");
        assert!(stderr.contains("AMP_PROJECT="), "{stderr}");
        assert!(stderr.contains("AMP_BEARER_TOKEN="), "{stderr}");
    }
}
