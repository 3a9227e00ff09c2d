//! One binary for every Lambda role of the egress review back-end, plus the local gateway.

mod adapters;
mod api;
mod config;
mod domain;
mod error;
mod local;
mod roles;
mod telemetry;

#[cfg(test)]
mod asl_check;
#[cfg(test)]
mod names_check;

use config::Role;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("egress: cannot start the async runtime: {err}");
            std::process::exit(1);
        }
    };
    let result = match args.first().map(String::as_str) {
        Some("local-gateway") => runtime.block_on(local::run(&args[1..])),
        Some(other) => Err(format!(
            "unknown command `{other}`; run without arguments as a Lambda function (role from `{}`), or `local-gateway`",
            config::ROLE
        )),
        None => runtime.block_on(serve_lambda()),
    };
    if let Err(message) = result {
        eprintln!("egress: {message}");
        std::process::exit(1);
    }
}

/// Serves the role named by `EGRESS_ROLE` until the Lambda runtime stops.
async fn serve_lambda() -> Result<(), String> {
    telemetry::init();
    let role: Role = std::env::var(config::ROLE)
        .map_err(|_| format!("environment variable `{}` is not set", config::ROLE))?
        .parse()
        .map_err(|e: config::ConfigError| e.to_string())?;
    roles::serve(role).await.map_err(|e| e.to_string())
}
