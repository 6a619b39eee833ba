//! `ampersand-mock`: runs the mock server until Ctrl-C.
//!
//! ```text
//! cargo run -p ampersand-mock -- --port 8080
//! ```

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use ampersand_mock::{FaultRule, Faults, MockServer};

const USAGE: &str = "\
Usage: ampersand-mock [OPTIONS]

Options:
  --port PORT             port to listen on (default 8080; 0 picks a free port)
  --host ADDR             address to bind (default 127.0.0.1)
  --api-key KEY           the bootstrap API key (default: random)
  --seed FILE             start from the state in FILE (JSON, as dumped)
  --dump-on-exit FILE     write the state to FILE on Ctrl-C
  --operation-polls N     getOperation calls answered in_progress before success (default 1)
  --latency-ms MS         add MS milliseconds to every request
  --fault RULE            inject a fault; repeatable. RULE is TARGET=ACTION[xN|@P]:
                            TARGET  * | operationId | /path/prefix
                            ACTION  STATUS | 429[:SECS] | drop | delay:MS
                          e.g. getProject=503x2  /read/v1=429:2@0.5  *=drop@0.01
  --fault-seed N          seed of the RNG of probabilistic faults
  --max-body-bytes N      largest request body accepted (default 16777216); larger: 413
  --header-timeout-secs S time to send a request head, and to idle between requests
                          (default 10)
  --body-timeout-secs S   time to send a request body once its head arrived (default 30)
  -h, --help              print this help";

struct Args {
    host: String,
    port: u16,
    api_key: Option<String>,
    seed: Option<PathBuf>,
    dump_on_exit: Option<PathBuf>,
    operation_polls: Option<u32>,
    latency: Option<Duration>,
    faults: Vec<FaultRule>,
    fault_seed: Option<u64>,
    max_body_bytes: Option<usize>,
    header_timeout: Option<Duration>,
    body_timeout: Option<Duration>,
}

fn parse_args() -> Result<Option<Args>, String> {
    let mut args = Args {
        host: "127.0.0.1".into(),
        port: 8080,
        api_key: None,
        seed: None,
        dump_on_exit: None,
        operation_polls: None,
        latency: None,
        faults: Vec::new(),
        fault_seed: None,
        max_body_bytes: None,
        header_timeout: None,
        body_timeout: None,
    };
    let mut iter = std::env::args().skip(1);
    while let Some(flag) = iter.next() {
        if flag == "-h" || flag == "--help" {
            return Ok(None);
        }
        let mut value = || iter.next().ok_or_else(|| format!("{flag} needs a value"));
        let bad = |e: &dyn std::fmt::Display| format!("{flag}: {e}");
        match flag.as_str() {
            "--port" => args.port = value()?.parse().map_err(|e| bad(&e))?,
            "--host" => args.host = value()?,
            "--api-key" => args.api_key = Some(value()?),
            "--seed" => args.seed = Some(value()?.into()),
            "--dump-on-exit" => args.dump_on_exit = Some(value()?.into()),
            "--operation-polls" => {
                args.operation_polls = Some(value()?.parse().map_err(|e| bad(&e))?)
            }
            "--latency-ms" => {
                args.latency = Some(Duration::from_millis(
                    value()?.parse().map_err(|e| bad(&e))?,
                ))
            }
            "--fault" => args.faults.push(value()?.parse().map_err(|e| bad(&e))?),
            "--fault-seed" => args.fault_seed = Some(value()?.parse().map_err(|e| bad(&e))?),
            "--max-body-bytes" => {
                args.max_body_bytes = Some(value()?.parse().map_err(|e| bad(&e))?)
            }
            "--header-timeout-secs" => {
                args.header_timeout =
                    Some(Duration::from_secs(value()?.parse().map_err(|e| bad(&e))?))
            }
            "--body-timeout-secs" => {
                args.body_timeout =
                    Some(Duration::from_secs(value()?.parse().map_err(|e| bad(&e))?))
            }
            other => return Err(format!("unknown option {other}")),
        }
    }
    Ok(Some(args))
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(Some(args)) => args,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("error: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// What the mock prints at start-up: its address, then the environment that
/// `Client::builder().from_env()` and the quickstart example read, as shell `export` lines
/// that work when copied verbatim.
fn banner(server: &MockServer) -> String {
    let urls = server.urls();
    let mut env = vec![
        ("AMP_API_URL", urls.api.clone()),
        ("AMP_READ_URL", urls.read.clone()),
        ("AMP_WRITE_URL", urls.write.clone()),
        ("AMP_SEARCH_URL", urls.search.clone()),
        ("AMP_PROXY_URL", urls.proxy.clone()),
        ("AMP_API_KEY", server.api_key().to_owned()),
    ];
    // The quickstart needs a project (or a Bearer token to find one): name the first.
    let state = server.state();
    let mut projects: Vec<&serde_json::Value> = state.projects.values().collect();
    projects.sort_by_key(|p| p["createTime"].as_str().unwrap_or_default().to_owned());
    if let Some(name) = projects.first().and_then(|p| p["name"].as_str()) {
        env.push(("AMP_PROJECT", name.to_owned()));
    }
    let mut out = format!(
        "Ampersand mock server listening on {}\n\n\
         Point the SDK at it (Client::builder().from_env(), or the quickstart example):\n",
        server.local_addr()
    );
    for (name, value) in env {
        out.push_str(&format!("  export {name}={value}\n"));
    }
    out.push_str(&format!(
        "\nState dump: GET {}/_mock/state\nPress Ctrl-C to stop.\n",
        urls.api.trim_end_matches("/api/v1")
    ));
    out
}

async fn run(args: Args) -> std::io::Result<()> {
    let addr = format!("{}:{}", args.host, args.port)
        .parse()
        .map_err(|e| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("--host/--port: {e}"),
            )
        })?;
    let mut builder = MockServer::builder().addr(addr);
    if let Some(key) = args.api_key {
        builder = builder.api_key(key);
    }
    if let Some(seed) = &args.seed {
        builder = builder.seed_file(seed)?;
    }
    if let Some(polls) = args.operation_polls {
        builder = builder.operation_polls(polls);
    }
    if let Some(latency) = args.latency {
        builder = builder.latency(latency);
    }
    if let Some(seed) = args.fault_seed {
        builder = builder.faults(Faults::with_seed(seed));
    }
    for rule in args.faults {
        builder = builder.fault(rule);
    }
    if let Some(bytes) = args.max_body_bytes {
        builder = builder.max_body_bytes(bytes);
    }
    if let Some(timeout) = args.header_timeout {
        builder = builder.header_read_timeout(timeout);
    }
    if let Some(timeout) = args.body_timeout {
        builder = builder.body_read_timeout(timeout);
    }
    let server = builder.start().await?;
    print!("{}", banner(&server));
    // The banner is read by scripts and tests through a pipe: send it now.
    std::io::Write::flush(&mut std::io::stdout())?;
    tokio::signal::ctrl_c().await?;
    if let Some(path) = &args.dump_on_exit {
        server.dump_to_file(path)?;
        println!("State written to {}", path.display());
    }
    Ok(())
}
