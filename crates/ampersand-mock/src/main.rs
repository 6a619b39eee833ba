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
    let server = builder.start().await?;
    let urls = server.urls();
    println!("Ampersand mock server listening on {}", server.local_addr());
    println!("  AMP_API_URL     {}", urls.api);
    println!("  read API        {}", urls.read);
    println!("  write API       {}", urls.write);
    println!("  search API      {}", urls.search);
    println!("  AMP_PROXY_URL   {}", urls.proxy);
    println!("  AMP_API_KEY     {}", server.api_key());
    println!(
        "  state dump      GET {}/_mock/state",
        urls.api.trim_end_matches("/api/v1")
    );
    println!("Press Ctrl-C to stop.");
    tokio::signal::ctrl_c().await?;
    if let Some(path) = &args.dump_on_exit {
        server.dump_to_file(path)?;
        println!("State written to {}", path.display());
    }
    Ok(())
}
